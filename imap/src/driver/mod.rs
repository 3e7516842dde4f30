//! One client connection over any byte stream (plain TCP, TLS from the start or after
//! STARTTLS): the loop that feeds a [`Session`] framed commands, sends what it queued and does
//! each [`Step`] it returns. What belongs to the server it runs in (the password check, the
//! TLS upgrade) is asked of a [`Backend`]; the session's store work runs through the store's
//! async boundary (`mailbox::blocking`).

mod conn;

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mailbox::blocking::in_place;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{Env, Session, Step};
use conn::Conn;

/// What the driver needs from the server it runs in.
pub trait Backend: Sync {
    /// The connection: plain or TLS, upgraded in place by [`Backend::start_tls`].
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;
    /// Why a login was refused; logged at debug level, never sent.
    type Refused: std::fmt::Display + Send;

    /// Checks a login from `peer`; the account when it is right.
    fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> impl Future<Output = Result<mailbox::Account, Self::Refused>> + Send;

    /// Runs the TLS handshake on a plain stream (STARTTLS).
    fn start_tls(&self, stream: &mut Self::Stream) -> impl Future<Output = io::Result<()>> + Send;
}

/// How long the driver waits for each side.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For a client to accept what it is sent.
    pub write: Duration,
    /// For the next command of a logged-in client (and the longest IDLE).
    pub idle: Duration,
    /// For a client that has not logged in yet.
    pub login: Duration,
}

/// Runs a session on a connection until either side closes it.
pub async fn run<B: Backend>(
    backend: &B,
    env: Arc<Env>,
    stream: B::Stream,
    peer: SocketAddr,
    tls: bool,
    timeouts: Timeouts,
) -> io::Result<()> {
    let store = env.store.clone();
    let cont = env.texts.text("imap-continue", &[]);
    let mut session = Session::new(env, peer, tls);
    let mut conn = Conn::new(stream, timeouts.write);
    let idle = timeouts.idle;
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
                    None => timeouts.login.min(idle),
                };
                // Under NOTIFY the store is watched while nothing of the next command has come.
                match session.watching() {
                    Some(account) => {
                        let changes = watch.get_or_insert_with(|| {
                            let mut w = store.subscribe(account);
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
                                    step = in_place(|| session.changed());
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
                let read = conn.read_input(&store, session.budget(), &cont);
                match tokio::time::timeout(wait, read).await {
                    Ok(Ok(Some(input))) => in_place(|| session.handle(input)),
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
                in_place(|| session.resume())
            }
            Step::Flush => in_place(|| session.resume()),
            Step::Verify { user, password } => {
                let r = backend.authenticate(&user, &password, peer.ip()).await;
                if let Err(why) = &r {
                    tracing::debug!(%peer, user = ?user, %why, "imap credentials refused");
                }
                in_place(|| session.verified(r))
            }
            Step::StartTls => {
                conn.start_tls(backend).await?;
                session.tls_started();
                Step::Read
            }
            Step::Compress => {
                conn.start_compression();
                Step::Read
            }
            Step::Idle { account } => {
                idling(&store, &mut session, &mut conn, account, idle, &cont).await?
            }
            // What it said last went out at the top of the loop.
            Step::Close => return Ok(()),
        };
    }
}

/// IDLE: the session's updates go out as the store changes, until the client sends a line or
/// the idle limit passes.
async fn idling<S: AsyncRead + AsyncWrite + Unpin>(
    store: &mailbox::Store,
    session: &mut Session,
    conn: &mut Conn<S>,
    account: u64,
    limit: Duration,
    cont: &str,
) -> io::Result<Step> {
    // Watching starts before the first look, so no change falls between the two.
    let mut changes = store.subscribe(account);
    changes.borrow_and_update();
    let mut step = in_place(|| session.changed());
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        conn.send(session.output()).await?;
        // A FETCH of new messages NOTIFY asked for goes out before anything else.
        while !matches!(step, Step::Read) {
            step = match step {
                Step::Send(body) => {
                    conn.send_body(body).await?;
                    in_place(|| session.resume())
                }
                Step::Flush => in_place(|| session.resume()),
                other => return Ok(other),
            };
            conn.send(session.output()).await?;
        }
        tokio::select! {
            input = conn.read_input(store, session.budget(), cont) => {
                return Ok(match input? {
                    Some(input) => in_place(|| session.handle(input)),
                    None => Step::Close,
                });
            }
            r = changes.changed() => {
                if r.is_err() {
                    return Ok(Step::Close);
                }
                step = in_place(|| session.changed());
            }
            _ = tokio::time::sleep_until(deadline) => {
                session.timed_out();
                return Ok(Step::Close);
            }
        }
    }
}
