//! SMTP submission (RFC 6409) for the node's own accounts: STARTTLS (RFC 3207) and implicit
//! TLS (RFC 8314), AUTH PLAIN/LOGIN after TLS only, PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
//! CHUNKING and ENHANCEDSTATUSCODES. Commands are parsed by smtp-proto; bodies stream into
//! the store; messages go to local recipients' INBOX and the sender's Sent folder.

mod backend;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

use crate::i18n::I18n;
use ::smtp::{Conn, Exit, Limits, Session};
use backend::NodeBackend;
use delivery::submit::Outbox;
use endpoints::Clients;

/// What the submission endpoint serves with.
pub struct Submission {
    pub clients: Arc<Clients>,
    pub outbox: Arc<Outbox>,
    pub limits: Limits,
    /// Reply texts, in the node's language.
    pub texts: Arc<I18n>,
}

impl Submission {
    pub fn new(
        config: &crate::config::Config,
        product: String,
        clients: Arc<Clients>,
        outbox: Arc<Outbox>,
        texts: Arc<I18n>,
    ) -> Submission {
        let limits = Limits {
            hostname: config.node.hostname.clone(),
            product,
            max_message_size: config.submission.max_message_size,
            max_recipients: config.submission.max_recipients,
        };
        Submission {
            clients,
            outbox,
            limits,
            texts,
        }
    }
}

pub async fn serve(listener: TcpListener, sub: Arc<Submission>, implicit_tls: bool) {
    let limiter = sub.clients.connections.clone();
    endpoints::net::accept_loop(listener, "smtp", limiter, move |tcp, peer| {
        connection(tcp, peer, sub.clone(), implicit_tls)
    })
    .await
}

async fn handshake(
    sub: &Submission,
    tcp: TcpStream,
    peer: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    endpoints::net::tls_handshake(&sub.clients.tls, tcp, peer, "smtp").await
}

async fn connection(tcp: TcpStream, peer: SocketAddr, sub: Arc<Submission>, implicit_tls: bool) {
    let sub: &Submission = &sub;
    tracing::debug!(%peer, tls = implicit_tls, "smtp connection");
    let backend = NodeBackend(sub);
    let write_timeout = sub.clients.write_timeout;
    let session = Session::new(&sub.texts, sub.limits.clone(), implicit_tls);
    if implicit_tls {
        if let Some(tls) = handshake(sub, tcp, peer).await {
            Conn::new(&backend, peer, session, tls, write_timeout)
                .run(true)
                .await;
        }
        return;
    }
    let plain = Conn::new(&backend, peer, session, tcp, write_timeout);
    if let Exit::StartTls(tcp, mut session) = plain.run(true).await
        && let Some(tls) = handshake(sub, tcp, peer).await
    {
        session.tls_started();
        // Under TLS, STARTTLS is refused, so this is the last upgrade.
        Conn::new(&backend, peer, *session, tls, write_timeout)
            .run(false)
            .await;
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::FALLBACK;

    const SOURCES: &[&str] = &[
        include_str!("../../../smtp/src/session/mod.rs"),
        include_str!("../../../smtp/src/session/auth.rs"),
        include_str!("../../../smtp/src/session/mail.rs"),
        include_str!("../../../smtp/src/driver.rs"),
        include_str!("backend.rs"),
        include_str!("../../../smtp/src/data.rs"),
        include_str!("../../../smtp/src/reply.rs"),
    ];
    const FTL: &str = include_str!("../../../locales/en-US/smtp.ftl");

    fn ids_in(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (n, _) in src.match_indices("\"smtp-") {
            let rest = &src[n + 1..];
            let id = &rest[..rest.find('"').unwrap()];
            if id.len() > "smtp-".len() && !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
        out
    }

    /// Every reply text the server uses exists in the fallback language, and every shipped
    /// text is used.
    #[test]
    fn message_ids_match_the_locale() {
        let i = crate::i18n::load(FALLBACK).unwrap();
        let used: Vec<String> = SOURCES.iter().flat_map(|s| ids_in(s)).collect();
        let missing: Vec<&String> = used.iter().filter(|id| i.text(id, &[]) == **id).collect();
        assert!(
            missing.is_empty(),
            "ids missing from en-US/smtp.ftl: {missing:?}"
        );
        let shipped: Vec<&str> = FTL
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .filter(|id| id.starts_with("smtp-"))
            .collect();
        let unused: Vec<&&str> = shipped
            .iter()
            .filter(|id| !used.iter().any(|u| u == **id))
            .collect();
        assert!(
            unused.is_empty(),
            "ids in smtp.ftl that nothing uses: {unused:?}"
        );
    }
}
