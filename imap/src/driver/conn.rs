//! The socket side of an IMAP connection: bytes in through TLS and decompression to the
//! framer, APPEND bodies staged in the store as they arrive, responses and message bodies out.

use std::io::{self, Read, Write};
use std::time::Duration;

use mailbox::blocking::in_place;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Backend;
use crate::compress::Deflate;
use crate::framing::{Budget, Frame, Framer, Input};

/// Message bodies go out in pieces of this size.
const CHUNK: usize = 256 * 1024;

pub struct Conn<S> {
    stream: S,
    framer: Framer,
    /// How long a client may take to accept what we send.
    write_timeout: Duration,
    /// COMPRESS=DEFLATE, once the client turned it on.
    deflate: Option<Box<Deflate>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(stream: S, write_timeout: Duration) -> Self {
        Conn {
            stream,
            framer: Framer::default(),
            write_timeout,
            deflate: None,
        }
    }

    /// Sends `out` and empties it; a client that does not take it in time is cut off.
    pub async fn send(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        self.write(out).await?;
        out.clear();
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let write = async {
            match self.deflate.as_mut() {
                Some(d) => {
                    let packed = d.deflate(bytes)?;
                    self.stream.write_all(&packed).await?;
                }
                None => self.stream.write_all(bytes).await?,
            }
            self.stream.flush().await
        };
        tokio::time::timeout(self.write_timeout, write)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
    }

    /// Sends a message body the session handed out, a piece at a time.
    pub async fn send_body(&mut self, body: crate::Body) -> io::Result<()> {
        let mut reader = body.reader;
        let mut left = body.len;
        while left > 0 {
            let want = (left as usize).min(CHUNK);
            let mut buf = vec![0u8; want];
            in_place(|| reader.read_exact(&mut buf))?;
            self.write(&buf).await?;
            left -= want as u64;
        }
        Ok(())
    }

    /// Upgrades to TLS; input read ahead of it is dropped (RFC 3501 6.2.1: it must not be
    /// honoured).
    pub async fn start_tls<B: Backend<Stream = S>>(&mut self, backend: &B) -> io::Result<()> {
        self.framer.discard_input();
        backend.start_tls(&mut self.stream).await
    }

    /// Compresses everything sent from now on and inflates everything read (RFC 4978); what
    /// the client sent after the command is already compressed.
    pub fn start_compression(&mut self) {
        let mut d = Box::new(Deflate::new());
        d.feed(&self.framer.take_input());
        self.deflate = Some(d);
    }

    /// Nothing of a command has come yet: no input waits to be framed or inflated.
    pub fn input_idle(&self) -> bool {
        self.framer.is_idle() && !self.deflate.as_ref().is_some_and(|d| d.has_pending())
    }

    /// Reads more input into the framer; false at end of input. Dropped while it waits, it
    /// has taken nothing.
    pub async fn fill(&mut self) -> io::Result<bool> {
        loop {
            if let Some(d) = self.deflate.as_mut()
                && d.has_pending()
            {
                let mut plain = Vec::new();
                if d.inflate(&mut plain)? > 0 {
                    self.framer.feed(&plain);
                    return Ok(true);
                }
            }
            let mut tmp = [0u8; 16 * 1024];
            let n = self.stream.read(&mut tmp).await?;
            match self.deflate.as_mut() {
                Some(d) if n > 0 => d.feed(&tmp[..n]),
                _ => {
                    self.framer.feed(&tmp[..n]);
                    return Ok(n > 0);
                }
            }
        }
    }

    /// One complete command within `budget`, or `None` when the client is gone. Synchronising
    /// literals are answered with a continuation; APPEND bodies go to the store as they come.
    pub async fn read_input(
        &mut self,
        store: &mailbox::Store,
        budget: Budget,
        continuation: &str,
    ) -> io::Result<Option<Input>> {
        let mut staged = Vec::new();
        // Dropped with a partial body, it removes what it wrote.
        let mut writer: Option<mailbox::MessageWriter> = None;
        loop {
            match self.framer.next(&budget) {
                Frame::NeedInput => {
                    if !self.fill().await? {
                        return Ok(None);
                    }
                }
                Frame::Continue => {
                    let line = format!("+ {continuation}\r\n");
                    self.write(line.as_bytes()).await?;
                }
                Frame::BodyStart { .. } => match in_place(|| store.new_message()) {
                    Ok(w) => writer = Some(w),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot stage message");
                        self.framer.skip_body();
                    }
                },
                Frame::Body(bytes) => {
                    if let Some(w) = writer.as_mut() {
                        in_place(|| w.write_all(bytes))?;
                    }
                }
                Frame::BodyEnd => {
                    // Without a writer (a read cut short before), the command comes out with
                    // fewer bodies than literals and is refused as malformed.
                    if let Some(w) = writer.take() {
                        let s = in_place(|| w.finish()).map_err(io::Error::other)?;
                        staged.push(s);
                    }
                }
                Frame::Command(bytes) => return Ok(Some(Input::Command { bytes, staged })),
                Frame::Refused { tag, reason } => return Ok(Some(Input::Refused { tag, reason })),
            }
        }
    }
}
