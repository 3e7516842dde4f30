//! WIMS mail storage and model. Knows nothing of networks or protocols: the node's IMAP and SMTP
//! endpoints, and later the overlay, all file and read mail through this API.

mod account;
mod append;
mod blob;
mod block_writes;
mod change_index;
mod counters;
mod drop_folder;
mod error;
mod folder;
mod keywords;
mod ledger;
mod message;
pub mod mime;
mod model;
mod open;
mod quota;
mod records;
mod state_block;
mod state_record;
mod store;
mod subscription;
pub mod transfer;
mod upgrade;
mod urlauth;
mod wrap;

/// How async code runs storage work (see `records::blocking`).
pub use ::records::blocking;
pub use account::normalize_address;
pub use append::Filing;
pub use blob::{BlobReader, BodyPin, SEGMENT, StorageKey};
pub use change_index::{Change, Listed};
pub use counters::FolderCounters;
pub use drop_folder::{DropAuth, DropSettings};
pub use error::{Error, Result};
pub use folder::{DELIMITER, normalize_folder_name};
pub use keywords::DEFAULT_MAX_KEYWORDS;
pub use mime::{BodyPart, EmailAddress, Envelope, MimeLimits};
pub use model::*;
pub use records::Records;
pub use state_record::{FlagIter, StateRef};
pub use store::{FORMAT, MessageWriter, StagedMessage, Store};
pub use wrap::is_wrapped;
