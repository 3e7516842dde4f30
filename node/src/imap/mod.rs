//! The node's IMAP endpoint: its listeners, settings and login check, around the connection
//! driver of the `imap` crate.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ::imap::driver::{self, Timeouts};
use tokio::net::TcpListener;

use crate::ctx::NodeCtx;
use crate::net::Stream;

/// The session's settings from the node's configuration.
pub fn env(
    config: &crate::config::Config,
    store: mailbox::Store,
    texts: Arc<::i18n::I18n>,
    product: String,
) -> Arc<::imap::Env> {
    Arc::new(::imap::Env {
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
    })
}

pub async fn serve(listener: TcpListener, ctx: Arc<NodeCtx>, implicit_tls: bool) {
    let limiter = ctx.connections.clone();
    crate::net::accept_loop(listener, "imap", limiter, move |tcp, peer| {
        let ctx = ctx.clone();
        async move {
            let stream = if implicit_tls {
                match crate::net::tls_handshake(&ctx.tls, tcp, peer, "imaps").await {
                    Some(s) => Stream::Tls(Box::new(s)),
                    None => return,
                }
            } else {
                Stream::Plain(tcp)
            };
            tracing::debug!(%peer, tls = implicit_tls, "imap connection");
            let timeouts = Timeouts {
                write: Duration::from_secs(ctx.config.limits.write_timeout),
                idle: Duration::from_secs(ctx.config.imap.idle_timeout.max(60)),
                login: Duration::from_secs(ctx.config.imap.login_timeout),
            };
            let backend = NodeBackend(&ctx);
            let env = ctx.imap.clone();
            if let Err(e) = driver::run(&backend, env, stream, peer, implicit_tls, timeouts).await {
                tracing::debug!(%peer, error = %e, "imap connection ended");
            }
        }
    })
    .await
}

/// The node's side of a connection: its login check and TLS certificate.
struct NodeBackend<'a>(&'a NodeCtx);

impl driver::Backend for NodeBackend<'_> {
    type Stream = Stream;
    type Refused = crate::auth::AuthError;

    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> Result<mailbox::Account, Self::Refused> {
        self.0.authenticate(user, password, peer).await
    }

    async fn start_tls(&self, stream: &mut Stream) -> std::io::Result<()> {
        stream.upgrade(&self.0.tls).await
    }
}
