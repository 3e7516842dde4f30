//! The status bar: the connection, the node's status and the totals of its jobs.

use std::time::Duration;

use i18n::I18n;
use monitor_api::{Direction, Job, JobState, NodeStatus};

use crate::format;
use crate::reconnect::Connection;

/// Sums over a set of jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes per second of running jobs that send.
    pub up_rate: u64,
    /// Bytes per second of running jobs that receive.
    pub down_rate: u64,
    pub running: usize,
    /// Queued, retrying, or waiting for the peer's node.
    pub waiting: usize,
    pub done: usize,
    pub failed: usize,
}

pub fn totals<'a>(jobs: impl IntoIterator<Item = &'a Job>) -> Totals {
    let mut t = Totals::default();
    for job in jobs {
        match job.state {
            JobState::Running => {
                t.running += 1;
                match job.direction {
                    Direction::Up => t.up_rate = t.up_rate.saturating_add(job.rate),
                    Direction::Down => t.down_rate = t.down_rate.saturating_add(job.rate),
                }
            }
            JobState::Queued | JobState::Retrying | JobState::Waiting => t.waiting += 1,
            JobState::Done => t.done += 1,
            JobState::Failed => t.failed += 1,
        }
    }
    t
}

/// Every part of the status bar as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusBar {
    pub connection: String,
    pub node: String,
    pub service: String,
    pub clock: String,
    /// Only when a newer release is announced.
    pub update: Option<String>,
    /// `↑ 1.2 MiB/s ↓ 0 B/s`.
    pub rates: String,
    pub counts: String,
}

/// The status bar for the node's `status` and `totals`, as far as `connection` (at `now` on
/// the monitor's own monotonic clock) lets the monitor know them: without a connection the
/// node's side is unknown.
pub fn status_bar(
    t: &I18n,
    status: &NodeStatus,
    totals: &Totals,
    connection: &Connection,
    now: Duration,
) -> StatusBar {
    let connected = connection.is_connected();
    let unknown = || t.text("monitor-status-unknown", &[]);
    let node = match (connected, status.online) {
        (false, _) => unknown(),
        (true, true) => t.text("monitor-status-node-online", &[]),
        (true, false) => t.text("monitor-status-node-offline", &[]),
    };
    let service = match (connected, status.service_reachable) {
        (false, _) => unknown(),
        (true, true) => t.text("monitor-status-service-reachable", &[]),
        (true, false) => t.text("monitor-status-service-unreachable", &[]),
    };
    let clock = match (connected, status.clock_offset_ms) {
        (false, _) => unknown(),
        (true, Some(ms)) => t.text(
            "monitor-status-clock",
            &[("offset", &format::offset(t, ms))],
        ),
        (true, None) => t.text("monitor-status-clock-unknown", &[]),
    };
    let update = status
        .update_available
        .as_deref()
        .filter(|_| connected)
        .map(|v| t.text("monitor-status-update", &[("version", v)]));
    StatusBar {
        connection: connection.text(t, now),
        node,
        service,
        clock,
        update,
        rates: t.text(
            "monitor-status-rates",
            &[
                ("up", &format::rate(t, totals.up_rate)),
                ("down", &format::rate(t, totals.down_rate)),
            ],
        ),
        counts: t.text(
            "monitor-status-counts",
            &[
                ("running", &totals.running.to_string()),
                ("waiting", &totals.waiting.to_string()),
                ("done", &totals.done.to_string()),
                ("failed", &totals.failed.to_string()),
            ],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::load;
    use monitor_api::Activity;

    fn job(direction: Direction, state: JobState, rate: u64) -> Job {
        let mut j = Job::new("j", "a@k.h", Activity::Delivery, direction);
        j.state = state;
        j.rate = rate;
        j
    }

    #[test]
    fn totals_count_rates_of_running_jobs_only() {
        let jobs = [
            job(Direction::Up, JobState::Running, 1000),
            job(Direction::Up, JobState::Running, 24),
            job(Direction::Down, JobState::Running, 2048),
            // A stale rate on a job that stopped is not counted.
            job(Direction::Up, JobState::Retrying, 5000),
            job(Direction::Down, JobState::Done, 0),
            job(Direction::Down, JobState::Failed, 0),
            job(Direction::Up, JobState::Waiting, 0),
        ];
        let t = totals(&jobs);
        assert_eq!(
            t,
            Totals {
                up_rate: 1024,
                down_rate: 2048,
                running: 3,
                waiting: 2,
                done: 1,
                failed: 1,
            }
        );
    }

    #[test]
    fn the_bar_says_what_is_known() {
        let t = load("en-US").unwrap();
        let status = NodeStatus {
            node_version: "0.1.0".into(),
            online: true,
            service_reachable: false,
            clock_offset_ms: Some(-1500),
            update_available: Some("0.2.0".into()),
        };
        let totals = Totals {
            up_rate: 1024,
            ..Totals::default()
        };
        let mut c = Connection::new();
        let at = Duration::from_secs(5);
        c.start(at);
        c.accepted(at);
        let bar = status_bar(&t, &status, &totals, &c, at);
        assert_eq!(bar.node, "Node online");
        assert_eq!(bar.service, "Service network not reachable");
        assert_eq!(bar.clock, "Clock offset -1.5 s");
        assert_eq!(bar.update.as_deref(), Some("Update available: 0.2.0"));
        assert_eq!(bar.rates, "↑ 1.0 KiB/s  ↓ 0 B/s");
        assert_eq!(bar.connection, "Connected");

        c.lost(at, crate::reconnect::Lost::Closed);
        let bar = status_bar(&t, &status, &totals, &c, at);
        assert_eq!(bar.node, "–");
        assert_eq!(bar.update, None);
        assert!(
            bar.connection
                .starts_with("The node closed the connection."),
            "{}",
            bar.connection
        );
    }
}
