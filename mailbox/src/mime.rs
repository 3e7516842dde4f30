//! Streaming MIME structure scanner.
//!
//! Bodies are never held: the scanner sees the message line by line as it is written to its blob,
//! keeps only the header block of each part (bounded), and records byte offsets, sizes and line
//! counts. That is all IMAP needs for ENVELOPE, BODYSTRUCTURE and BODY[section] fetches, which then
//! read exactly the bytes they need from the blob.

use mail_parser::{Address, HeaderName, HeaderValue, MessageParser};
use serde::{Deserialize, Serialize};

/// Header blocks larger than this are truncated for parsing (the bytes still count in offsets).
const MAX_HEADER: usize = 256 * 1024;
/// Lines longer than this are cut for boundary matching only; no boundary is that long.
const MAX_LINE_KEEP: usize = 1024;
/// The top header block is kept for the store's header cache when no larger than this.
const CACHED_HEADER: usize = 64 * 1024;
/// How much structure the scanner records. Every part costs memory and a record in the
/// store, and the scanner runs on mail from anyone (submission, APPEND, a remote sender before
/// the signature is checked), so both are capped; past a cap the rest is opaque body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimeLimits {
    /// Entities in one message, the message itself included.
    pub max_parts: usize,
    /// Entities nested inside each other, the message itself included.
    pub max_depth: usize,
}

impl Default for MimeLimits {
    fn default() -> Self {
        MimeLimits {
            max_parts: 5000,
            max_depth: 32,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EmailAddress {
    pub name: Option<String>,
    /// Local part; `None` with a `name` marks an RFC 822 group start, both `None` a group end.
    pub mailbox: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Envelope {
    pub date: Option<String>,
    pub subject: Option<String>,
    pub from: Vec<EmailAddress>,
    pub sender: Vec<EmailAddress>,
    pub reply_to: Vec<EmailAddress>,
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    pub bcc: Vec<EmailAddress>,
    pub in_reply_to: Option<String>,
    pub message_id: Option<String>,
}

/// One MIME entity with its position in the raw message.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BodyPart {
    pub header_offset: u64,
    pub header_len: u64,
    pub body_offset: u64,
    pub body_len: u64,
    pub body_lines: u64,
    /// Lower-case media type and subtype, e.g. `text` / `plain`.
    pub media_type: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
    pub id: Option<String>,
    pub description: Option<String>,
    pub encoding: Option<String>,
    pub md5: Option<String>,
    pub disposition: Option<(String, Vec<(String, String)>)>,
    pub language: Vec<String>,
    pub location: Option<String>,
    /// Children of a multipart.
    pub parts: Vec<BodyPart>,
    /// The encapsulated message of a message/rfc822 part.
    pub message: Option<Box<(Envelope, BodyPart)>>,
}

impl BodyPart {
    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }
    pub fn is_message(&self) -> bool {
        self.message.is_some()
    }
}

#[derive(Debug, PartialEq)]
enum Mode {
    Header,
    Leaf,
    /// Inside a multipart, before its first delimiter or after its close delimiter.
    Outside,
    /// Inside a multipart, a child entity is open above this frame.
    Children,
    /// message/rfc822 whose encapsulated message is open above this frame.
    Encapsulating,
}

struct Frame {
    part: BodyPart,
    mode: Mode,
    header: Vec<u8>,
    boundary: Option<Vec<u8>>,
    lines: u64,
    envelope: Option<Envelope>,
    /// Whether this frame is the body of a message/rfc822 parent rather than a multipart child.
    encapsulated: bool,
    default_type: (&'static str, &'static str),
}

impl Frame {
    fn new(offset: u64, encapsulated: bool, default_type: (&'static str, &'static str)) -> Self {
        Frame {
            part: BodyPart {
                header_offset: offset,
                ..Default::default()
            },
            mode: Mode::Header,
            header: Vec::new(),
            boundary: None,
            lines: 0,
            envelope: None,
            encapsulated,
            default_type,
        }
    }
}

/// Feed it the raw message in any slicing; call [`Scanner::finish`] at the end.
pub struct Scanner {
    stack: Vec<Frame>,
    offset: u64,
    line: Vec<u8>,
    line_len: u64,
    line_start: u64,
    /// Length of the previous line's terminator, which belongs to a following delimiter.
    prev_eol: u64,
    /// The last two bytes of the current line, to tell its terminator.
    tail: [u8; 2],
    /// The message's own header block, when small enough to cache.
    root_header: Option<Vec<u8>>,
    limits: MimeLimits,
    /// Entities opened so far, the message itself included.
    parts: usize,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    pub fn new() -> Self {
        Self::with_limits(MimeLimits::default())
    }

    pub fn with_limits(limits: MimeLimits) -> Self {
        Scanner {
            limits,
            parts: 1,
            stack: vec![Frame::new(0, false, ("text", "plain"))],
            offset: 0,
            line: Vec::new(),
            line_len: 0,
            line_start: 0,
            prev_eol: 0,
            tail: [0, 0],
            root_header: None,
        }
    }

    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match data.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.push_bytes(&data[..=i]);
                    data = &data[i + 1..];
                    self.end_line();
                }
                None => {
                    self.push_bytes(data);
                    data = &[];
                }
            }
        }
    }

    fn push_bytes(&mut self, b: &[u8]) {
        if self.line_len == 0 {
            self.line_start = self.offset;
            self.tail = [0, 0];
        }
        match b {
            [.., x, y] => self.tail = [*x, *y],
            [y] => self.tail = [self.tail[1], *y],
            [] => {}
        }
        self.offset += b.len() as u64;
        self.line_len += b.len() as u64;
        // Header lines are needed whole (up to the header cap); body lines only for delimiters.
        let in_header = self.stack.last().is_some_and(|f| f.mode == Mode::Header);
        if in_header {
            let f = self.stack.last_mut().expect("frame");
            let room = MAX_HEADER.saturating_sub(f.header.len());
            f.header.extend_from_slice(&b[..b.len().min(room)]);
        }
        let room = MAX_LINE_KEEP.saturating_sub(self.line.len());
        self.line.extend_from_slice(&b[..b.len().min(room)]);
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let start = self.line_start;
        let end = start + self.line_len;
        self.line_len = 0;
        // From the line's real end: `line` keeps only the start of a long one.
        let eol = match self.tail {
            [b'\r', b'\n'] => 2,
            [_, b'\n'] => 1,
            _ => 0,
        };
        self.process(&line, start, end, true);
        self.prev_eol = eol;
    }

    /// Whether another entity may be opened at the current depth.
    fn room_for_part(&self) -> bool {
        self.parts < self.limits.max_parts && self.stack.len() < self.limits.max_depth
    }

    /// Lines are counted by their line feeds, as Dovecot does: a last line without one adds
    /// nothing.
    fn process(&mut self, line: &[u8], start: u64, end: u64, terminated: bool) {
        let lf = u64::from(terminated);
        // Once the part cap is reached delimiters are no longer looked for: what follows is
        // body of the entity open then.
        if line.starts_with(b"--") && self.parts < self.limits.max_parts {
            let content = trim_trailing_ws(trim_eol(line));
            let hit = self.stack.iter().rposition(|f| {
                f.boundary.as_deref().is_some_and(|b| {
                    content.len() >= 2 + b.len() && &content[2..2 + b.len()] == b && {
                        let rest = &content[2 + b.len()..];
                        rest.is_empty() || rest == b"--"
                    }
                })
            });
            if let Some(i) = hit {
                let boundary_len = self.stack[i].boundary.as_ref().map_or(0, |b| b.len());
                let close = trim_trailing_ws(trim_eol(line)).len() == 2 + boundary_len + 2;
                let body_end = start.saturating_sub(self.prev_eol);
                // The line break cut off for the delimiter takes its line with it: a body of
                // "hello\r\n" before "\r\n--b" has one line, as Dovecot counts.
                let cut = u64::from(self.prev_eol > 0);
                while self.stack.len() > i + 1 {
                    self.close_top(body_end, cut);
                }
                for f in &mut self.stack {
                    f.lines += lf;
                }
                let f = &mut self.stack[i];
                if close {
                    f.mode = Mode::Outside;
                } else {
                    f.mode = Mode::Children;
                    let digest = f.part.subtype == "digest";
                    let dt = if digest {
                        ("message", "rfc822")
                    } else {
                        ("text", "plain")
                    };
                    if self.room_for_part() {
                        self.parts += 1;
                        self.stack.push(Frame::new(end, false, dt));
                    }
                }
                return;
            }
        }
        if self.stack.last().is_some_and(|f| f.mode == Mode::Header) {
            // Header lines of an inner entity are body lines of every entity around it.
            let n = self.stack.len();
            for f in &mut self.stack[..n - 1] {
                f.lines += lf;
            }
            let content = trim_eol(line);
            if content.is_empty() {
                self.end_header(end);
            }
            return;
        }
        for f in &mut self.stack {
            f.lines += lf;
        }
    }

    fn end_header(&mut self, body_offset: u64) {
        let depth = self.stack.len();
        let f = self.stack.last_mut().expect("frame");
        let header = std::mem::take(&mut f.header);
        f.part.header_len = body_offset - f.part.header_offset;
        f.part.body_offset = body_offset;
        describe(&mut f.part, &header, f.default_type);
        let is_root = depth == 1;
        let complete = header.len() as u64 == f.part.header_len;
        if f.encapsulated || f.part.header_offset == 0 {
            f.envelope = Some(envelope(&header));
        }
        if is_root && complete && header.len() <= CACHED_HEADER {
            self.root_header = Some(header);
        }
        let nested_ok = self.room_for_part();
        let f = self.stack.last_mut().expect("frame");
        if f.part.media_type == "multipart" && nested_ok {
            let b = f
                .part
                .params
                .iter()
                .find(|(k, _)| k == "boundary")
                .map(|(_, v)| v.as_bytes().to_vec());
            match b {
                Some(b) if !b.is_empty() => {
                    f.boundary = Some(b);
                    f.mode = Mode::Outside;
                }
                _ => f.mode = Mode::Leaf,
            }
        } else if f.part.media_type == "message"
            && (f.part.subtype == "rfc822" || f.part.subtype == "global")
            && nested_ok
            && !matches!(
                f.part.encoding.as_deref(),
                Some(e) if e.eq_ignore_ascii_case("base64") || e.eq_ignore_ascii_case("quoted-printable")
            )
        {
            f.mode = Mode::Encapsulating;
            self.parts += 1;
            self.stack
                .push(Frame::new(body_offset, true, ("text", "plain")));
        } else {
            f.mode = Mode::Leaf;
        }
    }

    fn close_top(&mut self, end: u64, lines_cut: u64) {
        let mut f = self.stack.pop().expect("frame");
        if f.mode == Mode::Header {
            // Headers without a blank line: everything is header, the body is empty.
            let header = std::mem::take(&mut f.header);
            f.part.header_len = end.saturating_sub(f.part.header_offset);
            f.part.body_offset = end.max(f.part.header_offset);
            describe(&mut f.part, &header, f.default_type);
            if f.encapsulated || f.part.header_offset == 0 {
                f.envelope = Some(envelope(&header));
            }
        }
        // The line break before a delimiter belongs to the delimiter, so an entity can end
        // before its own header did (a header that is only a blank line right before the next
        // delimiter): its ranges are cut back to its end, never past its parent's body.
        let header_end = f.part.header_offset + f.part.header_len;
        if header_end > end {
            f.part.header_len = end.saturating_sub(f.part.header_offset);
        }
        f.part.body_offset = f.part.body_offset.min(end.max(f.part.header_offset));
        f.part.body_len = end.saturating_sub(f.part.body_offset);
        f.part.body_lines = f.lines.saturating_sub(lines_cut);
        if let Some(parent) = self.stack.last_mut() {
            if f.encapsulated {
                parent.part.message = Some(Box::new((f.envelope.unwrap_or_default(), f.part)));
            } else {
                parent.part.parts.push(f.part);
            }
        } else {
            self.stack.push(f);
        }
    }

    /// Ends the message and returns its envelope and structure.
    pub fn finish(self) -> (Envelope, BodyPart) {
        let (e, p, _) = self.finish_with_header();
        (e, p)
    }

    /// As [`Scanner::finish`], with the message's header block when it was small enough to keep.
    pub fn finish_with_header(mut self) -> (Envelope, BodyPart, Option<Vec<u8>>) {
        if self.line_len > 0 {
            let line = std::mem::take(&mut self.line);
            let (s, e) = (self.line_start, self.offset);
            self.line_len = 0;
            self.process(&line, s, e, false);
        }
        let end = self.offset;
        while self.stack.len() > 1 {
            self.close_top(end, 0);
        }
        self.close_top(end, 0);
        let root = self.stack.pop().expect("root frame");
        (
            root.envelope.unwrap_or_default(),
            root.part,
            self.root_header,
        )
    }
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn trim_trailing_ws(mut l: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = l {
        l = rest;
    }
    l
}

fn parse_header_block(header: &[u8]) -> Option<mail_parser::Message<'_>> {
    // mail-parser wants a header terminator to know the block ended.
    MessageParser::new().parse_headers(header)
}

fn describe(part: &mut BodyPart, header: &[u8], default_type: (&str, &str)) {
    part.media_type = default_type.0.into();
    part.subtype = default_type.1.into();
    let Some(msg) = parse_header_block(header) else {
        if part.media_type == "text" {
            part.params = vec![("charset".into(), "us-ascii".into())];
        }
        return;
    };
    if let Some(ct) = msg
        .header(HeaderName::ContentType)
        .and_then(|v| v.as_content_type())
    {
        part.media_type = ct.c_type.to_ascii_lowercase();
        part.subtype = ct
            .c_subtype
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| default_subtype(&part.media_type).into());
        part.params = attrs(ct.attributes.as_deref());
    }
    if part.media_type == "text" && !part.params.iter().any(|(k, _)| k == "charset") {
        part.params.push(("charset".into(), "us-ascii".into()));
    }
    part.id = raw_value(&msg, HeaderName::ContentId);
    part.description = raw_value(&msg, HeaderName::ContentDescription);
    part.encoding =
        raw_value(&msg, HeaderName::ContentTransferEncoding).map(|e| e.to_ascii_lowercase());
    part.md5 = raw_value(&msg, HeaderName::Other("Content-MD5".into()));
    part.location = raw_value(&msg, HeaderName::ContentLocation);
    if let Some(d) = msg
        .header(HeaderName::ContentDisposition)
        .and_then(|v| v.as_content_type())
    {
        part.disposition = Some((
            d.c_type.to_ascii_lowercase(),
            attrs(d.attributes.as_deref()),
        ));
    }
    if let Some(l) = msg.header(HeaderName::ContentLanguage) {
        part.language = match l {
            HeaderValue::TextList(v) => v.iter().map(|s| s.to_string()).collect(),
            HeaderValue::Text(t) => vec![t.to_string()],
            _ => Vec::new(),
        };
    }
}

fn default_subtype(media_type: &str) -> &'static str {
    match media_type {
        "text" => "plain",
        "multipart" => "mixed",
        "message" => "rfc822",
        _ => "octet-stream",
    }
}

fn attrs(a: Option<&[mail_parser::Attribute<'_>]>) -> Vec<(String, String)> {
    a.unwrap_or_default()
        .iter()
        .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
        .collect()
}

fn raw_value(msg: &mail_parser::Message<'_>, name: HeaderName<'_>) -> Option<String> {
    let raw = msg.header_raw(name)?;
    let v = unfold(raw);
    (!v.is_empty()).then_some(v)
}

/// Joins folded header lines and trims, as IMAP's ENVELOPE strings carry no CRLF.
fn unfold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, l) in raw.split('\n').enumerate() {
        let l = l.trim_end_matches('\r');
        if i > 0 && !l.trim().is_empty() {
            out.push(' ');
        }
        out.push_str(if i > 0 { l.trim_start() } else { l });
    }
    out.trim().to_string()
}

fn envelope(header: &[u8]) -> Envelope {
    let Some(msg) = parse_header_block(header) else {
        return Envelope::default();
    };
    let from = addresses(msg.from());
    let sender = addresses(msg.sender());
    let reply_to = addresses(msg.reply_to());
    Envelope {
        date: raw_value(&msg, HeaderName::Date),
        subject: raw_value(&msg, HeaderName::Subject),
        // RFC 3501: sender and reply-to default to from.
        sender: if sender.is_empty() {
            from.clone()
        } else {
            sender
        },
        reply_to: if reply_to.is_empty() {
            from.clone()
        } else {
            reply_to
        },
        from,
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        bcc: addresses(msg.bcc()),
        in_reply_to: raw_value(&msg, HeaderName::InReplyTo),
        message_id: raw_value(&msg, HeaderName::MessageId),
    }
}

/// `None` for a name without an address (`group: (comment) ;`), which is not an address. An
/// obsolete source route stays in front of the local part (`@route:user`); ENVELOPE takes it
/// apart.
fn split_addr(a: &mail_parser::Addr<'_>) -> Option<EmailAddress> {
    let s = a.address.as_deref()?;
    let (mailbox, host) = match s.rsplit_once('@') {
        Some((l, h)) => (Some(l.to_string()), Some(h.to_string())),
        None => (Some(s.to_string()), None),
    };
    Some(EmailAddress {
        name: a.name.as_ref().map(|n| n.to_string()),
        mailbox,
        host,
    })
}

fn addresses(a: Option<&Address<'_>>) -> Vec<EmailAddress> {
    match a {
        None => Vec::new(),
        Some(Address::List(l)) => l.iter().filter_map(split_addr).collect(),
        Some(Address::Group(groups)) => {
            let mut out = Vec::new();
            for g in groups {
                match &g.name {
                    Some(name) => {
                        out.push(EmailAddress {
                            name: None,
                            mailbox: Some(name.to_string()),
                            host: None,
                        });
                        out.extend(g.addresses.iter().filter_map(split_addr));
                        out.push(EmailAddress::default());
                    }
                    None => out.extend(g.addresses.iter().filter_map(split_addr)),
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(raw: &[u8], step: usize) -> (Envelope, BodyPart) {
        let mut s = Scanner::new();
        for c in raw.chunks(step) {
            s.feed(c);
        }
        s.finish()
    }

    fn slice(raw: &[u8], off: u64, len: u64) -> &[u8] {
        &raw[off as usize..(off + len) as usize]
    }

    /// Every nested part's bytes lie inside its parent's body.
    fn assert_nested(p: &BodyPart) {
        let (start, end) = (p.body_offset, p.body_offset + p.body_len);
        assert!(p.header_offset <= p.body_offset);
        for c in p.parts.iter().chain(p.message.as_ref().map(|m| &m.1)) {
            for (off, len) in [(c.header_offset, c.header_len), (c.body_offset, c.body_len)] {
                assert!(
                    len == 0 || (start <= off && off + len <= end),
                    "{c:?} outside {p:?}"
                );
            }
            assert_nested(c);
        }
    }

    #[test]
    fn encapsulated_blank_header_before_a_delimiter_stays_inside() {
        for raw in [
            &b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: message/rfc822\n\n\n--XX--\n"[..],
            b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n--XX\r\n\r\n--XX--",
            b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\n--XX--\n",
        ] {
            for step in [1, 3, raw.len()] {
                let (_, p) = scan(raw, step);
                assert_nested(&p);
            }
        }
    }

    #[test]
    fn simple_text_message() {
        let raw = b"From: Alice <alice@a.h>\r\nTo: bob@b.h\r\nSubject: Hi\r\nMessage-ID: <1@a.h>\r\n\r\nline one\r\nline two\r\n";
        for step in [1, 3, 1000] {
            let (env, part) = scan(raw, step);
            assert_eq!(env.subject.as_deref(), Some("Hi"));
            assert_eq!(env.from[0].mailbox.as_deref(), Some("alice"));
            assert_eq!(env.from[0].host.as_deref(), Some("a.h"));
            assert_eq!(env.from[0].name.as_deref(), Some("Alice"));
            assert_eq!(env.sender, env.from);
            assert_eq!(env.message_id.as_deref(), Some("<1@a.h>"));
            assert_eq!(
                (part.media_type.as_str(), part.subtype.as_str()),
                ("text", "plain")
            );
            assert_eq!(
                slice(raw, part.body_offset, part.body_len),
                b"line one\r\nline two\r\n"
            );
            assert_eq!(part.body_lines, 2);
        }
    }

    #[test]
    fn multipart_with_nested_message() {
        let raw = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=YY\r\n\r\n--YY\r\n\r\ninner text\r\n--YY--\r\n\r\n--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n\r\nAAAA\r\nBBBB\r\n--XX--\r\nepilogue\r\n";
        for step in [1, 7, 10_000] {
            let (env, root) = scan(raw, step);
            assert_eq!(env.subject.as_deref(), Some("outer"));
            assert!(root.is_multipart());
            assert_eq!(root.parts.len(), 3);
            let p1 = &root.parts[0];
            assert_eq!(slice(raw, p1.body_offset, p1.body_len), b"hello");
            assert_eq!(
                p1.body_lines, 0,
                "the break before the delimiter is not the body's"
            );
            assert_eq!(
                p1.params,
                vec![("charset".to_string(), "utf-8".to_string())]
            );
            let p2 = &root.parts[1];
            let (ienv, inner) = &**p2.message.as_ref().unwrap();
            assert_eq!(ienv.subject.as_deref(), Some("inner"));
            assert!(inner.is_multipart());
            assert_eq!(inner.parts.len(), 1);
            assert_eq!(
                slice(raw, inner.parts[0].body_offset, inner.parts[0].body_len),
                b"inner text"
            );
            assert_eq!(inner.parts[0].subtype, "plain");
            let p3 = &root.parts[2];
            assert_eq!(slice(raw, p3.body_offset, p3.body_len), b"AAAA\r\nBBBB");
            assert_eq!(p3.encoding.as_deref(), Some("base64"));
            let (d, params) = p3.disposition.as_ref().unwrap();
            assert_eq!(d, "attachment");
            assert_eq!(params[0], ("filename".to_string(), "a.bin".to_string()));
            assert_eq!(
                slice(raw, p3.header_offset, p3.header_len).len() as u64,
                p3.header_len
            );
        }
    }

    #[test]
    fn binary_body_with_nul() {
        let raw = b"From: user@domain.org\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\0-\xe4\n\r\n\n\n";
        let (_, p) = scan(raw, 1000);
        assert_eq!(p.body_len, 8, "{p:?}");
    }

    #[test]
    fn lines_are_counted_by_line_feeds() {
        let long = "x".repeat(5000);
        let raw = format!(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhello\r\n\r\n--b\r\n\r\n{long}\r\n--b--\r\n"
        );
        for step in [1, 100, 100_000] {
            let (_, root) = scan(raw.as_bytes(), step);
            let (p1, p2) = (&root.parts[0], &root.parts[1]);
            assert_eq!(
                slice(raw.as_bytes(), p1.body_offset, p1.body_len),
                b"hello\r\n"
            );
            assert_eq!(p1.body_lines, 1);
            // A long line's terminator is found even though only its start is kept.
            assert_eq!(p2.body_len, 5000);
            assert_eq!(p2.body_lines, 0);
        }
        let (_, p) = scan(b"Subject: x\r\n\r\none\r\ntwo", 3);
        assert_eq!(
            p.body_lines, 1,
            "an unterminated last line has no line feed"
        );
    }

    #[test]
    fn header_only_and_garbage_do_not_panic() {
        let (_, p) = scan(b"Subject: x", 2);
        assert_eq!(p.body_len, 0);
        let (_, p) = scan(b"", 1);
        assert_eq!(p.body_len, 0);
        let (_, p) = scan(
            b"Content-Type: multipart/mixed; boundary=Q\r\n\r\n--Q\r\n--Q\r\n--Q--",
            1,
        );
        assert_eq!(p.parts.len(), 2);
        let (_, p) = scan(&[0xff, b'\n', b'\n', 0, 1, 2], 1);
        assert_eq!(p.body_len, 3);
    }

    fn count_parts(p: &BodyPart) -> usize {
        1 + p.parts.iter().map(count_parts).sum::<usize>()
            + p.message.as_ref().map_or(0, |m| count_parts(&m.1))
    }

    fn depth(p: &BodyPart) -> usize {
        1 + p
            .parts
            .iter()
            .map(depth)
            .chain(p.message.as_ref().map(|m| depth(&m.1)))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_million_empty_parts_stop_at_the_part_cap() {
        let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        raw.extend(b"--b\r\n\r\n".repeat(1_000_000));
        raw.extend_from_slice(b"--b--\r\n");
        let limits = MimeLimits {
            max_parts: 100,
            max_depth: 32,
        };
        let mut s = Scanner::with_limits(limits);
        for c in raw.chunks(65536) {
            s.feed(c);
        }
        let (_, part) = s.finish();
        assert_eq!(count_parts(&part), 100);
        // The rest is the last part's body, so every byte is still accounted for.
        let last = part.parts.last().unwrap();
        assert_eq!(last.body_offset + last.body_len, raw.len() as u64);
    }

    #[test]
    fn nesting_stops_at_the_depth_cap() {
        let mut raw = Vec::new();
        for i in 0..200 {
            raw.extend(
                format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").bytes(),
            );
        }
        raw.extend_from_slice(b"\r\ninnermost\r\n");
        let (_, part) = scan(&raw, 4096);
        assert_eq!(depth(&part), MimeLimits::default().max_depth);
        let lim = MimeLimits {
            max_parts: 5000,
            max_depth: 4,
        };
        let mut s = Scanner::with_limits(lim);
        s.feed(&raw);
        assert_eq!(depth(&s.finish().1), 4);
    }
}
