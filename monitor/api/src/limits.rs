//! Hard bounds on everything a frame may carry. The frame size bounds what decoding allocates;
//! the counts and lengths below are checked on every decoded frame ([`crate::Validate`]), so a
//! consumer may size tables and loops by them without trusting the peer.

/// Most bytes of one frame, its newline included. The largest valid job (a chunk map of
/// [`MAX_RUNS`] runs, every text at its limit) encodes well below this.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;

/// Most jobs a snapshot announces. A node with more sends the newest.
pub const MAX_JOBS: u32 = 10_000;

/// Most chunks of one message: the manifest's own limit.
pub const MAX_CHUNKS: u32 = 65_536;

/// Most runs of a chunk map; a map with more is coarsened (see [`crate::ChunkMap`]).
pub const MAX_RUNS: usize = 2_048;

/// Most backup servers one job names (`server:0` … `server:15`).
pub const MAX_SERVERS: usize = 16;

/// Most stage entries of one job: every kind once, upload and collection once per server.
pub const MAX_STAGES: usize = 48;

/// Most arguments of a localised error (each named like a Fluent variable, at most 32
/// bytes).
pub const MAX_TEXT_ARGS: usize = 16;

/// Longest job id, account or peer address, server name, version string or Fluent id, in
/// bytes.
pub const MAX_NAME_BYTES: usize = 320;

/// Longest subject, file name or error argument, in bytes.
pub const MAX_TEXT_BYTES: usize = 1_000;

/// Longest password or operator token, in bytes.
pub const MAX_SECRET_BYTES: usize = 1_024;

/// A node that has sent nothing for this long sends a heartbeat.
pub const HEARTBEAT_SECS: u64 = 15;

/// A monitor that has heard nothing for this long takes the connection for lost.
pub const SILENCE_LIMIT_SECS: u64 = 3 * HEARTBEAT_SECS;

/// The longest prefix of `s` within `limit` bytes that ends on a character boundary: how a
/// sender keeps a text within its bound.
pub fn clip(s: &str, limit: usize) -> &str {
    if s.len() <= limit {
        return s;
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_whole_characters() {
        assert_eq!(clip("Grüße", 3), "Gr");
        assert_eq!(clip("Grüße", 4), "Grü");
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip("ü", 0), "");
    }
}

/// Why a well-formed frame is still not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("too many {what} (at most {limit})")]
    TooMany { what: &'static str, limit: usize },
    #[error("{what} longer than {limit} bytes")]
    TooLong { what: &'static str, limit: usize },
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("chunk map does not add up")]
    ChunkMap,
    #[error("server index out of range")]
    ServerIndex,
    #[error("version range upside down")]
    VersionRange,
    #[error("not a message type name")]
    MessageType,
    #[error("not a text argument name")]
    ArgName,
}

/// A value that checks its own bounds.
pub trait Validate {
    fn validate(&self) -> Result<(), Invalid>;
}
