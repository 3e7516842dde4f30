//! Frames are newline-delimited JSON: one object per line, UTF-8, at most
//! [`MAX_FRAME_BYTES`] with the newline. JSON escapes every newline inside strings, so a line
//! is always one whole frame, and a reader can find the end of a frame without parsing it.
//!
//! The decoder never holds more than one frame's worth of an unfinished line: a peer that
//! sends a longer one is cut off before it is stored. A decoded frame is also checked against
//! the counts and lengths of [`crate::limits`] ([`Validate`]).

use std::io::{self, Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::limits::MAX_FRAME_BYTES;
use crate::validate::{Invalid, Validate};

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A line longer than the limit: the connection cannot be trusted any further.
    #[error("frame longer than {limit} bytes")]
    TooLong { limit: usize },
    /// Not JSON, or not a frame this version knows; the line is skipped.
    #[error("malformed frame: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A frame beyond the limits; the line is skipped.
    #[error("invalid frame: {0}")]
    Invalid(#[from] Invalid),
    /// The connection ended inside a frame.
    #[error("connection closed inside a frame")]
    Truncated,
    #[error("connection: {0}")]
    Io(#[from] io::Error),
}

impl FrameError {
    /// Whether the stream is lost: after this error no further frame can be read from it.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            FrameError::TooLong { .. } | FrameError::Truncated | FrameError::Io(_)
        )
    }
}

/// `frame` as one line, newline included; checked against the limits first so that a peer
/// never receives what it would refuse.
pub fn encode<T: Serialize + Validate>(frame: &T) -> Result<Vec<u8>, FrameError> {
    frame.validate()?;
    let mut line = serde_json::to_vec(frame)?;
    line.push(b'\n');
    if line.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLong {
            limit: MAX_FRAME_BYTES,
        });
    }
    Ok(line)
}

/// One line (with or without its newline) as a checked frame.
pub fn decode<T: DeserializeOwned + Validate>(line: &[u8]) -> Result<T, FrameError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() >= MAX_FRAME_BYTES {
        return Err(FrameError::TooLong {
            limit: MAX_FRAME_BYTES,
        });
    }
    let frame: T = serde_json::from_slice(line)?;
    frame.validate()?;
    Ok(frame)
}

/// Writes `frame` as one line.
pub fn write_frame<W: Write, T: Serialize + Validate>(
    out: &mut W,
    frame: &T,
) -> Result<(), FrameError> {
    out.write_all(&encode(frame)?)?;
    Ok(())
}

/// Splits bytes as they arrive into frames. Push what the connection gives, then take frames
/// with [`FrameDecoder::next_frame`] until it has none.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Where the first frame not yet taken starts.
    start: usize,
    /// Bytes after the last newline: the unfinished frame.
    tail: usize,
    limit: usize,
    /// A line over the limit was seen; the stream is not read any further.
    spent: bool,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::with_limit(MAX_FRAME_BYTES)
    }

    /// A decoder for frames of at most `limit` bytes, newline included (tests use small
    /// ones; no limit above [`MAX_FRAME_BYTES`] is taken).
    pub fn with_limit(limit: usize) -> Self {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            tail: 0,
            limit: limit.clamp(2, MAX_FRAME_BYTES),
            spent: false,
        }
    }

    fn too_long(&mut self) -> FrameError {
        self.spent = true;
        self.buf = Vec::new();
        self.start = 0;
        self.tail = 0;
        FrameError::TooLong { limit: self.limit }
    }

    /// Takes `bytes` from the connection. Fails, keeping none of them, when the unfinished
    /// frame would grow beyond the limit.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), FrameError> {
        if self.spent {
            return Err(FrameError::TooLong { limit: self.limit });
        }
        let tail = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(nl) => bytes.len() - nl - 1,
            None => self.tail.saturating_add(bytes.len()),
        };
        // The unfinished frame still needs its newline.
        if tail >= self.limit {
            return Err(self.too_long());
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        self.tail = tail;
        Ok(())
    }

    /// The next whole frame, checked; `None` until more bytes come. Blank lines are skipped.
    /// A malformed or invalid frame is an error for that frame only; the next call goes on
    /// with the line after it.
    pub fn next_frame<T: DeserializeOwned + Validate>(&mut self) -> Result<Option<T>, FrameError> {
        if self.spent {
            return Err(FrameError::TooLong { limit: self.limit });
        }
        loop {
            let pending = &self.buf[self.start..];
            let Some(nl) = pending.iter().position(|&b| b == b'\n') else {
                return Ok(None);
            };
            if nl + 1 > self.limit {
                return Err(self.too_long());
            }
            let line = &pending[..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.start += nl + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let frame: T = serde_json::from_slice(line)?;
            frame.validate()?;
            return Ok(Some(frame));
        }
    }

    /// Bytes of an unfinished frame held: a stream that ends with some ended inside a frame.
    pub fn unfinished(&self) -> usize {
        self.tail
    }
}

/// Frames from a blocking reader (a TLS stream on a thread of its own, say).
pub struct FrameReader<R> {
    inner: R,
    decoder: FrameDecoder,
    chunk: Vec<u8>,
    ended: bool,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            decoder: FrameDecoder::new(),
            chunk: vec![0; 16 * 1024],
            ended: false,
        }
    }

    /// The next frame; `None` when the stream ended cleanly between frames.
    pub fn next_frame<T: DeserializeOwned + Validate>(&mut self) -> Result<Option<T>, FrameError> {
        loop {
            if let Some(frame) = self.decoder.next_frame()? {
                return Ok(Some(frame));
            }
            if self.ended {
                return if self.decoder.unfinished() > 0 {
                    Err(FrameError::Truncated)
                } else {
                    Ok(None)
                };
            }
            let n = match self.inner.read(&mut self.chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                self.ended = true;
            } else {
                self.decoder.push(&self.chunk[..n])?;
            }
        }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ServerFrame;

    #[test]
    fn a_frame_split_anywhere_comes_out_whole() {
        let line = encode(&ServerFrame::Heartbeat { now: 1_700_000_000 }).unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        for cut in 0..line.len() {
            let mut d = FrameDecoder::new();
            d.push(&line[..cut]).unwrap();
            assert!(d.next_frame::<ServerFrame>().unwrap().is_none());
            d.push(&line[cut..]).unwrap();
            let f: ServerFrame = d.next_frame().unwrap().unwrap();
            assert_eq!(f, ServerFrame::Heartbeat { now: 1_700_000_000 });
            assert!(d.next_frame::<ServerFrame>().unwrap().is_none());
            assert_eq!(d.unfinished(), 0);
        }
    }

    #[test]
    fn crlf_and_blank_lines_are_taken() {
        let mut d = FrameDecoder::new();
        d.push(b"\n\r\n{\"type\":\"snapshot-end\"}\r\n  \n")
            .unwrap();
        assert_eq!(
            d.next_frame::<ServerFrame>().unwrap(),
            Some(ServerFrame::SnapshotEnd)
        );
        assert_eq!(d.next_frame::<ServerFrame>().unwrap(), None);
    }

    #[test]
    fn decode_takes_one_line() {
        let f: ServerFrame = decode(b"{\"type\":\"heartbeat\",\"now\":5}\n").unwrap();
        assert_eq!(f, ServerFrame::Heartbeat { now: 5 });
        assert!(decode::<ServerFrame>(b"{\"type\":\"heartbeat\"}").is_err());
    }

    #[test]
    fn reader_reports_a_cut_inside_a_frame() {
        let mut bytes = encode(&ServerFrame::SnapshotEnd).unwrap();
        bytes.extend_from_slice(b"{\"type\":\"heart");
        let mut r = FrameReader::new(&bytes[..]);
        assert_eq!(
            r.next_frame::<ServerFrame>().unwrap(),
            Some(ServerFrame::SnapshotEnd)
        );
        assert!(matches!(
            r.next_frame::<ServerFrame>(),
            Err(FrameError::Truncated)
        ));
        let clean = encode(&ServerFrame::SnapshotEnd).unwrap();
        let mut r = FrameReader::new(&clean[..]);
        assert!(r.next_frame::<ServerFrame>().unwrap().is_some());
        assert!(r.next_frame::<ServerFrame>().unwrap().is_none());
    }
}
