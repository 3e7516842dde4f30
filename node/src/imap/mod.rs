//! IMAP4rev1 server (RFC 3501) with the extensions clients rely on. Command syntax is parsed
//! by imap-codec; framing (lines, literals, streamed APPEND bodies) is ours, in [`conn`].

pub(crate) mod append_ext;
mod auth;
mod commands;
pub(crate) mod compress;
pub(crate) mod conn;
mod fetch;
mod flag_table;
mod list;
pub(crate) mod list_ext;
mod query;
mod quota;
pub(crate) mod render;
mod search;
pub(crate) mod search_ext;
mod session;
mod sort;
pub(crate) mod syntax;
mod thread;
mod thread_references;
mod view;
mod view_cache;

pub use view_cache::ViewCache;

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::ctx::NodeCtx;
use crate::net::Stream;

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
            if let Err(e) = session::Session::new(ctx, stream, peer).run().await {
                tracing::debug!(%peer, error = %e, "imap connection ended");
            }
        }
    })
    .await
}
