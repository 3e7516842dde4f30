//! Upgrades of older stores. Format 1 had neither the change index nor the folder counters;
//! both are derived from the message records, which later formats read unchanged. Format 2's
//! index entries did not carry the message's flags in brief (see
//! [`crate::change_index::live_kind`]); they are filled in from the states, tombstones kept.
//! Formats 1 to 3 kept one state record per message, in the tree [`OLD_STATES`]; format 4
//! keeps them in blocks (see [`crate::state_block`]), built from those records.
//!
//! Each upgrade can run again from the start: cut short by a crash, the store still says its
//! old format and the next start repeats it. A store of format 1 or 2 is stamped format 3 once
//! it is, so a crash later never builds the index again from states already moved. The caller
//! stamps the current format afterwards.

use sled::Tree;

use crate::block_writes::BlockRecord;
use crate::change_index::{BLOCK, Block, block_key, key_part, live_kind};
use crate::error::Result;
use crate::model::{Folder, MessageState};
use crate::state_block::{BlockBuilder, key_u32};
use crate::state_record::StateRef;
use crate::store::{Inner, dec, folder_key, msg_key, stamp_format, tenc, transact};

/// The older formats this version upgrades.
pub(crate) const UPGRADABLE: [u32; 3] = [1, 2, 3];

/// The tree of formats 1 to 3's states: folder id ‖ UID → state record.
const OLD_STATES: &str = "states";

/// Records written per batch, to bound memory on large folders.
const BATCH: usize = 1_000;

/// Brings a store of format `from` (one of [`UPGRADABLE`]) to the current one.
pub(crate) fn upgrade(inner: &Inner, from: u32) -> Result<()> {
    let old = inner.db.open_tree(OLD_STATES)?;
    if from < 3 {
        let messages = match from {
            1 => from_format_1(inner, &old)?,
            _ => from_format_2(inner, &old)?,
        };
        inner.db.flush()?;
        stamp_format(&inner.db, 3)?;
        tracing::info!(from, messages, "store upgraded to format 3");
    }
    let messages = from_format_3(inner, &old)?;
    inner.db.flush()?;
    // Only once the blocks are durable; run again after this, the upgrade finds nothing to move.
    drop(old);
    inner.db.drop_tree(OLD_STATES)?;
    inner.db.flush()?;
    tracing::info!(
        from = 3,
        messages,
        "store upgraded to format {}",
        crate::store::FORMAT
    );
    Ok(())
}

/// Moves every state into its block; returns the number of messages.
fn from_format_3(inner: &Inner, old: &Tree) -> Result<usize> {
    let mut builder = BlockBuilder::new();
    let mut batch = sled::Batch::default();
    let (mut pending, mut messages) = (0, 0usize);
    let mut write = |block: Option<([u8; 12], Vec<u8>)>, last: bool| -> Result<()> {
        if let Some((k, v)) = block {
            batch.insert(&k[..], v);
            pending += 1;
        }
        if pending == BATCH || last {
            inner.states.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
        Ok(())
    };
    // In key order, folder by folder and UID by UID, so each block is built whole.
    for kv in old.iter() {
        let (k, v) = kv?;
        let folder = key_part(&k, 0)?;
        let uid = key_u32(&k)?;
        write(builder.add(folder, uid, &v)?, false)?;
        messages += 1;
    }
    write(builder.finish(), true)?;
    Ok(messages)
}

/// Builds the change index and the counters; returns the number of messages.
fn from_format_1(inner: &Inner, old: &Tree) -> Result<usize> {
    inner.changes.clear()?;
    inner.counters.clear()?;
    let folders = inner
        .folders
        .iter()
        .values()
        .map(|v| dec::<Folder>(&v?))
        .collect::<Result<Vec<Folder>>>()?;
    let mut messages = 0usize;
    for folder in &folders {
        messages += upgrade_folder(inner, old, folder)?;
    }
    Ok(messages)
}

/// Gives every live index entry its message's flags in brief; returns how many it rewrote.
fn from_format_2(inner: &Inner, old: &Tree) -> Result<usize> {
    let mut batch = sled::Batch::default();
    let (mut pending, mut messages) = (0, 0usize);
    for kv in inner.changes.iter() {
        let (k, v) = kv?;
        let folder = key_part(&k, 0)?;
        let mut block = Block::decode(&v)?;
        let mut failed = None;
        block.rekind(|uid| match old.get(msg_key(folder, uid)) {
            Ok(Some(raw)) => {
                messages += 1;
                match StateRef::parse(&raw) {
                    Ok(st) => Some(live_kind(st.flags())),
                    Err(e) => {
                        failed = Some(e);
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(e) => {
                failed = Some(e.into());
                None
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        batch.insert(k, block.encode());
        pending += 1;
        if pending == BATCH {
            inner.changes.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
    }
    inner.changes.apply_batch(batch)?;
    Ok(messages)
}

/// Indexes and counts one folder; returns its number of messages.
fn upgrade_folder(inner: &Inner, old: &Tree, folder: &Folder) -> Result<usize> {
    let mut by_modseq: Vec<(u64, u32, u8)> = Vec::new();
    let mut counters = crate::counters::FolderCounters::default();
    for kv in old.scan_prefix(folder.id.to_be_bytes()) {
        let (k, v) = kv?;
        let uid = key_u32(&k)?;
        let st = StateRef::parse(&v)?;
        let size = match inner.metas.get(&k)? {
            Some(m) => dec::<crate::model::MessageMeta>(&m)?.size,
            None => 0,
        };
        counters.count(1, st.flags(), size);
        by_modseq.push((st.modseq, uid, live_kind(st.flags())));
    }
    by_modseq.sort_unstable();
    // Format 1 gave every change its own modseq, so live messages never share one; should
    // two do, or a message carry a modseq above the folder's, the later ones get fresh ones,
    // which only makes a client fetch their flags again.
    let top = by_modseq.last().map_or(0, |(m, _, _)| *m);
    let mut fresh = folder.highest_modseq.max(top);
    let mut indexed: Vec<(u64, u32, u8)> = Vec::with_capacity(by_modseq.len());
    let mut last = None;
    for &(modseq, uid, kind) in &by_modseq {
        if last == Some(modseq) || modseq > folder.highest_modseq {
            fresh += 1;
            renumber(inner, old, folder, uid, fresh)?;
            indexed.push((fresh, uid, kind));
        } else {
            last = Some(modseq);
            indexed.push((modseq, uid, kind));
        }
    }
    indexed.sort_unstable();
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    for run in indexed.chunk_by(|a, b| a.0 / BLOCK == b.0 / BLOCK) {
        let mut block = Block::default();
        for &(modseq, uid, kind) in run {
            block.put(modseq, uid, kind);
        }
        batch.insert(&block_key(folder.id, run[0].0 / BLOCK), block.encode());
        pending += 1;
        if pending == BATCH {
            inner.changes.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
    }
    inner.changes.apply_batch(batch)?;
    if counters.messages > 0 {
        inner
            .counters
            .insert(folder.id.to_be_bytes(), crate::store::enc(&counters)?)?;
    }
    Ok(by_modseq.len())
}

/// Gives one message the modseq `modseq`, raising the folder's highest modseq to it.
fn renumber(inner: &Inner, old: &Tree, folder: &Folder, uid: u32, modseq: u64) -> Result<()> {
    let fkey = folder_key(folder.account, &folder.name);
    let k = msg_key(folder.id, uid);
    transact(&[old, &inner.folders], |t| {
        if let Some(raw) = t[0].get(k)? {
            let mut st: MessageState = crate::store::tdec(&raw)?;
            st.modseq = modseq;
            t[0].insert(&k, tenc(&st)?)?;
        }
        if let Some(raw) = t[1].get(&fkey)? {
            let mut f: Folder = crate::store::tdec(&raw)?;
            f.highest_modseq = f.highest_modseq.max(modseq);
            t[1].insert(fkey.as_slice(), tenc(&f)?)?;
        }
        Ok(())
    })
}
