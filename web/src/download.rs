//! Attachments downloaded as they are read: the part is decoded on the storage side and
//! handed over in chunks through a small channel, so a large one never sits in memory and a
//! browser that reads slowly holds back the reading, not the node's memory.

use std::io::Read;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};

use crate::guard::User;
use crate::{Web, render};

/// Bytes handed over at a time, and chunks waiting at most.
const CHUNK: usize = 64 * 1024;
const QUEUED: usize = 4;

/// `Content-Disposition` for `name`: an ASCII fallback and the name itself (RFC 6266).
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The `n`th attachment of `account`'s message, its safe name and its decoded bytes as they
/// are read; `None` when the account has no such message or it no such attachment.
fn open(
    store: &mailbox::Store,
    account: u64,
    folder: u64,
    uid: u32,
    n: usize,
) -> mailbox::Result<Option<(String, impl Read + use<>)>> {
    if store.folder_by_id(account, folder)?.is_none() {
        return Ok(None);
    }
    let Some(meta) = store.message_meta(folder, uid)? else {
        return Ok(None);
    };
    let Some(part) = render::attachment(&meta, n) else {
        return Ok(None);
    };
    let reader = render::part_reader(store.open_body(&meta)?, part)?;
    Ok(Some((render::download_name(part), reader)))
}

/// Copies the `n`th attachment of `account`'s message, decoded, to `dir/NAME` as it is read,
/// never more than `max` bytes of it: its path and size, `None` when there is no such
/// attachment, an error when it is larger than `max`. For a message that carries another's
/// attachments (a forward).
pub fn copy(
    store: &mailbox::Store,
    account: u64,
    (folder, uid, n): (u64, u32, usize),
    dir: &std::path::Path,
    max: u64,
) -> std::io::Result<Option<(std::path::PathBuf, u64)>> {
    let Some((name, reader)) =
        open(store, account, folder, uid, n).map_err(std::io::Error::other)?
    else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let mut out = std::fs::File::create(&path)?;
    // One byte past the limit tells a part that is too large from one that just fits.
    let len = std::io::copy(&mut reader.take(max.saturating_add(1)), &mut out)?;
    if len > max {
        return Err(std::io::ErrorKind::FileTooLarge.into());
    }
    Ok(Some((path, len)))
}

/// `/mail/{folder}/{uid}/attachment/{n}`: the `n`th attachment of a message, decoded.
pub async fn attachment(
    State(web): State<Arc<Web>>,
    user: User,
    Path((folder, uid, n)): Path<(u64, u32, usize)>,
) -> Response {
    let account = user.session.account;
    let store = web.store.clone();
    let (name_tx, name_rx) = oneshot::channel::<Option<String>>();
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(QUEUED);
    // Reads until the part ends or the browser goes away (the channel closes).
    let _reading = mailbox::blocking::start(move || {
        let mut reader = match open(&store, account, folder, uid, n) {
            Ok(Some((name, reader))) => {
                let _ = name_tx.send(Some(name));
                reader
            }
            Ok(None) => {
                let _ = name_tx.send(None);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "web: an attachment could not be read");
                let _ = name_tx.send(None);
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; CHUNK];
            match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(len) => {
                    buf.truncate(len);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let Ok(Some(name)) = name_rx.await else {
        return user.refusal(&web, StatusCode::NOT_FOUND, "web-not-found");
    };
    let chunks = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut r = Body::from_stream(chunks).into_response();
    let h = r.headers_mut();
    // Never shown in the page: whatever the message says it is, the browser saves it.
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(CONTENT_DISPOSITION, disposition(&name));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offered_name_cannot_break_the_header() {
        let d = disposition("Bericht \"Q3\"; ü.pdf");
        let text = d.to_str().unwrap();
        assert!(
            text.starts_with("attachment; filename=\"Bericht _Q3_; _.pdf\""),
            "{text}"
        );
        assert!(
            text.ends_with("filename*=UTF-8''Bericht%20%22Q3%22%3B%20%C3%BC.pdf"),
            "{text}"
        );
        assert_eq!(render::safe_file_name("../../etc/\"passwd\"\r\n"), "passwd");
        assert_eq!(render::safe_file_name(".."), "attachment");
    }
}
