//! The detail pane of the selected job: its facts, the stage timeline, the error and the
//! piece map's legend.

use i18n::I18n;
use monitor_api::{Direction, Job, Stage, StageProgress, StageState};

use crate::format;
use crate::piece_map::{self, LegendEntry};
use crate::rows;

/// A labelled value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// One stage on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    pub stage: Stage,
    pub state: StageState,
    pub label: String,
    pub state_text: String,
    /// The fill of the stage's bar, when it is measured in bytes.
    pub progress: Option<f64>,
    /// `1.5 MiB of 3.0 MiB`, or empty.
    pub bytes: String,
    /// When it started, or empty.
    pub started: String,
    /// How long it took, or has taken so far; empty before it started.
    pub took: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Detail {
    pub title: String,
    pub facts: Vec<Fact>,
    pub timeline: Vec<TimelineRow>,
    pub error: Option<String>,
    pub legend: Vec<LegendEntry>,
}

/// The pane for `job`: `now` is the node's clock (Unix seconds), `utc_offset` the seconds
/// east of UTC the times are shown in.
pub fn detail(t: &I18n, job: &Job, now: i64, utc_offset: i32) -> Detail {
    Detail {
        title: rows::name(t, job),
        facts: facts(t, job, now, utc_offset),
        timeline: job
            .stages
            .iter()
            .map(|s| timeline_row(t, job, s, now, utc_offset))
            .collect(),
        error: job.error.as_ref().map(|e| rows::error_text(t, e)),
        legend: piece_map::legend(t, job),
    }
}

fn facts(t: &I18n, job: &Job, now: i64, utc_offset: i32) -> Vec<Fact> {
    let mut out = Vec::new();
    let mut put = |id: &str, value: String| {
        if !value.is_empty() {
            out.push(Fact {
                label: t.text(id, &[]),
                value,
            });
        }
    };
    put("monitor-field-account", job.account.clone());
    put("monitor-field-type", rows::kind(t, job));
    put(
        "monitor-field-direction",
        match job.direction {
            Direction::Up => t.text("monitor-direction-up-long", &[]),
            Direction::Down => t.text("monitor-direction-down-long", &[]),
        },
    );
    put("monitor-field-peer", job.peer.clone().unwrap_or_default());
    put("monitor-field-way", rows::way(t, job).unwrap_or_default());
    put("monitor-field-size", format::size(t, job.size));
    if let Some(map) = &job.chunks {
        put(
            "monitor-field-chunks",
            t.text(
                "monitor-chunks-count",
                &[("count", &map.chunks().to_string())],
            ),
        );
    }
    put("monitor-field-state", rows::state(t, job, now));
    put("monitor-field-attempts", job.attempts.to_string());
    let when = |at: Option<i64>| at.map_or(String::new(), |at| format::time(t, at, utc_offset));
    put("monitor-field-next-attempt", when(job.next_attempt));
    put("monitor-field-started", when(job.started));
    put("monitor-field-finished", when(job.finished));
    out
}

/// A server of `job` for a person: its number from 1, and its name when the job gives one.
fn server(t: &I18n, job: &Job, n: u8) -> String {
    let number = (u32::from(n) + 1).to_string();
    match job.servers.get(usize::from(n)) {
        Some(name) if !name.is_empty() => t.text(
            "monitor-server-named",
            &[("number", &number), ("name", name)],
        ),
        _ => number,
    }
}

/// What `stage` of `job` is, in words.
pub fn stage_label(t: &I18n, job: &Job, stage: Stage) -> String {
    match stage {
        Stage::Sealing => t.text("monitor-stage-sealing", &[]),
        Stage::Authorization => t.text("monitor-stage-authorization", &[]),
        Stage::UploadDirect => t.text("monitor-stage-upload-direct", &[]),
        Stage::UploadHolePunched => t.text("monitor-stage-upload-hole-punched", &[]),
        Stage::UploadToServer(n) => t.text(
            "monitor-stage-upload-to-server",
            &[("server", &server(t, job, n))],
        ),
        Stage::WaitingForNode => t.text("monitor-stage-waiting-for-node", &[]),
        Stage::CollectFromServer(n) => t.text(
            "monitor-stage-collect-from-server",
            &[("server", &server(t, job, n))],
        ),
        Stage::Receiving => t.text("monitor-stage-receiving", &[]),
        Stage::Unsealing => t.text("monitor-stage-unsealing", &[]),
        Stage::Receipt => match job.direction {
            Direction::Up => t.text("monitor-stage-receipt-up", &[]),
            Direction::Down => t.text("monitor-stage-receipt-down", &[]),
        },
        Stage::DropProcessing => t.text("monitor-stage-drop-processing", &[]),
        Stage::UpdateAvailable => t.text("monitor-stage-update-available", &[]),
    }
}

pub fn stage_state_text(t: &I18n, state: StageState) -> String {
    match state {
        StageState::Pending => t.text("monitor-stage-state-pending", &[]),
        StageState::Active => t.text("monitor-stage-state-active", &[]),
        StageState::Done => t.text("monitor-stage-state-done", &[]),
        StageState::Failed => t.text("monitor-stage-state-failed", &[]),
        StageState::Skipped => t.text("monitor-stage-state-skipped", &[]),
    }
}

fn timeline_row(t: &I18n, job: &Job, s: &StageProgress, now: i64, utc_offset: i32) -> TimelineRow {
    let bytes = match (s.bytes.done, s.bytes.total) {
        (0, 0) => String::new(),
        (done, 0) => format::size(t, done),
        (done, total) => t.text(
            "monitor-bytes-of",
            &[
                ("done", &format::size(t, done)),
                ("total", &format::size(t, total)),
            ],
        ),
    };
    let end = match (s.finished, s.state) {
        (Some(f), _) => Some(f),
        (None, StageState::Active) => Some(now),
        (None, _) => None,
    };
    let took = match (s.started, end) {
        (Some(a), Some(b)) => format::duration(t, b.saturating_sub(a).max(0) as u64),
        _ => String::new(),
    };
    TimelineRow {
        stage: s.stage,
        state: s.state,
        label: stage_label(t, job, s.stage),
        state_text: stage_state_text(t, s.state),
        progress: s.bytes.fraction(),
        bytes,
        started: s
            .started
            .map_or(String::new(), |at| format::time(t, at, utc_offset)),
        took,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::load;
    use monitor_api::{Activity, ChunkMap, JobState, Place, Progress, UserText};

    fn delivery() -> Job {
        let mut j = Job::new("j", "ann@kapur.h", Activity::Delivery, Direction::Up);
        j.subject = Some("Quarterly report".into());
        j.peer = Some("bob@kapur.h".into());
        j.size = 2 * 1024 * 1024;
        j.servers = vec!["s1.kapur.h".into(), String::new()];
        j.state = JobState::Running;
        j.attempts = 1;
        j.started = Some(1_709_647_402);
        j.chunks = Some(ChunkMap::from_places([
            Place::Peer,
            Place::Server(1),
            Place::Missing,
        ]));
        let mut sealing = StageProgress::new(Stage::Sealing, StageState::Done);
        sealing.bytes = Progress {
            done: 2 * 1024 * 1024,
            total: 2 * 1024 * 1024,
        };
        sealing.started = Some(1_709_647_402);
        sealing.finished = Some(1_709_647_405);
        j.put_stage(sealing);
        j.put_stage(StageProgress::new(
            Stage::UploadToServer(0),
            StageState::Skipped,
        ));
        let mut upload = StageProgress::new(Stage::UploadToServer(1), StageState::Active);
        upload.bytes.done = 512 * 1024;
        upload.started = Some(1_709_647_410);
        j.put_stage(upload);
        j.put_stage(StageProgress::new(Stage::Receipt, StageState::Pending));
        j
    }

    #[test]
    fn the_timeline_lists_each_stage_with_bytes_and_times() {
        let t = load("en-US").unwrap();
        let d = detail(&t, &delivery(), 1_709_647_440, 0);
        assert_eq!(d.title, "Quarterly report");
        let labels: Vec<&str> = d.timeline.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Composing and encrypting",
                "Upload to server 1 (s1.kapur.h)",
                "Upload to server 2",
                "Receipt from the recipient",
            ]
        );
        let sealing = &d.timeline[0];
        assert_eq!(sealing.bytes, "2.0 MiB of 2.0 MiB");
        assert_eq!(sealing.progress, Some(1.0));
        assert_eq!(sealing.took, "3 s");
        assert_eq!(sealing.started, "2024-03-05 14:03:22");
        assert_eq!(sealing.state_text, "done");
        let upload = &d.timeline[2];
        // Still running: how long so far.
        assert_eq!(
            (upload.bytes.as_str(), upload.took.as_str()),
            ("512 KiB", "30 s")
        );
        assert_eq!(upload.progress, None);
        let receipt = &d.timeline[3];
        assert_eq!((receipt.took.as_str(), receipt.started.as_str()), ("", ""));
        assert_eq!(d.legend.len(), 3);
        assert_eq!(d.error, None);
    }

    #[test]
    fn facts_leave_out_what_is_unknown() {
        let t = load("en-US").unwrap();
        let mut job = delivery();
        job.peer = None;
        job.error = Some(UserText::new("monitor-error-peer-unreachable"));
        let d = detail(&t, &job, 0, 0);
        let labels: Vec<&str> = d.facts.iter().map(|f| f.label.as_str()).collect();
        assert!(labels.contains(&"Account") && labels.contains(&"Chunks"));
        assert!(!labels.contains(&"Peer") && !labels.contains(&"Finished"));
        assert!(d.error.is_some_and(|e| !e.starts_with("monitor-")));
    }

    #[test]
    fn every_stage_has_a_label_in_both_languages() {
        let mut job = delivery();
        let stages = [
            Stage::Sealing,
            Stage::Authorization,
            Stage::UploadDirect,
            Stage::UploadHolePunched,
            Stage::UploadToServer(0),
            Stage::WaitingForNode,
            Stage::CollectFromServer(5),
            Stage::Receiving,
            Stage::Unsealing,
            Stage::Receipt,
            Stage::DropProcessing,
            Stage::UpdateAvailable,
        ];
        for lang in ["en-US", "de-DE"] {
            let t = load(lang).unwrap();
            for direction in [Direction::Up, Direction::Down] {
                job.direction = direction;
                let mut seen: Vec<String> =
                    stages.iter().map(|&s| stage_label(&t, &job, s)).collect();
                assert!(seen.iter().all(|l| !l.starts_with("monitor-")), "{seen:?}");
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), stages.len(), "{lang}");
            }
        }
    }
}
