//! The node's IMAP endpoint: sockets, TLS, timeouts and credential checks around the sans-IO
//! session of the `imap` crate.

mod conn;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ::imap::{Session, Step};
use tokio::net::TcpListener;

use crate::ctx::NodeCtx;
use crate::net::Stream;
use conn::Conn;

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
            if let Err(e) = drive(ctx, stream, peer).await {
                tracing::debug!(%peer, error = %e, "imap connection ended");
            }
        }
    })
    .await
}

/// Runs a session on a connection until either side closes it. The session's calls read and
/// write the store, so they run where blocking is allowed.
async fn drive(ctx: Arc<NodeCtx>, stream: Stream, peer: SocketAddr) -> std::io::Result<()> {
    let tls = stream.is_tls();
    let mut session = Session::new(ctx.imap.clone(), peer, tls);
    let mut conn = Conn::new(stream, Duration::from_secs(ctx.config.limits.write_timeout));
    let idle = Duration::from_secs(ctx.config.imap.idle_timeout.max(60));
    let login = Duration::from_secs(ctx.config.imap.login_timeout);
    let cont = ctx.i18n.text("imap-continue", &[]);
    let mut step = Step::Read;
    // The store's changes, watched between commands while the client has NOTIFY set.
    let mut watch: Option<tokio::sync::watch::Receiver<u64>> = None;
    loop {
        conn.send(session.output()).await?;
        step = match step {
            Step::Read => {
                let wait = match session.account_id() {
                    Some(_) => idle,
                    // A stranger gets a short while.
                    None => login.min(idle),
                };
                // Under NOTIFY the store is watched while nothing of the next command has come.
                match session.watching() {
                    Some(account) => {
                        let changes = watch.get_or_insert_with(|| {
                            let mut w = ctx.store.subscribe(account);
                            w.mark_changed();
                            w
                        });
                        if conn.input_idle() {
                            tokio::select! {
                                r = changes.changed() => {
                                    if r.is_err() {
                                        return Ok(());
                                    }
                                    changes.borrow_and_update();
                                    step = tokio::task::block_in_place(|| session.changed());
                                    continue;
                                }
                                more = tokio::time::timeout(wait, conn.fill()) => match more {
                                    Ok(Ok(true)) => {}
                                    Ok(Ok(false)) => return Ok(()),
                                    Ok(Err(e)) => return Err(e),
                                    Err(_) => {
                                        session.timed_out();
                                        step = Step::Close;
                                        continue;
                                    }
                                },
                            }
                        }
                    }
                    None => watch = None,
                }
                let read = conn.read_input(&ctx.store, session.budget(), &cont);
                match tokio::time::timeout(wait, read).await {
                    Ok(Ok(Some(input))) => tokio::task::block_in_place(|| session.handle(input)),
                    Ok(Ok(None)) => return Ok(()),
                    Ok(Err(e)) => return Err(e),
                    Err(_) => {
                        session.timed_out();
                        Step::Close
                    }
                }
            }
            Step::Send(body) => {
                conn.send_body(body).await?;
                tokio::task::block_in_place(|| session.resume())
            }
            Step::Flush => tokio::task::block_in_place(|| session.resume()),
            Step::Verify { user, password } => {
                let r = ctx.authenticate(&user, &password, peer.ip()).await;
                if r.is_err() {
                    tracing::debug!(%peer, user = ?user, "imap credentials refused");
                }
                tokio::task::block_in_place(|| session.verified(r))
            }
            Step::StartTls => {
                conn.start_tls(&ctx.tls).await?;
                session.tls_started();
                Step::Read
            }
            Step::Compress => {
                conn.start_compression();
                Step::Read
            }
            Step::Idle { account } => {
                idling(&ctx, &mut session, &mut conn, account, idle, &cont).await?
            }
            // What it said last went out at the top of the loop.
            Step::Close => return Ok(()),
        };
    }
}

/// IDLE: the session's updates go out as the store changes, until the client sends a line or
/// the idle limit passes.
async fn idling(
    ctx: &NodeCtx,
    session: &mut Session,
    conn: &mut Conn,
    account: u64,
    limit: Duration,
    cont: &str,
) -> std::io::Result<Step> {
    // Watching starts before the first look, so no change falls between the two.
    let mut changes = ctx.store.subscribe(account);
    changes.borrow_and_update();
    let mut step = tokio::task::block_in_place(|| session.changed());
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        conn.send(session.output()).await?;
        // A FETCH of new messages NOTIFY asked for goes out before anything else.
        while !matches!(step, Step::Read) {
            step = match step {
                Step::Send(body) => {
                    conn.send_body(body).await?;
                    tokio::task::block_in_place(|| session.resume())
                }
                Step::Flush => tokio::task::block_in_place(|| session.resume()),
                other => return Ok(other),
            };
            conn.send(session.output()).await?;
        }
        tokio::select! {
            input = conn.read_input(&ctx.store, session.budget(), cont) => {
                return Ok(match input? {
                    Some(input) => tokio::task::block_in_place(|| session.handle(input)),
                    None => Step::Close,
                });
            }
            r = changes.changed() => {
                if r.is_err() {
                    return Ok(Step::Close);
                }
                step = tokio::task::block_in_place(|| session.changed());
            }
            _ = tokio::time::sleep_until(deadline) => {
                session.timed_out();
                return Ok(Step::Close);
            }
        }
    }
}
