//! The monitor endpoint of a real `wims` process: who gets in, what the hostile get, and that a
//! message sent between two nodes shows up as a job that appears, moves and finishes.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use monitor_api::{
    Activity, ClientFrame, Event, JobState, Place, Refusal, Scope, ServerFrame, VersionRange,
};
use wims_tests::monitor::{self, Monitor, account, hello, operator};
use wims_tests::{Node, Service};

const ANN_PW: &str = "ann-monitor-lantern";
const DORA_PW: &str = "dora-monitor-kettle";
const ALICE_PW: &str = "alice-monitor-horse";
const BOB_PW: &str = "bob-monitor-staple";

/// Bound on waiting for a job to show; a broken node fails instead of hanging.
const WAIT: Duration = Duration::from_secs(120);

fn monitor_addr(node: &Node) -> SocketAddr {
    node.endpoints()
        .monitor
        .expect("endpoints.json names the monitor endpoint")
}

fn open(node: &Node, hello: &ClientFrame) -> (ServerFrame, Monitor) {
    Monitor::open(monitor_addr(node), &node.cert_path(), hello).expect("monitor connection")
}

fn refusal(node: &Node, hello: &ClientFrame) -> Refusal {
    match open(node, hello).0 {
        ServerFrame::Refused { refusal } => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// `wims monitor-token`: the token is the last line of its output.
fn token(node: &Node, args: &[&str]) -> String {
    let mut all = vec!["monitor-token"];
    all.extend_from_slice(args);
    let out = node.wims(&all, None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wims monitor-token: {out:?}");
    stdout.lines().last().unwrap_or_default().trim().to_string()
}

#[test]
fn credentials_versions_and_hostile_hellos_meet_their_limits() {
    let node = Node::builder()
        .account("ann@alpha.h", ANN_PW)
        .extra_toml(
            "[monitor]\nlisten = \"127.0.0.1:0\"\nhandshake_timeout = 2\nmax_hello_size = 4096\n\
             max_connections_per_ip = 4\n",
        )
        .start();

    // The right password: accepted for that account, and a snapshot follows.
    let (first, mut m) = open(&node, &hello(account("ann@alpha.h", ANN_PW)));
    match first {
        ServerFrame::Accepted(a) => {
            assert_eq!(a.version, 1);
            assert_eq!(
                a.scope,
                Scope::Account {
                    address: "ann@alpha.h".into()
                }
            );
        }
        other => panic!("not accepted: {other:?}"),
    }
    m.until("snapshot", WAIT, |f| f.contains(&ServerFrame::SnapshotEnd))
        .unwrap();
    drop(m);

    // A wrong password, an address with no account, a version the node does not speak.
    assert_eq!(
        refusal(&node, &hello(account("ann@alpha.h", "not-her-password"))),
        Refusal::BadCredentials
    );
    assert_eq!(
        refusal(&node, &hello(account("nobody@alpha.h", "whatever-it-is"))),
        Refusal::UnknownAccount
    );
    let future = VersionRange { min: 2, max: 3 };
    assert_eq!(
        refusal(
            &node,
            &monitor::hello_versions(account("ann@alpha.h", ANN_PW), future)
        ),
        Refusal::UnsupportedVersion { min: 1, max: 1 }
    );

    // Operator tokens: a made-up one is refused, a made one sees every account, a replaced
    // one no longer works.
    assert_eq!(
        refusal(&node, &hello(operator("wmt_made-up"))),
        Refusal::BadCredentials
    );
    let first_token = token(&node, &[]);
    assert!(first_token.starts_with("wmt_"), "{first_token}");
    let stored = std::fs::read_to_string(node.data_dir().join("monitor/tokens")).unwrap();
    assert!(
        !stored.contains(&first_token[4..]),
        "the token is kept in the clear"
    );
    let (first, _m) = open(&node, &hello(operator(&first_token)));
    assert!(
        matches!(&first, ServerFrame::Accepted(a) if a.scope == Scope::Operator),
        "{first:?}"
    );
    let second = token(&node, &["--replace"]);
    assert_eq!(
        refusal(&node, &hello(operator(&first_token))),
        Refusal::BadCredentials
    );
    assert!(matches!(
        open(&node, &hello(operator(&second))).0,
        ServerFrame::Accepted(_)
    ));
    drop(_m);

    // A hello longer than max_hello_size, without its newline: cut off, never answered.
    let addr = monitor_addr(&node);
    let mut tls = monitor::connect(addr, &node.cert_path(), Duration::from_secs(5)).unwrap();
    let _ = tls.write_all(&[b'x'; 64 * 1024]);
    let _ = tls.flush();
    let (took, closed) = monitor::wait_closed(&mut tls, Duration::from_secs(20));
    assert!(closed, "an oversized hello was not cut off");
    assert!(
        took < Duration::from_secs(10),
        "cut off only after {took:?}"
    );

    // A monitor that says nothing after TLS, and one that never starts TLS: dropped after
    // handshake_timeout (2 s).
    let mut silent = monitor::connect(addr, &node.cert_path(), Duration::from_secs(1)).unwrap();
    let (took, closed) = monitor::wait_closed(&mut silent, Duration::from_secs(20));
    assert!(
        closed && took >= Duration::from_millis(1500),
        "{took:?} {closed}"
    );
    let mut plain = std::net::TcpStream::connect(addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let (took, closed) = monitor::wait_closed(&mut plain, Duration::from_secs(20));
    assert!(
        closed && took < Duration::from_secs(10),
        "{took:?} {closed}"
    );

    // More connections from one address than max_connections_per_ip: the extra one is closed
    // at once, and a freed place is taken again.
    let held: Vec<_> = (0..4)
        .map(|_| monitor::connect(addr, &node.cert_path(), Duration::from_secs(5)).unwrap())
        .collect();
    assert!(
        monitor::connect(addr, &node.cert_path(), Duration::from_secs(5)).is_err(),
        "a fifth connection from one address got in"
    );
    drop(held);
    let started = Instant::now();
    let again = loop {
        match Monitor::open(
            addr,
            &node.cert_path(),
            &hello(account("ann@alpha.h", ANN_PW)),
        ) {
            Ok((f, _)) => break f,
            Err(_) if started.elapsed() < WAIT => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("no place again: {e}"),
        }
    };
    assert!(matches!(again, ServerFrame::Accepted(_)), "{again:?}");

    // Nothing secret in the log.
    let log = node.log();
    for secret in [
        ANN_PW,
        "not-her-password",
        first_token.as_str(),
        second.as_str(),
    ] {
        assert!(!log.contains(secret), "the log holds a secret");
    }
}

/// The jobs of `account` (all, for `None`) the frames so far describe, by id.
fn jobs_of(frames: &[ServerFrame]) -> Vec<monitor_api::Job> {
    let mut jobs: Vec<monitor_api::Job> = Vec::new();
    for f in frames {
        let job = match f {
            ServerFrame::SnapshotJob { job } => job,
            ServerFrame::Event {
                event: Event::JobAdded { job },
                ..
            } => job,
            _ => continue,
        };
        jobs.retain(|j| j.id != job.id);
        jobs.push((**job).clone());
    }
    jobs
}

fn finished(frames: &[ServerFrame], id: &str) -> bool {
    frames.iter().any(|f| {
        matches!(f, ServerFrame::Event { event: Event::JobFinished { id: i, .. }, .. } if i == id)
    })
}

fn job_events<'a>(frames: &'a [ServerFrame], id: &'a str) -> impl Iterator<Item = &'a Event> {
    frames.iter().filter_map(move |f| match f {
        ServerFrame::Event { event, .. } if event.job_id() == Some(id) => Some(event),
        _ => None,
    })
}

#[test]
fn a_message_between_two_nodes_appears_moves_and_finishes_on_both() {
    let service = Service::start();
    let alice = service.create_account("alice@alpha.h", "Alice Alpha");
    let bob = service.create_account("bob@beta.h", "Bob Beta");
    service.partner("alpha.h", "beta.h");
    let a = Node::builder()
        .host(&alice, ALICE_PW)
        .account("dora@alpha.h", DORA_PW)
        .start();
    let mut b = Node::start();
    b.host(&bob, BOB_PW);
    let op = token(&a, &[]);

    let (first, mut alice_m) = open(&a, &hello(account("alice@alpha.h", ALICE_PW)));
    assert!(matches!(first, ServerFrame::Accepted(_)), "{first:?}");
    let (_, mut dora_m) = open(&a, &hello(account("dora@alpha.h", DORA_PW)));
    let (_, mut op_m) = open(&a, &hello(operator(&op)));
    let (_, mut bob_m) = open(&b, &hello(account("bob@beta.h", BOB_PW)));
    for m in [&mut alice_m, &mut dora_m, &mut op_m, &mut bob_m] {
        m.until("snapshot", WAIT, |f| f.contains(&ServerFrame::SnapshotEnd))
            .unwrap();
    }

    // A few MiB, so that the job has chunks to place and bytes to count.
    let file = a.pattern_file("ledger.bin", 6 << 20);
    let subject = "Ledger for the monitor";
    let out = a.send_alice_to_bob(
        subject,
        "See the ledger.",
        &["--type", "invoice", "--attach", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "wims send: {out:?}");

    // Alice's monitor: the delivery appears with the local subject, its chunks go to the
    // peer, it finishes.
    alice_m
        .until("alice's delivery finished", WAIT, |f| {
            jobs_of(f)
                .iter()
                .any(|j| j.activity == Activity::Delivery && finished(f, &j.id))
        })
        .unwrap();
    let jobs = jobs_of(&alice_m.frames);
    let job = jobs
        .iter()
        .find(|j| j.activity == Activity::Delivery)
        .unwrap();
    assert_eq!(job.account, "alice@alpha.h");
    assert_eq!(job.peer.as_deref(), Some("bob@beta.h"));
    assert_eq!(job.subject.as_deref(), Some(subject));
    assert_eq!(job.message_type.name(), "invoice");
    let events: Vec<&Event> = job_events(&alice_m.frames, &job.id).collect();
    let moved = events.iter().any(|e| {
        matches!(e, Event::JobProgress { progress, .. } if progress.done > 0 && progress.total > 0)
    });
    assert!(moved, "no progress reported: {events:?}");
    let map = events.iter().rev().find_map(|e| match e {
        Event::ChunkMap { map, .. } => Some(map),
        _ => None,
    });
    let map = map.expect("a chunk map");
    assert!(map.chunks() > 1, "{map:?}");
    assert_eq!(map.counts(), vec![(Place::Peer, map.chunks())], "{map:?}");
    // Every event of the connection is numbered one after the other.
    let seqs: Vec<u64> = alice_m
        .frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    // The operator sees it too; another account of the same node does not.
    let id = job.id.clone();
    op_m.until("operator sees the delivery finish", WAIT, |f| {
        finished(f, &id)
    })
    .unwrap();
    // Whatever dora's connection carried meanwhile, up to now.
    let _ = dora_m.until("nothing", Duration::from_secs(3), |_| false);
    assert!(
        job_events(&dora_m.frames, &id).next().is_none() && jobs_of(&dora_m.frames).is_empty(),
        "dora saw alice's job: {:?}",
        dora_m.frames
    );

    // Bob's node: the reception, with the subject of his unsealed copy.
    bob_m
        .until("bob's reception finished", WAIT, |f| {
            jobs_of(f)
                .iter()
                .any(|j| j.activity == Activity::Reception && finished(f, &j.id))
        })
        .unwrap();
    let jobs = jobs_of(&bob_m.frames);
    let r = jobs
        .iter()
        .find(|j| j.activity == Activity::Reception)
        .unwrap();
    assert_eq!(r.account, "bob@beta.h");
    assert_eq!(r.peer.as_deref(), Some("alice@alpha.h"));
    assert_eq!(r.subject.as_deref(), Some(subject));

    // A fresh connection gets the finished jobs in its snapshot.
    let (_, mut again) = open(&a, &hello(account("alice@alpha.h", ALICE_PW)));
    again
        .until("snapshot", WAIT, |f| f.contains(&ServerFrame::SnapshotEnd))
        .unwrap();
    let snap = jobs_of(&again.frames);
    assert!(
        snap.iter()
            .any(|j| j.id == id && j.state == JobState::Done && j.finished.is_some()),
        "{snap:?}"
    );
}
