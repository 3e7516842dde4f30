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
#[path = "mime_tests.rs"]
mod tests;
