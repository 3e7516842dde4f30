//! Where each delivery job stands, for people watching (`wims send`, later the monitor). Kept
//! in memory only: the durable state is the job itself; this is its live view.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Waiting for its turn (or for the next attempt after a failure).
    #[default]
    Queued,
    Sealing,
    /// Chunks going to the recipient's node.
    Direct,
    /// Chunks going to the recipient's service servers.
    ToServers,
    /// Every chunk is stored on the recipient's node or servers; the receipt is awaited.
    HandedOff,
    Delivered,
    /// Refused for good.
    Dropped,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JobProgress {
    pub recipient: String,
    pub phase: Phase,
    /// Plaintext size of the message.
    pub size: u64,
    /// Ciphertext bytes sealed so far.
    pub sealed: u64,
    pub chunks: u32,
    /// Chunks known to be stored at the recipient's node or servers.
    pub stored: u32,
    pub attempts: u32,
}

/// One job's live view, shared with the task working on it.
pub type Handle = Arc<Mutex<JobProgress>>;

/// A delivery job's two live views: the board `wims send` reads, and the job monitors see.
#[derive(Clone)]
pub struct Views {
    pub board: Handle,
    pub job: jobs::JobHandle,
}

#[derive(Default)]
pub struct Board {
    jobs: Mutex<HashMap<String, Handle>>,
}

impl Board {
    /// The view of job `key` (made on first use).
    pub fn job(&self, key: &str, recipient: &str, size: u64) -> Handle {
        self.jobs
            .lock()
            .expect("progress board")
            .entry(key.to_string())
            .or_insert_with(|| {
                Arc::new(Mutex::new(JobProgress {
                    recipient: recipient.to_string(),
                    size,
                    ..JobProgress::default()
                }))
            })
            .clone()
    }

    /// The views of every job whose key starts with `prefix`.
    pub fn under(&self, prefix: &str) -> Vec<(String, JobProgress)> {
        let jobs = self.jobs.lock().expect("progress board");
        let mut out: Vec<(String, JobProgress)> = jobs
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, h)| (k.clone(), h.lock().expect("job progress").clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

pub fn update(h: &Handle, f: impl FnOnce(&mut JobProgress)) {
    f(&mut h.lock().expect("job progress"));
}
