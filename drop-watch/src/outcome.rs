//! How taking one drop file ended: what the watcher does next with the file, and what its
//! job tells monitors.

use std::io;

use chrono::{DateTime, Utc};
use drop_folder::Reason;

/// The message was filed and queued, or waits for its send-at time.
pub(crate) enum Outcome {
    Sent,
    Scheduled(DateTime<Utc>),
}

/// Why a file was not sent.
pub(crate) enum Fail {
    /// The file itself is at fault: it goes to `rejected/` with the reason.
    Reject(Reason),
    /// The node could not do its part (store, disk): the file stays and is tried again.
    Retry(String),
}

impl From<Reason> for Fail {
    fn from(r: Reason) -> Self {
        Fail::Reject(r)
    }
}

impl From<mailbox::Error> for Fail {
    fn from(e: mailbox::Error) -> Self {
        Fail::Retry(e.to_string())
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Retry(e.to_string())
    }
}
