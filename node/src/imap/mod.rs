//! The node's IMAP endpoint: its listeners, settings and login check, around the connection
//! driver of the `imap` crate.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ::imap::driver::{self, Timeouts};
use tokio::net::TcpListener;

use endpoints::Clients;
use endpoints::net::Stream;

/// What the IMAP endpoint serves with.
pub struct Imap {
    pub clients: Arc<Clients>,
    /// What its sessions share.
    pub env: Arc<::imap::Env>,
    pub timeouts: Timeouts,
}

impl Imap {
    pub fn new(
        config: &crate::config::Config,
        clients: Arc<Clients>,
        store: mailbox::Store,
        texts: Arc<::i18n::I18n>,
        product: String,
    ) -> Imap {
        let env = Arc::new(::imap::Env {
            store,
            views: Default::default(),
            texts,
            product,
            limits: ::imap::Limits {
                max_command_size: config.imap.max_command_size,
                max_command_size_before_login: config.imap.max_command_size_before_login,
                max_append_size: config.submission.max_message_size,
                max_append_messages: config.imap.max_append_messages,
                max_search_contexts: config.imap.max_search_contexts,
                max_context_messages: config.imap.max_context_messages,
                allow_plaintext_auth: config.imap.allow_plaintext_auth,
                default_quota_mib: config.limits.default_quota_mib,
            },
        });
        let timeouts = Timeouts {
            write: clients.write_timeout,
            idle: Duration::from_secs(config.imap.idle_timeout.max(60)),
            login: Duration::from_secs(config.imap.login_timeout),
        };
        Imap {
            clients,
            env,
            timeouts,
        }
    }
}

pub async fn serve(listener: TcpListener, imap: Arc<Imap>, implicit_tls: bool) {
    let limiter = imap.clients.connections.clone();
    endpoints::net::accept_loop(listener, "imap", limiter, move |tcp, peer| {
        let imap = imap.clone();
        async move {
            let clients = &imap.clients;
            let stream = if implicit_tls {
                match endpoints::net::tls_handshake(&clients.tls, tcp, peer, "imaps").await {
                    Some(s) => Stream::Tls(Box::new(s)),
                    None => return,
                }
            } else {
                Stream::Plain(tcp)
            };
            tracing::debug!(%peer, tls = implicit_tls, "imap connection");
            let backend = NodeBackend(clients);
            let env = imap.env.clone();
            let timeouts = imap.timeouts;
            if let Err(e) = driver::run(&backend, env, stream, peer, implicit_tls, timeouts).await {
                tracing::debug!(%peer, error = %e, "imap connection ended");
            }
        }
    })
    .await
}

/// The node's side of a connection: its login check and TLS certificate.
struct NodeBackend<'a>(&'a Clients);

impl driver::Backend for NodeBackend<'_> {
    type Stream = Stream;
    type Refused = endpoints::auth::AuthError;

    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> Result<mailbox::Account, Self::Refused> {
        self.0.login.authenticate(user, password, peer).await
    }

    async fn start_tls(&self, stream: &mut Stream) -> std::io::Result<()> {
        stream.upgrade(&self.0.tls).await
    }
}
