//! Framing of client input into commands: lines and literals, sans-IO. The driver feeds what
//! it read and asks for the next [`Frame`]; APPEND's message bodies come out in pieces for the
//! driver to stage in the store, so a 4 GB message never sits in memory. Everything else a
//! command carries is held whole, and so is capped by its [`Budget`] before it is read.

/// Longest command line we accept (RFC 7162 asks for at least 8 KiB).
pub const MAX_LINE: usize = 64 * 1024;
/// Literals up to this size may stay in a command; larger ones only as APPEND bodies.
pub const INLINE_LITERAL: u64 = 64 * 1024;

/// What one command may cost before it is parsed. A command is held in memory whole, so its
/// lines and literals together are capped; before login the cap is small and nothing goes to
/// disk, since a stranger has proved nothing yet.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Bytes of one command, lines and in-memory literals together.
    pub max_command: usize,
    /// Largest APPEND body streamed to disk; 0 allows none (before login).
    pub max_append: u64,
    /// Message bodies one APPEND may carry (MULTIAPPEND).
    pub max_append_messages: usize,
}

/// A complete command or its refusal, as the session takes it.
pub enum Input {
    Command {
        bytes: Vec<u8>,
        /// APPEND's message bodies, in order, already on disk; each stands as an empty
        /// literal in `bytes`.
        staged: Vec<mailbox::StagedMessage>,
    },
    /// The command was refused before it was complete; the reply names the tag.
    Refused { tag: String, reason: Refusal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    LineTooLong,
    TooBig,
    /// The driver could not stage an APPEND body.
    Store,
    /// The command would outgrow its budget. The client was not told to send the literal
    /// (or announced it without waiting, and the connection must close: its bytes are not
    /// read).
    CommandTooLong {
        close: bool,
    },
    /// An APPEND with more messages than allowed; closes as `CommandTooLong` does.
    TooManyMessages {
        close: bool,
    },
}

/// What the framer has for the driver.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Feed more input (or the client is gone).
    NeedInput,
    /// Send a continuation request: the client waits before it sends its literal.
    Continue,
    /// An APPEND body of `len` bytes begins; its bytes follow as `Body`, then `BodyEnd`.
    BodyStart {
        len: u64,
    },
    Body(&'a [u8]),
    BodyEnd,
    /// A complete command; every APPEND body in it stands as `{0}`.
    Command(Vec<u8>),
    Refused {
        tag: String,
        reason: Refusal,
    },
}

enum State {
    Line,
    /// A literal kept in the command.
    Inline {
        left: u64,
    },
    /// An APPEND body handed out in pieces.
    Body {
        left: u64,
        started: bool,
    },
    /// A literal that is not wanted but will come anyway, then the rest of its line.
    Discard {
        left: u64,
        reason: Refusal,
    },
    DiscardLine {
        reason: Refusal,
    },
}

pub struct Framer {
    /// Input not yet framed.
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a line end.
    scanned: usize,
    /// Bytes of `buf` the last `Body` frame lent out, dropped on the next call.
    lent: usize,
    /// The current line is over its limit: it is being skipped up to its end.
    too_long: bool,
    /// The start of the last line refused as too long, so its refusal can name the tag.
    overflow_head: Vec<u8>,
    /// The command so far.
    cmd: Vec<u8>,
    /// APPEND bodies handed out for the current command.
    bodies: usize,
    state: State,
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            buf: Vec::with_capacity(8192),
            scanned: 0,
            lent: 0,
            too_long: false,
            overflow_head: Vec::new(),
            cmd: Vec::new(),
            bodies: 0,
            state: State::Line,
        }
    }
}

pub fn literal_at_end(line: &[u8]) -> Option<(u64, bool)> {
    let l = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    let inner = &l[open + 1..];
    let (digits, plus) = match inner.strip_suffix(b"+") {
        Some(d) => (d, true),
        None => (inner, false),
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((n, plus))
}

/// Whether the literal ending `bytes` is APPEND's folder name: nothing but the tag and the
/// verb comes before it.
fn names_folder(bytes: &[u8]) -> bool {
    let before = bytes
        .iter()
        .rposition(|&b| b == b'{')
        .map_or(bytes, |i| &bytes[..i]);
    before
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .count()
        <= 2
}

/// Whether the literal ending `bytes` is a CATENATE URL (RFC 4469 `"URL" SP astring`): a
/// name the session reads, held like any other string, not a body for the disk.
fn names_url(bytes: &[u8]) -> bool {
    let Some(open) = bytes.iter().rposition(|&b| b == b'{') else {
        return false;
    };
    let before = bytes[..open].trim_ascii_end();
    before.len() >= 4
        && before[before.len() - 3..].eq_ignore_ascii_case(b"URL")
        && matches!(before[before.len() - 4], b' ' | b'(')
}

/// A command's tag, if it is one that may be echoed (RFC 3501 9, `tag`), else `*`.
pub fn tag_of(bytes: &[u8]) -> String {
    first_words(bytes).0
}

fn first_words(bytes: &[u8]) -> (String, String) {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let mut it = s.split_ascii_whitespace();
    let tag = it
        .next()
        .filter(|t| {
            t.bytes()
                .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\+".contains(&b))
        })
        .unwrap_or("*");
    (
        tag.to_string(),
        it.next().unwrap_or("").to_ascii_uppercase(),
    )
}

impl Framer {
    /// Input as it came from the client (after TLS and decompression).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.release();
        self.buf.extend_from_slice(bytes);
    }

    /// Nothing of a command is here: no input is waiting and none is half framed.
    pub fn is_idle(&self) -> bool {
        self.buf.len() == self.lent
            && self.cmd.is_empty()
            && !self.too_long
            && matches!(self.state, State::Line)
    }

    /// Drops input read ahead of a TLS upgrade (RFC 3501 6.2.1: it must not be honoured).
    pub fn discard_input(&mut self) {
        self.release();
        self.buf.clear();
        self.scanned = 0;
    }

    /// Input not framed yet, taken out: what followed COMPRESS is compressed, so the driver
    /// inflates it and feeds it again.
    pub fn take_input(&mut self) -> Vec<u8> {
        self.release();
        self.scanned = 0;
        std::mem::take(&mut self.buf)
    }

    /// The APPEND body being handed out cannot be staged: the rest of it is skipped and the
    /// command refused.
    pub fn skip_body(&mut self) {
        if let State::Body { left, .. } = self.state {
            self.state = State::Discard {
                left,
                reason: Refusal::Store,
            };
        }
    }

    fn release(&mut self) {
        self.buf.drain(..self.lent);
        self.lent = 0;
    }

    fn refuse(&mut self, tag: String, reason: Refusal) -> Frame<'static> {
        self.cmd.clear();
        self.bodies = 0;
        self.state = State::Line;
        Frame::Refused { tag, reason }
    }

    /// The next frame within `budget`.
    pub fn next(&mut self, budget: &Budget) -> Frame<'_> {
        self.release();
        loop {
            match self.state {
                State::Line => {
                    if let Some(f) = self.line(budget) {
                        return f;
                    }
                }
                State::Inline { left } => {
                    if left == 0 {
                        self.state = State::Line;
                        continue;
                    }
                    if self.buf.is_empty() {
                        return Frame::NeedInput;
                    }
                    let take = (self.buf.len() as u64).min(left) as usize;
                    self.cmd.extend_from_slice(&self.buf[..take]);
                    self.buf.drain(..take);
                    self.state = State::Inline {
                        left: left - take as u64,
                    };
                }
                State::Body { left, started } => {
                    if !started {
                        self.state = State::Body {
                            left,
                            started: true,
                        };
                        return Frame::BodyStart { len: left };
                    }
                    if left == 0 {
                        self.bodies += 1;
                        // The parser sees an empty literal in its place.
                        let cut = self.cmd.iter().rposition(|&b| b == b'{');
                        self.cmd.truncate(cut.unwrap_or(self.cmd.len()));
                        self.cmd.extend_from_slice(b"{0}\r\n");
                        self.state = State::Line;
                        return Frame::BodyEnd;
                    }
                    if self.buf.is_empty() {
                        return Frame::NeedInput;
                    }
                    let take = (self.buf.len() as u64).min(left) as usize;
                    self.state = State::Body {
                        left: left - take as u64,
                        started,
                    };
                    self.lent = take;
                    return Frame::Body(&self.buf[..take]);
                }
                State::Discard { left, reason } => {
                    if left == 0 {
                        self.state = State::DiscardLine { reason };
                        continue;
                    }
                    if self.buf.is_empty() {
                        return Frame::NeedInput;
                    }
                    let take = (self.buf.len() as u64).min(left) as usize;
                    self.buf.drain(..take);
                    self.state = State::Discard {
                        left: left - take as u64,
                        reason,
                    };
                }
                State::DiscardLine { reason } => {
                    match self.buf.iter().position(|&b| b == b'\n') {
                        Some(i) => {
                            self.buf.drain(..=i);
                        }
                        None => {
                            self.buf.clear();
                            return Frame::NeedInput;
                        }
                    }
                    let tag = tag_of(&self.cmd);
                    return self.refuse(tag, reason);
                }
            }
        }
    }

    /// Reads up to a line end and decides what the line's literal, if any, becomes; `None` goes
    /// on with the literal.
    fn line(&mut self, budget: &Budget) -> Option<Frame<'static>> {
        let room = budget
            .max_command
            .saturating_sub(self.cmd.len())
            .min(MAX_LINE);
        let Some(i) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') else {
            if self.buf.len() > room {
                if !self.too_long {
                    self.overflow_head = self.buf[..self.buf.len().min(64)].to_vec();
                }
                self.too_long = true;
                // Keep nothing of it: only its end matters now.
                self.buf.clear();
            }
            self.scanned = self.buf.len();
            return Some(Frame::NeedInput);
        };
        let end = self.scanned + i + 1;
        self.scanned = 0;
        // A line that arrived whole in one read is as bounded as one that did not.
        if self.too_long || end > room {
            if !self.too_long {
                self.overflow_head = self.buf[..end.min(64)].to_vec();
            }
            self.too_long = false;
            self.buf.drain(..end);
            let tag = if self.cmd.is_empty() {
                tag_of(&self.overflow_head)
            } else {
                tag_of(&self.cmd)
            };
            return Some(self.refuse(tag, Refusal::LineTooLong));
        }
        let lit = literal_at_end(&self.buf[..end]);
        self.cmd.extend_from_slice(&self.buf[..end]);
        self.buf.drain(..end);
        let Some((n, non_sync)) = lit else {
            self.bodies = 0;
            return Some(Frame::Command(std::mem::take(&mut self.cmd)));
        };
        let (tag, verb) = first_words(&self.cmd);
        // APPEND's message bodies (and CATENATE's texts) go to disk as they arrive, and only
        // after login; its folder name and URLs, when literals, stay in the command.
        let body = verb == "APPEND"
            && budget.max_append > 0
            && !names_folder(&self.cmd)
            && !names_url(&self.cmd);
        if body && self.bodies >= budget.max_append_messages {
            let reason = Refusal::TooManyMessages { close: non_sync };
            return Some(self.refuse(tag, reason));
        }
        let room = (budget.max_command.saturating_sub(self.cmd.len()) as u64).min(MAX_LINE as u64);
        if !body && n > room {
            // Refused before a byte of it is read: a synchronising literal is never asked
            // for, and a non-synchronising one is not swallowed for a client we cannot trust
            // to stop.
            let reason = Refusal::CommandTooLong { close: non_sync };
            return Some(self.refuse(tag, reason));
        }
        if body && n > budget.max_append {
            if non_sync {
                // The client sends it regardless; it is skipped to stay in step.
                self.state = State::Discard {
                    left: n,
                    reason: Refusal::TooBig,
                };
                return None;
            }
            return Some(self.refuse(tag, Refusal::TooBig));
        }
        self.state = if body {
            State::Body {
                left: n,
                started: false,
            }
        } else {
            State::Inline { left: n }
        };
        if non_sync {
            None
        } else {
            Some(Frame::Continue)
        }
    }
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
