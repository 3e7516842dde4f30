//! The header a receiving node adds to every message from another node, naming the sender whose
//! signature it verified — the one line of the header a reader can trust, like
//! Authentication-Results. A sender cannot forge it: any copy in the sealed message is
//! removed on the way into the store, whatever its case, folding or position in the header.

use std::io::{self, Write};

/// The field name; `Wims-Verified-Sender: alice@alpha.h`.
pub const TRUST_HEADER: &str = "Wims-Verified-Sender";

/// Passes a message through, leaving out every field named `name` from its header block
/// (continuation lines included). The body is passed as it is. Streaming: it holds at most the
/// first bytes of a header line.
pub struct StripHeader<W> {
    out: W,
    name: &'static [u8],
    state: State,
    /// The start of the current header line, until it shows whether it is the field.
    prefix: Vec<u8>,
    /// The last field that began was the one left out (its continuations go too).
    dropping: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a header line.
    LineStart,
    /// After a CR at the start of a line: the blank line that ends the header, probably.
    BlankCr,
    /// Reading the start of a line into `prefix`.
    Prefix,
    /// Inside a line that is kept.
    Keep,
    /// Inside a line that is left out.
    Drop,
    /// Past the header.
    Body,
}

impl<W: Write> StripHeader<W> {
    pub fn new(out: W, name: &'static str) -> Self {
        StripHeader {
            out,
            name: name.as_bytes(),
            state: State::LineStart,
            prefix: Vec::new(),
            dropping: false,
        }
    }

    #[cfg(test)]
    fn into_inner(self) -> W {
        self.out
    }

    /// Whether `prefix` (a line's start, up to its first `:`) is the field left out: its name,
    /// blanks, a colon.
    fn is_field(&self) -> bool {
        let n = self.name.len();
        self.prefix.len() > n
            && self.prefix.ends_with(b":")
            && self.prefix[..n].eq_ignore_ascii_case(self.name)
            && self.prefix[n..self.prefix.len() - 1]
                .iter()
                .all(|&b| b == b' ' || b == b'\t')
    }
}

impl<W: Write> Write for StripHeader<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.state == State::Body {
            return self.out.write(buf);
        }
        let mut kept = Vec::with_capacity(buf.len());
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            i += 1;
            match self.state {
                State::LineStart => match b {
                    b' ' | b'\t' => {
                        self.state = if self.dropping {
                            State::Drop
                        } else {
                            kept.push(b);
                            State::Keep
                        };
                    }
                    b'\n' => {
                        kept.push(b);
                        self.state = State::Body;
                    }
                    b'\r' => {
                        kept.push(b);
                        self.state = State::BlankCr;
                    }
                    _ => {
                        self.dropping = false;
                        self.prefix.clear();
                        self.prefix.push(b);
                        self.state = State::Prefix;
                    }
                },
                State::BlankCr => {
                    kept.push(b);
                    self.state = if b == b'\n' { State::Body } else { State::Keep };
                }
                State::Prefix => {
                    self.prefix.push(b);
                    // The field's name ends at its colon; a line that runs on without one
                    // this far is not the field.
                    if b == b'\n' || b == b':' || self.prefix.len() > self.name.len() + 8 {
                        if self.is_field() {
                            self.dropping = true;
                            self.state = if b == b'\n' {
                                State::LineStart
                            } else {
                                State::Drop
                            };
                        } else {
                            kept.extend_from_slice(&self.prefix);
                            self.state = if b == b'\n' {
                                State::LineStart
                            } else {
                                State::Keep
                            };
                        }
                        self.prefix.clear();
                    }
                }
                State::Keep => {
                    kept.push(b);
                    if b == b'\n' {
                        self.state = State::LineStart;
                    }
                }
                State::Drop => {
                    if b == b'\n' {
                        self.state = State::LineStart;
                    }
                }
                State::Body => {
                    kept.extend_from_slice(&buf[i - 1..]);
                    break;
                }
            }
        }
        self.out.write_all(&kept)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A header line still undecided at the end is kept: it is not the field.
        if self.state == State::Prefix && !self.is_field() {
            self.out.write_all(&self.prefix)?;
            self.prefix.clear();
            self.state = State::Keep;
        }
        self.out.flush()
    }
}

/// Whether every address of the header's `From:` is `sender`. A message without a `From:` is
/// accepted: the trust header names the sender anyway.
pub fn from_is(envelope: &mailbox::Envelope, sender: &str) -> bool {
    envelope.from.iter().all(|a| match (&a.mailbox, &a.host) {
        (Some(m), Some(h)) => format!("{m}@{h}").eq_ignore_ascii_case(sender),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(input: &[u8], step: usize) -> Vec<u8> {
        let mut s = StripHeader::new(Vec::new(), TRUST_HEADER);
        for c in input.chunks(step) {
            s.write_all(c).unwrap();
        }
        s.flush().unwrap();
        s.into_inner()
    }

    #[test]
    fn forged_trust_headers_go_and_everything_else_stays() {
        let input =
            b"Received: x\r\nWIMS-verified-sender: ceo@kapur.h\r\n\tfolded on\r\nFrom: a@b.h\r\n\
            Wims-Verified-Sender : ceo@kapur.h\r\nWims-Verified-Senders: kept\r\nX: y\r\n\r\n\
            Wims-Verified-Sender: in the body stays\r\n";
        let want = b"Received: x\r\nFrom: a@b.h\r\nWims-Verified-Senders: kept\r\nX: y\r\n\r\n\
            Wims-Verified-Sender: in the body stays\r\n";
        for step in [1, 2, 3, 7, 1000] {
            assert_eq!(
                String::from_utf8_lossy(&strip(input, step)),
                String::from_utf8_lossy(want),
                "step {step}"
            );
        }
        // Bare LF line ends, and a header with no body.
        assert_eq!(
            strip(b"Wims-Verified-Sender: x\nSubject: s\n\nbody\n", 1),
            b"Subject: s\n\nbody\n"
        );
        assert_eq!(strip(b"Subject: s", 4), b"Subject: s");
    }

    #[test]
    fn from_must_be_the_signed_sender() {
        let mut s = mailbox::mime::Scanner::new();
        s.feed(b"From: Alice <ALICE@alpha.h>\r\n\r\nx\r\n");
        assert!(from_is(&s.finish().0, "alice@alpha.h"));
        let mut s = mailbox::mime::Scanner::new();
        s.feed(b"From: ceo@alpha.h\r\n\r\nx\r\n");
        assert!(!from_is(&s.finish().0, "alice@alpha.h"));
        let mut s = mailbox::mime::Scanner::new();
        s.feed(b"Subject: none\r\n\r\nx\r\n");
        assert!(from_is(&s.finish().0, "alice@alpha.h"));
    }
}
