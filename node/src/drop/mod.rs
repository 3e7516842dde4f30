//! The XML drop folder: a person or a program sends a message by dropping a file into a folder
//! (docs/drop-folder.md).
//!
//! A file moves `drop/NAME.xml` → `processing/` (one atomic rename: the file is taken exactly
//! once) → `sent/` or `rejected/` (with `NAME.error.txt`). Files found in `processing/` at start
//! are resumed; copies already filed are skipped through the store's delivery journal, keyed by
//! the job id the take gave the file.

mod monitor_job;
mod watch_task;
pub mod watcher;

use std::path::PathBuf;
use std::sync::Arc;

pub use watch_task::run;
pub use watcher::Watcher;

/// What the drop folder works with.
pub struct DropCtx {
    pub outbox: Arc<delivery::submit::Outbox>,
    pub settings: crate::config::DropSection,
    /// Relative attachment folders are under it.
    pub data_dir: PathBuf,
    /// The reasons written next to rejected files, in the node's language.
    pub texts: Arc<crate::i18n::I18n>,
}
