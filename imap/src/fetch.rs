//! FETCH: message data items, with body sections streamed from the blob in bounded chunks.

use std::io::{Read, Seek, SeekFrom};

use imap_codec::imap_types::fetch::{MessageDataItemName, Part, Section};
use mailbox::{BodyPart, MessageMeta, Store};

use super::binary::{binary_len, binary_reader};
use super::render::{body_structure, envelope, find_part};
use super::syntax::internal_date;
use super::view::{Slot, View};
use crate::Body;

/// A byte range of the raw message, or bytes made up (filtered header fields).
enum Source {
    Range(u64, u64),
    Bytes(Vec<u8>),
}

fn part_path(p: &Option<Part>) -> Vec<u32> {
    p.as_ref()
        .map(|p| p.0.as_ref().iter().map(|n| n.get()).collect())
        .unwrap_or_default()
}

fn section_name(s: &Option<Section<'_>>) -> String {
    let path = |p: &Option<Part>| {
        part_path(p)
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(".")
    };
    let join = |p: String, rest: &str| {
        if p.is_empty() {
            rest.to_string()
        } else {
            format!("{p}.{rest}")
        }
    };
    let fields =
        |f: &imap_codec::imap_types::core::Vec1<imap_codec::imap_types::core::AString<'_>>| {
            f.as_ref()
                .iter()
                .map(|a| String::from_utf8_lossy(a.as_ref()).to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(" ")
        };
    match s {
        None => String::new(),
        Some(Section::Part(p)) => path(&Some(p.clone())),
        Some(Section::Header(p)) => join(path(p), "HEADER"),
        Some(Section::Text(p)) => join(path(p), "TEXT"),
        Some(Section::Mime(p)) => join(path(&Some(p.clone())), "MIME"),
        Some(Section::HeaderFields(p, f)) => {
            join(path(p), &format!("HEADER.FIELDS ({})", fields(f)))
        }
        Some(Section::HeaderFieldsNot(p, f)) => {
            join(path(p), &format!("HEADER.FIELDS.NOT ({})", fields(f)))
        }
    }
}

/// The entity whose header/text a section addresses: the message itself or an encapsulated one.
fn message_entity<'a>(root: &'a BodyPart, path: &[u32]) -> Option<&'a BodyPart> {
    if path.is_empty() {
        return Some(root);
    }
    find_part(root, path)?.message.as_ref().map(|m| &m.1)
}

fn read_range(store: &Store, meta: &MessageMeta, off: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut r = store.open_body(meta).map_err(std::io::Error::other)?;
    r.seek(SeekFrom::Start(off))?;
    let mut v = vec![0u8; len as usize];
    r.read_exact(&mut v)?;
    Ok(v)
}

/// Header lines whose field name is (or, with `not`, is not) in `names`.
fn filter_header(raw: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            let name = line.iter().position(|&b| b == b':').map(|i| {
                String::from_utf8_lossy(&line[..i])
                    .trim()
                    .to_ascii_lowercase()
            });
            keep = match name {
                Some(n) => names.iter().any(|x| x.eq_ignore_ascii_case(&n)) != not,
                None => false,
            };
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

const MAX_HEADER_READ: u64 = 1024 * 1024;

fn section_source(
    store: &Store,
    (folder, uid): (u64, u32),
    meta: &MessageMeta,
    s: &Option<Section<'_>>,
) -> std::io::Result<Source> {
    let root = &meta.structure;
    let none = || Source::Bytes(Vec::new());
    Ok(match s {
        None => Source::Range(0, meta.size),
        Some(Section::Part(p)) => match find_part(root, &part_path(&Some(p.clone()))) {
            Some(b) => Source::Range(b.body_offset, b.body_len),
            None => none(),
        },
        Some(Section::Mime(p)) => match find_part(root, &part_path(&Some(p.clone()))) {
            Some(b) => Source::Range(b.header_offset, b.header_len),
            None => none(),
        },
        Some(Section::Header(p)) => match message_entity(root, &part_path(p)) {
            Some(b) => Source::Range(b.header_offset, b.header_len),
            None => none(),
        },
        Some(Section::Text(p)) => match message_entity(root, &part_path(p)) {
            Some(b) => Source::Range(b.body_offset, b.body_len),
            None => none(),
        },
        Some(Section::HeaderFields(p, f)) | Some(Section::HeaderFieldsNot(p, f)) => {
            let not = matches!(s, Some(Section::HeaderFieldsNot(..)));
            match message_entity(root, &part_path(p)) {
                Some(b) => {
                    // The message's own header usually comes from the header cache.
                    let cached = if p.is_none() {
                        store
                            .message_header(folder, uid)
                            .map_err(std::io::Error::other)?
                    } else {
                        None
                    };
                    let raw = match cached {
                        Some(h) => h,
                        None => read_range(
                            store,
                            meta,
                            b.header_offset,
                            b.header_len.min(MAX_HEADER_READ),
                        )?,
                    };
                    let names: Vec<String> = f
                        .as_ref()
                        .iter()
                        .map(|a| String::from_utf8_lossy(a.as_ref()).to_string())
                        .collect();
                    Source::Bytes(filter_header(&raw, &names, not))
                }
                None => none(),
            }
        }
    })
}

/// The stored bytes of a body section, narrowed by `partial` (offset, length): what a
/// CATENATE URL (RFC 4469) puts into a new message.
pub(super) fn section_reader(
    store: &Store,
    at: (u64, u32),
    meta: &MessageMeta,
    s: &Option<Section<'_>>,
    partial: Option<(u32, u32)>,
) -> std::io::Result<Body> {
    Ok(match section_source(store, at, meta, s)? {
        Source::Bytes(b) => {
            let (o, l) = narrow(partial, b.len() as u64);
            let b = b[o as usize..(o + l) as usize].to_vec();
            Body {
                reader: Box::new(std::io::Cursor::new(b)),
                len: l,
            }
        }
        Source::Range(start, len) => {
            let (o, l) = narrow(partial, len);
            let mut reader = store.open_body(meta).map_err(std::io::Error::other)?;
            reader.seek(SeekFrom::Start(start + o))?;
            Body {
                reader: Box::new(reader.take(l)),
                len: l,
            }
        }
    })
}

fn dotted(path: &[u32]) -> String {
    path.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

pub struct FetchOptions {
    pub with_uid: bool,
    pub with_modseq: bool,
    /// IMAP4rev2 syntax (message/global parts carry an envelope).
    pub rev2: bool,
}

/// What the session knows of one message: its modseq and the flag list it shows.
pub struct Shown {
    pub modseq: u64,
    pub flags: String,
}

/// Output gathered before it is sent on, so a long FETCH does not sit whole in memory.
pub const FLUSH_AT: usize = 256 * 1024;

/// Whether every item asked for is one the session's view holds (see [`write_from_view`]).
pub fn from_view_only(items: &[MessageDataItemName<'_>]) -> bool {
    items.iter().all(|i| {
        matches!(
            i,
            MessageDataItemName::Flags | MessageDataItemName::Uid | MessageDataItemName::ModSeq
        )
    })
}

/// The FETCH response [`fetch_one`] would write for items that are all FLAGS, UID and MODSEQ,
/// written straight from the view, without a string per message.
pub fn write_from_view(
    out: &mut Vec<u8>,
    view: &View,
    seq: u32,
    uid: u32,
    slot: &Slot,
    items: &[MessageDataItemName<'_>],
    opts: &FetchOptions,
) {
    use std::io::Write;
    let _ = write!(out, "* {seq} FETCH (");
    let (mut has_uid, mut has_modseq) = (false, false);
    for (n, i) in items.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        match i {
            MessageDataItemName::Flags => {
                out.extend_from_slice(b"FLAGS ");
                view.write_flags(out, slot);
            }
            MessageDataItemName::Uid => {
                has_uid = true;
                let _ = write!(out, "UID {uid}");
            }
            _ => {
                has_modseq = true;
                let _ = write!(out, "MODSEQ ({})", slot.modseq);
            }
        }
    }
    let mut first = items.is_empty();
    if opts.with_uid && !has_uid {
        if !first {
            out.push(b' ');
        }
        first = false;
        let _ = write!(out, "UID {uid}");
    }
    if opts.with_modseq && !has_modseq {
        if !first {
            out.push(b' ');
        }
        let _ = write!(out, "MODSEQ ({})", slot.modseq);
    }
    out.extend_from_slice(b")\r\n");
}

/// Literals up to this size are read into the response; larger ones go out as a [`Body`] the
/// driver streams.
const INLINE_BODY: u64 = 64 * 1024;

/// A literal may not carry NUL (RFC 3501 `CHAR8`); only BINARY's literal8 may. A message
/// stored with NULs has them shown as 0x80 in BODY and RFC822 fetches, as Dovecot does, so
/// sizes stay true; BINARY gives the bytes as they are.
pub(super) struct NoNul<R>(pub(super) R);

impl<R: Read> Read for NoNul<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        for x in buf[..n].iter_mut().filter(|x| **x == 0) {
            *x = 0x80;
        }
        Ok(n)
    }
}

/// Writes `prefix{n}\r\n` for `len` bytes of `reader` and the bytes themselves when they are
/// few, else hands the reader back for the driver to send.
pub(super) fn literal(
    out: &mut Vec<u8>,
    prefix: &str,
    mut reader: impl Read + Send + 'static,
    len: u64,
) -> std::io::Result<Option<Body>> {
    out.extend_from_slice(format!("{prefix}{{{len}}}\r\n").as_bytes());
    if len > INLINE_BODY {
        return Ok(Some(Body {
            reader: Box::new(reader.take(len)),
            len,
        }));
    }
    let start = out.len();
    out.resize(start + len as usize, 0);
    reader.read_exact(&mut out[start..])?;
    Ok(None)
}

fn narrow(partial: Option<(u32, u32)>, len: u64) -> (u64, u64) {
    match partial {
        Some((o, l)) => {
            let o = (o as u64).min(len);
            (o, (l as u64).min(len - o))
        }
        None => (0, len),
    }
}

/// `{n}\r\n` and the bytes of `src` (narrowed by `partial`).
fn emit_source(
    out: &mut Vec<u8>,
    store: &Store,
    meta: &MessageMeta,
    src: Source,
    partial: Option<(u32, u32)>,
) -> std::io::Result<Option<Body>> {
    match src {
        Source::Bytes(b) => {
            let (o, l) = narrow(partial, b.len() as u64);
            let b = b[o as usize..(o + l) as usize].to_vec();
            literal(out, "", NoNul(std::io::Cursor::new(b)), l)
        }
        Source::Range(start, len) => {
            let (o, l) = narrow(partial, len);
            if l == 0 {
                out.extend_from_slice(b"{0}\r\n");
                return Ok(None);
            }
            let mut reader = store.open_body(meta).map_err(std::io::Error::other)?;
            reader.seek(SeekFrom::Start(start + o))?;
            literal(out, "", NoNul(reader), l)
        }
    }
}

/// `~{n}\r\n` and the decoded bytes: one pass to learn the length, one to send.
fn emit_binary(
    out: &mut Vec<u8>,
    store: &Store,
    meta: &MessageMeta,
    path: &[u32],
    partial: Option<(u32, u32)>,
) -> std::io::Result<Option<Body>> {
    let total = binary_len(store, meta, path)?;
    let (skip, len) = narrow(partial, total);
    let mut r = binary_reader(store, meta, path)?;
    std::io::copy(&mut (&mut r).take(skip), &mut std::io::sink())?;
    literal(out, "~", r, len)
}

/// One `* n FETCH (...)` response, written a piece at a time: it stops at each large literal,
/// which the driver sends before the rest is written.
pub struct MessageFetch {
    pub seq: u32,
    pub uid: u32,
    pub shown: Shown,
    meta: Option<MessageMeta>,
    /// Holds the body open while the response is written: another session may expunge the
    /// message meanwhile, and half a response cannot be taken back.
    _body: Option<mailbox::BodyPin>,
    /// The next item to write.
    next: usize,
    has_uid: bool,
    has_modseq: bool,
}

impl MessageFetch {
    /// `None` when the message is gone (expunged by another session since this one looked).
    pub fn start(
        store: &Store,
        folder: u64,
        seq: u32,
        uid: u32,
        shown: Shown,
        items: &[MessageDataItemName<'_>],
    ) -> Option<MessageFetch> {
        let needs_meta = items.iter().any(|i| {
            !matches!(
                i,
                MessageDataItemName::Flags | MessageDataItemName::Uid | MessageDataItemName::ModSeq
            )
        });
        let meta = if needs_meta {
            Some(store.message_meta(folder, uid).ok().flatten()?)
        } else {
            None
        };
        let needs_body = items.iter().any(|i| {
            matches!(
                i,
                MessageDataItemName::BodyExt { .. }
                    | MessageDataItemName::Binary { .. }
                    | MessageDataItemName::BinarySize { .. }
                    | MessageDataItemName::Rfc822
                    | MessageDataItemName::Rfc822Header
                    | MessageDataItemName::Rfc822Text
            )
        });
        let body = match &meta {
            // Gone since its metadata was read: skipped like a message gone before.
            Some(m) if needs_body => match store.pin_body(m) {
                Ok(None) => return None,
                Ok(pin) => pin,
                // Reading it will fail too, and say why.
                Err(_) => None,
            },
            _ => None,
        };
        Some(MessageFetch {
            seq,
            uid,
            shown,
            meta,
            _body: body,
            next: 0,
            has_uid: false,
            has_modseq: false,
        })
    }

    /// Writes items from where it stopped; `Some` is a literal for the driver to send first,
    /// `None` means the response is complete.
    pub fn write(
        &mut self,
        out: &mut Vec<u8>,
        store: &Store,
        folder: u64,
        items: &[MessageDataItemName<'_>],
        opts: &FetchOptions,
    ) -> std::io::Result<Option<Body>> {
        let (seq, uid) = (self.seq, self.uid);
        if self.next == 0 {
            out.extend_from_slice(format!("* {seq} FETCH (").as_bytes());
        }
        while let Some(item) = items.get(self.next) {
            if self.next > 0 {
                out.push(b' ');
            }
            self.next += 1;
            if let Some(body) = self.item(out, store, folder, item, opts)? {
                return Ok(Some(body));
            }
        }
        let mut first = items.is_empty();
        let mut sep = |out: &mut Vec<u8>| {
            if !first {
                out.push(b' ');
            }
            first = false;
        };
        if opts.with_uid && !self.has_uid {
            sep(out);
            out.extend_from_slice(format!("UID {uid}").as_bytes());
        }
        if opts.with_modseq && !self.has_modseq {
            sep(out);
            out.extend_from_slice(format!("MODSEQ ({})", self.shown.modseq).as_bytes());
        }
        out.extend_from_slice(b")\r\n");
        Ok(None)
    }

    fn item(
        &mut self,
        out: &mut Vec<u8>,
        store: &Store,
        folder: u64,
        item: &MessageDataItemName<'_>,
        opts: &FetchOptions,
    ) -> std::io::Result<Option<Body>> {
        let uid = self.uid;
        let m = match (item, &self.meta) {
            (MessageDataItemName::Flags, _) => {
                out.extend_from_slice(format!("FLAGS {}", self.shown.flags).as_bytes());
                return Ok(None);
            }
            (MessageDataItemName::Uid, _) => {
                self.has_uid = true;
                out.extend_from_slice(format!("UID {uid}").as_bytes());
                return Ok(None);
            }
            (MessageDataItemName::ModSeq, _) => {
                self.has_modseq = true;
                out.extend_from_slice(format!("MODSEQ ({})", self.shown.modseq).as_bytes());
                return Ok(None);
            }
            (_, Some(m)) => m,
            // `start` loads the metadata for every other item.
            (_, None) => return Ok(None),
        };
        match item {
            MessageDataItemName::InternalDate => out.extend_from_slice(
                format!("INTERNALDATE {}", internal_date(m.internal_date)).as_bytes(),
            ),
            MessageDataItemName::Rfc822Size => {
                out.extend_from_slice(format!("RFC822.SIZE {}", m.size).as_bytes())
            }
            MessageDataItemName::Envelope => {
                out.extend_from_slice(b"ENVELOPE ");
                envelope(out, &m.envelope);
            }
            MessageDataItemName::BodyStructure => {
                out.extend_from_slice(b"BODYSTRUCTURE ");
                body_structure(out, &m.structure, true, opts.rev2);
            }
            MessageDataItemName::Body => {
                out.extend_from_slice(b"BODY ");
                body_structure(out, &m.structure, false, opts.rev2);
            }
            MessageDataItemName::BodyExt {
                section, partial, ..
            } => {
                let mut name = format!("BODY[{}]", section_name(section));
                if let Some((o, _)) = partial {
                    name.push_str(&format!("<{o}>"));
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
                let src = section_source(store, (folder, uid), m, section)?;
                return emit_source(out, store, m, src, partial.map(|(o, l)| (o, l.get())));
            }
            // The RFC 822 items are whole-message ranges under their old names.
            MessageDataItemName::Rfc822
            | MessageDataItemName::Rfc822Header
            | MessageDataItemName::Rfc822Text => {
                let s = &m.structure;
                let (name, range) = match item {
                    MessageDataItemName::Rfc822 => ("RFC822 ", (0, m.size)),
                    MessageDataItemName::Rfc822Header => {
                        ("RFC822.HEADER ", (s.header_offset, s.header_len))
                    }
                    _ => ("RFC822.TEXT ", (s.body_offset, s.body_len)),
                };
                out.extend_from_slice(name.as_bytes());
                return emit_source(out, store, m, Source::Range(range.0, range.1), None);
            }
            MessageDataItemName::Binary {
                section, partial, ..
            } => {
                let path: Vec<u32> = section.iter().map(|n| n.get()).collect();
                let mut name = format!("BINARY[{}]", dotted(&path));
                if let Some((o, _)) = partial {
                    name.push_str(&format!("<{o}>"));
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
                return emit_binary(out, store, m, &path, partial.map(|(o, l)| (o, l.get())));
            }
            MessageDataItemName::BinarySize { section } => {
                let path: Vec<u32> = section.iter().map(|n| n.get()).collect();
                let size = binary_len(store, m, &path)?;
                out.extend_from_slice(format!("BINARY.SIZE[{}] {size}", dotted(&path)).as_bytes());
            }
            MessageDataItemName::Flags | MessageDataItemName::Uid | MessageDataItemName::ModSeq => {
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_field_filter() {
        let raw = b"From: a\r\nSubject: hi\r\n there\r\nTo: b\r\n\r\n";
        let f = filter_header(raw, &["subject".into()], false);
        assert_eq!(f, b"Subject: hi\r\n there\r\n\r\n");
        let f = filter_header(raw, &["subject".into()], true);
        assert_eq!(f, b"From: a\r\nTo: b\r\n\r\n");
    }
}
