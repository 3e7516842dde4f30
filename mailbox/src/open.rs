//! Opening the store: the database with its page cache, the format check and the upgrade of
//! an older store, and the removal of blobs a crash left behind.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use crate::blob::{BlobDir, StorageKey};
use crate::error::{Error, Result};
use crate::mime::MimeLimits;
use crate::store::{FORMAT, Inner, Store};

const FORMAT_KEY: &[u8] = b"format";

/// The format stamped in the database; `None` for a new, empty one. Refuses formats this
/// version can neither read nor upgrade.
fn stored_format(db: &sled::Db) -> Result<Option<u32>> {
    let Some(v) = db.get(FORMAT_KEY)? else {
        return Ok(None);
    };
    let found = u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0xff; 4]));
    if found != FORMAT && !crate::upgrade::UPGRADABLE.contains(&found) {
        return Err(Error::UnsupportedFormat {
            found,
            expected: FORMAT,
        });
    }
    Ok(Some(found))
}

/// Stamps `format` in the database, flushed.
pub(crate) fn stamp_format(db: &sled::Db, format: u32) -> Result<()> {
    db.insert(FORMAT_KEY, &format.to_be_bytes())?;
    db.flush()?;
    Ok(())
}

/// sled's page cache. Its default (1 GiB) lets a node's memory grow with its store; what the
/// node reads often — folder records, message states, counters, recent changes — is a small
/// part of a store, and the rest is read from the file (and the OS page cache) when needed.
/// Measured with 100k messages (bench/imap-scale): 64 MiB left the node at 140–230 MiB after
/// the fill, 48 MiB at 125–145 with searches as fast; at 32 MiB a header search took half as
/// long again.
const CACHE_BYTES: u64 = 48 * 1024 * 1024;

impl Store {
    /// Opens the store a test just dropped: sled's flusher thread lets go of the file lock a
    /// moment after the last clone is gone, so `InUse` is waited out (up to 10 s).
    #[cfg(test)]
    pub(crate) fn reopen(dir: &Path, key: StorageKey) -> Store {
        let started = std::time::Instant::now();
        loop {
            match Store::open(dir, key.clone()) {
                Err(Error::InUse) if started.elapsed().as_secs() < 10 => {
                    std::thread::sleep(std::time::Duration::from_millis(50))
                }
                other => return other.unwrap(),
            }
        }
    }

    /// Opens (or creates) the store in `dir` and removes blobs that a crash left unreferenced.
    pub fn open(dir: &Path, key: StorageKey) -> Result<Store> {
        std::fs::create_dir_all(dir)?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| match e {
                // sled locks its files; another process holding them is not a broken store.
                // sled words the failure itself, keeping the OS error only as text.
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("could not acquire lock") =>
                {
                    Error::InUse
                }
                other => Error::Db(other),
            })?;
        let format = stored_format(&db)?;
        let inner = Inner {
            accounts: db.open_tree("accounts")?,
            folders: db.open_tree("folders")?,
            states: db.open_tree("message_states")?,
            changes: db.open_tree("change_index")?,
            counters: db.open_tree("counters")?,
            metas: db.open_tree("metas")?,
            blobrefs: db.open_tree("blobrefs")?,
            headers: db.open_tree("headers")?,
            drop_settings: db.open_tree("drop_settings")?,
            journal: db.open_tree("journal")?,
            subscriptions: db.open_tree("subscriptions")?,
            blobs: BlobDir::open(&dir.join("blobs"), key)?,
            db,
            locks: Mutex::new(HashMap::new()),
            watchers: Mutex::new(HashMap::new()),
            mime_limits: Mutex::new(MimeLimits::default()),
            max_keywords: AtomicUsize::new(crate::keywords::DEFAULT_MAX_KEYWORDS),
        };
        match format {
            Some(FORMAT) => {}
            Some(old) => {
                crate::upgrade::upgrade(&inner, old)?;
                stamp_format(&inner.db, FORMAT)?;
            }
            None => stamp_format(&inner.db, FORMAT)?,
        }
        crate::upgrade::drop_old_trees(&inner.db)?;
        let live: Vec<u64> = inner
            .blobrefs
            .iter()
            .keys()
            .filter_map(|k| k.ok())
            .filter_map(|k| k.as_ref().try_into().ok().map(u64::from_be_bytes))
            .collect();
        let removed = inner.blobs.collect_garbage(live.into_iter())?;
        if removed > 0 {
            tracing::info!(removed, "removed unreferenced blobs");
        }
        let store = Store {
            inner: Arc::new(inner),
        };
        store.carry_over_subscriptions()?;
        Ok(store)
    }
}
