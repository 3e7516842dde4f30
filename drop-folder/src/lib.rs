//! What a drop file is, apart from the folder that is watched for it (the node's
//! `drop::watcher`): [`format`] parses the XML a person or a program writes and checks all that
//! needs no store; [`confine`] keeps attachments inside their folder; [`compose`] streams the
//! message as MIME into any writer. Every refusal is a [`Reason`] the sender reads in their
//! language. See docs/drop-folder.md.

pub mod compose;
pub mod confine;
pub mod format;
mod reason;

pub use reason::Reason;
