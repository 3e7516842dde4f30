//! One line of the job table as it is drawn: every cell as text, and the progress bar's fill.

use i18n::I18n;
use monitor_api::{Activity, Direction, Job, JobState, Link, MessageType, Place, Stage, UserText};

use crate::format;

/// The cells of one job's line.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// An arrow: up for what leaves the node, down for what arrives.
    pub direction: String,
    pub size: String,
    /// The bar's fill, from 0 to 1.
    pub progress: f64,
    pub progress_text: String,
    pub state: String,
    /// Empty unless the job is running.
    pub rate: String,
    /// Empty unless the job is running.
    pub eta: String,
    pub path: String,
    pub attempts: String,
    pub account: String,
}

/// The line of `job`; `now` is the node's clock (Unix seconds) for "retrying in …".
pub fn row(t: &I18n, job: &Job, now: i64) -> Row {
    let progress = match job.state {
        JobState::Done => 1.0,
        _ => job.progress.fraction().unwrap_or(0.0),
    };
    let running = job.state == JobState::Running;
    Row {
        id: job.id.clone(),
        name: name(t, job),
        kind: kind(t, job),
        direction: match job.direction {
            Direction::Up => t.text("monitor-direction-up", &[]),
            Direction::Down => t.text("monitor-direction-down", &[]),
        },
        size: format::size(t, job.size),
        progress,
        progress_text: format::percent(t, progress),
        state: state(t, job, now),
        rate: if running {
            format::rate(t, job.rate)
        } else {
            String::new()
        },
        eta: if running {
            format::eta(t, job.eta)
        } else {
            String::new()
        },
        path: path(t, job),
        attempts: job.attempts.to_string(),
        account: job.account.clone(),
    }
}

/// The subject, else who it is with, else a placeholder.
pub fn name(t: &I18n, job: &Job) -> String {
    match (&job.subject, &job.peer) {
        (Some(s), _) if !s.trim().is_empty() => s.clone(),
        (_, Some(p)) => match job.direction {
            Direction::Up => t.text("monitor-name-to", &[("peer", p)]),
            Direction::Down => t.text("monitor-name-from", &[("peer", p)]),
        },
        _ => t.text("monitor-name-none", &[]),
    }
}

/// The message type, or what the job is when it carries no message.
pub fn kind(t: &I18n, job: &Job) -> String {
    match job.activity {
        Activity::DropFile => return t.text("monitor-activity-drop-file", &[]),
        Activity::Update => return t.text("monitor-activity-update", &[]),
        Activity::Delivery | Activity::Reception | Activity::Collection => {}
    }
    match &job.message_type {
        MessageType::Message => t.text("monitor-type-message", &[]),
        MessageType::Fax => t.text("monitor-type-fax", &[]),
        MessageType::Invoice => t.text("monitor-type-invoice", &[]),
        MessageType::Statement => t.text("monitor-type-statement", &[]),
        MessageType::Remittance => t.text("monitor-type-remittance", &[]),
        // A type the monitor has no text for shows as the network names it.
        MessageType::Other(name) => name.clone(),
    }
}

/// The job's state in words; a job that will try again says when.
pub fn state(t: &I18n, job: &Job, now: i64) -> String {
    match job.state {
        JobState::Queued => t.text("monitor-state-queued", &[]),
        JobState::Running => t.text("monitor-state-running", &[]),
        JobState::Retrying => match job.next_attempt {
            Some(at) => {
                let wait = format::duration(t, at.saturating_sub(now).max(0) as u64);
                t.text("monitor-state-retrying-in", &[("wait", &wait)])
            }
            None => t.text("monitor-state-retrying", &[]),
        },
        JobState::Waiting => t.text("monitor-state-waiting", &[]),
        JobState::Done => t.text("monitor-state-done", &[]),
        JobState::Failed => t.text("monitor-state-failed", &[]),
    }
}

/// Whether some of the job's data went by way of a server.
fn used_servers(job: &Job) -> bool {
    let in_map = job.chunks.as_ref().is_some_and(|m| {
        m.counts()
            .iter()
            .any(|(p, _)| matches!(p, Place::Server(_)))
    });
    in_map
        || job.stages.iter().any(|s| {
            matches!(
                s.stage,
                Stage::UploadToServer(_) | Stage::CollectFromServer(_)
            ) && s.bytes.done > 0
        })
}

/// The way the data went: as the node's delivery log names it (direct, hole-punched,
/// servers, or a direct way plus servers). `None` before anything went anywhere.
pub fn way(t: &I18n, job: &Job) -> Option<String> {
    let id = match (job.link, used_servers(job)) {
        (None, false) => return None,
        (None, true) => "monitor-way-servers",
        (Some(Link::Direct), false) => "monitor-way-direct",
        (Some(Link::HolePunched), false) => "monitor-way-hole-punched",
        (Some(Link::Direct), true) => "monitor-way-direct-servers",
        (Some(Link::HolePunched), true) => "monitor-way-hole-punched-servers",
    };
    Some(t.text(id, &[]))
}

/// The peer and the way: `bob@kapur.h · hole-punched`.
pub fn path(t: &I18n, job: &Job) -> String {
    match (&job.peer, way(t, job)) {
        (Some(peer), Some(way)) => t.text("monitor-path", &[("peer", peer), ("way", &way)]),
        (Some(peer), None) => peer.clone(),
        (None, Some(way)) => way,
        (None, None) => String::new(),
    }
}

/// A job's error in the reader's language. An id the monitor has no text for (a newer node's)
/// is shown as such inside a general sentence rather than dropped.
pub fn error_text(t: &I18n, error: &UserText) -> String {
    if monitor_api::error_ids::is_job_error(&error.id) && t.has(&error.id) {
        let args: Vec<(&str, &str)> = error
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        return t.text(&error.id, &args);
    }
    t.text("monitor-error-unknown", &[("id", &error.id)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::load;
    use monitor_api::{ChunkMap, Progress, StageProgress, StageState};

    fn job() -> Job {
        let mut j = Job::new("j1", "ann@kapur.h", Activity::Delivery, Direction::Up);
        j.peer = Some("bob@kapur.h".into());
        j.size = 3 * 1024 * 1024;
        j.progress = Progress {
            done: 1024 * 1024,
            total: 4 * 1024 * 1024,
        };
        j
    }

    #[test]
    fn a_running_job_shows_rate_eta_and_progress() {
        let t = load("en-US").unwrap();
        let mut j = job();
        j.state = JobState::Running;
        j.rate = 512 * 1024;
        j.eta = Some(6);
        j.message_type = MessageType::Invoice;
        j.link = Some(Link::HolePunched);
        j.attempts = 2;
        let r = row(&t, &j, 0);
        assert_eq!(r.name, "To bob@kapur.h");
        assert_eq!(r.kind, "Invoice");
        assert_eq!(r.direction, "↑");
        assert_eq!(r.size, "3.0 MiB");
        assert_eq!(r.progress, 0.25);
        assert_eq!(r.progress_text, "25.0%");
        assert_eq!(r.state, "running");
        assert_eq!(r.rate, "512 KiB/s");
        assert_eq!(r.eta, "6 s");
        assert_eq!(r.path, "bob@kapur.h · hole-punched");
        assert_eq!(r.attempts, "2");
    }

    #[test]
    fn idle_jobs_show_no_rate_and_done_ones_are_full() {
        let t = load("de-DE").unwrap();
        let mut j = job();
        j.subject = Some("Rechnung 117".into());
        j.rate = 99;
        j.state = JobState::Retrying;
        j.next_attempt = Some(190);
        let r = row(&t, &j, 100);
        assert_eq!(r.name, "Rechnung 117");
        assert_eq!((r.rate.as_str(), r.eta.as_str()), ("", ""));
        assert_eq!(r.state, "neuer Versuch in 1 min 30 s");
        j.state = JobState::Done;
        let r = row(&t, &j, 100);
        assert_eq!(
            (r.progress, r.progress_text.as_str()),
            (1.0, "100,0\u{a0}%")
        );
        assert_eq!(r.direction, "↑");
    }

    #[test]
    fn the_way_follows_link_and_servers() {
        let t = load("en-US").unwrap();
        let mut j = job();
        assert_eq!(path(&t, &j), "bob@kapur.h");
        j.chunks = Some(ChunkMap::from_places([Place::Peer, Place::Server(0)]));
        assert_eq!(way(&t, &j).as_deref(), Some("servers"));
        j.link = Some(Link::Direct);
        assert_eq!(way(&t, &j).as_deref(), Some("direct + servers"));
        j.chunks = None;
        let mut s = StageProgress::new(Stage::UploadToServer(0), StageState::Active);
        j.put_stage(s.clone());
        assert_eq!(way(&t, &j).as_deref(), Some("direct"));
        s.bytes.done = 1;
        j.put_stage(s);
        assert_eq!(way(&t, &j).as_deref(), Some("direct + servers"));
        j.peer = None;
        assert_eq!(path(&t, &j), "direct + servers");
    }

    #[test]
    fn kinds_cover_types_and_activities() {
        let t = load("en-US").unwrap();
        let mut j = job();
        j.message_type = MessageType::Other("payslip".into());
        assert_eq!(kind(&t, &j), "payslip");
        j.activity = Activity::DropFile;
        assert_eq!(kind(&t, &j), "Drop file");
        j.activity = Activity::Update;
        j.subject = None;
        j.peer = None;
        assert_eq!(name(&t, &j), "–");
    }

    #[test]
    fn errors_are_localised_or_named() {
        let de = load("de-DE").unwrap();
        let e = UserText::new("monitor-error-not-partners").arg("address", "x@y.h");
        assert!(error_text(&de, &e).contains("x@y.h"));
        assert!(error_text(&de, &e).contains("Partner"));
        let drop = UserText::new("drop-missing").arg("field", "to");
        assert_eq!(
            error_text(&de, &drop),
            de.text("drop-missing", &[("field", "to")])
        );
        // Ids a node may not send, and ids unknown to this monitor.
        for id in [
            "monitor-state-done",
            "monitor-error-from-the-future",
            "cli-send-queued",
        ] {
            let shown = error_text(&de, &UserText::new(id));
            assert!(shown.contains(id), "{shown}");
        }
    }
}
