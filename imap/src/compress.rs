//! COMPRESS=DEFLATE (RFC 4978): raw DEFLATE (no zlib header) in both directions once the
//! command succeeds. No I/O here: the connection feeds what it read and sends what comes out.
//!
//! Inflating is bounded per call, so a few bytes of a hostile stream that would expand to
//! gigabytes are only ever turned into one small piece at a time, and the framing's own line
//! and command limits apply to what comes out.

use std::io;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Most bytes one inflate call produces.
pub const INFLATE_PIECE: usize = 16 * 1024;

pub struct Deflate {
    inflate: Decompress,
    deflate: Compress,
    /// Compressed input not yet inflated.
    pending: Vec<u8>,
    /// The last inflate filled its whole piece: the inflater may hold more output even with
    /// no input left.
    more: bool,
}

impl Default for Deflate {
    fn default() -> Self {
        Self::new()
    }
}

impl Deflate {
    pub fn new() -> Self {
        Deflate {
            inflate: Decompress::new(false),
            deflate: Compress::new(Compression::fast(), false),
            pending: Vec::new(),
            more: false,
        }
    }

    /// Takes compressed bytes read from the client.
    pub fn feed(&mut self, compressed: &[u8]) {
        self.pending.extend_from_slice(compressed);
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || self.more
    }

    /// Inflates what was fed, appending at most [`INFLATE_PIECE`] bytes to `out`; returns how
    /// many. 0 means more input is needed.
    pub fn inflate(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut produced = 0;
        while self.has_pending() && produced < INFLATE_PIECE {
            let mut piece = vec![0u8; INFLATE_PIECE - produced];
            let before_in = self.inflate.total_in();
            let before_out = self.inflate.total_out();
            let status = self
                .inflate
                .decompress(&self.pending, &mut piece, FlushDecompress::None)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let used = (self.inflate.total_in() - before_in) as usize;
            let made = (self.inflate.total_out() - before_out) as usize;
            out.extend_from_slice(&piece[..made]);
            self.pending.drain(..used);
            self.more = made == piece.len();
            produced += made;
            if status == Status::StreamEnd {
                // The client ended its stream: nothing may follow.
                self.pending.clear();
                self.more = false;
                break;
            }
            if used == 0 && made == 0 {
                break;
            }
        }
        Ok(produced)
    }

    /// Compresses `data` and flushes, so the client can read everything sent so far.
    pub fn deflate(&mut self, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut input = data;
        loop {
            out.reserve(input.len() / 2 + 1024);
            let before_in = self.deflate.total_in();
            self.deflate
                .compress_vec(input, &mut out, FlushCompress::Sync)
                .map_err(io::Error::other)?;
            input = &input[(self.deflate.total_in() - before_in) as usize..];
            // A sync flush is complete when input is used up and output space was left over.
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_pieces() {
        let mut server = Deflate::new();
        let mut client = Deflate::new();
        let text = b"a1 NOOP\r\n".repeat(5000);
        let wire = client.deflate(&text).unwrap();
        let mut got = Vec::new();
        for chunk in wire.chunks(7) {
            server.feed(chunk);
            while server.inflate(&mut got).unwrap() > 0 {}
        }
        assert_eq!(got, text);
    }

    #[test]
    fn a_bomb_comes_out_a_piece_at_a_time() {
        let mut client = Deflate::new();
        let bomb = client.deflate(&vec![b'x'; 50 << 20]).unwrap();
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let mut server = Deflate::new();
        server.feed(&bomb);
        let mut out = Vec::new();
        assert_eq!(server.inflate(&mut out).unwrap(), INFLATE_PIECE);
        assert_eq!(out.len(), INFLATE_PIECE);
    }

    #[test]
    fn output_held_back_by_the_piece_limit_still_comes_out() {
        let mut client = Deflate::new();
        let text = vec![b'y'; 1 << 20];
        let wire = client.deflate(&text).unwrap();
        let mut server = Deflate::new();
        server.feed(&wire);
        let mut got = Vec::new();
        while server.inflate(&mut got).unwrap() > 0 {}
        assert_eq!(got.len(), text.len());
        assert!(!server.has_pending());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut server = Deflate::new();
        server.feed(&[0xff; 64]);
        let mut out = Vec::new();
        assert!(server.inflate(&mut out).is_err());
    }
}
