//! SMTP submission input from a client: DATA dot-unstuffing, BDAT chunks, the body sink, the
//! trace header and the sans-I/O session. Nothing may panic; a body decodes the same however
//! the network slices it; replies stay well-formed single lines whatever the client echoes;
//! no body is taken before TLS and login.

#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use i18n::I18n;
use libfuzzer_sys::fuzz_target;
use smtp::data::{BodySink, Chunk, DotDecoder, SinkError, Trace, received_header};
use smtp::{
    AuthOutcome, Limits, Lookup, MAX_AUTH_LINE, MAX_LINE, Outcome, Reply, Session, Step, User,
};

/// The texts replies are made of, as the node ships them.
const TEXTS: i18n::Table = &[("en-US", &[include_str!("../../locales/en-US/smtp.ftl")])];

const MAX_MESSAGE: u64 = 1000;

fn i18n() -> &'static I18n {
    static I: OnceLock<I18n> = OnceLock::new();
    I.get_or_init(|| I18n::new(TEXTS, "en-US").unwrap())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

/// Decodes `wire` as DATA input cut at `cuts`: (body, octets consumed, end marker seen).
fn dot_decode(wire: &[u8], cuts: &[usize]) -> (Vec<u8>, usize, bool) {
    let mut d = DotDecoder::new();
    let mut body = Vec::new();
    let mut used = 0;
    let mut start = 0;
    for end in cuts.iter().copied().chain([wire.len()]) {
        let end = end.clamp(start, wire.len());
        let piece = &wire[start..end];
        let n = d.feed(piece);
        body.extend_from_slice(d.ready());
        d.clear_ready();
        used += n;
        if d.is_done() {
            return (body, used, true);
        }
        assert_eq!(n, piece.len(), "input left over before the end marker");
        start = end;
    }
    (body, used, false)
}

/// Dot-stuffs a body the way a client sends it, end marker included.
fn dot_encode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut line_start = true;
    for (i, &b) in body.iter().enumerate() {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n' && i > 0 && body[i - 1] == b'\r';
    }
    out.extend_from_slice(b".\r\n");
    out
}

fn dot_data(data: &[u8]) {
    let (cuts, wire) = data.split_at(data.len().min(3));
    let whole = dot_decode(wire, &[]);
    let cuts: Vec<usize> = cuts.iter().map(|&c| usize::from(c)).collect();
    assert_eq!(dot_decode(wire, &cuts), whole, "slicing changed the body");
    let bytewise: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(
        dot_decode(wire, &bytewise),
        whole,
        "slicing changed the body"
    );
    let (body, used, done) = whole;
    if done {
        let consumed = &wire[..used];
        assert!(
            consumed == b".\r\n" || consumed.ends_with(b"\r\n.\r\n"),
            "ended without the end marker: {consumed:?}"
        );
        assert!(body.is_empty() || body.ends_with(b"\r\n"));
        let again = dot_encode(&body);
        assert_eq!(
            dot_decode(&again, &[]),
            (body, again.len(), true),
            "stuffing and unstuffing changed the body"
        );
    } else {
        assert_eq!(used, wire.len());
    }
}

fn bdat(data: &[u8]) {
    let [a, b, flags, wire @ ..] = data else {
        return;
    };
    let size = usize::from(u16::from_le_bytes([*a, *b])) % 2048;
    let mut keep = Chunk::keep(size, flags & 1 != 0);
    let mut skip = Chunk::skip(size);
    let step = usize::from(flags >> 1).max(1);
    let (mut kept, mut taken, mut skipped) = (Vec::new(), 0, 0);
    let (mut kept_done, mut skip_done) = (size == 0, size == 0);
    for piece in wire.chunks(step) {
        if !kept_done {
            let (n, done) = keep.feed(piece);
            kept.extend_from_slice(keep.ready());
            keep.clear_ready();
            taken += n;
            kept_done = done;
        }
        if !skip_done {
            let (n, done) = skip.feed(piece);
            assert!(skip.ready().is_empty());
            skipped += n;
            skip_done = done;
        }
    }
    let want = size.min(wire.len());
    assert_eq!(taken, want);
    assert_eq!(skipped, want);
    assert_eq!(kept, &wire[..want], "a chunk is taken verbatim");
    assert_eq!(kept_done, wire.len() >= size);
    assert_eq!(skip_done, wire.len() >= size);
}

fn sink(data: &[u8]) {
    let [limit, header_len, rest @ ..] = data else {
        return;
    };
    let limit = u64::from(*limit);
    let (header, body) = rest.split_at(rest.len().min(usize::from(*header_len) % 64));
    runtime().block_on(async {
        let mut s = BodySink::new(Vec::new(), header, limit);
        for piece in body.chunks(7) {
            s.push(piece).await;
        }
        assert_eq!(s.octets(), body.len() as u64);
        match s.finish().await {
            Ok(w) => {
                assert!(body.len() as u64 <= limit);
                assert_eq!(w, [header, body].concat());
            }
            Err(SinkError::TooBig) => assert!(body.len() as u64 > limit),
            Err(SinkError::Io(e)) => panic!("writing to memory failed: {e}"),
        }
    });
}

fn trace(data: &[u8]) {
    let [ip @ .., v6] = data.get(..17).unwrap_or_default() else {
        return;
    };
    let peer = if v6 & 1 == 0 {
        IpAddr::from(<[u8; 4]>::try_from(&ip[..4]).unwrap())
    } else {
        IpAddr::from(<[u8; 16]>::try_from(ip).unwrap())
    };
    let text = String::from_utf8_lossy(&data[17..]);
    let (helo, recipient) = match text.split_once('\0') {
        Some((h, r)) => (h, Some(r)),
        None => (text.as_ref(), None),
    };
    let h = received_header(&Trace {
        helo,
        peer,
        hostname: "node.b.h",
        id: "abc",
        recipient,
        date: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    });
    let b = h.as_bytes();
    assert!(h.starts_with("Received: from ") && h.ends_with("\r\n"));
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\r' => assert_eq!(b.get(i + 1), Some(&b'\n'), "bare CR in {h:?}"),
            // Every line after the first is a continuation of the one header field.
            b'\n' => assert!(
                b[i - 1] == b'\r' && (i + 1 == b.len() || b[i + 1] == b'\t'),
                "header line injected: {h:?}"
            ),
            _ => {}
        }
    }
}

/// A reply as it goes on the wire: lines of `code-`/`code SP` text, each inside the RFC 5321
/// limit and without line breaks of its own.
fn check_reply(r: &Reply) {
    assert!((200..600).contains(&r.code), "{r:?}");
    if let Some(st) = r.status {
        assert_eq!(u16::from(st.0), r.code / 100, "{r:?}");
    }
    let mut wire = Vec::new();
    r.write_to(&mut wire);
    let lines: Vec<&[u8]> = wire.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), r.lines.len());
    for (i, l) in lines.iter().enumerate() {
        assert!(l.len() <= 512, "reply line too long: {} octets", l.len());
        let body = l.strip_suffix(b"\r\n").expect("CRLF at the end");
        assert!(
            !body.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0),
            "line break inside a reply: {l:?}"
        );
        let sep = if i + 1 == lines.len() { b' ' } else { b'-' };
        assert!(body.len() >= 4 && body[..3].iter().all(u8::is_ascii_digit) && body[3] == sep);
    }
}

/// Plays a client connection against the session: `wire` is what the client sends,
/// `decisions` stand in for the password check, recipient look-ups and the store.
struct Play<'w> {
    s: Session<'static>,
    wire: &'w [u8],
    pos: usize,
    decisions: &'w [u8],
    next: usize,
    tls: bool,
    bdat_octets: u64,
}

impl<'w> Play<'w> {
    fn decide(&mut self) -> u8 {
        let d = self.decisions.get(self.next % self.decisions.len().max(1));
        self.next += 1;
        d.copied().unwrap_or(0)
    }

    /// The next command line as the connection frames it: `Err` for one that was too long.
    fn line(&mut self) -> Option<Result<&'w [u8], ()>> {
        let avail = &self.wire[self.pos..];
        if avail.is_empty() {
            return None;
        }
        let max = if self.s.awaiting_auth()
            || avail[..avail.len().min(5)].eq_ignore_ascii_case(b"AUTH ")
        {
            MAX_AUTH_LINE
        } else {
            MAX_LINE
        };
        match avail.iter().position(|&b| b == b'\n') {
            Some(i) if i < max => {
                self.pos += i + 1;
                Some(Ok(&self.wire[self.pos - i - 1..self.pos]))
            }
            Some(i) => {
                self.pos += i + 1;
                Some(Err(()))
            }
            None if avail.len() >= max => {
                self.pos = self.wire.len();
                Some(Err(()))
            }
            None => None,
        }
    }

    /// Reads a BDAT chunk's octets; `None` when the input ends first.
    fn chunk(&mut self, mut c: Chunk) -> Option<Vec<u8>> {
        let (n, done) = c.feed(&self.wire[self.pos..]);
        self.pos += n;
        done.then(|| c.ready().to_vec())
    }

    fn finish(&mut self, octets: u64) -> Step {
        assert!(self.s.plan().is_some(), "a body without a transaction");
        let outcome = if octets > MAX_MESSAGE {
            Outcome::TooBig
        } else if self.decide() & 1 == 0 {
            Outcome::Delivered
        } else {
            Outcome::Failed
        };
        self.s.message_done(outcome)
    }

    /// Carries out `step`; `false` when the connection ends.
    fn apply(&mut self, mut step: Step) -> bool {
        loop {
            step = match step {
                Step::Reply(r) => {
                    check_reply(&r);
                    return true;
                }
                Step::Quit(r) | Step::Close(r) => {
                    check_reply(&r);
                    return false;
                }
                Step::StartTls(r) => {
                    check_reply(&r);
                    assert!(!self.tls, "STARTTLS offered twice");
                    self.tls = true;
                    self.s.tls_started();
                    return true;
                }
                Step::Authenticate { user, password } => {
                    assert!(self.tls, "credentials taken in the clear");
                    assert!(!user.is_empty() && !password.is_empty());
                    match self.decide() % 3 {
                        0 => {
                            let address = mailbox::normalize_address(&user).unwrap_or(user);
                            self.s
                                .auth_done(AuthOutcome::Ok, Some(User { id: 1, address }))
                        }
                        1 => self.s.auth_done(AuthOutcome::Invalid, None),
                        _ => self.s.auth_done(AuthOutcome::Unavailable, None),
                    }
                }
                Step::LookupRecipient { address } => {
                    assert!(self.s.user().is_some());
                    let found = match self.decide() % 6 {
                        0 => Lookup::Found(User {
                            id: 2 + u64::from(self.decide() % 4),
                            address: address.clone(),
                        }),
                        1 => Lookup::Remote(address.clone()),
                        2 => Lookup::NotHosted,
                        3 => Lookup::NotAllowed,
                        4 => Lookup::NetworkUnavailable,
                        _ => Lookup::Unavailable,
                    };
                    self.s.recipient_done(&address, found)
                }
                Step::Data => {
                    assert!(self.tls && self.s.user().is_some(), "DATA before login");
                    if self.decide() % 8 == 0 {
                        self.s.data_refused()
                    } else {
                        check_reply(&self.s.data_opened());
                        let mut d = DotDecoder::new();
                        let n = d.feed(&self.wire[self.pos..]);
                        self.pos += n;
                        if !d.is_done() {
                            return false;
                        }
                        let octets = d.ready().len() as u64;
                        self.finish(octets)
                    }
                }
                Step::Bdat { size, last } => {
                    assert!(self.tls && self.s.user().is_some(), "BDAT before login");
                    self.bdat_octets += size as u64;
                    assert!(self.bdat_octets <= MAX_MESSAGE, "BDAT past the size limit");
                    if self.chunk(Chunk::keep(size, last)).is_none() {
                        return false;
                    }
                    if last {
                        let octets = self.bdat_octets;
                        self.finish(octets)
                    } else {
                        let ok = self.decide() % 8 != 0;
                        self.s.chunk_done(size, ok)
                    }
                }
                Step::SkipBdat { size, reply } => {
                    if self.chunk(Chunk::skip(size)).is_none() {
                        return false;
                    }
                    check_reply(&reply);
                    return true;
                }
            }
        }
    }
}

fn session(data: &[u8]) {
    let [flags, rest @ ..] = data else {
        return;
    };
    let (decisions, wire) = rest.split_at(rest.len().min(8));
    let tls = flags & 1 != 0;
    let limits = Limits {
        hostname: "node.b.h".into(),
        product: "WIMS".into(),
        max_message_size: MAX_MESSAGE,
        max_recipients: 3,
    };
    let mut p = Play {
        s: Session::new(i18n(), limits, tls),
        wire,
        pos: 0,
        decisions,
        next: 0,
        tls,
        bdat_octets: 0,
    };
    check_reply(&p.s.greeting());
    check_reply(&p.s.timeout());
    while let Some(line) = p.line() {
        if !p.s.body_in_progress() {
            p.bdat_octets = 0;
        }
        let step = match line {
            Ok(l) => p.s.line(l),
            Err(()) => p.s.line_too_long(),
        };
        if !p.apply(step) {
            break;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => dot_data(rest),
        1 => bdat(rest),
        2 => sink(rest),
        3 => trace(rest),
        _ => session(rest),
    }
});
