//! BINARY (RFC 3516): a part's content with its transfer encoding undone, for FETCH BINARY and
//! URLFETCH's BINARY (RFC 5524). Decoded as it is read, never held whole.

use std::io::{Read, Seek, SeekFrom};

use mailbox::transfer::{Decode, Encoding};
use mailbox::{MessageMeta, Store};

use super::render::find_part;

/// The raw range and transfer encoding BINARY[path] decodes: a leaf part's body, or the whole
/// message for an empty path. `None` for an encoding that cannot be undone.
fn binary_source(meta: &MessageMeta, path: &[u32]) -> (u64, u64, Option<Encoding>) {
    if path.is_empty() {
        return (0, meta.size, Some(Encoding::Identity));
    }
    match find_part(&meta.structure, path) {
        Some(p) if !p.is_multipart() && !p.is_message() => (
            p.body_offset,
            p.body_len,
            Encoding::from_header(p.encoding.as_deref()),
        ),
        Some(p) => (p.body_offset, p.body_len, Some(Encoding::Identity)),
        None => (0, 0, Some(Encoding::Identity)),
    }
}

/// BINARY[path] decoded, with the encoding undone; an encoding it cannot undo is `None`.
pub(super) fn binary_decoder(
    store: &Store,
    meta: &MessageMeta,
    path: &[u32],
) -> std::io::Result<Option<(Decode<std::io::Take<mailbox::BlobReader>>, Encoding)>> {
    let (off, len, enc) = binary_source(meta, path);
    let Some(enc) = enc else {
        return Ok(None);
    };
    let mut r = store.open_body(meta).map_err(std::io::Error::other)?;
    r.seek(SeekFrom::Start(off))?;
    Ok(Some((Decode::new(r.take(len), enc), enc)))
}

/// BINARY[path] for FETCH: an encoding it cannot undo is served as it is stored.
pub(super) fn binary_reader(
    store: &Store,
    meta: &MessageMeta,
    path: &[u32],
) -> std::io::Result<Decode<std::io::Take<mailbox::BlobReader>>> {
    let (off, len, enc) = binary_source(meta, path);
    let mut r = store.open_body(meta).map_err(std::io::Error::other)?;
    r.seek(SeekFrom::Start(off))?;
    Ok(Decode::new(r.take(len), enc.unwrap_or(Encoding::Identity)))
}

pub(super) fn binary_len(store: &Store, meta: &MessageMeta, path: &[u32]) -> std::io::Result<u64> {
    binary_reader(store, meta, path)?.decoded_len()
}
