//! The node's IMAP server core: IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) with the
//! extensions clients rely on, as a sans-IO [`Session`] in the manner of quinn-proto.
//!
//! A driver owns the socket. It frames what the client sends into commands (lines and
//! literals, see [`framing`]), hands each to [`Session::handle`], sends what the session queued
//! in [`Session::output`] and does what the returned [`Step`] asks: read the next command,
//! send a message body from the store, check credentials, upgrade to TLS, turn on compression,
//! idle, or close. The session never touches a socket, a clock or an async runtime, so tests
//! drive any number of sessions in memory against one store.
//!
//! The session does read and write the mailbox store itself: the store is the node's local
//! database (as Dovecot's index is Dovecot's), and routing every lookup through the driver
//! would only move the same calls elsewhere. The [`driver`] (one connection on a tokio
//! runtime, over a server's [`driver::Backend`]) therefore runs the session's calls through
//! the store's async boundary, `mailbox::blocking::in_place`.

pub mod compress;
pub mod driver;
pub mod framing;
pub mod list_ext;
pub mod render;
pub mod search_ext;
pub mod syntax;

pub mod append_ext;
mod args;
mod binary;
mod fetch;
mod flag_table;
mod header;
mod imap_url;
mod list;
mod notify_set;
mod search;
mod search_context;
mod session;
mod sort;
mod thread;
mod thread_references;
mod view;
mod view_cache;

#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod session_tests;

use std::sync::Arc;

pub use imap_codec::imap_types::extensions::sort::{SortCriterion, SortKey};
pub use imap_codec::imap_types::search::SearchKey;
pub use search::sort_folder;
pub use session::fetch_job::Body;
pub use session::{Session, Step};
pub use view_cache::ViewCache;

/// The limits and switches the node's configuration sets for IMAP.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of one command, lines and in-memory literals together, after login.
    pub max_command_size: usize,
    /// The same before login, where nothing is known of the client.
    pub max_command_size_before_login: usize,
    /// Largest message APPEND takes.
    pub max_append_size: u64,
    /// Messages one APPEND may carry (MULTIAPPEND).
    pub max_append_messages: usize,
    /// LOGIN and AUTHENTICATE without TLS.
    pub allow_plaintext_auth: bool,
    /// Live SEARCH/SORT results (RETURN (UPDATE), RFC 5267) one session may keep; past it a
    /// search is answered without updates.
    pub max_search_contexts: usize,
    /// Messages the live results of one session hold together; a result that would pass it
    /// gets no (more) updates.
    pub max_context_messages: usize,
    /// Quota for accounts without their own, in MiB; 0 for none.
    pub default_quota_mib: u64,
}

/// What every session of a node shares.
pub struct Env {
    pub store: mailbox::Store,
    /// Views of large folders that sessions start from.
    pub views: ViewCache,
    /// Texts of responses, in the node's language.
    pub texts: Arc<i18n::I18n>,
    /// The product's name from the branding file, for the greeting and ID.
    pub product: String,
    pub limits: Limits,
}
