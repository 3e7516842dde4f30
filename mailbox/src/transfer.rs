//! Content-Transfer-Encoding decoding as a streaming reader (IMAP BINARY, RFC 3516).

use std::io::{self, Read};

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Base64,
    QuotedPrintable,
}

impl Encoding {
    /// `None` for an encoding this reader cannot undo.
    pub fn from_header(cte: Option<&str>) -> Option<Encoding> {
        match cte.map(|c| c.trim().to_ascii_lowercase()).as_deref() {
            None | Some("7bit" | "8bit" | "binary" | "") => Some(Encoding::Identity),
            Some("base64") => Some(Encoding::Base64),
            Some("quoted-printable") => Some(Encoding::QuotedPrintable),
            _ => None,
        }
    }
}

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes `inner` as it is read; memory stays at one input chunk.
pub struct Decode<R> {
    inner: R,
    enc: Encoding,
    /// Base64 symbols or a partial QP line not yet decoded.
    pending: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Decode<R> {
    pub fn new(inner: R, enc: Encoding) -> Self {
        Decode {
            inner,
            enc,
            pending: Vec::new(),
            out: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// Length of the decoded stream, reading it through.
    pub fn decoded_len(mut self) -> io::Result<u64> {
        io::copy(&mut self, &mut io::sink())
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let mut buf = [0u8; 64 * 1024];
        while self.out.is_empty() && !self.eof {
            let n = self.inner.read(&mut buf)?;
            if n == 0 {
                self.eof = true;
            }
            let data = &buf[..n];
            match self.enc {
                Encoding::Identity => self.out.extend_from_slice(data),
                Encoding::Base64 => {
                    self.pending.extend(
                        data.iter()
                            .copied()
                            .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/'),
                    );
                    let take = if self.eof {
                        self.pending.len()
                    } else {
                        self.pending.len() / 4 * 4
                    };
                    if take > 0 {
                        let chunk: Vec<u8> = self.pending.drain(..take).collect();
                        // A stray trailing symbol cannot form a byte; drop it.
                        let usable = if chunk.len() % 4 == 1 {
                            chunk.len() - 1
                        } else {
                            chunk.len()
                        };
                        LENIENT
                            .decode_vec(&chunk[..usable], &mut self.out)
                            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    }
                }
                Encoding::QuotedPrintable => {
                    self.pending.extend_from_slice(data);
                    let cut = if self.eof {
                        self.pending.len()
                    } else {
                        self.pending
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1)
                    };
                    let lines: Vec<u8> = self.pending.drain(..cut).collect();
                    for line in lines.split_inclusive(|&b| b == b'\n') {
                        qp_line(line, &mut self.out);
                    }
                }
            }
        }
        Ok(())
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn qp_line(line: &[u8], out: &mut Vec<u8>) {
    let (body, eol): (&[u8], &[u8]) = if let Some(b) = line.strip_suffix(b"\r\n") {
        (b, b"\r\n")
    } else if let Some(b) = line.strip_suffix(b"\n") {
        (b, b"\n")
    } else {
        (line, b"")
    };
    // Trailing whitespace is transport padding (RFC 2045 6.7 rule 3).
    let mut body = body;
    while let [rest @ .., b' ' | b'\t'] = body {
        body = rest;
    }
    let (body, soft) = match body.strip_suffix(b"=") {
        Some(b) => (b, true),
        None => (body, false),
    };
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'='
            && i + 2 < body.len()
            && let (Some(h), Some(l)) = (hex(body[i + 1]), hex(body[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(body[i]);
        i += 1;
    }
    if !soft {
        out.extend_from_slice(eol);
    }
}

impl<R: Read> Read for Decode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.out.len() {
            self.refill()?;
            if self.out.is_empty() {
                return Ok(0);
            }
        }
        let n = (self.out.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(enc: Encoding, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Decode::new(input, enc).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn base64_across_lines_and_chunks() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 256) as u8).collect();
        let enc = base64::engine::general_purpose::STANDARD.encode(&data);
        let wrapped: Vec<u8> = enc
            .as_bytes()
            .chunks(76)
            .flat_map(|c| c.iter().copied().chain(*b"\r\n"))
            .collect();
        assert_eq!(decode(Encoding::Base64, &wrapped), data);
        assert_eq!(
            Decode::new(&wrapped[..], Encoding::Base64)
                .decoded_len()
                .unwrap(),
            data.len() as u64
        );
    }

    #[test]
    fn quoted_printable() {
        let qp = b"caf=C3=A9 =\r\nsoft  \r\nx=3D1\r\n=ZZ";
        assert_eq!(
            decode(Encoding::QuotedPrintable, qp),
            "café soft\r\nx=1\r\n=ZZ".as_bytes()
        );
    }

    #[test]
    fn encodings_by_name() {
        assert_eq!(
            Encoding::from_header(Some("BASE64")),
            Some(Encoding::Base64)
        );
        assert_eq!(Encoding::from_header(None), Some(Encoding::Identity));
        assert_eq!(Encoding::from_header(Some("x-uuencode")), None);
    }
}
