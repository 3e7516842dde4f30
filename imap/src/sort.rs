//! SORT (RFC 5256) with DISPLAYFROM / DISPLAYTO (RFC 5957): sort keys from a message's
//! metadata and header, base subjects (RFC 5256 2.1) and the order they give. Text keys compare under
//! i;unicode-casemap (RFC 5051): titlecased, then NFKD-decomposed, then by code point, as
//! Dovecot compares them.

use std::cmp::Ordering;

use imap_codec::imap_types::extensions::sort::{SortCriterion, SortKey};
use mailbox::EmailAddress;

use crate::header::header_values;

/// A text key is cut to this many bytes: a longer subject or name changes no real order, and
/// a hostile one must not hold memory for every message of a folder.
const MAX_KEY_BYTES: usize = 256;
/// Subject text looked at for the base subject; hostile headers can be a megabyte long.
const MAX_SUBJECT_BYTES: usize = 8 * 1024;

/// Sort criteria in the client's order, each key once: a repeated key can never break a tie
/// its first use left, so dropping it changes no answer and bounds the work per comparison
/// whatever the client sends.
pub fn criteria(list: &[SortCriterion]) -> Vec<SortCriterion> {
    let mut out: Vec<SortCriterion> = Vec::new();
    for c in list {
        if !out.iter().any(|o| o.key == c.key) {
            out.push(c.clone());
        }
    }
    out
}

/// What a message sorts by under one criterion.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Num(i64),
    Text(String),
}

/// One message of a SORT result with its keys.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u32,
    pub uid: u32,
    pub modseq: u64,
    pub values: Vec<Value>,
}

/// What the keys of a message are made from.
pub struct Facts<'a> {
    /// Seconds since the epoch.
    pub internal_date: i64,
    pub size: u64,
    /// The raw Date and Subject fields, as the envelope has them.
    pub date: Option<&'a str>,
    pub subject: Option<&'a str>,
    /// The header block; only read when the criteria name an address key.
    pub header: &'a [u8],
}

/// Whether the criteria need the header block (address keys are parsed from it).
pub fn needs_header(criteria: &[SortCriterion]) -> bool {
    criteria.iter().any(|c| {
        matches!(
            c.key,
            SortKey::From | SortKey::To | SortKey::Cc | SortKey::DisplayFrom | SortKey::DisplayTo
        )
    })
}

/// The keys `criteria` (from [`criteria`]) name for a message.
pub fn values(criteria: &[SortCriterion], m: &Facts<'_>) -> Vec<Value> {
    criteria
        .iter()
        .map(|c| match c.key {
            SortKey::Arrival => Value::Num(m.internal_date),
            SortKey::Date => Value::Num(sent_date(m.date, m.internal_date)),
            SortKey::Size => Value::Num(i64::try_from(m.size).unwrap_or(i64::MAX)),
            SortKey::Subject => {
                let base = base_subject(m.subject.unwrap_or_default()).text;
                Value::Text(cut(&base, MAX_KEY_BYTES).to_string())
            }
            SortKey::From => Value::Text(mailbox_key(first_address(m.header, "from"))),
            SortKey::To => Value::Text(mailbox_key(first_address(m.header, "to"))),
            SortKey::Cc => Value::Text(mailbox_key(first_address(m.header, "cc"))),
            SortKey::DisplayFrom => Value::Text(display_key(first_address(m.header, "from"))),
            SortKey::DisplayTo => Value::Text(display_key(first_address(m.header, "to"))),
        })
        .collect()
}

/// Orders entries by the criteria their values were made for; messages equal under all of
/// them keep ascending sequence order (RFC 5256 3), whatever REVERSE asks.
pub fn order(entries: &mut [Entry], criteria: &[SortCriterion]) {
    entries.sort_by(|a, b| compare_keys(a, b, criteria).then(a.seq.cmp(&b.seq)));
}

/// The order of two entries by their keys alone.
pub fn compare_keys(a: &Entry, b: &Entry, criteria: &[SortCriterion]) -> Ordering {
    for (i, c) in criteria.iter().enumerate() {
        let o = a.values.get(i).cmp(&b.values.get(i));
        let o = if c.reverse { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The sent date in seconds since the epoch: the Date field in UTC, or the internal date when
/// the field is missing or unreadable (RFC 5256 2.2).
pub fn sent_date(date: Option<&str>, internal_date: i64) -> i64 {
    let Some(d) = date else {
        return internal_date;
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc2822(d) {
        return t.timestamp();
    }
    // Obsolete forms chrono refuses; mail-parser is lenient about them.
    let hdr = format!("Date: {d}\r\n\r\n");
    mail_parser::MessageParser::new()
        .parse_headers(hdr.as_bytes())
        .and_then(|m| m.date().map(|t| t.to_timestamp()))
        .unwrap_or(internal_date)
}

/// The first address of the first `field` of a header block, parsed as Dovecot does for
/// sorting: a group's name stands as the mailbox of its first entry, and a bare word without
/// `@` is a mailbox too.
fn first_address(header: &[u8], field: &str) -> Option<EmailAddress> {
    let value = header_values(header, field).into_iter().next()?;
    let mut hdr = format!("{field}: ").into_bytes();
    hdr.extend_from_slice(&value);
    hdr.extend_from_slice(b"\r\n\r\n");
    let msg = mail_parser::MessageParser::new().parse_headers(&hdr)?;
    let list = match field {
        "from" => msg.from(),
        "to" => msg.to(),
        _ => msg.cc(),
    }?;
    let addr = |a: &mail_parser::Addr<'_>| {
        let name = a.name.as_deref().map(str::to_string);
        match a.address.as_deref() {
            Some(s) => {
                let (mailbox, host) = match s.rsplit_once('@') {
                    Some((l, h)) => (l.to_string(), Some(h.to_string())),
                    None => (s.to_string(), None),
                };
                EmailAddress {
                    name,
                    mailbox: Some(mailbox),
                    host,
                }
            }
            None => EmailAddress {
                name: None,
                mailbox: name,
                host: None,
            },
        }
    };
    match list {
        mail_parser::Address::List(l) => l.first().map(addr),
        mail_parser::Address::Group(g) => {
            let g = g.first()?;
            match g.name.as_deref() {
                Some(n) => Some(EmailAddress {
                    name: None,
                    mailbox: Some(n.to_string()),
                    host: None,
                }),
                None => g.addresses.first().map(addr),
            }
        }
    }
}

/// The addr-mailbox of the first address (RFC 5256 3: FROM, TO, CC).
fn mailbox_key(a: Option<EmailAddress>) -> String {
    fold(a.and_then(|a| a.mailbox).as_deref().unwrap_or_default())
}

/// RFC 5957: the first address's display name, or its addr-spec when it has none.
fn display_key(a: Option<EmailAddress>) -> String {
    let Some(a) = a else {
        return String::new();
    };
    match (a.name.as_deref(), a.mailbox.as_deref(), a.host.as_deref()) {
        (Some(n), ..) if !n.trim().is_empty() => fold(n),
        (_, Some(m), Some(h)) => fold(&format!("{m}@{h}")),
        (_, m, _) => fold(m.unwrap_or_default()),
    }
}

/// Titlecase of one character, close to Unicode's simple titlecase mapping: the uppercase
/// when that is one character, the titlecase letters for the four digraphs that have them.
fn titlecase(c: char) -> char {
    match c {
        '\u{01C4}'..='\u{01C6}' => '\u{01C5}',
        '\u{01C7}'..='\u{01C9}' => '\u{01C8}',
        '\u{01CA}'..='\u{01CC}' => '\u{01CB}',
        '\u{01F1}'..='\u{01F3}' => '\u{01F2}',
        _ => {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        }
    }
}

/// i;unicode-casemap's form of a text (RFC 5051 2): titlecase, then NFKD; cut to
/// [`MAX_KEY_BYTES`].
pub fn fold(s: &str) -> String {
    fold_upto(s, MAX_KEY_BYTES)
}

fn fold_upto(s: &str, max: usize) -> String {
    let nfkd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfkd();
    let mut out = String::new();
    for c in nfkd.normalize_iter(s.chars().map(titlecase)) {
        // Decomposition can yield lowercase letters again (U+FB01 gives "fi").
        let c = titlecase(c);
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// RFC 2047 encoded words decoded; text without any is taken as it is.
fn decode_words(raw: &str) -> String {
    if !raw.contains("=?") {
        return raw.to_string();
    }
    let hdr = format!("Subject: {raw}\r\n\r\n");
    match mail_parser::MessageParser::new().parse_headers(hdr.as_bytes()) {
        Some(m) => m.subject().unwrap_or_default().to_string(),
        None => raw.to_string(),
    }
}

/// A subject reduced for sorting and threading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseSubject {
    /// Folded (see [`fold`]), so equal subjects have equal text; not cut to a key's length.
    pub text: String,
    /// Extraction took off a `Re:`, `Fwd:`, `(fwd)` or `[fwd: ...]`: the message is a reply or
    /// forward, which THREAD=REFERENCES needs when it gathers threads by subject.
    pub reply: bool,
}

/// The base subject of a raw (undecoded, unfolded) Subject field, RFC 5256 2.1.
pub fn base_subject(raw: &str) -> BaseSubject {
    // Step 1: decoded, and every run of white space one space. The whole (bounded) subject is
    // folded, so trailers at its end still count.
    let folded = fold_upto(
        &decode_words(cut(raw, MAX_SUBJECT_BYTES)),
        4 * MAX_SUBJECT_BYTES,
    );
    let mut text = String::with_capacity(folded.len());
    for w in folded
        .split([' ', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty())
    {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(w);
    }
    let (base, reply) = extract(&text);
    BaseSubject {
        text: base.to_string(),
        reply,
    }
}

/// Length of a subj-blob (`[...]` and the spaces after it) at the start of `s`.
fn blob_len(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let close = 1 + s[1..].iter().position(|&b| b == b'[' || b == b']')?;
    if s[close] != b']' {
        return None;
    }
    let mut end = close + 1;
    while s.get(end) == Some(&b' ') {
        end += 1;
    }
    Some(end)
}

/// Length of a subj-refwd (`RE`, `FW` or `FWD`, spaces, an optional blob, `:`) at the start.
fn refwd_len(s: &[u8]) -> Option<usize> {
    let mut i = if s.starts_with(b"RE") || (s.starts_with(b"FW") && !s.starts_with(b"FWD")) {
        2
    } else if s.starts_with(b"FWD") {
        3
    } else {
        return None;
    };
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    if let Some(b) = blob_len(&s[i..]) {
        i += b;
    }
    (s.get(i) == Some(&b':')).then_some(i + 1)
}

/// Steps 2 to 6 of RFC 5256 2.1 on folded text with single spaces. The blobs in front of a
/// position are scanned once however many of them step 4 takes off, so the work stays linear
/// in the subject's length.
fn extract(mut s: &str) -> (&str, bool) {
    let mut reply = false;
    loop {
        // Step 2: trailers.
        loop {
            if let Some(rest) = s.strip_suffix("(FWD)") {
                s = rest;
                reply = true;
            } else if let Some(rest) = s.strip_suffix(' ') {
                s = rest;
            } else {
                break;
            }
        }
        // Steps 3 to 5: leaders, and blobs that leave something behind.
        loop {
            if let Some(rest) = s.strip_prefix(' ') {
                s = rest;
                continue;
            }
            let b = s.as_bytes();
            let (mut at, mut last_blob) = (0, None);
            while let Some(n) = blob_len(&b[at..]) {
                last_blob = Some(at);
                at += n;
            }
            if let Some(n) = refwd_len(&b[at..]) {
                s = &s[at + n..];
                reply = true;
                continue;
            }
            // Step 4 takes the blobs one at a time while text follows; the leader test
            // between them fails at the same place each time.
            match last_blob {
                Some(_) if at < s.len() => s = &s[at..],
                Some(last) if last > 0 => s = &s[last..],
                _ => break,
            }
        }
        // Step 6: a "[fwd: ...]" wrapper.
        match s.strip_prefix("[FWD:").and_then(|r| r.strip_suffix(']')) {
            Some(inner) => {
                s = inner;
                reply = true;
            }
            None => return (s, reply),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> (String, bool) {
        let b = base_subject(s);
        (b.text, b.reply)
    }

    #[test]
    fn base_subjects_of_rfc_5256_forms() {
        assert_eq!(base("a"), ("A".into(), false));
        assert_eq!(base("Re: hello"), ("HELLO".into(), true));
        assert_eq!(base("RE[2]: hello"), ("HELLO".into(), true));
        assert_eq!(base("Fw:  hello\t (fwd)"), ("HELLO".into(), true));
        assert_eq!(base("hello (fwd) (FWD)"), ("HELLO".into(), true));
        assert_eq!(
            base("[list] Fwd: [other] Re: fw: deal (fWd)  (fwd)"),
            ("DEAL".into(), true)
        );
        assert_eq!(base("Re: [FWD: plans]"), ("PLANS".into(), true));
        assert_eq!(
            base("re: [fwd: [fwd: re: [fwd: nested]]]"),
            ("NESTED".into(), true)
        );
        assert_eq!(base("Ad: Re: Ad: x"), ("AD: RE: AD: X".into(), false));
        assert_eq!(base("plain (note)"), ("PLAIN (NOTE)".into(), false));
        assert_eq!(base("_"), ("_".into(), false));
        assert_eq!(base(""), ("".into(), false));
    }

    #[test]
    fn a_blob_goes_only_when_text_follows_it() {
        assert_eq!(base("[tag]"), ("[TAG]".into(), false));
        assert_eq!(base("[tag] news"), ("NEWS".into(), false));
        assert_eq!(base("[a] [b] [c]"), ("[C]".into(), false));
        assert_eq!(base("[a][b] Re: x"), ("X".into(), true));
        assert_eq!(base("[a] [b] re x"), ("RE X".into(), false));
        assert_eq!(base("[unclosed news"), ("[UNCLOSED NEWS".into(), false));
    }

    #[test]
    fn encoded_words_are_decoded_first() {
        assert_eq!(base("=?iso-8859-1?q?_?="), ("".into(), false));
        assert_eq!(base("Re: =?utf-8?q?b?="), ("B".into(), true));
        assert_eq!(base("=?iso-8859-1?q?RE:_C?="), ("C".into(), true));
        assert_eq!(base("=?us-ascii?b?UmU6IGM=?="), ("C".into(), true));
        assert_eq!(base("=?utf-8?q?=C3=A4rger?="), (fold("ärger"), false));
    }

    #[test]
    fn folding_is_titlecase_then_compatibility_decomposition() {
        assert_eq!(fold("abc [x]"), "ABC [X]");
        assert_eq!(fold("ä"), "A\u{308}");
        assert_eq!(fold("Ä"), fold("a\u{308}"));
        assert_eq!(fold("\u{FB01}x"), "FIX");
        assert_eq!(fold("\u{01C6}"), fold("\u{01C4}"));
        // Lowercase letters sort after brackets and underscores, uppercase before.
        assert!(fold("c") < fold("[") && fold("[") < fold("_"));
    }

    #[test]
    fn hostile_subjects_stay_bounded() {
        let many = "[a]".repeat(200_000) + "x";
        let b = base_subject(&many);
        assert!(b.text.len() <= 4 * MAX_SUBJECT_BYTES);
        let deep = "[fwd: ".repeat(50_000) + "x" + &"]".repeat(50_000);
        assert!(base_subject(&deep).text.len() <= 4 * MAX_SUBJECT_BYTES);
        // A long subject's trailer still makes it a forward.
        let long = base_subject(&format!("{} (fwd)", "w ".repeat(2000)));
        assert!(long.reply && long.text.len() > MAX_KEY_BYTES);
        assert_eq!(fold(&"é".repeat(10_000)).len(), MAX_KEY_BYTES);
    }

    fn first(field_line: &str) -> (String, String) {
        let header = format!("Subject: x\r\n{field_line}\r\n\r\n");
        let field = field_line.split(':').next().unwrap().to_ascii_lowercase();
        (
            mailbox_key(first_address(header.as_bytes(), &field)),
            display_key(first_address(header.as_bytes(), &field)),
        )
    }

    #[test]
    fn address_keys() {
        assert_eq!(
            first("From: Foo Bar <zed@b.c>"),
            ("ZED".into(), "FOO BAR".into())
        );
        assert_eq!(first("To: b@c.d, x@y.z"), ("B".into(), "B@C.D".into()));
        assert_eq!(first("To: d"), ("D".into(), "D".into()));
        assert_eq!(
            first("Cc: team: x@y.z, v@w.x;"),
            ("TEAM".into(), "TEAM".into())
        );
        assert_eq!(first("To: empty:;"), ("EMPTY".into(), "EMPTY".into()));
        assert_eq!(first("Cc: u@h.i (Some Body)").0, "U");
        assert_eq!(
            first("From: =?iso-8859-1?q?J=F6rg?= <j@h.i>").1,
            fold("J\u{f6}rg")
        );
        assert_eq!(first("X-Other: a@b.c"), ("".into(), "".into()));
    }

    #[test]
    fn sent_date_falls_back_to_the_internal_date() {
        assert_eq!(
            sent_date(Some("Fri, 22 Feb 2008 02:00:00 +0200"), 7),
            1_203_638_400
        );
        assert_eq!(
            sent_date(Some("22 Feb 2008 00:00:00 GMT"), 7),
            1_203_638_400
        );
        assert_eq!(sent_date(Some("not a date"), 7), 7);
        assert_eq!(sent_date(None, 7), 7);
    }

    fn crit(key: SortKey, reverse: bool) -> SortCriterion {
        SortCriterion { reverse, key }
    }

    fn sorted(crits: &[SortCriterion], msgs: &[(i64, u64, &str)]) -> Vec<u32> {
        let crits = criteria(crits);
        let mut entries: Vec<Entry> = msgs
            .iter()
            .enumerate()
            .map(|(i, (date, size, subject))| {
                let facts = Facts {
                    internal_date: *date,
                    size: *size,
                    date: None,
                    subject: Some(subject),
                    header: b"",
                };
                Entry {
                    seq: i as u32 + 1,
                    uid: i as u32 + 10,
                    modseq: 1,
                    values: values(&crits, &facts),
                }
            })
            .collect();
        order(&mut entries, &crits);
        entries.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn order_with_reverse_and_ties() {
        let msgs = [(1, 30, "b"), (3, 10, "Re: a"), (2, 10, "a"), (3, 20, "c")];
        assert_eq!(
            sorted(&[crit(SortKey::Arrival, false)], &msgs),
            [1, 3, 2, 4]
        );
        // Ties keep ascending sequence order under REVERSE too.
        assert_eq!(sorted(&[crit(SortKey::Arrival, true)], &msgs), [2, 4, 3, 1]);
        assert_eq!(
            sorted(
                &[crit(SortKey::Subject, false), crit(SortKey::Size, true)],
                &msgs
            ),
            [2, 3, 1, 4]
        );
        assert_eq!(sorted(&[crit(SortKey::Size, false)], &msgs), [2, 3, 4, 1]);
    }

    #[test]
    fn repeated_keys_are_dropped() {
        let many: Vec<SortCriterion> = (0..10_000)
            .map(|i| {
                crit(
                    if i % 2 == 0 {
                        SortKey::Size
                    } else {
                        SortKey::Date
                    },
                    i % 3 == 0,
                )
            })
            .collect();
        let c = criteria(&many);
        assert_eq!(c, [crit(SortKey::Size, true), crit(SortKey::Date, false)]);
    }
}
