//! Message bodies on their way to the store: DATA is dot-unstuffed here, BDAT chunks are taken
//! by smtp-proto's receivers; both are handed, in bounded pieces, to the store's writer on the blocking
//! pool. A body is never held whole in memory.

use std::io::{self, Write};
use std::net::IpAddr;

use smtp_proto::request::receiver::{BdatReceiver, DummyDataReceiver};

/// Decoded octets gathered before one write to the store: large enough to keep the hops to the
/// blocking pool rare, small enough that a connection holds little memory.
pub const FLUSH_AT: usize = 256 * 1024;

/// Where the decoder stands in the DATA stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    /// Right after CRLF: a dot here is stuffing or the start of the end marker.
    LineStart,
    /// CRLF then a dot, not emitted yet.
    Dot,
    /// CRLF dot CR, not emitted yet: only an LF now ends the body.
    DotCr,
    /// Inside a line, the last octet a CR.
    Cr,
    /// Inside a line.
    Text,
    Done,
}

/// Dot-unstuffing of a DATA body (RFC 5321 §4.5.2) up to and without the `CRLF.CRLF` marker.
///
/// Our own small state machine rather than smtp-proto's `DataReceiver`, which also ends the
/// body at `CRLF . CR CR LF` and leaves a stray CR: a sender and a receiver must agree exactly
/// on where a body ends, or text after it is read as commands (SMTP smuggling).
pub struct DotDecoder {
    state: At,
    out: Vec<u8>,
}

impl Default for DotDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl DotDecoder {
    pub fn new() -> DotDecoder {
        // The body's first line follows the DATA command's own line end.
        DotDecoder {
            state: At::LineStart,
            out: Vec::new(),
        }
    }

    /// Decodes from `input` and returns how many octets it consumed: all of them, or up to and
    /// including the end marker.
    pub fn feed(&mut self, input: &[u8]) -> usize {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                At::Done => return i,
                At::Text => {
                    // Copy up to and with the next CR in one go.
                    match input[i..].iter().position(|&c| c == b'\r') {
                        Some(n) => {
                            self.out.extend_from_slice(&input[i..=i + n]);
                            self.state = At::Cr;
                            i += n + 1;
                        }
                        None => {
                            self.out.extend_from_slice(&input[i..]);
                            i = input.len();
                        }
                    }
                    continue;
                }
                At::LineStart if b == b'.' => self.state = At::Dot,
                At::Dot if b == b'\r' => self.state = At::DotCr,
                At::DotCr if b == b'\n' => self.state = At::Done,
                At::DotCr => {
                    // The dot was stuffing; the CR is text and `b` follows it.
                    self.out.push(b'\r');
                    self.state = At::Cr;
                    continue;
                }
                At::Cr if b == b'\n' => {
                    self.out.push(b);
                    self.state = At::LineStart;
                }
                // A first octet of a line other than a dot, the octet after a stuffed dot, or
                // the octet after a CR that is not a line end.
                At::LineStart | At::Dot | At::Cr => {
                    self.out.push(b);
                    self.state = if b == b'\r' { At::Cr } else { At::Text };
                }
            }
            i += 1;
        }
        i
    }

    pub fn is_done(&self) -> bool {
        self.state == At::Done
    }

    /// Decoded octets ready to be stored.
    pub fn ready(&self) -> &[u8] {
        &self.out
    }

    /// Forgets what [`DotDecoder::ready`] returned, keeping the buffer for the next input.
    pub fn clear_ready(&mut self) {
        self.out.clear();
    }
}

/// One BDAT chunk (RFC 3030): exactly `size` octets, taken verbatim, or thrown away when the
/// chunk was refused.
pub enum Chunk {
    Keep(BdatReceiver, Vec<u8>),
    Skip(DummyDataReceiver),
}

impl Chunk {
    pub fn keep(size: usize, last: bool) -> Chunk {
        Chunk::Keep(BdatReceiver::new(size, last), Vec::new())
    }

    pub fn skip(size: usize) -> Chunk {
        Chunk::Skip(DummyDataReceiver::new_bdat(size))
    }

    /// Consumes from `input`; returns the octets consumed and whether the chunk is complete.
    pub fn feed(&mut self, input: &[u8]) -> (usize, bool) {
        let mut it = input.iter();
        let done = match self {
            Chunk::Keep(rx, out) => rx.ingest(&mut it, out),
            Chunk::Skip(rx) => rx.ingest(&mut it),
        };
        (input.len() - it.as_slice().len(), done)
    }

    /// The octets taken so far and not yet handed on.
    pub fn ready(&self) -> &[u8] {
        match self {
            Chunk::Keep(_, out) => out,
            Chunk::Skip(_) => &[],
        }
    }

    pub fn clear_ready(&mut self) {
        if let Chunk::Keep(_, out) = self {
            out.clear();
        }
    }
}

#[derive(Debug)]
pub enum SinkError {
    /// The body passed the size limit; what was written is gone.
    TooBig,
    Io(io::Error),
}

/// The store side of a body: counts octets against the limit and writes them off the async
/// threads. After a failure it swallows the rest, so the connection can read the body to its
/// end and answer once. Dropped before [`BodySink::finish`], it drops the writer, which for the
/// store's writer deletes the partial body.
pub struct BodySink<W> {
    writer: Option<W>,
    pending: Vec<u8>,
    octets: u64,
    limit: u64,
    failed: Option<SinkError>,
}

impl<W: Write + Send + 'static> BodySink<W> {
    /// `header` goes before the body and does not count against `limit`, which is the client's.
    pub fn new(writer: W, header: &[u8], limit: u64) -> BodySink<W> {
        BodySink {
            writer: Some(writer),
            pending: header.to_vec(),
            octets: 0,
            limit,
            failed: None,
        }
    }

    /// Body octets received so far, including any past the limit.
    pub fn octets(&self) -> u64 {
        self.octets
    }

    pub fn is_failed(&self) -> bool {
        self.failed.is_some()
    }

    fn fail(&mut self, e: SinkError) {
        self.writer = None;
        self.pending = Vec::new();
        if self.failed.is_none() {
            self.failed = Some(e);
        }
    }

    pub async fn push(&mut self, data: &[u8]) {
        self.octets += data.len() as u64;
        if self.failed.is_some() {
            return;
        }
        if self.octets > self.limit {
            self.fail(SinkError::TooBig);
            return;
        }
        // Copied rather than adopted, so the buffer's capacity is reused from flush to flush.
        self.pending.extend_from_slice(data);
        if self.pending.len() >= FLUSH_AT {
            self.flush().await;
        }
    }

    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let Some(mut w) = self.writer.take() else {
            return;
        };
        let buf = std::mem::take(&mut self.pending);
        let done = mailbox::blocking::run(move || {
            let r = w.write_all(&buf);
            (w, buf, r)
        })
        .await;
        match done {
            Ok((w, mut buf, Ok(()))) => {
                buf.clear();
                self.pending = buf;
                self.writer = Some(w);
            }
            Ok((_, _, Err(e))) => self.fail(SinkError::Io(e)),
            Err(e) => self.fail(SinkError::Io(e.into())),
        }
    }

    /// Writes what is left and hands the writer back for the store to finish.
    pub async fn finish(mut self) -> Result<W, SinkError> {
        self.flush().await;
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.writer
            .take()
            .ok_or_else(|| SinkError::Io(io::Error::other("body writer missing")))
    }
}

/// What the `Received:` header (RFC 5321 §4.4) records.
pub struct Trace<'a> {
    pub helo: &'a str,
    pub peer: IpAddr,
    pub hostname: &'a str,
    pub id: &'a str,
    pub recipient: Option<&'a str>,
    pub date: chrono::DateTime<chrono::Utc>,
}

/// The client's EHLO name is its own claim; it is kept to characters that cannot break the
/// header's structure.
fn clean_helo(s: &str) -> String {
    let s: String = s
        .chars()
        .take(255)
        .map(|c| {
            if c.is_ascii_graphic() && !"()\\;".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.is_empty() { "unknown".into() } else { s }
}

fn address_literal(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(a) => format!("[{a}]"),
        IpAddr::V6(a) => format!("[IPv6:{a}]"),
    }
}

/// "ESMTPSA": ESMTP with STARTTLS or implicit TLS and AUTH (RFC 3848), which is the only way
/// a message gets here.
pub fn received_header(t: &Trace<'_>) -> String {
    let mut h = format!(
        "Received: from {} ({})\r\n\tby {} with ESMTPSA id {}",
        clean_helo(t.helo),
        address_literal(t.peer),
        t.hostname,
        t.id
    );
    if let Some(r) = t.recipient {
        let r: String = r.chars().filter(|c| !c.is_control()).collect();
        h.push_str(&format!("\r\n\tfor <{r}>"));
    }
    h.push_str(&format!(";\r\n\t{}\r\n", t.date.to_rfc2822()));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `parts` one after another as separate reads; returns the body and what was left
    /// after the end marker.
    fn decode(parts: &[&[u8]]) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut d = DotDecoder::new();
        let mut body = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let used = d.feed(p);
            body.extend_from_slice(d.ready());
            d.clear_ready();
            if d.is_done() {
                let mut rest = p[used..].to_vec();
                for q in &parts[i + 1..] {
                    rest.extend_from_slice(q);
                }
                return Some((body, rest));
            }
            assert_eq!(used, p.len());
        }
        None
    }

    #[test]
    fn unstuffs_and_stops_at_the_marker() {
        let (body, rest) = decode(&[b"a\r\n..b\r\n.c\r\n.\r\nQUIT\r\n"]).unwrap();
        assert_eq!(body, b"a\r\n.b\r\nc\r\n");
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[test]
    fn empty_body_and_leading_dot() {
        assert_eq!(decode(&[b".\r\n"]).unwrap().0, b"");
        assert_eq!(decode(&[b"..x\r\n.\r\n"]).unwrap().0, b".x\r\n");
    }

    #[test]
    fn every_split_point_gives_the_same_body() {
        let wire: &[u8] = b"Subject: x\r\n\r\nline\r\n..dot\r\n\r\n.\r\nNOOP\r\n";
        let whole = decode(&[wire]).unwrap();
        assert_eq!(whole.0, b"Subject: x\r\n\r\nline\r\n.dot\r\n\r\n");
        for i in 0..wire.len() {
            for j in i..wire.len() {
                let got = decode(&[&wire[..i], &wire[i..j], &wire[j..]]).unwrap();
                assert_eq!(got, whole, "split at {i},{j}");
            }
        }
    }

    #[test]
    fn only_crlf_dot_crlf_ends_the_body() {
        // CRLF . CR CR LF is a stuffed line holding a CR, not the end.
        let (body, rest) = decode(&[b"a\r\n.\r\r\nb\r\n.\r\nQUIT\r\n"]).unwrap();
        assert_eq!(body, b"a\r\n\r\r\nb\r\n");
        assert_eq!(rest, b"QUIT\r\n");
        // Split inside every marker candidate.
        assert_eq!(
            decode(&[b"a\r\n.", b"\r", b"\r\n.", b"\r", b"\n"])
                .unwrap()
                .0,
            b"a\r\n\r\r\n"
        );
        assert_eq!(decode(&[b"x\r\r\n.\r\n"]).unwrap().0, b"x\r\r\n");
        assert!(decode(&[b"a\r\n.\rX\n"]).is_none());
        assert_eq!(decode(&[b"a\r\n.\rX\r\n.\r\n"]).unwrap().0, b"a\r\n\rX\r\n");
    }

    #[test]
    fn bare_line_ends_do_not_end_the_body() {
        // SMTP smuggling: only CRLF.CRLF ends DATA.
        assert!(decode(&[b"a\n.\nMAIL FROM:<x@y>\r\n"]).is_none());
        let (body, _) = decode(&[b"a\n.\r\nb\r\n.\r\n"]).unwrap();
        assert_eq!(body, b"a\n.\r\nb\r\n");
    }

    #[test]
    fn chunks_are_verbatim_and_exact() {
        let mut c = Chunk::keep(5, false);
        assert_eq!(c.feed(b"\r\n."), (3, false));
        assert_eq!(c.feed(b"\r\nBDAT"), (2, true));
        assert_eq!(c.ready(), b"\r\n.\r\n");
        c.clear_ready();
        assert!(c.ready().is_empty());
        let mut c = Chunk::skip(4);
        assert_eq!(c.feed(b"abcdef"), (4, true));
        assert!(c.ready().is_empty());
        let mut c = Chunk::keep(0, true);
        assert_eq!(c.feed(b""), (0, true));
    }

    #[tokio::test]
    async fn sink_writes_header_then_body() {
        let mut s = BodySink::new(Vec::new(), b"H: 1\r\n", 10);
        s.push(b"0123456789").await;
        assert_eq!(s.octets(), 10);
        let w = s.finish().await.unwrap();
        assert_eq!(w, b"H: 1\r\n0123456789");
    }

    #[tokio::test]
    async fn sink_flushes_large_bodies_in_pieces() {
        let mut s = BodySink::new(Vec::new(), b"", u64::MAX);
        for _ in 0..5 {
            s.push(&vec![b'x'; FLUSH_AT / 2 + 1]).await;
            assert!(s.pending.len() < FLUSH_AT);
        }
        assert_eq!(s.finish().await.unwrap().len(), 5 * (FLUSH_AT / 2 + 1));
    }

    #[tokio::test]
    async fn sink_over_the_limit_swallows_the_rest() {
        let mut s = BodySink::new(Vec::new(), b"", 10);
        s.push(b"012345").await;
        s.push(b"6789X").await;
        assert!(s.is_failed());
        s.push(b"more").await;
        assert_eq!(s.octets(), 15);
        assert!(matches!(s.finish().await, Err(SinkError::TooBig)));
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn sink_reports_write_errors() {
        let mut s = BodySink::new(Broken, b"", u64::MAX);
        s.push(&vec![0; FLUSH_AT]).await;
        assert!(s.is_failed());
        assert!(matches!(s.finish().await, Err(SinkError::Io(_))));
    }

    #[test]
    fn received_header_shape() {
        let date = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let h = received_header(&Trace {
            helo: "client (evil)\r\nX: y",
            peer: "127.0.0.1".parse().unwrap(),
            hostname: "node.kapur.h",
            id: "abc",
            recipient: Some("bob@kapur.h"),
            date,
        });
        assert_eq!(
            h,
            "Received: from client??evil???X:?y ([127.0.0.1])\r\n\tby node.kapur.h with ESMTPSA id abc\r\n\tfor <bob@kapur.h>;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n"
        );
        let h = received_header(&Trace {
            helo: "c",
            peer: "::1".parse().unwrap(),
            hostname: "n",
            id: "i",
            recipient: None,
            date,
        });
        assert!(h.starts_with("Received: from c ([IPv6:::1])\r\n\tby n with ESMTPSA id i;\r\n\t"));
    }
}
