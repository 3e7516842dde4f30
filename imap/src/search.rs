//! SEARCH evaluation. Metadata and body bytes are loaded only when a key needs them, and body
//! text is scanned in bounded chunks.

use crate::header::header_values;
use std::io::{Read, Seek, SeekFrom};

use chrono::NaiveDate;
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::search::SearchKey;
use mailbox::{MessageMeta, Store};

use super::view::{Slot, View};

pub struct Candidate {
    pub seq: u32,
    pub uid: u32,
    pub state: Slot,
    meta: Option<Option<MessageMeta>>,
    header: Option<Vec<u8>>,
}

impl Candidate {
    pub fn new(seq: u32, uid: u32, state: Slot) -> Self {
        Candidate {
            seq,
            uid,
            state,
            meta: None,
            header: None,
        }
    }
}

pub struct Searcher<'s> {
    pub store: &'s Store,
    pub view: &'s View,
}

fn lower(s: &[u8]) -> Vec<u8> {
    s.to_ascii_lowercase()
}

fn date_of(ts: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .date_naive()
}

fn sent_date(meta: &MessageMeta) -> Option<NaiveDate> {
    let d = meta.envelope.date.as_deref()?;
    chrono::DateTime::parse_from_rfc2822(d)
        .ok()
        .map(|d| d.date_naive())
}

/// Case-insensitive substring search over a byte range of the body, chunk by chunk.
fn scan_contains(store: &Store, meta: &MessageMeta, off: u64, len: u64, needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let Ok(mut r) = store.open_body(meta) else {
        return false;
    };
    if r.seek(SeekFrom::Start(off)).is_err() {
        return false;
    }
    let needle = lower(needle);
    let mut left = len;
    let mut window: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = (left as usize).min(buf.len());
        if r.read_exact(&mut buf[..want]).is_err() {
            return false;
        }
        left -= want as u64;
        window.extend(buf[..want].iter().map(u8::to_ascii_lowercase));
        if window.windows(needle.len()).any(|w| w == needle.as_slice()) {
            return true;
        }
        let keep = needle.len().saturating_sub(1).min(window.len());
        window.drain(..window.len() - keep);
    }
    false
}

fn decoded_contains(value: &[u8], needle: &[u8]) -> bool {
    let needle = lower(needle);
    if needle.is_empty() {
        return true;
    }
    let raw = lower(value);
    if raw.windows(needle.len()).any(|w| w == needle.as_slice()) {
        return true;
    }
    // Encoded words (RFC 2047): compare the decoded text too, when there are any.
    if !raw.windows(2).any(|w| w == b"=?") {
        return false;
    }
    let mut hdr = b"Subject: ".to_vec();
    hdr.extend_from_slice(value);
    hdr.extend_from_slice(b"\r\n\r\n");
    let decoded = mail_parser::MessageParser::new()
        .parse_headers(&hdr)
        .and_then(|m| m.subject().map(|s| lower(s.as_bytes())))
        .unwrap_or_default();
    decoded
        .windows(needle.len())
        .any(|w| w == needle.as_slice())
}

/// Whether an address field's value names `needle` in one of its addresses, as parsed:
/// `user@host` without comments or the display name, decoded (RFC 3501 6.4.4 compares with
/// the field's "structure"). Group names count too.
fn address_contains(field: &str, value: &[u8], needle: &[u8]) -> bool {
    let needle = lower(needle);
    let mut hdr = format!("{field}: ").into_bytes();
    hdr.extend_from_slice(value);
    hdr.extend_from_slice(b"\r\n\r\n");
    let Some(msg) = mail_parser::MessageParser::new().parse_headers(&hdr) else {
        return false;
    };
    let list = match field {
        "from" => msg.from(),
        "to" => msg.to(),
        "cc" => msg.cc(),
        _ => msg.bcc(),
    };
    let has = |s: Option<&str>| {
        s.is_some_and(|s| {
            lower(s.as_bytes())
                .windows(needle.len().max(1))
                .any(|w| w == needle.as_slice())
        })
    };
    let addr_has = |a: &mail_parser::Addr<'_>| has(a.name.as_deref()) || has(a.address.as_deref());
    match list {
        Some(mail_parser::Address::List(l)) => l.iter().any(addr_has),
        Some(mail_parser::Address::Group(g)) => g
            .iter()
            .any(|g| has(g.name.as_deref()) || g.addresses.iter().any(addr_has)),
        None => false,
    }
}

impl Searcher<'_> {
    /// FROM, TO, CC, BCC: the raw or decoded field text, or one of its parsed addresses.
    fn address_has(&self, c: &mut Candidate, field: &str, needle: &[u8]) -> bool {
        header_values(self.header(c), field)
            .iter()
            .any(|v| decoded_contains(v, needle) || address_contains(field, v, needle))
    }

    pub(super) fn meta<'c>(&self, c: &'c mut Candidate) -> Option<&'c MessageMeta> {
        if c.meta.is_none() {
            c.meta = Some(
                self.store
                    .message_meta(self.view.folder, c.uid)
                    .ok()
                    .flatten(),
            );
        }
        c.meta.as_ref().and_then(|m| m.as_ref())
    }

    /// The candidate's header block, fetched once per candidate.
    pub(super) fn header<'c>(&self, c: &'c mut Candidate) -> &'c [u8] {
        if c.header.is_none() {
            let h = self.store.message_header(self.view.folder, c.uid);
            c.header = Some(h.ok().flatten().unwrap_or_default());
        }
        c.header.as_deref().unwrap_or_default()
    }

    fn header_has(&self, c: &mut Candidate, name: &str, needle: &[u8]) -> bool {
        header_values(self.header(c), name)
            .iter()
            .any(|v| decoded_contains(v, needle))
    }

    pub fn matches(&self, key: &SearchKey<'_>, c: &mut Candidate) -> bool {
        let flag = |f: &str| self.view.has_flag(&c.state, f);
        match key {
            SearchKey::And(keys) => keys.as_ref().iter().all(|k| self.matches(k, c)),
            SearchKey::Or(a, b) => self.matches(a, c) || self.matches(b, c),
            SearchKey::Not(k) => !self.matches(k, c),
            SearchKey::All => true,
            SearchKey::SequenceSet(set) => self
                .view
                .resolve(set, false)
                .iter()
                .any(|(s, _)| *s == c.seq),
            SearchKey::Uid(set) => self
                .view
                .resolve(set, true)
                .iter()
                .any(|(_, u)| *u == c.uid),
            SearchKey::Answered => flag("\\Answered"),
            SearchKey::Unanswered => !flag("\\Answered"),
            SearchKey::Deleted => flag("\\Deleted"),
            SearchKey::Undeleted => !flag("\\Deleted"),
            SearchKey::Draft => flag("\\Draft"),
            SearchKey::Undraft => !flag("\\Draft"),
            SearchKey::Flagged => flag("\\Flagged"),
            SearchKey::Unflagged => !flag("\\Flagged"),
            SearchKey::Seen => flag("\\Seen"),
            SearchKey::Unseen => !flag("\\Seen"),
            SearchKey::Keyword(k) => flag(k.inner()),
            SearchKey::Unkeyword(k) => !flag(k.inner()),
            SearchKey::Recent => c.state.recent,
            SearchKey::New => c.state.recent && !flag("\\Seen"),
            SearchKey::Old => !c.state.recent,
            SearchKey::ModSequence { modseq, .. } => c.state.modseq >= *modseq,
            SearchKey::Larger(n) => self.meta(c).is_some_and(|m| m.size > *n as u64),
            SearchKey::Smaller(n) => self.meta(c).is_some_and(|m| m.size < *n as u64),
            SearchKey::Before(d) => self
                .meta(c)
                .is_some_and(|m| date_of(m.internal_date) < *d.as_ref()),
            SearchKey::On(d) => self
                .meta(c)
                .is_some_and(|m| date_of(m.internal_date) == *d.as_ref()),
            SearchKey::Since(d) => self
                .meta(c)
                .is_some_and(|m| date_of(m.internal_date) >= *d.as_ref()),
            SearchKey::SentBefore(d) => self
                .meta(c)
                .and_then(sent_date)
                .is_some_and(|s| s < *d.as_ref()),
            SearchKey::SentOn(d) => self
                .meta(c)
                .and_then(sent_date)
                .is_some_and(|s| s == *d.as_ref()),
            SearchKey::SentSince(d) => self
                .meta(c)
                .and_then(sent_date)
                .is_some_and(|s| s >= *d.as_ref()),
            SearchKey::From(s) => self.address_has(c, "from", s.as_ref()),
            SearchKey::To(s) => self.address_has(c, "to", s.as_ref()),
            SearchKey::Cc(s) => self.address_has(c, "cc", s.as_ref()),
            SearchKey::Bcc(s) => self.address_has(c, "bcc", s.as_ref()),
            SearchKey::Subject(s) => self.header_has(c, "subject", s.as_ref()),
            SearchKey::Header(name, value) => {
                let name = String::from_utf8_lossy(name.as_ref()).to_string();
                let values = header_values(self.header(c), &name);
                // An empty value matches every message that has the field (RFC 3501 6.4.4).
                !values.is_empty() && values.iter().any(|v| decoded_contains(v, value.as_ref()))
            }
            SearchKey::Body(s) => {
                let Some(m) = self.meta(c) else { return false };
                let st = &m.structure;
                scan_contains(self.store, m, st.body_offset, st.body_len, s.as_ref())
            }
            SearchKey::Text(s) => {
                let Some(m) = self.meta(c) else { return false };
                scan_contains(self.store, m, 0, m.size, s.as_ref())
            }
        }
    }
}

/// The UIDs of `folder`'s messages that match `key` (every message without one), in the
/// order `order` gives (RFC 5256 SORT; UID order when it is empty): SEARCH and SORT without a
/// session, so other front ends (the webmail) find and order mail exactly as IMAP clients
/// do. Read-only: it claims no \Recent. Blocking.
pub fn sort_folder(
    store: &Store,
    account: u64,
    folder: &mailbox::Folder,
    key: Option<&SearchKey<'_>>,
    order: &[SortCriterion],
) -> mailbox::Result<Vec<u32>> {
    let view = View::open(store, None, account, folder, true)?;
    let searcher = Searcher { store, view: &view };
    let order = crate::sort::criteria(order);
    let needs_header = crate::sort::needs_header(&order);
    let mut entries = Vec::new();
    for (i, uid) in view.uids().iter().enumerate() {
        let seq = i as u32 + 1;
        let Some(slot) = view.slot(seq) else {
            continue;
        };
        let mut c = Candidate::new(seq, *uid, slot);
        if key.is_some_and(|k| !searcher.matches(k, &mut c)) {
            continue;
        }
        entries.push(if order.is_empty() {
            crate::sort::Entry {
                seq,
                uid: *uid,
                modseq: 0,
                values: Vec::new(),
            }
        } else {
            sort_entry(&searcher, &mut c, &order, needs_header)
        });
    }
    crate::sort::order(&mut entries, &order);
    Ok(entries.into_iter().map(|e| e.uid).collect())
}

/// What a message sorts by under `order`, from what the search loaded or loads now.
pub(crate) fn sort_entry(
    s: &Searcher<'_>,
    c: &mut Candidate,
    order: &[SortCriterion],
    needs_header: bool,
) -> crate::sort::Entry {
    let (seq, uid, modseq) = (c.seq, c.uid, c.state.modseq);
    let (internal_date, size, date, subject) = match s.meta(c) {
        Some(m) => (
            m.internal_date,
            m.size,
            m.envelope.date.clone(),
            m.envelope.subject.clone(),
        ),
        None => (0, 0, None, None),
    };
    let header = if needs_header { s.header(c) } else { &[] };
    let facts = crate::sort::Facts {
        internal_date,
        size,
        date: date.as_deref(),
        subject: subject.as_deref(),
        header,
    };
    crate::sort::Entry {
        seq,
        uid,
        modseq,
        values: crate::sort::values(order, &facts),
    }
}
