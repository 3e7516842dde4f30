//! SMTP submission (RFC 6409): [`session::Session`] takes complete command lines and answers
//! with [`session::Step`]s, without I/O, so every sequencing and policy rule is tested without
//! sockets; [`driver::Conn`] runs a session over a byte stream and carries out its steps with
//! a [`Backend`] (the node's store, password check and submission pipeline). [`data`] turns
//! DATA and BDAT bytes into bounded pieces of the body, [`reply`] renders replies that never
//! carry a client's bytes.

pub mod backend;
pub mod data;
pub mod driver;
pub mod reply;
pub mod session;

pub use backend::Backend;
pub use driver::{Conn, Exit};
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
