//! SMTP submission (RFC 6409) without I/O: [`session::Session`] takes complete command lines
//! and answers with [`session::Step`]s; whatever needs the network, the store or a password
//! check is a step its driver (the node's connection) carries out and reports back, so every
//! sequencing and policy rule is tested without sockets. [`data`] turns DATA and BDAT bytes
//! into bounded pieces of the body, [`reply`] renders replies that never carry a client's bytes.

pub mod data;
pub mod reply;
pub mod session;

pub use reply::{Reply, Status};
pub use session::{
    AuthOutcome, Limits, Lookup, MAX_AUTH_FAILURES, MAX_ERRORS, Outcome, Plan, Session, Step, User,
};

/// Longest command line, CRLF included (RFC 5321 §4.5.3.1.4 asks for at least 512; extensions'
/// parameters make it longer).
pub const MAX_LINE: usize = 4096;
/// Longest line of an AUTH exchange: an initial response carries base64 credentials
/// (RFC 4954 §4 asks for at least 12288).
pub const MAX_AUTH_LINE: usize = 12288;

/// The session's texts for unit tests: the node ships them with the rest of its own.
#[cfg(test)]
pub(crate) const TEXTS: i18n::Table = &[("en-US", &[include_str!("../../locales/en-US/smtp.ftl")])];
