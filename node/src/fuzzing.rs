//! The byte-level pieces of the client endpoints, for the fuzz targets in `fuzz/`.
//!
//! Framing, dot-unstuffing, reply and response rendering live in private modules because
//! nothing else in the node needs them; the fuzz targets are a separate crate and reach them
//! only through these re-exports. Not an API: nothing here is stable.

/// SMTP submission: command-line limits, DATA and BDAT bodies, replies and the sans-I/O
/// session.
pub mod smtp {
    pub use crate::smtp::conn::{MAX_AUTH_LINE, MAX_LINE};
    pub use crate::smtp::data::{
        BodySink, Chunk, DotDecoder, FLUSH_AT, SinkError, Trace, received_header,
    };
    pub use crate::smtp::reply::{Reply, Status};
    pub use crate::smtp::session::{
        AuthOutcome, Limits, Lookup, MAX_AUTH_FAILURES, MAX_ERRORS, Outcome, Plan, Session, Step,
        User,
    };
}

/// IMAP: command framing and the rewrites done before imap-codec parses a command, and the
/// response syntax the server writes (strings, flags, folder names, ENVELOPE, BODYSTRUCTURE).
pub mod imap {
    pub use ::imap::append_ext::split as split_append;
    pub use ::imap::compress::{Deflate, INFLATE_PIECE};
    pub use ::imap::framing::{
        Budget, Frame, Framer, INLINE_LITERAL, Input, MAX_LINE, Refusal, literal_at_end,
    };
    pub use ::imap::list_ext::{ListOptions, Rewrite, rewrite as rewrite_list};
    pub use ::imap::render::{body_structure, envelope, find_part};
    pub use ::imap::search_ext::{Saved, SearchReturn, strip_return, substitute, verb};
    pub use ::imap::syntax::{
        decode_mutf7, encode_mutf7, flag_list, header_text, internal_date, list_match, nstring,
        string, string_utf8,
    };
}
