//! The node's mail store: sled for records, [`BlobDir`] for bodies.
//!
//! Every write that a client will be told about is flushed before the call returns. Writers of
//! one account are serialised by a per-account lock held only around database work, never across
//! network or blob I/O.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sled::Tree;
use sled::transaction::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use tokio::sync::watch;

use crate::blob::{BlobDir, BlobReader, BlobWriter, BodyPin};
use crate::error::{Error, Result};
use crate::mime::{BodyPart, Envelope, MimeLimits, Scanner};
use crate::model::*;

pub(crate) fn enc<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    Ok(postcard::to_allocvec(v)?)
}

pub(crate) fn dec<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T> {
    Ok(postcard::from_bytes(b)?)
}

pub(crate) fn msg_key(folder: u64, uid: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&folder.to_be_bytes());
    k[8..].copy_from_slice(&uid.to_be_bytes());
    k
}

pub(crate) fn folder_key(account: u64, name: &str) -> Vec<u8> {
    let mut k = account.to_be_bytes().to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

pub(crate) type TxResult<T> = std::result::Result<T, ConflictableTransactionError<Error>>;

pub(crate) fn tx_err(e: TransactionError<Error>) -> Error {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => Error::Db(e),
    }
}

pub(crate) fn abort<T>(e: Error) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

pub(crate) fn tdec<T: serde::de::DeserializeOwned>(b: &[u8]) -> TxResult<T> {
    dec(b).map_err(ConflictableTransactionError::Abort)
}

pub(crate) fn tenc<T: serde::Serialize>(v: &T) -> TxResult<Vec<u8>> {
    enc(v).map_err(ConflictableTransactionError::Abort)
}

pub(crate) struct Inner {
    pub(crate) db: sled::Db,
    pub(crate) accounts: Tree,
    pub(crate) folders: Tree,
    /// Folder id ‖ UID / 256 → the states of those UIDs (see `state_block`).
    pub(crate) states: Tree,
    /// Folder id ‖ modseq / 256 → UID and flags in brief or expunged, per modseq: what changed
    /// since a modseq (see `change_index`).
    pub(crate) changes: Tree,
    /// Folder id → message, unseen, deleted and keyword counts and total size.
    pub(crate) counters: Tree,
    pub(crate) metas: Tree,
    pub(crate) blobrefs: Tree,
    /// Top header blocks of messages, so header searches and fetches need not decrypt bodies.
    pub(crate) headers: Tree,
    /// Drop-folder settings by account address.
    pub(crate) drop_settings: Tree,
    /// Keys of copies filed by resumable jobs (see [`Store::deliver_once`]).
    pub(crate) journal: Tree,
    /// Subscribed folder names by account (see [`Store::subscriptions`]).
    pub(crate) subscriptions: Tree,
    pub(crate) blobs: BlobDir,
    pub(crate) locks: Mutex<HashMap<u64, Arc<Mutex<()>>>>,
    pub(crate) watchers: Mutex<HashMap<u64, watch::Sender<u64>>>,
    /// How much MIME structure new messages get (see [`Store::set_mime_limits`]).
    pub(crate) mime_limits: Mutex<MimeLimits>,
    /// Distinct keywords a folder may have (see [`Store::set_max_keywords`]).
    pub(crate) max_keywords: AtomicUsize,
}

/// Layout of the records (postcard is not self-describing): raised whenever a record type
/// changes, so an old or newer store is refused instead of misread. Format 2 added the change
/// index and the folder counters, format 3 the flags in brief in the index's entries, format 4
/// the states in blocks, format 5 blocks of 256 instead of 128; older stores are upgraded when
/// opened.
pub const FORMAT: u32 = 5;
/// Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl Store {
    pub(crate) fn lock(&self, account: u64) -> Arc<Mutex<()>> {
        self.inner
            .locks
            .lock()
            .expect("lock map")
            .entry(account)
            .or_default()
            .clone()
    }

    /// A receiver that changes whenever anything in the account changes.
    pub fn subscribe(&self, account: u64) -> watch::Receiver<u64> {
        self.inner
            .watchers
            .lock()
            .expect("watchers")
            .entry(account)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    pub(crate) fn notify(&self, account: u64) {
        if let Some(tx) = self.inner.watchers.lock().expect("watchers").get(&account) {
            tx.send_modify(|v| *v += 1);
        }
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<()> {
        self.inner.db.flush()?;
        Ok(())
    }

    pub(crate) fn next_id(&self) -> Result<u64> {
        // sled ids start at 0; 0 is kept free as "none".
        Ok(self.inner.db.generate_id()? + 1)
    }

    /// Caps the MIME structure recorded for messages written from now on.
    pub fn set_mime_limits(&self, limits: MimeLimits) {
        *self.inner.mime_limits.lock().expect("mime limits") = limits;
    }

    /// Starts a new message body. Bytes written are encrypted to disk as they come.
    pub fn new_message(&self) -> Result<MessageWriter> {
        let id = self.next_id()?;
        let limits = *self.inner.mime_limits.lock().expect("mime limits");
        Ok(MessageWriter {
            blob: self.inner.blobs.create(id)?,
            scanner: Scanner::with_limits(limits),
            store: self.clone(),
        })
    }

    /// The message's own header block: from the cache, else read from its body.
    pub fn message_header(&self, folder: u64, uid: u32) -> Result<Option<Vec<u8>>> {
        if let Some(h) = self.inner.headers.get(msg_key(folder, uid))? {
            return Ok(Some(h.to_vec()));
        }
        let Some(meta) = self.message_meta(folder, uid)? else {
            return Ok(None);
        };
        use std::io::Read;
        let len = meta.structure.header_len.min(1024 * 1024);
        let mut v = vec![0u8; len as usize];
        self.open_body(&meta)?.read_exact(&mut v)?;
        Ok(Some(v))
    }

    /// Reads a stored body.
    pub fn open_body(&self, meta: &MessageMeta) -> Result<BlobReader> {
        self.inner.blobs.open_blob(meta.blob)
    }

    /// Keeps the body readable through [`Store::open_body`] while the pin lives, even if the
    /// message is expunged meanwhile; `None` when it is gone already.
    pub fn pin_body(&self, meta: &MessageMeta) -> Result<Option<BodyPin>> {
        self.inner.blobs.pin(meta.blob)
    }

    pub(crate) fn add_blob_ref(t: &TransactionalTree, blob: u64) -> TxResult<()> {
        let k = blob.to_be_bytes();
        let n = t
            .get(k)?
            .map(|v| u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 4])))
            .unwrap_or(0);
        t.insert(&k, &(n + 1).to_be_bytes())?;
        Ok(())
    }

    /// Returns whether the blob is now unreferenced and its file may go.
    pub(crate) fn drop_blob_ref(t: &TransactionalTree, blob: u64) -> TxResult<bool> {
        let k = blob.to_be_bytes();
        let n = t
            .get(k)?
            .map(|v| u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 4])))
            .unwrap_or(0);
        if n <= 1 {
            t.remove(&k)?;
            Ok(true)
        } else {
            t.insert(&k, &(n - 1).to_be_bytes())?;
            Ok(false)
        }
    }

    pub(crate) fn remove_blob_files(&self, blobs: &[u64]) {
        for b in blobs {
            if let Err(e) = self.inner.blobs.remove(*b) {
                tracing::warn!(blob = b, error = %e, "could not remove blob; it will be collected at start");
            }
        }
    }
}

/// A message body being received. Dropping it before [`MessageWriter::finish`] leaves nothing.
pub struct MessageWriter {
    blob: BlobWriter,
    scanner: Scanner,
    store: Store,
}

impl MessageWriter {
    pub fn len(&self) -> u64 {
        self.blob.len()
    }
    pub fn is_empty(&self) -> bool {
        self.blob.is_empty()
    }

    /// Syncs the body to disk and returns it ready to be filed into folders.
    pub fn finish(self) -> Result<StagedMessage> {
        let size = self.blob.len();
        let (envelope, structure, header) = self.scanner.finish_with_header();
        let blob = self.blob.commit()?;
        Ok(StagedMessage {
            blob,
            size,
            envelope,
            structure,
            header,
            filed: AtomicBool::new(false),
            store: self.store,
        })
    }
}

impl Write for MessageWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.blob.write_all(data)?;
        self.scanner.feed(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A complete body on disk, not yet in any folder. Dropped unfiled, its blob is removed.
pub struct StagedMessage {
    pub(crate) blob: u64,
    pub size: u64,
    pub envelope: Envelope,
    pub structure: BodyPart,
    pub(crate) header: Option<Vec<u8>>,
    pub(crate) filed: AtomicBool,
    store: Store,
}

impl StagedMessage {
    /// The message's first `max` bytes (all of a shorter one), read from its staged body: what
    /// a rule looks at of a message that may be far larger than memory should hold.
    pub fn head(&self, max: u64) -> Result<Vec<u8>> {
        use std::io::Read;
        let mut out = Vec::new();
        self.store
            .inner
            .blobs
            .open_blob(self.blob)?
            .take(max)
            .read_to_end(&mut out)?;
        Ok(out)
    }

    /// Whether the message's own header block has a field `name` (case-insensitive). A block
    /// too large to keep counts as having every field: the caller is told to be careful.
    pub fn has_header(&self, name: &str) -> bool {
        let Some(header) = self.header.as_deref() else {
            return self.structure.header_len > 0;
        };
        // A field starts at the line's first byte; indented lines continue the one before.
        header.split(|&b| b == b'\n').any(|line| {
            !line.first().is_some_and(u8::is_ascii_whitespace)
                && line.iter().position(|&b| b == b':').is_some_and(|i| {
                    line[..i]
                        .trim_ascii_end()
                        .eq_ignore_ascii_case(name.as_bytes())
                })
        })
    }

    /// The message type its `X-Wims-Type` header declares, when it is a valid type name
    /// (lower-case letters, digits and `-`, at most 32).
    pub fn message_type(&self) -> Option<String> {
        let header = self.header.as_deref()?;
        let mut found = None;
        for line in header.split(|&b| b == b'\n') {
            let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("x-wims-type")
            {
                found = Some(value.trim().to_ascii_lowercase());
            }
        }
        found.filter(|t| {
            !t.is_empty()
                && t.len() <= 32
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
    }

    /// Reads the staged body back: IMAP CATENATE copies a staged text into the message it is
    /// a part of.
    pub fn open(&self) -> Result<BlobReader> {
        self.store.inner.blobs.open_blob(self.blob)
    }

    pub(crate) fn meta(&self, internal_date: i64) -> MessageMeta {
        MessageMeta {
            blob: self.blob,
            size: self.size,
            internal_date,
            envelope: self.envelope.clone(),
            structure: self.structure.clone(),
        }
    }
    pub(crate) fn mark_filed(&self) {
        self.filed.store(true, Ordering::SeqCst);
    }
}

impl Drop for StagedMessage {
    fn drop(&mut self) {
        if !self.filed.load(Ordering::SeqCst) {
            self.store.remove_blob_files(&[self.blob]);
        }
    }
}

pub(crate) fn transact<T>(
    trees: &[&Tree],
    f: impl Fn(&[TransactionalTree]) -> TxResult<T>,
) -> Result<T> {
    trees.transaction(|t| f(t)).map_err(tx_err)
}

/// The trees a change to messages writes, inside one transaction.
///
/// sled commits a transaction tree by tree in the order given, and readers outside it do not
/// wait. The order is chosen so that a reader never trusts something half-written: a state is
/// in place before the change entry naming it, and the folder record, whose highest modseq
/// tells sessions that something changed, comes last.
pub(crate) struct Tx<'a> {
    pub(crate) states: &'a TransactionalTree,
    pub(crate) changes: &'a TransactionalTree,
    pub(crate) counters: &'a TransactionalTree,
    pub(crate) metas: &'a TransactionalTree,
    pub(crate) blobrefs: &'a TransactionalTree,
    pub(crate) headers: &'a TransactionalTree,
    pub(crate) journal: &'a TransactionalTree,
    pub(crate) folders: &'a TransactionalTree,
}

impl Store {
    /// Runs `f` as one transaction over every tree that holds messages (see [`Tx`]).
    pub(crate) fn transact_messages<T>(&self, f: impl Fn(&Tx) -> TxResult<T>) -> Result<T> {
        let i = &self.inner;
        let trees = [
            &i.states,
            &i.changes,
            &i.counters,
            &i.metas,
            &i.blobrefs,
            &i.headers,
            &i.journal,
            &i.folders,
        ];
        transact(&trees, |t| {
            f(&Tx {
                states: &t[0],
                changes: &t[1],
                counters: &t[2],
                metas: &t[3],
                blobrefs: &t[4],
                headers: &t[5],
                journal: &t[6],
                folders: &t[7],
            })
        })
    }
}
