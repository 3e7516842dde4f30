//! The web listener's limits, attacked over real TLS on 127.0.0.1: a form larger than
//! `max_form_size`, a request head that never ends (`request_timeout`), a head larger than
//! the node reads, connections past `max_connections_per_ip`, plain HTTP on the TLS port, and
//! attachments past `max_upload_size`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mailbox::{StorageKey, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

struct Env {
    addr: std::net::SocketAddr,
    store: Store,
    connector: TlsConnector,
    uploads: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

const PER_IP: usize = 3;
const FORM: usize = 4096;
const UPLOAD: usize = 1 << 20;

async fn start() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    store.add_account("a@x.h", "password-one").unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der()).unwrap();
    // The workspace builds rustls with more than one provider: name the one to use.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let clients = Arc::new(endpoints::Clients {
        tls: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
        connections: endpoints::limits::ConnLimiter::new(endpoints::limits::ConnCaps {
            total: 100,
            per_ip: 100,
        }),
        login: endpoints::Login::new(store.clone(), endpoints::auth::AuthLimiter::new(2)),
        write_timeout: Duration::from_secs(10),
    });
    let settings = web::Settings {
        session_idle: Duration::from_secs(60),
        max_sessions: 10,
        max_connections: 100,
        max_connections_per_ip: PER_IP,
        max_form_size: FORM,
        request_timeout: Duration::from_secs(1),
        page_size: 50,
        max_text_part: 1 << 20,
        max_upload_size: UPLOAD as u64,
        max_contacts: 100,
        max_folders: 100,
    };
    let outbox = Arc::new(delivery::submit::Outbox {
        store: store.clone(),
        network: None,
        hostname: "localhost".into(),
    });
    let w = web::Web::new(web::Parts {
        admin: Arc::new(admin::Admin {
            outbox: outbox.clone(),
            types: Vec::new(),
            rules: rules::Settings::default(),
            min_password: 8,
        }),
        outbox,
        clients,
        settings,
        product: "WIMS".into(),
        brand: web::Brand::default(),
        types: Vec::new(),
        data_dir: dir.path().to_path_buf(),
        jobs: jobs::Registry::new(Default::default()),
    });
    let uploads = dir.path().join("tmp").join("web").join("uploads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(web::serve(listener, w));
    Env {
        addr,
        store,
        connector: TlsConnector::from(Arc::new(client)),
        uploads,
        _dir: dir,
    }
}

impl Env {
    async fn tls(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        self.connector.connect(name, tcp).await.unwrap()
    }
}

/// What the server sends until it closes the connection (at most 10 s, 64 KiB).
async fn until_closed<S: AsyncReadExt + Unpin>(s: &mut S) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while out.len() < 65536 {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
    (out, false)
}

fn status(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_larger_than_allowed_is_refused_unread() {
    let env = start().await;
    let mut s = env.tls().await;
    let body = vec![b'a'; 1 << 20];
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The node reads no more than the limit before it refuses: the rest is never sent.
    let _ = tokio::time::timeout(Duration::from_secs(5), s.write_all(&body[..2 * FORM])).await;
    let (reply, _) = until_closed(&mut s).await;
    assert!(
        status(&reply).contains(" 413 "),
        "a 1 MiB form: {:?}",
        status(&reply)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_never_ends_is_cut_off() {
    let env = start().await;
    let mut s = env.tls().await;
    s.write_all(b"GET /login HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let t = Instant::now();
    let (_, closed) = until_closed(&mut s).await;
    assert!(
        closed,
        "a request head left open was still served after 10 s"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // A head larger than the node reads is not read to its end either.
    let mut s = env.tls().await;
    let mut head = b"GET /login HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..2000 {
        head.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(100)).as_bytes());
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), s.write_all(&head)).await;
    let (reply, closed) = until_closed(&mut s).await;
    assert!(closed, "a 200 KiB head was not refused");
    assert!(
        reply.is_empty() || status(&reply).contains(" 431 "),
        "{:?}",
        status(&reply)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_per_address_cap_are_closed() {
    let env = start().await;
    let mut open = Vec::new();
    for _ in 0..PER_IP {
        open.push(env.tls().await);
    }
    let mut extra = TcpStream::connect(env.addr).await.unwrap();
    let (_, closed) = until_closed(&mut extra).await;
    assert!(
        closed,
        "connection {} from one address was kept",
        PER_IP + 1
    );
    // One closes, and there is room again: a whole request is served.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut s = env.tls().await;
    s.write_all(b"GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (reply, _) = until_closed(&mut s).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(status(&reply).contains(" 200 "), "{text}");
    assert!(
        text.contains("content-security-policy: default-src 'none'"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_on_the_tls_port_gets_nothing() {
    let env = start().await;
    let mut s = TcpStream::connect(env.addr).await.unwrap();
    s.write_all(b"GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let (reply, closed) = until_closed(&mut s).await;
    assert!(closed);
    assert!(
        !String::from_utf8_lossy(&reply).contains("HTTP/1.1 200"),
        "served in the clear"
    );
}

/// A logged-in session's cookies and its CSRF token, over real TLS.
async fn log_in(env: &Env, address: &str, password: &str) -> (String, String) {
    let mut s = env.tls().await;
    s.write_all(b"GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (reply, _) = until_closed(&mut s).await;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let cookie = text
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let token = text.split("name=\"token\" value=\"").nth(1).unwrap()[..64].to_string();
    let form = format!("token={token}&address={address}&password={password}");
    let mut s = env.tls().await;
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (reply, _) = until_closed(&mut s).await;
    let text = String::from_utf8_lossy(&reply).into_owned();
    assert!(status(&reply).contains(" 303 "), "login: {text}");
    let session = text
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .find(|c| c.starts_with("wims_session_"))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let mut s = env.tls().await;
    let head = format!(
        "GET /compose HTTP/1.1\r\nHost: localhost\r\nCookie: {session}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (reply, _) = until_closed(&mut s).await;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let csrf = text.split("name=\"csrf\" value=\"").nth(1).unwrap()[..64].to_string();
    (session, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_larger_than_allowed_is_refused_and_not_kept() {
    let env = start().await;
    let (session, csrf) = log_in(&env, "a@x.h", "password-one").await;
    let boundary = "XyZ0123456789";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na@x.h\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"../../big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'z', UPLOAD + 4096));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut s = env.tls().await;
    let head = format!(
        "POST /compose HTTP/1.1\r\nHost: localhost\r\nCookie: {session}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.write_all(&body)).await;
    let (reply, _) = until_closed(&mut s).await;
    assert!(status(&reply).contains(" 413 "), "{:?}", status(&reply));
    // Nothing of it stays on disk, and nothing was sent.
    let left: Vec<_> = std::fs::read_dir(&env.uploads)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_given_up() {
    let env = start().await;
    let mut s = env.tls().await;
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntoken=abc",
    )
    .await
    .unwrap();
    let t = Instant::now();
    let (reply, closed) = until_closed(&mut s).await;
    assert!(
        closed,
        "a body stalled after 9 of 100 bytes was waited on for 10 s"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(
        reply.is_empty() || status(&reply).contains(" 4") || status(&reply).contains(" 5"),
        "{:?}",
        status(&reply)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_part_header_is_refused_before_it_is_held() {
    let env = start().await;
    let (session, csrf) = log_in(&env, "a@x.h", "password-one").await;
    let boundary = "XyZ0123456789";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a"
    )
    .into_bytes();
    // A header line that never ends: the node must not wait for (and hold) all of it.
    body.extend(std::iter::repeat_n(b'h', 512 * 1024));
    let mut s = env.tls().await;
    let head = format!(
        "POST /compose HTTP/1.1\r\nHost: localhost\r\nCookie: {session}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len() + 1
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.write_all(&body)).await;
    let t = Instant::now();
    let (reply, _) = until_closed(&mut s).await;
    assert!(status(&reply).contains(" 400 "), "{:?}", status(&reply));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// Files a message with one base64 attachment of `size` bytes into `address`'s INBOX: its
/// folder id and uid.
fn file_with_attachment(store: &Store, address: &str, size: usize) -> (u64, u32) {
    use std::io::Write;
    let account = store.account(address).unwrap().unwrap();
    let mut w = store.new_message().unwrap();
    write!(
        w,
        "From: x@y.h\r\nTo: {address}\r\nSubject: with a file\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nsee the file\r\n--b\r\n\
         Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"f.bin\"\r\n\r\n"
    )
    .unwrap();
    // 57 bytes of zeros are 76 characters of base64 ("A" each).
    let line = format!("{}\r\n", "A".repeat(76));
    for _ in 0..size.div_ceil(57) {
        w.write_all(line.as_bytes()).unwrap();
    }
    w.write_all(b"--b--\r\n").unwrap();
    let staged = w.finish().unwrap();
    let d = store
        .deliver(&staged, account.id, "INBOX", &[], None)
        .unwrap();
    let inbox = store.folder(account.id, "INBOX").unwrap().unwrap();
    (inbox.id, d.uid)
}

/// A compose form of these fields (no files) posted as the session: the status line.
async fn compose(env: &Env, session: &str, fields: &[(&str, &str)]) -> String {
    let boundary = "XyZ0123456789";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let mut s = env.tls().await;
    let head = format!(
        "POST /compose HTTP/1.1\r\nHost: localhost\r\nCookie: {session}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (reply, _) = until_closed(&mut s).await;
    status(&reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carried_attachments_are_bounded_and_only_the_accounts_own() {
    let env = start().await;
    env.store.add_account("b@x.h", "password-two").unwrap();
    let (folder, uid) = file_with_attachment(&env.store, "a@x.h", 2 * UPLOAD);
    let (b_folder, b_uid) = file_with_attachment(&env.store, "b@x.h", 1000);
    let (session, csrf) = log_in(&env, "a@x.h", "password-one").await;
    let sent = || {
        let a = env.store.account("a@x.h").unwrap().unwrap();
        let f = env
            .store
            .special_folder(a.id, mailbox::SpecialUse::Sent)
            .unwrap()
            .unwrap();
        env.store.status(&f).unwrap().messages
    };

    // Its own message, but an attachment twice the upload limit: refused as an upload would be.
    let from = format!("{folder}/{uid}");
    let fields = [
        ("csrf", csrf.as_str()),
        ("to", "a@x.h"),
        ("carried_from", from.as_str()),
        ("keep", "0"),
        ("action", "send"),
    ];
    let st = compose(&env, &session, &fields).await;
    assert!(st.contains(" 413 "), "{st}");
    let left: Vec<_> = std::fs::read_dir(&env.uploads)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");

    // Another account's message, by its folder and uid: not there for this account.
    let from = format!("{b_folder}/{b_uid}");
    let fields = [
        ("csrf", csrf.as_str()),
        ("to", "a@x.h"),
        ("carried_from", from.as_str()),
        ("keep", "0"),
        ("action", "send"),
    ];
    let st = compose(&env, &session, &fields).await;
    assert!(st.contains(" 422 "), "{st}");
    assert_eq!(sent(), 0, "a message went out");
}
