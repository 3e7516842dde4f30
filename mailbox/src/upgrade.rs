//! Upgrades of older stores. Format 1 had neither the change index nor the folder counters;
//! both are derived from the message records, which later formats read unchanged. Format 2's
//! index entries did not carry the message's flags in brief (see
//! [`crate::change_index::live_kind`]); they are filled in from the states, tombstones kept.
//! Formats 1 to 3 kept one state record per message, in the tree [`OLD_STATES`]; format 4
//! kept them in blocks of 128 UIDs ([`OLD_STATE_BLOCKS`]) and its index in blocks of 128
//! modseqs ([`OLD_INDEX`]). Format 5 keeps both in blocks of 256 (see
//! [`crate::state_block`], [`crate::change_index`]), in trees of new names.
//!
//! An upgrade only reads the old trees and writes the new ones, which it clears first, so it
//! can run again from the start: cut short by a crash, the store still says its old format
//! and the next start repeats it. The caller stamps the current format once the new trees are
//! durable, and only then are the old trees dropped ([`drop_old_trees`], also at every start,
//! for a crash between the two).

use sled::{Db, Tree};

use crate::block_writes::BlockRecord;
use crate::change_index::{BLOCK, Block, EXPUNGED, block_key, key_part, live_kind};
use crate::error::Result;
use crate::model::{Folder, MessageState};
use crate::state_block::{BlockBuilder, block_records, key_u32};
use crate::state_record::StateRef;
use crate::store::{Inner, dec, folder_key, msg_key, tenc, transact};

/// The older formats this version upgrades.
pub(crate) const UPGRADABLE: [u32; 4] = [1, 2, 3, 4];

/// Formats 1 to 3's states: folder id ‖ UID → state record.
const OLD_STATES: &str = "states";
/// Format 4's states: folder id ‖ UID / [`OLD_SPAN`] → a block as `state_block` frames it.
const OLD_STATE_BLOCKS: &str = "state_blocks";
/// Formats 2 to 4's change index: folder id ‖ modseq / [`OLD_SPAN`] → entries as
/// `change_index` frames them.
const OLD_INDEX: &str = "changes";
/// UIDs per old state block, modseqs per old index block.
const OLD_SPAN: u64 = 128;

/// Records written per batch, to bound memory on large folders.
const BATCH: usize = 1_000;

/// Brings a store of format `from` (one of [`UPGRADABLE`]) to the current one's trees.
pub(crate) fn upgrade(inner: &Inner, from: u32) -> Result<()> {
    let old_states = || inner.db.open_tree(OLD_STATES);
    inner.changes.clear()?;
    let indexed = match from {
        1 => index_from_states(inner, &old_states()?)?,
        2 => reblock_index(inner, Some(&old_states()?))?,
        _ => reblock_index(inner, None)?,
    };
    inner.states.clear()?;
    let messages = match from {
        4 => reblock_states(inner)?,
        _ => blocks_from_states(inner, &old_states()?)?,
    };
    inner.db.flush()?;
    tracing::info!(
        from,
        messages,
        indexed,
        "store upgraded to format {}",
        crate::store::FORMAT
    );
    Ok(())
}

/// Drops the trees of older formats that are still there: after an upgrade, once the new
/// format is stamped.
pub(crate) fn drop_old_trees(db: &Db) -> Result<()> {
    let names = db.tree_names();
    let mut dropped = false;
    for old in [OLD_STATES, OLD_STATE_BLOCKS, OLD_INDEX] {
        if names.iter().any(|n| &n[..] == old.as_bytes()) {
            db.drop_tree(old)?;
            dropped = true;
        }
    }
    if dropped {
        db.flush()?;
    }
    Ok(())
}

/// Writes records into `tree` in batches of [`BATCH`].
struct Batches<'a> {
    tree: &'a Tree,
    batch: sled::Batch,
    pending: usize,
}

impl Batches<'_> {
    fn new(tree: &Tree) -> Batches<'_> {
        Batches {
            tree,
            batch: sled::Batch::default(),
            pending: 0,
        }
    }

    fn insert(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.batch.insert(key, value);
        self.pending += 1;
        if self.pending == BATCH {
            self.tree.apply_batch(std::mem::take(&mut self.batch))?;
            self.pending = 0;
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        self.tree.apply_batch(self.batch)?;
        Ok(())
    }
}

/// Builds the state blocks from one record per message; returns the number of messages.
fn blocks_from_states(inner: &Inner, old: &Tree) -> Result<usize> {
    let mut blocks = StateBlocks::new(&inner.states);
    // In key order, folder by folder and UID by UID, so each block is built whole.
    for kv in old.iter() {
        let (k, v) = kv?;
        blocks.add(key_part(&k, 0)?, key_u32(&k)?, &v)?;
    }
    blocks.finish()
}

/// Builds the state blocks from format 4's smaller ones; returns the number of messages.
fn reblock_states(inner: &Inner) -> Result<usize> {
    let old = inner.db.open_tree(OLD_STATE_BLOCKS)?;
    let mut blocks = StateBlocks::new(&inner.states);
    for kv in old.iter() {
        let (k, v) = kv?;
        let folder = key_part(&k, 0)?;
        let base = u64::from(key_u32(&k)?) * OLD_SPAN;
        for r in block_records(&v) {
            let (place, record) = r?;
            let uid = u32::try_from(base + u64::from(place))
                .map_err(|_| crate::state_block::malformed())?;
            blocks.add(folder, uid, record)?;
        }
    }
    blocks.finish()
}

/// State blocks built from states given in UID order, written in batches.
struct StateBlocks<'a> {
    builder: BlockBuilder,
    out: Batches<'a>,
    messages: usize,
}

impl StateBlocks<'_> {
    fn new(tree: &Tree) -> StateBlocks<'_> {
        StateBlocks {
            builder: BlockBuilder::new(),
            out: Batches::new(tree),
            messages: 0,
        }
    }

    fn add(&mut self, folder: u64, uid: u32, record: &[u8]) -> Result<()> {
        if let Some((k, v)) = self.builder.add(folder, uid, record)? {
            self.out.insert(&k, v)?;
        }
        self.messages += 1;
        Ok(())
    }

    /// Writes what is left; returns the number of states.
    fn finish(mut self) -> Result<usize> {
        if let Some((k, v)) = self.builder.finish() {
            self.out.insert(&k, v)?;
        }
        self.out.finish()?;
        Ok(self.messages)
    }
}

/// Builds the change index from the older one's blocks, each entry at its modseq; with
/// `kinds`, format 2's live entries get their message's flags in brief from the states there.
/// Returns the number of entries.
fn reblock_index(inner: &Inner, kinds: Option<&Tree>) -> Result<usize> {
    let old = inner.db.open_tree(OLD_INDEX)?;
    let mut out = Batches::new(&inner.changes);
    let mut current: Option<(u64, u64, Block)> = None;
    let mut entries = 0usize;
    for kv in old.iter() {
        let (k, v) = kv?;
        let folder = key_part(&k, 0)?;
        let base = key_part(&k, 8)?.saturating_mul(OLD_SPAN);
        for (place, uid, kind) in Block::decode(&v)?.places() {
            let modseq = base + u64::from(place);
            let kind = match kinds {
                Some(states) if kind != EXPUNGED => match states.get(msg_key(folder, uid))? {
                    Some(raw) => live_kind(StateRef::parse(&raw)?.flags()),
                    None => kind,
                },
                _ => kind,
            };
            let at = (folder, modseq / BLOCK);
            if let Some((f, n, block)) = current.take_if(|(f, n, _)| (*f, *n) != at) {
                out.insert(&block_key(f, n), block.encode())?;
            }
            current
                .get_or_insert_with(|| (at.0, at.1, Block::default()))
                .2
                .put(modseq, uid, kind);
            entries += 1;
        }
    }
    if let Some((f, n, block)) = current {
        out.insert(&block_key(f, n), block.encode())?;
    }
    out.finish()?;
    Ok(entries)
}

/// Builds the change index and the counters from one state record per message (format 1
/// had neither); returns the number of messages.
fn index_from_states(inner: &Inner, old: &Tree) -> Result<usize> {
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
    let mut out = Batches::new(&inner.changes);
    for run in indexed.chunk_by(|a, b| a.0 / BLOCK == b.0 / BLOCK) {
        let mut block = Block::default();
        for &(modseq, uid, kind) in run {
            block.put(modseq, uid, kind);
        }
        out.insert(&block_key(folder.id, run[0].0 / BLOCK), block.encode())?;
    }
    out.finish()?;
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
