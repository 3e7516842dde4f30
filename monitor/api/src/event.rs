//! The frames of a connection: the monitor's hello, and what the node sends after it.

use serde::{Deserialize, Serialize};

use crate::chunk_map::{ChunkMap, Place};
use crate::handshake::{Accepted, Credentials, Refusal, VersionRange};
use crate::job::{Job, JobState, Link, Progress, StageProgress, UserText};

/// What the monitor sends. Version 1 has only the hello; the node closes a connection that
/// sends anything else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClientFrame {
    Hello {
        versions: VersionRange,
        credentials: Credentials,
        /// The monitor's name and version, for the node's log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
}

/// The node as a whole, for the monitor's status bar.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// The node's program version.
    pub node_version: String,
    /// The node listens on the overlay and has addresses others can reach.
    pub online: bool,
    /// A service server of some hosted account answered lately.
    pub service_reachable: bool,
    /// Network time minus the node's clock, in milliseconds; `None` until measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_ms: Option<i64>,
    /// The version of a newer release the network announced (and that verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_available: Option<String>,
}

/// What happened to the node or a job. Every event after the snapshot carries the next
/// sequence number in its [`ServerFrame::Event`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// A new job, or a job the monitor must take as a whole again.
    JobAdded { job: Box<Job> },
    /// A job moved on: its state, totals and the entry of the stage that changed.
    JobProgress {
        id: String,
        state: JobState,
        progress: Progress,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<StageProgress>,
        #[serde(default)]
        rate: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eta: Option<u64>,
        #[serde(default)]
        attempts: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<Link>,
    },
    /// Chunks `first .. first + count` are now at `place`.
    ChunksPlaced {
        id: String,
        first: u32,
        count: u32,
        place: Place,
    },
    /// The job's whole chunk map, replacing the one the monitor has.
    ChunkMap { id: String, map: ChunkMap },
    /// Done: delivered with a verified receipt, filed, or submitted.
    JobFinished { id: String, at: i64 },
    /// An attempt failed. With `retry_at` the job tries again then; without, it failed for
    /// good.
    JobFailed {
        id: String,
        at: i64,
        error: UserText,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_at: Option<i64>,
    },
    /// The node no longer keeps the job (finished a while ago, or gone with its account).
    JobRemoved { id: String },
    /// The node's status changed.
    Status { status: NodeStatus },
}

impl Event {
    /// The job the event is about, if any.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Event::JobAdded { job } => Some(&job.id),
            Event::JobProgress { id, .. }
            | Event::ChunksPlaced { id, .. }
            | Event::ChunkMap { id, .. }
            | Event::JobFinished { id, .. }
            | Event::JobFailed { id, .. }
            | Event::JobRemoved { id } => Some(id),
            Event::Status { .. } => None,
        }
    }
}

/// What the node sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerFrame {
    /// The hello is taken; the snapshot follows.
    Accepted(Accepted),
    /// The hello is refused; the node closes the connection.
    Refused {
        refusal: Refusal,
    },
    /// A snapshot begins: the node's status and how many [`ServerFrame::SnapshotJob`]s
    /// follow. `seq` is the sequence number of the last event it includes; `now` the node's
    /// clock (Unix seconds). The node may send a new snapshot at any time (after a monitor
    /// fell behind, say); it replaces everything the monitor had.
    SnapshotStart {
        seq: u64,
        now: i64,
        jobs: u32,
        status: NodeStatus,
    },
    SnapshotJob {
        job: Box<Job>,
    },
    /// The snapshot is complete; events follow.
    SnapshotEnd,
    /// Event number `seq`, one more than the one before.
    Event {
        seq: u64,
        event: Event,
    },
    /// Nothing else was sent for [`crate::limits::HEARTBEAT_SECS`]; `now` is the node's
    /// clock.
    Heartbeat {
        now: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::Scope;
    use crate::job::{Activity, Direction, Stage, StageState};

    #[test]
    fn frames_are_tagged_by_type() {
        let f = ServerFrame::Refused {
            refusal: Refusal::UnsupportedVersion { min: 1, max: 1 },
        };
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"type":"refused","refusal":{"reason":"unsupported-version","min":1,"max":1}}"#
        );
        let f = ServerFrame::Accepted(Accepted {
            version: 1,
            node_version: "0.1.0".into(),
            scope: Scope::Operator,
        });
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            r#"{"type":"accepted","version":1,"node_version":"0.1.0","scope":{"role":"operator"}}"#
        );
        assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), f);
        assert_eq!(
            serde_json::to_string(&ServerFrame::SnapshotEnd).unwrap(),
            r#"{"type":"snapshot-end"}"#
        );
    }

    #[test]
    fn events_round_trip_with_their_job_id() {
        let mut job = Job::new(
            "ab12/bob@kapur.h",
            "ann@kapur.h",
            Activity::Delivery,
            Direction::Up,
        );
        job.put_stage(StageProgress::new(
            Stage::UploadToServer(1),
            StageState::Active,
        ));
        job.chunks = Some(ChunkMap::new(4));
        let events = [
            Event::JobAdded { job: Box::new(job) },
            Event::ChunksPlaced {
                id: "x".into(),
                first: 0,
                count: 2,
                place: Place::Server(1),
            },
            Event::JobFailed {
                id: "y".into(),
                at: 5,
                error: UserText::new("monitor-error-peer-unreachable"),
                retry_at: Some(65),
            },
            Event::Status {
                status: NodeStatus::default(),
            },
        ];
        for e in events {
            let frame = ServerFrame::Event { seq: 3, event: e };
            let json = serde_json::to_string(&frame).unwrap();
            let back: ServerFrame = serde_json::from_str(&json).unwrap();
            assert_eq!(back, frame, "{json}");
        }
        let e = Event::JobRemoved { id: "z".into() };
        assert_eq!(e.job_id(), Some("z"));
    }
}
