//! One client connection over any byte stream (plain TCP, or TLS from the start or after
//! STARTTLS): framing of command lines and bodies, with the store and password work the
//! session asks for handed to the [`Backend`].

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::backend::Backend;
use crate::data::{BodySink, Chunk, DotDecoder, SinkError, Trace, received_header};
use crate::{Lookup, MAX_AUTH_LINE, MAX_LINE, Outcome, Reply, Session, Step};

const READ_CHUNK: usize = 64 * 1024;
const OUT_HIGH_WATER: usize = 64 * 1024;
/// RFC 5321 §4.5.3.2 minimum timeouts: 5 minutes for a command, 10 minutes for body data.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5 * 60);
const DATA_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How long a goodbye may take to reach a client that is not reading.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
enum Stop {
    Eof,
    Timeout,
    Io(io::Error),
}

enum Next {
    Line(usize, usize),
    TooLong,
    More,
}

/// Buffered input and output. Replies collect in `out` and go out before every read, so a
/// pipelining client gets all answers to what it sent, in order, before the server waits.
struct Io<S> {
    stream: S,
    buf: Vec<u8>,
    start: usize,
    out: Vec<u8>,
    /// Inside a line that was too long: input is dropped up to its end.
    skipping: bool,
    /// How long a client may take to accept our replies (`limits.write_timeout`).
    write_timeout: Duration,
}

fn is_auth_command(line: &[u8]) -> bool {
    line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"AUTH ")
}

impl<S: AsyncRead + AsyncWrite + Unpin> Io<S> {
    fn new(stream: S, write_timeout: Duration) -> Io<S> {
        Io {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
            out: Vec::new(),
            skipping: false,
            write_timeout,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// Input after STARTTLS was sent in the clear and may have been injected (RFC 3207 §4.2).
    fn discard_input(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.skipping = false;
    }

    fn next_line(&mut self, in_auth: bool) -> Next {
        loop {
            let avail = &self.buf[self.start..];
            let lf = avail.iter().position(|&b| b == b'\n');
            if self.skipping {
                match lf {
                    Some(i) => {
                        self.start += i + 1;
                        self.skipping = false;
                        continue;
                    }
                    None => {
                        self.start = self.buf.len();
                        return Next::More;
                    }
                }
            }
            let max = if in_auth || is_auth_command(avail) {
                MAX_AUTH_LINE
            } else {
                MAX_LINE
            };
            return match lf {
                Some(i) if i < max => {
                    let s = self.start;
                    self.start += i + 1;
                    Next::Line(s, s + i + 1)
                }
                Some(i) => {
                    self.start += i + 1;
                    Next::TooLong
                }
                None if avail.len() >= max => {
                    self.start = self.buf.len();
                    self.skipping = true;
                    Next::TooLong
                }
                None => Next::More,
            };
        }
    }

    fn queue(&mut self, reply: &Reply) {
        tracing::trace!(%reply, "smtp reply");
        reply.write_to(&mut self.out);
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        if self.out.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await
        };
        match timeout(self.write_timeout, write).await {
            Ok(Ok(())) => {
                self.out.clear();
                Ok(())
            }
            Ok(Err(e)) => Err(Stop::Io(e)),
            Err(_) => Err(Stop::Timeout),
        }
    }

    /// Sends the queued replies, then waits for more input.
    async fn fill(&mut self, wait: Duration) -> Result<(), Stop> {
        self.flush().await?;
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(READ_CHUNK);
        match timeout(wait, self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(0)) => Err(Stop::Eof),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(Stop::Io(e)),
            Err(_) => Err(Stop::Timeout),
        }
    }
}

enum Flow {
    Close,
    StartTls,
}

/// How a connection ended: for good, or to go on over TLS with the same session.
pub enum Exit<'c, S> {
    Done,
    StartTls(S, Box<Session<'c>>),
}

pub struct Conn<'c, S, B: Backend> {
    backend: &'c B,
    peer: SocketAddr,
    session: Session<'c>,
    io: Io<S>,
    /// The body of a BDAT transaction, kept from chunk to chunk.
    body: Option<BodySink<B::Writer>>,
}

impl<'c, S: AsyncRead + AsyncWrite + Unpin + Send, B: Backend> Conn<'c, S, B> {
    /// `write_timeout`: how long the client may take to accept what is sent to it.
    pub fn new(
        backend: &'c B,
        peer: SocketAddr,
        session: Session<'c>,
        stream: S,
        write_timeout: Duration,
    ) -> Self {
        Conn {
            backend,
            peer,
            session,
            io: Io::new(stream, write_timeout),
            body: None,
        }
    }

    pub async fn run(mut self, greet: bool) -> Exit<'c, S> {
        if greet {
            let g = self.session.greeting();
            self.io.queue(&g);
        }
        let peer = self.peer;
        let stop = match self.serve().await {
            Ok(Flow::StartTls) => {
                tracing::debug!(%peer, "smtp starttls");
                return Exit::StartTls(self.io.stream, Box::new(self.session));
            }
            Ok(Flow::Close) => None,
            Err(stop) => Some(stop),
        };
        // Whatever was underway is abandoned: a partial body is deleted with its writer.
        self.body = None;
        match stop {
            None => tracing::debug!(%peer, "smtp connection closed"),
            Some(Stop::Eof) => tracing::debug!(%peer, "smtp client disconnected"),
            Some(Stop::Io(e)) => tracing::debug!(%peer, error = %e, "smtp connection failed"),
            Some(Stop::Timeout) => {
                tracing::debug!(%peer, "smtp client timed out");
                let r = self.session.timeout();
                self.io.queue(&r);
            }
        }
        let _ = timeout(FAREWELL_TIMEOUT, async {
            let _ = self.io.flush().await;
            let _ = self.io.stream.shutdown().await;
        })
        .await;
        Exit::Done
    }

    async fn serve(&mut self) -> Result<Flow, Stop> {
        loop {
            let step = match self.io.next_line(self.session.awaiting_auth()) {
                Next::Line(a, b) => self.session.line(&self.io.buf[a..b]),
                Next::TooLong => self.session.line_too_long(),
                Next::More => {
                    self.io.fill(COMMAND_TIMEOUT).await?;
                    continue;
                }
            };
            if let Some(flow) = self.apply(step).await? {
                return Ok(flow);
            }
            // A client that pipelines without ever reading must not grow our memory: past
            // this the replies go out, and a full socket stops us reading its commands.
            if self.io.out.len() >= OUT_HIGH_WATER {
                self.io.flush().await?;
            }
        }
    }

    /// Carries out `step` and whatever follows from it, up to a reply.
    async fn apply(&mut self, mut step: Step) -> Result<Option<Flow>, Stop> {
        loop {
            step = match step {
                Step::Reply(r) => {
                    self.io.queue(&r);
                    break;
                }
                Step::Authenticate { user, password } => {
                    // The check may be slowed on purpose; earlier replies go out first.
                    self.io.flush().await?;
                    let (outcome, account) = self
                        .backend
                        .authenticate(&user, &password, self.peer.ip())
                        .await;
                    self.session.auth_done(outcome, account)
                }
                Step::LookupRecipient { address } => {
                    // Recipients are asked for only after a login.
                    let found = match self.session.user() {
                        Some(sender) => self.backend.lookup(sender, &address).await,
                        None => Lookup::Unavailable,
                    };
                    self.session.recipient_done(&address, found)
                }
                Step::StartTls(r) => {
                    self.io.queue(&r);
                    self.io.flush().await?;
                    self.io.discard_input();
                    return Ok(Some(Flow::StartTls));
                }
                Step::Data => self.data().await?,
                Step::Bdat { size, last } => self.bdat(size, last).await?,
                Step::SkipBdat { size, reply } => {
                    tracing::debug!(size, %reply, "smtp chunk refused");
                    self.skip_chunk(size).await?;
                    self.io.queue(&reply);
                    break;
                }
                Step::Quit(r) | Step::Close(r) => {
                    self.io.queue(&r);
                    return Ok(Some(Flow::Close));
                }
            };
        }
        if !self.session.body_in_progress() {
            self.body = None;
        }
        Ok(None)
    }

    async fn open_body(&self) -> Option<BodySink<B::Writer>> {
        let writer = self.backend.open_body().await?;
        let id = format!("{:016x}", rand::random::<u64>());
        let header = received_header(&Trace {
            helo: self.session.helo().unwrap_or_default(),
            peer: self.peer.ip(),
            hostname: &self.session.limits().hostname,
            id: &id,
            recipient: self.session.sole_recipient(),
            date: self.backend.now(),
        });
        tracing::debug!(id, "smtp message body started");
        Some(BodySink::new(
            writer,
            header.as_bytes(),
            self.session.limits().max_message_size,
        ))
    }

    async fn data(&mut self) -> Result<Step, Stop> {
        let Some(mut sink) = self.open_body().await else {
            return Ok(self.session.data_refused());
        };
        let go = self.session.data_opened();
        self.io.queue(&go);
        let mut dec = DotDecoder::new();
        loop {
            let used = dec.feed(self.io.pending());
            self.io.consume(used);
            sink.push(dec.ready()).await;
            dec.clear_ready();
            if dec.is_done() {
                break;
            }
            // Returning early drops `sink`, and with it the partial body.
            self.io.fill(DATA_TIMEOUT).await?;
        }
        Ok(self.finish(sink).await)
    }

    async fn bdat(&mut self, size: usize, last: bool) -> Result<Step, Stop> {
        if self.body.is_none() {
            match self.open_body().await {
                Some(sink) => self.body = Some(sink),
                None => {
                    self.skip_chunk(size).await?;
                    return Ok(self.session.data_refused());
                }
            }
        }
        let mut chunk = Chunk::keep(size, last);
        loop {
            let (used, done) = chunk.feed(self.io.pending());
            self.io.consume(used);
            let sink = self.body.as_mut().expect("opened above");
            sink.push(chunk.ready()).await;
            chunk.clear_ready();
            if done {
                break;
            }
            self.io.fill(DATA_TIMEOUT).await?;
        }
        if !last {
            let ok = !self.body.as_ref().is_some_and(|s| s.is_failed());
            return Ok(self.session.chunk_done(size, ok));
        }
        let sink = self.body.take().expect("opened above");
        Ok(self.finish(sink).await)
    }

    async fn skip_chunk(&mut self, size: usize) -> Result<(), Stop> {
        let mut chunk = Chunk::skip(size);
        loop {
            let (used, done) = chunk.feed(self.io.pending());
            self.io.consume(used);
            if done {
                return Ok(());
            }
            self.io.fill(DATA_TIMEOUT).await?;
        }
    }

    /// The body is complete: file it, or say why not.
    async fn finish(&mut self, sink: BodySink<B::Writer>) -> Step {
        let octets = sink.octets();
        let outcome = match sink.finish().await {
            Err(SinkError::TooBig) => {
                tracing::debug!(octets, "smtp message over the size limit");
                Outcome::TooBig
            }
            Err(SinkError::Io(e)) => {
                tracing::warn!(error = %e, "smtp could not store a message body");
                Outcome::Failed
            }
            Ok(writer) => match self.session.plan() {
                Some(plan) => self.backend.submit(writer, plan, self.peer.ip()).await,
                None => Outcome::Failed,
            },
        };
        self.session.message_done(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_with(input: &[u8]) -> Io<tokio::io::DuplexStream> {
        let (a, _b) = tokio::io::duplex(16);
        let mut io = Io::new(a, Duration::from_secs(60));
        io.buf.extend_from_slice(input);
        io
    }

    fn lines(io: &mut Io<tokio::io::DuplexStream>) -> Vec<Result<Vec<u8>, ()>> {
        let mut out = Vec::new();
        loop {
            match io.next_line(false) {
                Next::Line(a, b) => out.push(Ok(io.buf[a..b].to_vec())),
                Next::TooLong => out.push(Err(())),
                Next::More => return out,
            }
        }
    }

    #[test]
    fn splits_pipelined_lines_and_keeps_the_partial_one() {
        let mut io = io_with(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\nDAT");
        assert_eq!(
            lines(&mut io),
            vec![
                Ok(b"MAIL FROM:<a@b>\r\n".to_vec()),
                Ok(b"RCPT TO:<c@d>\n".to_vec())
            ]
        );
        assert_eq!(io.pending(), b"DAT");
    }

    #[test]
    fn overlong_lines_are_skipped_to_their_end() {
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.extend_from_slice(b"\r\nNOOP\r\n");
        let mut io = io_with(&long);
        assert_eq!(lines(&mut io), vec![Err(()), Ok(b"NOOP\r\n".to_vec())]);

        // Without its end in sight yet: reported once, then dropped as it arrives.
        let mut io = io_with(&vec![b'y'; MAX_LINE]);
        assert_eq!(lines(&mut io), vec![Err(())]);
        io.buf.extend_from_slice(b"yyyy\r\nQUIT\r\n");
        assert_eq!(lines(&mut io), vec![Ok(b"QUIT\r\n".to_vec())]);
    }

    #[test]
    fn auth_lines_may_be_longer() {
        let mut line = b"AUTH PLAIN ".to_vec();
        line.extend(vec![b'A'; MAX_LINE]);
        line.extend_from_slice(b"\r\n");
        let mut io = io_with(&line);
        assert_eq!(lines(&mut io).len(), 1);
        assert!(matches!(io_with(&line).next_line(false), Next::Line(..)));
        let mut io = io_with(&vec![b'A'; MAX_LINE + 2]);
        assert!(matches!(io.next_line(true), Next::More));
    }
}
