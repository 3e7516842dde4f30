//! Framing of client input: lines and literals, with large APPEND literals streamed straight
//! into the store instead of memory.

use std::io::{self, Write};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::compress::Deflate;
use crate::net::Stream;

/// Longest command line we accept (RFC 7162 asks for at least 8 KiB).
pub const MAX_LINE: usize = 64 * 1024;
/// Literals up to this size stay in the command; larger APPEND literals go to disk.
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

pub struct Conn {
    pub stream: Stream,
    buf: Vec<u8>,
    pub out: Vec<u8>,
    /// How long a client may take to accept what we send.
    write_timeout: std::time::Duration,
    /// The start of the last line refused as too long, so its refusal can name the tag.
    overflow_head: Vec<u8>,
    /// COMPRESS=DEFLATE, once the client turned it on.
    deflate: Option<Box<Deflate>>,
}

pub enum Input {
    Command {
        bytes: Vec<u8>,
        /// APPEND's message bodies, in order, already on disk; each stands as an empty
        /// literal in `bytes`.
        staged: Vec<mailbox::StagedMessage>,
    },
    /// The command was refused before it was complete; the reply names the tag.
    Refused {
        tag: String,
        reason: Refusal,
    },
    Eof,
}

pub enum Refusal {
    LineTooLong,
    TooBig,
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

pub(crate) fn literal_at_end(line: &[u8]) -> Option<(u64, bool)> {
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

fn first_words(bytes: &[u8]) -> (String, String) {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let mut it = s.split_ascii_whitespace();
    // The tag is echoed in the refusal: only a well-formed one (RFC 3501 9, `tag`).
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

impl Conn {
    pub fn new(stream: Stream, write_timeout: std::time::Duration) -> Self {
        Conn {
            stream,
            buf: Vec::with_capacity(8192),
            out: Vec::with_capacity(8192),
            write_timeout,
            overflow_head: Vec::new(),
            deflate: None,
        }
    }

    /// Sends what is queued; a client that does not take it in time is cut off.
    pub async fn flush(&mut self) -> io::Result<()> {
        let write = async {
            if !self.out.is_empty() {
                match self.deflate.as_mut() {
                    Some(d) => {
                        let packed = d.deflate(&self.out)?;
                        self.stream.write_all(&packed).await?;
                    }
                    None => self.stream.write_all(&self.out).await?,
                }
                self.out.clear();
            }
            self.stream.flush().await
        };
        tokio::time::timeout(self.write_timeout, write)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
    }

    /// Drops input read ahead of a TLS upgrade (RFC 3501 6.2.1: it must not be honoured).
    pub fn discard_buffered(&mut self) {
        self.buf.clear();
    }

    /// Compresses everything sent from now on and inflates everything read (RFC 4978); what
    /// the client sent after the command is already compressed. Call once the tagged OK was
    /// flushed.
    pub fn start_compression(&mut self) {
        let mut d = Box::new(Deflate::new());
        d.feed(&std::mem::take(&mut self.buf));
        self.deflate = Some(d);
    }

    pub fn is_compressed(&self) -> bool {
        self.deflate.is_some()
    }

    async fn fill(&mut self) -> io::Result<usize> {
        loop {
            if let Some(d) = self.deflate.as_mut()
                && d.has_pending()
            {
                let n = d.inflate(&mut self.buf)?;
                if n > 0 {
                    return Ok(n);
                }
            }
            let mut tmp = [0u8; 16 * 1024];
            let n = self.stream.read(&mut tmp).await?;
            match self.deflate.as_mut() {
                Some(d) if n > 0 => d.feed(&tmp[..n]),
                _ => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(n);
                }
            }
        }
    }

    /// One line including its terminator; `Err(InvalidData)` when it exceeds `max` (the rest
    /// of the line is consumed), `Ok(None)` at end of input.
    pub async fn read_line(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        let mut scanned = 0;
        let mut too_long = false;
        loop {
            if let Some(i) = self.buf[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + i + 1;
                let line: Vec<u8> = self.buf.drain(..end).collect();
                // A line that arrived whole in one read is as bounded as one that did not.
                if !too_long && end > max {
                    self.overflow_head = line[..line.len().min(64)].to_vec();
                }
                if too_long || end > max {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
                }
                return Ok(Some(line));
            }
            if self.buf.len() > max {
                if !too_long {
                    self.overflow_head = self.buf[..self.buf.len().min(64)].to_vec();
                }
                too_long = true;
                // Keep only the tail where the line end will show up.
                self.buf.clear();
            }
            scanned = self.buf.len();
            if self.fill().await? == 0 {
                return Ok(None);
            }
        }
    }

    /// Passes exactly `n` bytes of input to `sink`, never holding more than a buffer of them.
    async fn read_exact_into(
        &mut self,
        mut n: u64,
        mut sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<bool> {
        while n > 0 {
            if self.buf.is_empty() && self.fill().await? == 0 {
                return Ok(false);
            }
            let take = (self.buf.len() as u64).min(n) as usize;
            sink(&self.buf[..take])?;
            self.buf.drain(..take);
            n -= take as u64;
        }
        Ok(true)
    }

    /// Reads one complete command within `budget`, answering synchronising literals with a
    /// continuation.
    pub async fn read_command(
        &mut self,
        store: &mailbox::Store,
        budget: Budget,
        continuation: &str,
    ) -> io::Result<Input> {
        let mut bytes = Vec::new();
        let mut staged = Vec::new();
        loop {
            let room = budget.max_command.saturating_sub(bytes.len()).min(MAX_LINE);
            let line = match self.read_line(room).await {
                Ok(Some(l)) => l,
                Ok(None) => return Ok(Input::Eof),
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    let head = if bytes.is_empty() {
                        &self.overflow_head
                    } else {
                        &bytes
                    };
                    let (tag, _) = first_words(head);
                    return Ok(Input::Refused {
                        tag,
                        reason: Refusal::LineTooLong,
                    });
                }
                Err(e) => return Err(e),
            };
            let lit = literal_at_end(&line);
            bytes.extend_from_slice(&line);
            let Some((n, non_sync)) = lit else {
                return Ok(Input::Command { bytes, staged });
            };
            let (tag, verb) = first_words(&bytes);
            // APPEND's message bodies go to disk as they arrive, and only after login; its
            // folder name, when a literal, stays in the command.
            let appendable = verb == "APPEND" && budget.max_append > 0 && !names_folder(&bytes);
            if appendable && staged.len() >= budget.max_append_messages {
                return Ok(Input::Refused {
                    tag,
                    reason: Refusal::TooManyMessages { close: non_sync },
                });
            }
            let inline = !appendable;
            let room = (budget.max_command.saturating_sub(bytes.len()) as u64).min(MAX_LINE as u64);
            if inline && n > room {
                // Refused before a byte of it is read: a synchronising literal is never sent,
                // and a non-synchronising one is not swallowed for a client we cannot trust
                // to stop.
                return Ok(Input::Refused {
                    tag,
                    reason: Refusal::CommandTooLong { close: non_sync },
                });
            }
            let limit = if appendable {
                budget.max_append
            } else {
                MAX_LINE as u64
            };
            if n > limit {
                if non_sync {
                    // The client sends the data regardless; swallow it to stay in sync.
                    if !self.read_exact_into(n, |_| Ok(())).await? {
                        return Ok(Input::Eof);
                    }
                    let _ = self.read_line(MAX_LINE).await;
                }
                return Ok(Input::Refused {
                    tag,
                    reason: Refusal::TooBig,
                });
            }
            if !non_sync {
                self.out.extend_from_slice(b"+ ");
                self.out.extend_from_slice(continuation.as_bytes());
                self.out.extend_from_slice(b"\r\n");
                self.flush().await?;
            }
            if !inline {
                let mut w = match tokio::task::block_in_place(|| store.new_message()) {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot stage message");
                        return Ok(Input::Refused {
                            tag,
                            reason: Refusal::Store,
                        });
                    }
                };
                let ok = self
                    .read_exact_into(n, |chunk| {
                        tokio::task::block_in_place(|| w.write_all(chunk))
                    })
                    .await?;
                if !ok {
                    // Client gone mid-literal: the writer's drop removes the partial body.
                    return Ok(Input::Eof);
                }
                let s = tokio::task::block_in_place(|| w.finish()).map_err(io::Error::other)?;
                staged.push(s);
                // The parser sees an empty literal in its place.
                let cut = bytes
                    .iter()
                    .rposition(|&b| b == b'{')
                    .unwrap_or(bytes.len());
                bytes.truncate(cut);
                bytes.extend_from_slice(b"{0}\r\n");
            } else {
                let mut data = Vec::with_capacity(n as usize);
                if !self
                    .read_exact_into(n, |c| {
                        data.extend_from_slice(c);
                        Ok(())
                    })
                    .await?
                {
                    return Ok(Input::Eof);
                }
                bytes.extend_from_slice(&data);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_announcements() {
        assert_eq!(
            literal_at_end(b"A1 APPEND INBOX {310}\r\n"),
            Some((310, false))
        );
        assert_eq!(
            literal_at_end(b"A1 APPEND INBOX {310+}\r\n"),
            Some((310, true))
        );
        assert_eq!(literal_at_end(b"A1 LOGIN a b\r\n"), None);
        assert_eq!(literal_at_end(b"A1 X {}\r\n"), None);
        assert_eq!(literal_at_end(b"A1 X {99999999999999999999}\r\n"), None);
    }

    #[tokio::test]
    async fn a_line_read_whole_is_bounded_too() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut conn = Conn::new(Stream::Plain(server), std::time::Duration::from_secs(5));
        // Both lines arrive in one read: the long one must not slip past the limit.
        let long = format!("a1 LOGIN {}\r\n", "x".repeat(100));
        client
            .write_all(format!("ok\r\n{long}next\r\n").as_bytes())
            .await
            .unwrap();
        assert_eq!(conn.read_line(16).await.unwrap().unwrap(), b"ok\r\n");
        let err = conn.read_line(16).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(conn.read_line(16).await.unwrap().unwrap(), b"next\r\n");
    }
}
