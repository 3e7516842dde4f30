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

pub use watch_task::run;
pub use watcher::Watcher;
