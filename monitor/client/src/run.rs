//! The connection kept up by itself: dial, read frames, notice silence, reconnect with
//! [`monitor_model::Connection`]'s backoff, and stop only when the person must act (wrong
//! credentials, a certificate to decide on) or when told to.
//!
//! The loop runs on a thread of its own with a small runtime, so a GUI with its own event
//! loop only hands over a callback.

use std::thread;
use std::time::{Duration, Instant};

use monitor_api::{Accepted, ServerFrame};
use monitor_model::{Action, Connection, Lost, Phase};
use tokio::sync::oneshot;

use crate::ClientError;
use crate::session::{self, Session, Settings, frame_kind};

/// The connection's state: [`Connection`] with the instant its times count from.
#[derive(Clone, Debug)]
pub struct ConnState {
    pub conn: Connection,
    pub origin: Instant,
}

impl ConnState {
    /// The state in words, now (a wait counts down).
    pub fn text(&self, t: &i18n::I18n) -> String {
        self.conn.text(t, self.origin.elapsed())
    }

    pub fn phase(&self) -> &Phase {
        self.conn.phase()
    }
}

/// What the loop tells the caller.
#[derive(Debug)]
pub enum Update {
    /// The connection's state changed.
    State(ConnState),
    /// The node accepted the hello; a snapshot follows.
    Accepted(Accepted),
    /// A frame after the hello, as the node sent it.
    Frame(ServerFrame),
    /// A dial failed; the loop tries again later.
    Retrying(ClientError),
    /// The loop ended: the person must act (the error says why).
    Stopped(ClientError),
}

/// The running loop; dropping it stops the loop.
pub struct Handle {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Handle {
    /// Stops the loop and waits for it to close the connection.
    pub fn stop(mut self) {
        self.signal();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn signal(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    /// Whether the loop has ended by itself.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.signal();
    }
}

/// Starts the loop; `sink` gets every [`Update`] on the loop's thread.
pub fn spawn(
    settings: Settings,
    sink: impl FnMut(Update) + Send + 'static,
) -> std::io::Result<Handle> {
    let (tx, rx) = oneshot::channel();
    let thread = thread::Builder::new()
        .name("monitor-connection".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "no runtime for the monitor connection");
                    return;
                }
            };
            rt.block_on(run(settings, Box::new(sink), rx));
        })?;
    Ok(Handle {
        stop: Some(tx),
        thread: Some(thread),
    })
}

struct Loop {
    settings: Settings,
    sink: Box<dyn FnMut(Update) + Send>,
    conn: Connection,
    origin: Instant,
    shown: Option<Phase>,
}

impl Loop {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Tells the caller the state when it changed.
    fn show(&mut self) {
        if self.shown.as_ref() != Some(self.conn.phase()) {
            self.shown = Some(self.conn.phase().clone());
            let state = ConnState {
                conn: self.conn.clone(),
                origin: self.origin,
            };
            (self.sink)(Update::State(state));
        }
    }

    /// Dials; the session when accepted, `Err(true)` when the loop must end.
    async fn dial(&mut self) -> Result<Session, bool> {
        self.show();
        match session::dial(&self.settings).await {
            Ok(s) => {
                let now = self.now();
                self.conn.accepted(now);
                (self.sink)(Update::Accepted(s.accepted.clone()));
                self.show();
                Ok(s)
            }
            Err(e) => {
                let now = self.now();
                tracing::info!(target = %self.settings.target, error = %e, "monitor connection failed");
                if let ClientError::Refused(r) = &e {
                    self.conn.refused(now, r.clone());
                } else if !e.needs_person() {
                    self.conn.lost(now, Lost::Unreachable);
                } else {
                    self.conn.stop();
                }
                self.show();
                if e.needs_person() {
                    (self.sink)(Update::Stopped(e));
                    Err(true)
                } else {
                    (self.sink)(Update::Retrying(e));
                    Err(false)
                }
            }
        }
    }
}

async fn sleep_until(origin: Instant, at: Option<Duration>) {
    match at {
        Some(at) => tokio::time::sleep_until((origin + at).into()).await,
        None => std::future::pending().await,
    }
}

async fn run(
    settings: Settings,
    sink: Box<dyn FnMut(Update) + Send>,
    mut stop: oneshot::Receiver<()>,
) {
    let origin = Instant::now();
    let mut l = Loop {
        settings,
        sink,
        conn: Connection::new(),
        origin,
        shown: None,
    };
    let mut action = l.conn.start(Duration::ZERO);
    let mut session: Option<Session> = None;
    // The number of the last event; a skip means something was missed.
    let mut last_seq: Option<u64> = None;
    loop {
        if action == Action::Dial {
            let dialled = tokio::select! {
                _ = &mut stop => return,
                r = l.dial() => r,
            };
            match dialled {
                Ok(s) => {
                    session = Some(s);
                    last_seq = None;
                }
                Err(true) => return,
                Err(false) => {}
            }
        }
        action = Action::Nothing;
        l.show();
        let deadline = l.conn.next_tick();
        let Some(s) = session.as_mut() else {
            if deadline.is_none() {
                // Refused for good: only the person can go on.
                return;
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = sleep_until(origin, deadline) => {}
            }
            action = l.conn.tick(l.now());
            continue;
        };
        let read = tokio::select! {
            _ = &mut stop => return,
            r = s.next_frame() => Some(r),
            _ = sleep_until(origin, deadline) => None,
        };
        let now = l.now();
        let lost = match read {
            None => {
                if l.conn.tick(now) == Action::HangUp {
                    tracing::info!("monitor connection silent; reconnecting");
                    Some(Lost::Silent)
                } else {
                    None
                }
            }
            Some(Ok(Some(frame))) => {
                l.conn.heard(now);
                let mut gap = false;
                match &frame {
                    ServerFrame::SnapshotStart { seq, .. } => last_seq = Some(*seq),
                    ServerFrame::Event { seq, .. } => {
                        gap = last_seq.is_some_and(|last| *seq > last.saturating_add(1));
                        last_seq = Some(last_seq.map_or(*seq, |last| last.max(*seq)));
                    }
                    ServerFrame::Accepted(_) | ServerFrame::Refused { .. } => {
                        tracing::warn!(
                            kind = frame_kind(&frame),
                            "handshake frame after the hello"
                        );
                    }
                    _ => {}
                }
                (l.sink)(Update::Frame(frame));
                gap.then_some(Lost::Resync)
            }
            Some(Ok(None)) => Some(Lost::Closed),
            Some(Err(e)) if e.is_fatal() => {
                tracing::info!(error = %e, "monitor connection lost");
                Some(if matches!(e, monitor_api::FrameError::Io(_)) {
                    Lost::Closed
                } else {
                    Lost::Broken
                })
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "unreadable frame skipped");
                None
            }
        };
        if let Some(why) = lost {
            session = None;
            l.conn.lost(now, why);
            // A resync waits no time: dial at once.
            action = l.conn.tick(now);
        }
    }
}
