//! The connection to the node as a state machine: connecting, connected, waiting to reconnect
//! with a growing delay, or refused. Time is passed in (a monotonic instant as a `Duration`
//! since any fixed origin), so the machine reads no clock and every path is testable.
//!
//! The GUI dials when [`Connection::tick`] says [`Action::Dial`], reports the outcome back
//! ([`Connection::accepted`], [`Connection::refused`], [`Connection::lost`]), tells it of every
//! frame it reads ([`Connection::heard`]), and calls `tick` again by
//! [`Connection::next_tick`].

use std::time::Duration;

use i18n::I18n;
use monitor_api::Refusal;
use monitor_api::limits::SILENCE_LIMIT_SECS;

use crate::format;

/// The first reconnection waits this long; each failure after doubles it, up to
/// [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// A connection that lasted this long was a good one: the delays start over after it.
pub const STABLE_AFTER: Duration = Duration::from_secs(30);
/// A dial or hello not answered within this long has failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// A connection silent for this long is lost (the node sends heartbeats).
pub const SILENCE_LIMIT: Duration = Duration::from_secs(SILENCE_LIMIT_SECS);

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// The node could not be reached or did not answer the hello in time.
    Unreachable,
    /// The node closed the connection (it stopped, say).
    Closed,
    /// Nothing came, not even a heartbeat.
    Silent,
    /// The node sent something unreadable.
    Broken,
    /// Events were missed; a new connection brings a fresh snapshot.
    Resync,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not connected and not trying to be.
    Idle,
    Connecting {
        since: Duration,
    },
    Connected {
        since: Duration,
    },
    /// Trying again at `until`; `attempt` counts the failures in a row.
    Waiting {
        until: Duration,
        attempt: u32,
        why: Lost,
    },
    /// The node refused the hello; only a throttle ends by itself (at `until`).
    Refused {
        refusal: Refusal,
        until: Option<Duration>,
    },
}

/// What the GUI must do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Open a connection and send the hello.
    Dial,
    /// Close the connection, which is lost.
    HangUp,
}

#[derive(Clone, Debug)]
pub struct Connection {
    phase: Phase,
    /// Failures in a row.
    failures: u32,
    last_heard: Duration,
}

impl Default for Connection {
    fn default() -> Self {
        Self::new()
    }
}

/// The wait after `failures` failures in a row.
pub fn delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

impl Connection {
    pub fn new() -> Self {
        Connection {
            phase: Phase::Idle,
            failures: 0,
            last_heard: Duration::ZERO,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Connected { .. })
    }

    /// The person asks to connect (first time, after a refusal, or with new credentials).
    pub fn start(&mut self, now: Duration) -> Action {
        self.failures = 0;
        self.phase = Phase::Connecting { since: now };
        self.last_heard = now;
        Action::Dial
    }

    /// The person disconnects.
    pub fn stop(&mut self) {
        self.phase = Phase::Idle;
    }

    /// The node accepted the hello.
    pub fn accepted(&mut self, now: Duration) {
        self.phase = Phase::Connected { since: now };
        self.last_heard = now;
    }

    /// A frame arrived.
    pub fn heard(&mut self, now: Duration) {
        self.last_heard = self.last_heard.max(now);
    }

    /// The node refused the hello.
    pub fn refused(&mut self, now: Duration, refusal: Refusal) {
        let until = refusal
            .retry_after()
            .map(|s| now.saturating_add(Duration::from_secs(s)));
        self.phase = Phase::Refused { refusal, until };
    }

    /// The connection or the dial failed; a reconnection is planned.
    pub fn lost(&mut self, now: Duration, why: Lost) {
        match self.phase {
            Phase::Idle | Phase::Refused { .. } => return,
            Phase::Connected { since } if now.saturating_sub(since) >= STABLE_AFTER => {
                self.failures = 0;
            }
            _ => {}
        }
        // Catching up is no failure of the node: it is tried again at once.
        let wait = if why == Lost::Resync {
            Duration::ZERO
        } else {
            self.failures = self.failures.saturating_add(1);
            delay(self.failures)
        };
        self.phase = Phase::Waiting {
            until: now.saturating_add(wait),
            attempt: self.failures,
            why,
        };
    }

    /// Moves on with time.
    pub fn tick(&mut self, now: Duration) -> Action {
        match self.phase {
            Phase::Connecting { since } if now.saturating_sub(since) >= CONNECT_TIMEOUT => {
                self.lost(now, Lost::Unreachable);
                Action::HangUp
            }
            Phase::Connected { .. } if now.saturating_sub(self.last_heard) >= SILENCE_LIMIT => {
                self.lost(now, Lost::Silent);
                Action::HangUp
            }
            Phase::Waiting { until, .. }
            | Phase::Refused {
                until: Some(until), ..
            } if now >= until => {
                self.phase = Phase::Connecting { since: now };
                self.last_heard = now;
                Action::Dial
            }
            _ => Action::Nothing,
        }
    }

    /// When `tick` has something to do next; `None` while nothing is pending.
    pub fn next_tick(&self) -> Option<Duration> {
        match self.phase {
            Phase::Idle | Phase::Refused { until: None, .. } => None,
            Phase::Connecting { since } => Some(since.saturating_add(CONNECT_TIMEOUT)),
            Phase::Connected { .. } => Some(self.last_heard.saturating_add(SILENCE_LIMIT)),
            Phase::Waiting { until, .. }
            | Phase::Refused {
                until: Some(until), ..
            } => Some(until),
        }
    }

    /// The connection's state in words, at `now`.
    pub fn text(&self, t: &I18n, now: Duration) -> String {
        match &self.phase {
            Phase::Idle => t.text("monitor-conn-idle", &[]),
            Phase::Connecting { .. } => t.text("monitor-conn-connecting", &[]),
            Phase::Connected { .. } => t.text("monitor-conn-connected", &[]),
            Phase::Waiting {
                until,
                attempt,
                why,
            } => {
                let why = lost_text(t, *why);
                let wait = format::duration(t, until.saturating_sub(now).as_secs());
                t.text(
                    "monitor-conn-waiting",
                    &[
                        ("why", &why),
                        ("wait", &wait),
                        ("attempt", &attempt.to_string()),
                    ],
                )
            }
            Phase::Refused { refusal, until } => {
                let wait = until.map(|u| u.saturating_sub(now));
                refusal_text(t, refusal, wait)
            }
        }
    }
}

fn lost_text(t: &I18n, why: Lost) -> String {
    match why {
        Lost::Unreachable => t.text("monitor-lost-unreachable", &[]),
        Lost::Closed => t.text("monitor-lost-closed", &[]),
        Lost::Silent => t.text("monitor-lost-silent", &[]),
        Lost::Broken => t.text("monitor-lost-broken", &[]),
        Lost::Resync => t.text("monitor-lost-resync", &[]),
    }
}

/// Why the node refused, in words; `wait` is the time left of a throttle.
pub fn refusal_text(t: &I18n, refusal: &Refusal, wait: Option<Duration>) -> String {
    match refusal {
        Refusal::BadCredentials => t.text("monitor-refused-bad-credentials", &[]),
        Refusal::UnknownAccount => t.text("monitor-refused-unknown-account", &[]),
        Refusal::UnsupportedVersion { min, max } => {
            let ours = monitor_api::SUPPORTED;
            t.text(
                "monitor-refused-unsupported-version",
                &[
                    ("min", &min.to_string()),
                    ("max", &max.to_string()),
                    ("ours_min", &ours.min.to_string()),
                    ("ours_max", &ours.max.to_string()),
                ],
            )
        }
        Refusal::TooManyAttempts { retry_after } => {
            let secs = wait.map_or(*retry_after, |w| w.as_secs());
            t.text(
                "monitor-refused-too-many-attempts",
                &[("wait", &format::duration(t, secs))],
            )
        }
    }
}

#[cfg(test)]
#[path = "reconnect_tests.rs"]
mod tests;
