//! Upgrade of a format 1 store, which had neither the change index nor the folder counters.
//! Both are derived from the message records, which format 2 reads unchanged: the upgrade
//! builds them and the caller stamps the new format afterwards. Cut short by a crash, the
//! store still says format 1 and the next start builds them again from scratch.

use crate::change_index::{BLOCK, Block, LIVE, block_key};
use crate::error::{Error, Result};
use crate::model::{Folder, MessageState};
use crate::state_record::StateRef;
use crate::store::{Inner, dec, folder_key, msg_key, tenc, transact};

/// The one older format this version upgrades.
pub(crate) const UPGRADABLE: u32 = 1;

/// Change index records written per batch, to bound memory on large folders.
const BATCH: usize = 1_000;

pub(crate) fn from_format_1(inner: &Inner) -> Result<()> {
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
        messages += upgrade_folder(inner, folder)?;
    }
    inner.db.flush()?;
    tracing::info!(
        folders = folders.len(),
        messages,
        "store upgraded to format {}",
        crate::store::FORMAT
    );
    Ok(())
}

/// Indexes and counts one folder; returns its number of messages.
fn upgrade_folder(inner: &Inner, folder: &Folder) -> Result<usize> {
    let mut by_modseq: Vec<(u64, u32)> = Vec::new();
    let mut counters = crate::counters::FolderCounters::default();
    for kv in inner.states.scan_prefix(folder.id.to_be_bytes()) {
        let (k, v) = kv?;
        let uid = u32::from_be_bytes(k[8..12].try_into().map_err(|_| Error::NoMessage)?);
        let st = StateRef::parse(&v)?;
        let size = match inner.metas.get(&k)? {
            Some(m) => dec::<crate::model::MessageMeta>(&m)?.size,
            None => 0,
        };
        counters.count(1, st.flags(), size);
        by_modseq.push((st.modseq, uid));
    }
    by_modseq.sort_unstable();
    // Format 1 gave every change its own modseq, so live messages never share one; should
    // two do, or a message carry a modseq above the folder's, the later ones get fresh ones,
    // which only makes a client fetch their flags again.
    let top = by_modseq.last().map_or(0, |(m, _)| *m);
    let mut fresh = folder.highest_modseq.max(top);
    let mut indexed: Vec<(u64, u32)> = Vec::with_capacity(by_modseq.len());
    let mut last = None;
    for &(modseq, uid) in &by_modseq {
        if last == Some(modseq) || modseq > folder.highest_modseq {
            fresh += 1;
            renumber(inner, folder, uid, fresh)?;
            indexed.push((fresh, uid));
        } else {
            last = Some(modseq);
            indexed.push((modseq, uid));
        }
    }
    indexed.sort_unstable();
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    for run in indexed.chunk_by(|a, b| a.0 / BLOCK == b.0 / BLOCK) {
        let mut block = Block::default();
        for &(modseq, uid) in run {
            block.put(modseq, uid, LIVE);
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
fn renumber(inner: &Inner, folder: &Folder, uid: u32, modseq: u64) -> Result<()> {
    let fkey = folder_key(folder.account, &folder.name);
    let k = msg_key(folder.id, uid);
    transact(&[&inner.states, &inner.folders], |t| {
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
