//! The connection driver over an in-memory stream and a backend of the test's own: a whole
//! submission from greeting to QUIT, with no store, network or node.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use smtp::{AuthOutcome, Backend, Conn, Exit, Limits, Lookup, Outcome, Plan, Session, User};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const TEXTS: i18n::Table = &[("en-US", &[include_str!("../../locales/en-US/smtp.ftl")])];

#[derive(Default)]
struct Fake {
    submitted: Mutex<Vec<(Vec<u8>, Plan)>>,
}

/// A body writer the test can read back once the driver is done with it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn alice() -> User {
    User {
        id: 1,
        address: "alice@kapur.h".into(),
    }
}

impl Backend for Fake {
    type Writer = Shared;

    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        _: IpAddr,
    ) -> (AuthOutcome, Option<User>) {
        match (user, password) {
            ("alice@kapur.h", "secret") => (AuthOutcome::Ok, Some(alice())),
            _ => (AuthOutcome::Invalid, None),
        }
    }

    async fn lookup(&self, sender: &User, address: &str) -> Lookup {
        assert_eq!(sender, &alice());
        match address {
            "bob@kapur.h" => Lookup::Found(User {
                id: 2,
                address: address.into(),
            }),
            _ => Lookup::NotHosted,
        }
    }

    async fn open_body(&self) -> Option<Shared> {
        Some(Shared::default())
    }

    async fn submit(&self, writer: Shared, plan: Plan, _: IpAddr) -> Outcome {
        let body = writer.0.lock().unwrap().clone();
        self.submitted.lock().unwrap().push((body, plan));
        Outcome::Delivered
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }
}

#[tokio::test]
async fn a_whole_submission_reaches_the_backend_unstuffed_with_its_trace() {
    let texts = i18n::I18n::new(TEXTS, "en-US").unwrap();
    let limits = Limits {
        hostname: "node.kapur.h".into(),
        product: "WIMS".into(),
        max_message_size: 1 << 20,
        max_recipients: 10,
    };
    let backend = Fake::default();
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let (server, client) = tokio::io::duplex(4096);
    // As after an implicit TLS handshake: the driver does not care what the stream is.
    let session = Session::new(&texts, limits, true);
    let conn = Conn::new(&backend, peer, session, server, Duration::from_secs(10));
    let (read, mut write) = tokio::io::split(client);
    let talk = async move {
        let mut lines = BufReader::new(read).lines();
        let mut codes = Vec::new();
        let plain = "AGFsaWNlQGthcHVyLmgAc2VjcmV0"; // \0alice@kapur.h\0secret
        let script = [
            "EHLO client.h".to_string(),
            format!("AUTH PLAIN {plain}"),
            "MAIL FROM:<alice@kapur.h>".into(),
            "RCPT TO:<carol@elsewhere.h>".into(),
            "RCPT TO:<bob@kapur.h>".into(),
            "DATA".into(),
            "From: alice@kapur.h\r\nSubject: hi\r\n\r\n..a line that starts with a dot\r\n.".into(),
            "QUIT".into(),
        ];
        // The greeting, then one reply (the last line of a multi-line one) per command.
        let next_code = async |lines: &mut tokio::io::Lines<_>| loop {
            let line: String = lines.next_line().await.unwrap().expect("a reply");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].to_string();
            }
        };
        codes.push(next_code(&mut lines).await);
        for command in script {
            write
                .write_all(format!("{command}\r\n").as_bytes())
                .await
                .unwrap();
            codes.push(next_code(&mut lines).await);
        }
        codes
    };
    let (exit, codes) = tokio::join!(conn.run(true), talk);
    assert!(matches!(exit, Exit::Done));
    assert_eq!(
        codes,
        [
            "220", "250", "235", "250", "550", "250", "354", "250", "221"
        ]
    );
    let submitted = backend.submitted.lock().unwrap();
    let (body, plan) = &submitted[0];
    assert_eq!(plan.sender, alice());
    assert_eq!(plan.recipients.len(), 1);
    let text = String::from_utf8_lossy(body);
    assert!(text.starts_with("Received: from client.h"), "{text}");
    assert!(
        text.ends_with("Subject: hi\r\n\r\n.a line that starts with a dot\r\n"),
        "{text}"
    );
}
