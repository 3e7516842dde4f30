//! The connection driver over an in-memory stream and a backend of the test's own: login,
//! APPEND with a synchronising literal, a body streamed out, IDLE woken by another
//! connection's change, STARTTLS handed to the backend, and a silent stranger timed out. A
//! real store on disk; no sockets, TLS or node.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use imap::driver::{self, Backend, Timeouts};
use imap::{Env, Limits};
use mailbox::{StorageKey, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

const TEXTS: i18n::Table = &[("en-US", &[include_str!("../../locales/en-US/imap.ftl")])];

struct Fake {
    store: Store,
    tls_asked: AtomicUsize,
}

impl Backend for Fake {
    type Stream = DuplexStream;
    type Refused = &'static str;

    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        _: IpAddr,
    ) -> Result<mailbox::Account, &'static str> {
        match self.store.verify_login(user, password) {
            Ok(Some(a)) => Ok(a),
            _ => Err("wrong password"),
        }
    }

    async fn start_tls(&self, _: &mut DuplexStream) -> std::io::Result<()> {
        self.tls_asked.fetch_add(1, Ordering::SeqCst);
        Err(std::io::Error::other("no TLS in this test"))
    }
}

fn env(store: Store) -> Arc<Env> {
    Arc::new(Env {
        store,
        views: Default::default(),
        texts: Arc::new(i18n::I18n::new(TEXTS, "en-US").unwrap()),
        product: "Test".into(),
        limits: Limits {
            max_command_size: 64 * 1024,
            max_command_size_before_login: 1024,
            max_append_size: 10 << 20,
            max_append_messages: 10,
            allow_plaintext_auth: true,
            default_quota_mib: 0,
            max_search_contexts: 2,
            max_context_messages: 1000,
        },
    })
}

const TIMEOUTS: Timeouts = Timeouts {
    write: Duration::from_secs(10),
    idle: Duration::from_secs(60),
    login: Duration::from_secs(60),
};

/// The client's end of one connection.
struct Client {
    read: BufReader<ReadHalf<DuplexStream>>,
    write: WriteHalf<DuplexStream>,
}

impl Client {
    async fn line(&mut self) -> String {
        let mut line = String::new();
        let read = self.read.read_line(&mut line);
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("the server answers")
            .unwrap();
        line
    }

    async fn send(&mut self, text: &str) {
        self.write.write_all(text.as_bytes()).await.unwrap();
    }

    /// Everything up to and including the tagged line of `tag`.
    async fn until(&mut self, tag: &str) -> String {
        let mut all = String::new();
        loop {
            let line = self.line().await;
            assert!(!line.is_empty(), "closed before {tag}: {all}");
            all.push_str(&line);
            if line.starts_with(&format!("{tag} ")) {
                return all;
            }
        }
    }
}

type Server = tokio::task::JoinHandle<std::io::Result<()>>;

fn connect(backend: &Arc<Fake>, env: &Arc<Env>, timeouts: Timeouts) -> (Client, Server) {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let (b, e) = (backend.clone(), env.clone());
    let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let server =
        tokio::spawn(async move { driver::run(&*b, e, theirs, peer, false, timeouts).await });
    let (read, write) = tokio::io::split(ours);
    let client = Client {
        read: BufReader::new(read),
        write,
    };
    (client, server)
}

fn setup() -> (tempfile::TempDir, Arc<Fake>, Arc<Env>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    store.add_account("a@x.h", "pw").unwrap();
    let backend = Arc::new(Fake {
        store: store.clone(),
        tls_asked: AtomicUsize::new(0),
    });
    (dir, backend, env(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_append_fetch_and_logout() {
    let (_dir, backend, env) = setup();
    let (mut c, server) = connect(&backend, &env, TIMEOUTS);
    assert!(c.line().await.starts_with("* OK"));
    c.send("1 LOGIN a@x.h wrong\r\n").await;
    assert!(c.until("1").await.contains("1 NO"));
    c.send("2 LOGIN a@x.h pw\r\n").await;
    assert!(c.until("2").await.contains("2 OK"));
    // A synchronising literal: the driver says go on before the body comes.
    let body = "Subject: hi\r\n\r\n".to_string() + &"x".repeat(300_000) + "\r\n";
    c.send(&format!("3 APPEND INBOX {{{}}}\r\n", body.len()))
        .await;
    assert!(c.line().await.starts_with("+ Ready for literal data"));
    c.send(&body).await;
    c.send("\r\n").await;
    assert!(c.until("3").await.contains("3 OK [APPENDUID"));
    c.send("4 SELECT INBOX\r\n").await;
    assert!(c.until("4").await.contains("* 1 EXISTS"));
    // The body goes out in pieces from the store, as one literal.
    c.send("5 FETCH 1 BODY.PEEK[]\r\n").await;
    let fetched = c.until("5").await;
    let head = &fetched[..200.min(fetched.len())];
    assert!(
        fetched.contains(&format!("BODY[] {{{}}}", body.len())),
        "{head}"
    );
    assert!(fetched.contains(&"x".repeat(300_000)), "{head}");
    c.send("6 LOGOUT\r\n").await;
    let bye = c.until("6").await;
    assert!(bye.contains("* BYE") && bye.contains("6 OK"), "{bye}");
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_hears_another_connection_s_append() {
    let (_dir, backend, env) = setup();
    let (mut idler, _s1) = connect(&backend, &env, TIMEOUTS);
    idler.line().await;
    idler.send("1 LOGIN a@x.h pw\r\n2 SELECT INBOX\r\n").await;
    idler.until("2").await;
    idler.send("3 IDLE\r\n").await;
    assert!(idler.line().await.starts_with("+ "));

    let (mut other, _s2) = connect(&backend, &env, TIMEOUTS);
    other.line().await;
    other.send("1 LOGIN a@x.h pw\r\n").await;
    other.until("1").await;
    other.send("2 APPEND INBOX {9+}\r\nSubject: \r\n").await;
    assert!(other.until("2").await.contains("2 OK"));

    assert_eq!(idler.line().await, "* 1 EXISTS\r\n");
    idler.send("DONE\r\n").await;
    assert!(idler.until("3").await.contains("3 OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_is_the_backend_s_and_a_silent_stranger_is_let_go() {
    let (_dir, backend, env) = setup();
    let (mut c, server) = connect(&backend, &env, TIMEOUTS);
    c.line().await;
    c.send("1 STARTTLS\r\n").await;
    assert!(c.until("1").await.contains("1 OK"));
    // This backend's handshake fails, which ends the connection.
    assert!(server.await.unwrap().is_err());
    assert_eq!(backend.tls_asked.load(Ordering::SeqCst), 1);

    let quick = Timeouts {
        login: Duration::from_millis(200),
        ..TIMEOUTS
    };
    let (mut c, server) = connect(&backend, &env, quick);
    c.line().await;
    let bye = c.line().await;
    assert!(bye.starts_with("* BYE"), "{bye}");
    server.await.unwrap().unwrap();
    assert_eq!(c.line().await, "", "closed");
}
