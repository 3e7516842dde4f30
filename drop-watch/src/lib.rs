//! The XML drop folder at work: a person or a program sends a message by dropping a file into
//! a folder (docs/drop-folder.md). The format, the attachment rules and the composition are the
//! `drop-folder` crate's; this crate watches the folder and sends through the node's one
//! submission pipeline (`delivery::submit`).
//!
//! A file moves `drop/NAME.xml` → `processing/` (one atomic rename: the file is taken exactly
//! once) → `sent/` or `rejected/` (with `NAME.error.txt`). Files found in `processing/` at start
//! are resumed; copies already filed are skipped through the store's delivery journal, keyed by
//! the job id the take gave the file.

mod monitor_job;
mod outcome;
mod watch_task;
pub mod watcher;

use std::path::PathBuf;
use std::sync::Arc;

pub use watch_task::run;
pub use watcher::Watcher;

/// What the drop folder works with.
pub struct DropCtx {
    pub outbox: Arc<delivery::submit::Outbox>,
    pub settings: Settings,
    /// Relative attachment folders are under it.
    pub data_dir: PathBuf,
    /// The reasons written next to rejected files, in the node's language.
    pub texts: Arc<i18n::I18n>,
}

/// The drop folder's settings (the node's `[drop]` section; docs/drop-folder.md).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seconds between two looks at the folder when no notification comes.
    pub poll_interval: u64,
    /// Seconds a file must stay unchanged before it is taken.
    pub settle: u64,
    pub max_file_size: u64,
    pub max_attachment_size: u64,
    /// Where attachments may come from; empty: `attachments/` in the drop folder.
    pub attachment_folder: String,
    /// Messages one account may send through the folder in an hour.
    pub rate_per_hour: u32,
    /// Message types beyond the built-in ones.
    pub types: Vec<String>,
}
