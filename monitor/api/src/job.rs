//! One long-running thing a node does for an account, as a monitor sees it.
//!
//! The stages follow the node's code paths: an outgoing message is authorized by the sender's
//! service server and sealed into chunks, offered straight to the recipient's node (dialled,
//! or reached through a hole punch), and what that node does not take goes to the recipient's
//! backup servers in their order; then the receipt is awaited. An incoming message is
//! received from the sender's node or collected from the account's servers, unsealed while
//! its chunks arrive, filed, and answered with a receipt. Drop-folder files and release
//! announcements are jobs too.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::chunk_map::ChunkMap;

/// What kind of work a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    /// A message on its way to one recipient (one job per recipient).
    Delivery,
    /// A message arriving straight from the sender's node.
    Reception,
    /// A message fetched from the account's service servers.
    Collection,
    /// A file of the XML drop folder being read and submitted.
    DropFile,
    /// A newer release the service network announced.
    Update,
}

/// Which way the data goes, seen from the node: `up` leaves it, `down` arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Up,
    Down,
}

/// How the node reached the peer's node for the direct part of a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    /// A plain dial.
    Direct,
    /// A connection upgraded from a relay by a hole punch.
    HolePunched,
}

/// Where a job stands as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// Waiting for a free transfer slot.
    Queued,
    /// Being worked on now.
    Running,
    /// An attempt failed; the next one is due at the job's `next_attempt`.
    Retrying,
    /// Every part is stored with the peer's node or servers; the receipt comes when the
    /// peer's node collects them.
    Waiting,
    Done,
    /// Refused for good; the job's `error` says why.
    Failed,
}

impl JobState {
    /// Done or failed: nothing more will happen to the job.
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// The type a message carries in its manifest. The node ships five; the manifest admits any
/// lower-case name, which arrives as [`MessageType::Other`].
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum MessageType {
    #[default]
    Message,
    Fax,
    Invoice,
    Statement,
    Remittance,
    Other(String),
}

impl MessageType {
    pub fn name(&self) -> &str {
        match self {
            MessageType::Message => "message",
            MessageType::Fax => "fax",
            MessageType::Invoice => "invoice",
            MessageType::Statement => "statement",
            MessageType::Remittance => "remittance",
            MessageType::Other(name) => name,
        }
    }
}

impl From<String> for MessageType {
    fn from(name: String) -> Self {
        match name.as_str() {
            "message" => MessageType::Message,
            "fax" => MessageType::Fax,
            "invoice" => MessageType::Invoice,
            "statement" => MessageType::Statement,
            "remittance" => MessageType::Remittance,
            _ => MessageType::Other(name),
        }
    }
}

impl From<MessageType> for String {
    fn from(t: MessageType) -> Self {
        t.name().to_string()
    }
}

/// Whether `name` is a message type name as the manifest admits it: a lower-case ASCII
/// letter, then lower-case letters, digits and `-`, at most 32 bytes.
pub fn is_message_type(name: &str) -> bool {
    let b = name.as_bytes();
    (1..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

/// One step of a job. On the wire a short token: `sealing`, `upload-to-server:1`, …; the
/// number names an entry of the job's `servers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Stage {
    /// Composing the message's sealed form: encrypting to the recipient, signing, cutting
    /// into chunks in the spool.
    Sealing,
    /// Asking the sender's service server for the token that allows the message.
    Authorization,
    /// Sending chunks to the peer's node over a plain dial.
    UploadDirect,
    /// Sending chunks to the peer's node over a hole-punched connection.
    UploadHolePunched,
    /// Sending the chunks the peer's node did not take to one of its backup servers.
    UploadToServer(u8),
    /// Every chunk is stored with the peer's node or servers; the receipt is awaited.
    WaitingForNode,
    /// Fetching the parts one of the account's servers holds.
    CollectFromServer(u8),
    /// Taking chunks straight from the sender's node.
    Receiving,
    /// Decrypting, verifying and filing into the mailbox.
    Unsealing,
    /// The signed receipt: checked and kept (outgoing), or handed to the sender (incoming).
    Receipt,
    /// Reading a drop-folder file and submitting the message it describes.
    DropProcessing,
    /// A newer release is announced and verified.
    UpdateAvailable,
}

const STAGE_TOKENS: &[(&str, Stage)] = &[
    ("sealing", Stage::Sealing),
    ("authorization", Stage::Authorization),
    ("upload-direct", Stage::UploadDirect),
    ("upload-hole-punched", Stage::UploadHolePunched),
    ("waiting-for-node", Stage::WaitingForNode),
    ("receiving", Stage::Receiving),
    ("unsealing", Stage::Unsealing),
    ("receipt", Stage::Receipt),
    ("drop-processing", Stage::DropProcessing),
    ("update-available", Stage::UpdateAvailable),
];

const UPLOAD_TO_SERVER: &str = "upload-to-server";
const COLLECT_FROM_SERVER: &str = "collect-from-server";

impl Stage {
    /// The token without its server number (`upload-to-server`), which Fluent ids build on.
    pub fn token(self) -> &'static str {
        match self {
            Stage::UploadToServer(_) => UPLOAD_TO_SERVER,
            Stage::CollectFromServer(_) => COLLECT_FROM_SERVER,
            other => STAGE_TOKENS
                .iter()
                .find(|(_, s)| *s == other)
                .map_or("", |(t, _)| t),
        }
    }

    /// The server a per-server stage is about, as an index into the job's `servers`.
    pub fn server(self) -> Option<u8> {
        match self {
            Stage::UploadToServer(n) | Stage::CollectFromServer(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.server() {
            Some(n) => write!(f, "{}:{n}", self.token()),
            None => f.write_str(self.token()),
        }
    }
}

/// A token that names no stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stage {0:?}")]
pub struct UnknownStage(pub String);

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownStage(s.chars().take(40).collect());
        if let Some((_, stage)) = STAGE_TOKENS.iter().find(|(t, _)| *t == s) {
            return Ok(*stage);
        }
        let (name, n) = s.split_once(':').ok_or_else(unknown)?;
        let n: u8 = n.parse().map_err(|_| unknown())?;
        match name {
            UPLOAD_TO_SERVER => Ok(Stage::UploadToServer(n)),
            COLLECT_FROM_SERVER => Ok(Stage::CollectFromServer(n)),
            _ => Err(unknown()),
        }
    }
}

impl TryFrom<String> for Stage {
    type Error = UnknownStage;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Stage> for String {
    fn from(s: Stage) -> Self {
        s.to_string()
    }
}

/// Where one stage stands.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum StageState {
    #[default]
    Pending,
    Active,
    Done,
    Failed,
    /// Not needed this time (the peer's node took every chunk, so no server was used).
    Skipped,
}

/// Bytes of some work: `total` 0 when the work is not measured in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

impl Progress {
    /// Done as a fraction from 0 to 1; `None` when there is no total.
    pub fn fraction(&self) -> Option<f64> {
        (self.total > 0).then(|| (self.done.min(self.total) as f64) / (self.total as f64))
    }
}

/// One entry of a job's stage timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageProgress {
    pub stage: Stage,
    pub state: StageState,
    /// Bytes this stage handled: plaintext read for sealing, chunk bytes acknowledged for
    /// uploads, chunk bytes stored for receiving and collection.
    #[serde(default)]
    pub bytes: Progress,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<i64>,
}

impl StageProgress {
    pub fn new(stage: Stage, state: StageState) -> Self {
        StageProgress {
            stage,
            state,
            bytes: Progress::default(),
            started: None,
            finished: None,
        }
    }
}

/// A text for a person, as a Fluent message id and its arguments: the monitor puts it in its
/// own language (the ids are listed in [`crate::error_ids`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserText {
    pub id: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl UserText {
    pub fn new(id: &str) -> Self {
        UserText {
            id: id.to_string(),
            args: BTreeMap::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: impl Into<String>) -> Self {
        self.args.insert(name.to_string(), value.into());
        self
    }
}

/// One job with everything the monitor shows of it. Times are Unix seconds of the node's
/// network-corrected clock; rate and ETA are the node's measurement, not the monitor's guess.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unique among the node's current jobs; stable across reconnections.
    pub id: String,
    /// The hosted account the job is for.
    pub account: String,
    pub activity: Activity,
    #[serde(default)]
    pub message_type: MessageType,
    pub direction: Direction,
    /// The message's subject from the local copy (never from the network), the drop file's
    /// name, or the announced version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The other account: recipient of a delivery, sender of a received message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// How the peer's node was reached, once it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// The backup servers involved, in the order they are tried: `server:N` in the chunk map
    /// and in stages is entry N.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// Plaintext size of the message (or of the drop file).
    pub size: u64,
    /// The job's work as a whole, for its progress bar.
    #[serde(default)]
    pub progress: Progress,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageProgress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks: Option<ChunkMap>,
    /// Bytes per second over the last few seconds.
    #[serde(default)]
    pub rate: u64,
    /// Seconds left at the current rate; `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<u64>,
    /// Attempts started so far.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<i64>,
    pub state: JobState,
    /// Why the last attempt failed, or why the job failed for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<UserText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<i64>,
}

impl Job {
    /// A queued job with nothing done yet.
    pub fn new(id: &str, account: &str, activity: Activity, direction: Direction) -> Self {
        Job {
            id: id.to_string(),
            account: account.to_string(),
            activity,
            message_type: MessageType::Message,
            direction,
            subject: None,
            peer: None,
            link: None,
            servers: Vec::new(),
            size: 0,
            progress: Progress::default(),
            stages: Vec::new(),
            chunks: None,
            rate: 0,
            eta: None,
            attempts: 0,
            next_attempt: None,
            state: JobState::Queued,
            error: None,
            started: None,
            finished: None,
        }
    }

    /// The entry of `stage`, put in place: it replaces the entry of the same stage, or goes
    /// last. The list stays within [`crate::limits::MAX_STAGES`]: a new stage beyond it
    /// replaces the oldest finished one.
    pub fn put_stage(&mut self, entry: StageProgress) {
        if let Some(old) = self.stages.iter_mut().find(|s| s.stage == entry.stage) {
            *old = entry;
            return;
        }
        if self.stages.len() >= crate::limits::MAX_STAGES {
            let finished = self
                .stages
                .iter()
                .position(|s| matches!(s.state, StageState::Done | StageState::Skipped));
            self.stages.remove(finished.unwrap_or(0));
        }
        self.stages.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_tokens_round_trip() {
        let all = [
            Stage::Sealing,
            Stage::Authorization,
            Stage::UploadDirect,
            Stage::UploadHolePunched,
            Stage::UploadToServer(0),
            Stage::UploadToServer(15),
            Stage::WaitingForNode,
            Stage::CollectFromServer(3),
            Stage::Receiving,
            Stage::Unsealing,
            Stage::Receipt,
            Stage::DropProcessing,
            Stage::UpdateAvailable,
        ];
        for s in all {
            assert_eq!(s.to_string().parse::<Stage>(), Ok(s), "{s}");
        }
        assert_eq!(Stage::UploadToServer(2).to_string(), "upload-to-server:2");
        assert_eq!(Stage::Sealing.token(), "sealing");
        for bad in [
            "",
            "sealing:1",
            "upload-to-server",
            "upload-to-server:",
            "upload-to-server:256",
            "upload-to-server:-1",
            "warp",
        ] {
            assert!(bad.parse::<Stage>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn message_types_keep_unknown_names() {
        let t: MessageType = serde_json::from_str("\"invoice\"").unwrap();
        assert_eq!(t, MessageType::Invoice);
        let t: MessageType = serde_json::from_str("\"payslip\"").unwrap();
        assert_eq!(t, MessageType::Other("payslip".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"payslip\"");
        assert!(is_message_type("payslip-2"));
        assert!(!is_message_type("Payslip") && !is_message_type("") && !is_message_type("9a"));
    }

    #[test]
    fn put_stage_replaces_and_stays_bounded() {
        let mut job = Job::new("j", "a@b.h", Activity::Delivery, Direction::Up);
        job.put_stage(StageProgress::new(Stage::Sealing, StageState::Active));
        job.put_stage(StageProgress::new(Stage::Sealing, StageState::Done));
        assert_eq!(job.stages.len(), 1);
        assert_eq!(job.stages[0].state, StageState::Done);
        for n in 0..=u8::MAX {
            job.put_stage(StageProgress::new(
                Stage::UploadToServer(n),
                StageState::Done,
            ));
        }
        assert_eq!(job.stages.len(), crate::limits::MAX_STAGES);
        assert_eq!(
            job.stages.last().map(|s| s.stage),
            Some(Stage::UploadToServer(u8::MAX))
        );
    }

    #[test]
    fn progress_fraction_is_clamped() {
        assert_eq!(Progress { done: 5, total: 10 }.fraction(), Some(0.5));
        assert_eq!(
            Progress {
                done: 50,
                total: 10
            }
            .fraction(),
            Some(1.0)
        );
        assert_eq!(Progress { done: 5, total: 0 }.fraction(), None);
    }
}
