//! The client against a real node: trust on first use, every refusal as a typed error with a
//! line in both languages, and a loop that comes back after the node restarts.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use monitor_api::{Credentials, Refusal, ServerFrame};
use monitor_client::{ClientError, Fingerprint, KnownHosts, Settings, Target, Update};
use monitor_model::Phase;
use wims_tests::Node;

const PW: &str = "ann-client-lantern";
const WAIT: Duration = Duration::from_secs(120);

fn settings(target: Target, kh: &KnownHosts, password: &str) -> Settings {
    Settings {
        target,
        credentials: Credentials::Account {
            address: "ann@alpha.h".into(),
            password: password.into(),
        },
        known_hosts: kh.clone(),
        accept: None,
        client: "monitor-client tests".into(),
    }
}

fn dial(s: &Settings) -> Result<monitor_client::Session, ClientError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(monitor_client::dial(s))
}

fn texts_in_both_languages(e: &ClientError) {
    for lang in ["en-US", "de-DE"] {
        let t = monitor_model::texts::load(lang).unwrap();
        let line = e.text(&t);
        assert!(!line.starts_with("monitor-"), "{lang}: {line}");
        assert!(!line.contains('\n'), "{lang}: {line}");
    }
}

#[test]
fn certificates_are_trusted_on_first_use_and_refusals_are_typed() {
    let port = wims_tests::monitor::free_port();
    let node = Node::builder()
        .account("ann@alpha.h", PW)
        .extra_toml(&format!("[monitor]\nlisten = \"127.0.0.1:{port}\"\n"))
        .start();
    let dir = tempfile::tempdir().unwrap();
    let kh = KnownHosts::new(dir.path().join("known_hosts"));
    let target = Target::parse(&format!("127.0.0.1:{port}")).unwrap();
    let fp = wims_tests::monitor::cert_fingerprint(&node.cert_path()).unwrap();

    // First use: refused, with the fingerprint for the person to compare.
    let mut s = settings(target.clone(), &kh, PW);
    match dial(&s) {
        Err(e @ ClientError::UnknownCertificate { .. }) => {
            let ClientError::UnknownCertificate { fingerprint, .. } = &e else {
                unreachable!()
            };
            assert_eq!(*fingerprint, fp);
            assert!(e.needs_person());
            texts_in_both_languages(&e);
            let en = e.text(&monitor_model::texts::fallback());
            assert!(en.contains(&fp.to_string()), "{en}");
        }
        other => panic!("expected an unknown certificate, got {:?}", other.err()),
    }
    assert_eq!(kh.get(&target.key()).unwrap(), None);

    // Accepted: connected, and kept.
    s.accept = Some(fp);
    let session = dial(&s).expect("accepted certificate");
    assert_eq!(session.accepted.version, 1);
    assert_eq!(kh.get(&target.key()).unwrap(), Some(fp));
    drop(session);
    s.accept = None;
    dial(&s).expect("known certificate");

    // Another certificate kept for the node: refused, naming both.
    let other = Fingerprint::of(b"another certificate");
    kh.set(&target.key(), other).unwrap();
    match dial(&s) {
        Err(e @ ClientError::ChangedCertificate { .. }) => {
            assert!(e.needs_person());
            texts_in_both_languages(&e);
        }
        other => panic!("expected a changed certificate, got {:?}", other.err()),
    }
    kh.set(&target.key(), fp).unwrap();

    // The node's refusals.
    let e = dial(&settings(target.clone(), &kh, "not-her-password")).err();
    assert!(
        matches!(&e, Some(ClientError::Refused(Refusal::BadCredentials))),
        "{e:?}"
    );
    let e = e.unwrap();
    assert!(e.needs_person());
    texts_in_both_languages(&e);
    let mut nobody = settings(target.clone(), &kh, PW);
    nobody.credentials = Credentials::Account {
        address: "nobody@alpha.h".into(),
        password: PW.into(),
    };
    let e = dial(&nobody).err();
    assert!(
        matches!(&e, Some(ClientError::Refused(Refusal::UnknownAccount))),
        "{e:?}"
    );

    // Nothing listening: a refused connection, which the loop retries.
    let closed = Target::parse(&format!("127.0.0.1:{}", wims_tests::monitor::free_port())).unwrap();
    let e = dial(&settings(closed, &kh, PW)).err().unwrap();
    assert!(matches!(e, ClientError::ConnectionRefused { .. }), "{e:?}");
    assert!(!e.needs_person());
    texts_in_both_languages(&e);

    // The log holds no password.
    assert!(!node.log().contains(PW));
}

fn next(rx: &mpsc::Receiver<Update>, what: &str, mut want: impl FnMut(&Update) -> bool) {
    let started = Instant::now();
    loop {
        let left = WAIT.saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok(u) if want(&u) => return,
            Ok(Update::Stopped(e)) => panic!("{what}: the loop stopped: {e}"),
            Ok(_) => {}
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

#[test]
fn the_loop_reconnects_after_a_restart_and_stops_on_a_wrong_password() {
    let port = wims_tests::monitor::free_port();
    let mut node = Node::builder()
        .account("ann@alpha.h", PW)
        .extra_toml(&format!("[monitor]\nlisten = \"127.0.0.1:{port}\"\n"))
        .start();
    let dir = tempfile::tempdir().unwrap();
    let kh = KnownHosts::new(dir.path().join("known_hosts"));
    let target = Target::parse(&format!("127.0.0.1:{port}")).unwrap();
    let mut s = settings(target.clone(), &kh, PW);
    s.accept = Some(wims_tests::monitor::cert_fingerprint(&node.cert_path()).unwrap());

    let (tx, rx) = mpsc::channel();
    let handle = monitor_client::spawn(s.clone(), move |u| {
        let _ = tx.send(u);
    })
    .unwrap();
    next(&rx, "accepted", |u| matches!(u, Update::Accepted(_)));
    next(&rx, "snapshot", |u| {
        matches!(u, Update::Frame(ServerFrame::SnapshotEnd))
    });

    node.restart();
    next(
        &rx,
        "waiting to reconnect",
        |u| matches!(u, Update::State(s) if matches!(s.phase(), Phase::Waiting { .. })),
    );
    next(&rx, "accepted again", |u| matches!(u, Update::Accepted(_)));
    next(&rx, "a fresh snapshot", |u| {
        matches!(u, Update::Frame(ServerFrame::SnapshotEnd))
    });
    handle.stop();

    // A wrong password ends the loop: the person must act.
    let (tx, rx) = mpsc::channel();
    let handle = monitor_client::spawn(settings(target, &kh, "wrong-password-here"), move |u| {
        let _ = tx.send(u);
    })
    .unwrap();
    let started = Instant::now();
    let stopped = loop {
        match rx.recv_timeout(WAIT.saturating_sub(started.elapsed())) {
            Ok(Update::Stopped(e)) => break e,
            Ok(_) => {}
            Err(e) => panic!("no refusal: {e}"),
        }
    };
    assert!(
        matches!(stopped, ClientError::Refused(Refusal::BadCredentials)),
        "{stopped:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !handle.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(handle.is_finished());
}
