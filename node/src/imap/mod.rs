//! IMAP4rev1 server (RFC 3501) with the extensions clients rely on. Command syntax is parsed
//! by imap-codec; framing (lines, literals, streamed APPEND bodies) is ours, in [`conn`].

mod commands;
mod conn;
mod fetch;
mod list_ext;
mod render;
mod search;
mod search_ext;
mod session;
mod syntax;
mod view;

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::ctx::NodeCtx;
use crate::net::Stream;

pub async fn serve(listener: TcpListener, ctx: Arc<NodeCtx>, implicit_tls: bool) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "imap accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let stream = if implicit_tls {
                match Stream::Plain(tcp).into_tls(&ctx.tls).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "imaps handshake failed");
                        return;
                    }
                }
            } else {
                Stream::Plain(tcp)
            };
            tracing::debug!(%peer, tls = implicit_tls, "imap connection");
            if let Err(e) = session::Session::new(ctx, stream, peer).run().await {
                tracing::debug!(%peer, error = %e, "imap connection ended");
            }
        });
    }
}
