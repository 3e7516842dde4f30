//! A bound on the header block of each part of an upload. The multipart reader holds a part's
//! header lines until their blank line, with no bound of its own but the whole body's; this
//! reader in front of it follows the parts by their boundary and ends the body with an error
//! once a header block grows past the limit. It looks at the bytes as they pass and keeps only
//! a few of them (the end of the last chunk, for a boundary or blank line cut in two).

use std::io;

use memchr::memmem;

/// Why the body ended early (the upload is then refused with a localised page).
#[derive(Debug, thiserror::Error)]
#[error("part header block too long")]
pub struct HeadTooLong;

/// Where the reader is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// In a part's data (or the preamble): looking for the next delimiter.
    Data,
    /// In a part's header block: `n` bytes of it so far.
    Head(usize),
}

/// Follows a multipart body chunk by chunk.
#[derive(Debug)]
pub struct PartHeads {
    /// `\r\n--BOUNDARY`.
    delimiter: Vec<u8>,
    max_head: usize,
    at: At,
    /// The last bytes seen, fewer than a delimiter: a match may start in them.
    tail: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type, if it names one.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 70)
            .then(|| v.to_string())
    })
}

impl PartHeads {
    pub fn new(boundary: &str, max_head: usize) -> PartHeads {
        PartHeads {
            delimiter: [b"\r\n--", boundary.as_bytes()].concat(),
            max_head,
            at: At::Data,
            // The body's first delimiter has no line break before it: as if it had.
            tail: b"\r\n".to_vec(),
        }
    }

    /// Looks at the next chunk; an error once a header block is longer than allowed.
    pub fn feed(&mut self, chunk: &[u8]) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.tail);
        buf.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            match self.at {
                At::Data => match memmem::find(&buf[pos..], &self.delimiter) {
                    Some(i) => {
                        pos += i + self.delimiter.len();
                        self.at = At::Head(0);
                    }
                    None => {
                        let keep = self.delimiter.len() - 1;
                        self.tail = buf[buf.len().saturating_sub(keep).max(pos)..].to_vec();
                        return Ok(());
                    }
                },
                At::Head(n) => match memmem::find(&buf[pos..], b"\r\n\r\n") {
                    Some(i) => {
                        self.check(n + i)?;
                        pos += i + 4;
                        self.at = At::Data;
                    }
                    None => {
                        // Up to three bytes may be the start of the blank line: kept, and
                        // counted when they are looked at again.
                        let keep = (buf.len() - pos).min(3);
                        let counted = buf.len() - pos - keep;
                        self.at = At::Head(n + counted);
                        self.check(n + counted)?;
                        self.tail = buf[buf.len() - keep..].to_vec();
                        return Ok(());
                    }
                },
            }
        }
    }

    fn check(&self, n: usize) -> io::Result<()> {
        if n > self.max_head {
            return Err(io::Error::new(io::ErrorKind::InvalidData, HeadTooLong));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(head_len: usize) -> Vec<u8> {
        let mut b =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n".to_vec();
        b.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a",
        );
        b.extend(std::iter::repeat_n(b'n', head_len));
        b.extend_from_slice(b"\"\r\n\r\n");
        // File data that looks like neither a delimiter nor a blank line ends a header.
        b.extend(std::iter::repeat_n(b'\r', 5000));
        b.extend_from_slice(b"--XyZ-not-it\r\n\r\n\r\n--XyZ--\r\n");
        b
    }

    /// Fed whole, and cut at every place into two chunks and into one-byte chunks.
    fn outcome(b: &[u8], max: usize) -> Vec<bool> {
        let mut out = Vec::new();
        let mut whole = PartHeads::new("XyZ", max);
        out.push(whole.feed(b).is_ok());
        for cut in (0..b.len()).step_by(7) {
            let mut p = PartHeads::new("XyZ", max);
            out.push(p.feed(&b[..cut]).is_ok() && p.feed(&b[cut..]).is_ok());
        }
        let mut bytes = PartHeads::new("XyZ", max);
        out.push(b.chunks(1).all(|c| bytes.feed(c).is_ok()));
        out
    }

    #[test]
    fn long_part_heads_are_refused_wherever_the_chunks_end() {
        assert!(outcome(&body(100), 1000).iter().all(|ok| *ok));
        assert!(outcome(&body(5000), 1000).iter().all(|ok| !*ok));
        // A header block without its blank line at all is refused as it grows.
        let mut endless = b"--XyZ\r\nContent-Disposition: form-data; name=\"x\"".to_vec();
        endless.extend(std::iter::repeat_n(b'h', 100_000));
        assert!(outcome(&endless, 1000).iter().all(|ok| !*ok));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("text/plain; boundary=XyZ"), None);
    }
}
