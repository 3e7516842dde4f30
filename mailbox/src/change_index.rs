//! The change index: each folder's messages in modseq order.
//!
//! A live message has exactly one entry, at its current modseq; an expunged one leaves a
//! tombstone at the modseq of its removal, kept for good so a client that knew an older modseq
//! can still learn what vanished. A session that knew the folder at modseq M catches up by
//! reading the entries after M: the cost follows the number of changes, not the folder's size.
//!
//! Entries are stored [`BLOCK`] modseqs to a record: key folder id ‖ modseq / [`BLOCK`] (both
//! big endian), value the block's entries in modseq order, each the modseq's place in the
//! block (1 byte), the UID (4 bytes, big endian) and its kind (1 byte): [`EXPUNGED`] for a
//! tombstone, else the message's flags in brief (see [`live_kind`]). With those, the index
//! alone lists a folder as a session opening it needs it (see [`Store::list_folder`]), a few
//! hundred records for 100k messages instead of 100k states. One record
//! per entry would make a flag change three sled writes instead of one (the state, the old
//! entry's removal, the new entry), and sled writes dominate a STORE on a large folder; in
//! blocks, the entries a transaction adds share a few records, as do the ones it removes when
//! the messages changed together before.

use sled::transaction::TransactionalTree;

use crate::block_writes::{BlockRecord, BlockWrites};
use crate::error::{Error, Result};
use crate::model::{MessageState, system_flag_bit};
use crate::state_record::StateRef;
use crate::store::{Store, TxResult};

/// Modseqs per index record.
pub(crate) const BLOCK: u64 = 256;
const ENTRY: usize = 6;

pub(crate) const EXPUNGED: u8 = 1;
/// In a live entry's kind: the message has a flag besides the system ones (a keyword).
const OTHER: u8 = 0x40;

/// A live entry's kind: the system flags' bits ([`system_flag_bit`]) shifted up by one, so the
/// lowest bit stays the tombstone's, and [`OTHER`] when any other flag is set too.
pub(crate) fn live_kind<'a>(flags: impl IntoIterator<Item = &'a str>) -> u8 {
    let mut kind = 0;
    for f in flags {
        match system_flag_bit(f) {
            0 => kind |= OTHER,
            bit => kind |= bit << 1,
        }
    }
    kind
}

/// Whether a byte is a kind [`live_kind`] or a tombstone can have.
fn valid_kind(kind: u8) -> bool {
    kind == EXPUNGED || kind & 0x81 == 0
}

pub(crate) fn block_key(folder: u64, block: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&folder.to_be_bytes());
    k[8..].copy_from_slice(&block.to_be_bytes());
    k
}

fn malformed() -> Error {
    Error::Encoding(postcard::Error::DeserializeBadEncoding)
}

/// The big-endian number at `at` in an index key (the folder at 0, the block at 8); an error,
/// never a panic, for a key that is too short.
pub(crate) fn key_part(key: &[u8], at: usize) -> Result<u64> {
    key.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(malformed)
}

/// In a block being changed, the kind of an entry taken away: no stored entry has it (see
/// [`valid_kind`]), and [`BlockRecord::encode`] leaves it out.
const TAKEN: u8 = 0xff;

/// One index record: (place in the block, UID, kind), ordered by place. Taking an entry away
/// marks it [`TAKEN`] instead of shifting the ones after it: a flag change over a folder takes
/// every entry of a block one by one, which would move the rest each time.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Block {
    entries: Vec<(u8, u32, u8)>,
    taken: usize,
}

impl BlockRecord for Block {
    fn decode(raw: &[u8]) -> Result<Block> {
        if !raw.len().is_multiple_of(ENTRY) {
            return Err(malformed());
        }
        let mut out = Vec::with_capacity(raw.len() / ENTRY);
        for e in raw.chunks_exact(ENTRY) {
            let place = e[0];
            let uid = u32::from_be_bytes([e[1], e[2], e[3], e[4]]);
            let kind = e[5];
            if u64::from(place) >= BLOCK
                || !valid_kind(kind)
                || out.last().is_some_and(|(p, _, _)| *p >= place)
            {
                return Err(malformed());
            }
            out.push((place, uid, kind));
        }
        Ok(Block {
            entries: out,
            taken: 0,
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity((self.entries.len() - self.taken) * ENTRY);
        for (place, uid, kind) in self.live() {
            v.push(*place);
            v.extend_from_slice(&uid.to_be_bytes());
            v.push(*kind);
        }
        v
    }

    fn is_empty(&self) -> bool {
        self.entries.len() == self.taken
    }
}

impl Block {
    /// Sets the entry at `modseq` (which must fall in this block).
    pub(crate) fn put(&mut self, modseq: u64, uid: u32, kind: u8) {
        let place = (modseq % BLOCK) as u8;
        match self.entries.binary_search_by_key(&place, |e| e.0) {
            Ok(i) => {
                if self.entries[i].2 == TAKEN {
                    self.taken -= 1;
                }
                self.entries[i] = (place, uid, kind);
            }
            // Modseqs only grow: nearly always the end.
            Err(i) => self.entries.insert(i, (place, uid, kind)),
        }
    }

    /// Drops the entry at `modseq` if it is the UID's: a stray entry of another message is
    /// never removed in its place.
    fn take(&mut self, modseq: u64, uid: u32) {
        let place = (modseq % BLOCK) as u8;
        if let Ok(i) = self.entries.binary_search_by_key(&place, |e| e.0)
            && self.entries[i].1 == uid
            && self.entries[i].2 != TAKEN
        {
            self.entries[i].2 = TAKEN;
            self.taken += 1;
        }
    }

    /// (modseq, UID, kind) of every entry, for the block numbered `block`.
    fn entries(&self, block: u64) -> impl Iterator<Item = (u64, u32, u8)> + '_ {
        self.live()
            .map(move |(p, u, k)| (block * BLOCK + u64::from(*p), *u, *k))
    }

    /// (place, UID, kind) of every entry, in order: for the upgrade, which reads blocks of
    /// another span.
    pub(crate) fn places(&self) -> impl Iterator<Item = (u8, u32, u8)> + '_ {
        self.live().copied()
    }

    fn live(&self) -> impl Iterator<Item = &(u8, u32, u8)> {
        self.entries.iter().filter(|e| e.2 != TAKEN)
    }
}

/// The index records one transaction changes in one folder.
pub(crate) struct IndexWrites(BlockWrites<Block>);

impl IndexWrites {
    pub(crate) fn new(folder: u64) -> IndexWrites {
        IndexWrites(BlockWrites::new(folder, |f, n| block_key(f, n).to_vec()))
    }

    pub(crate) fn put(
        &mut self,
        t: &TransactionalTree,
        modseq: u64,
        uid: u32,
        kind: u8,
    ) -> TxResult<()> {
        self.0.get(t, modseq / BLOCK)?.put(modseq, uid, kind);
        Ok(())
    }

    pub(crate) fn take(&mut self, t: &TransactionalTree, modseq: u64, uid: u32) -> TxResult<()> {
        self.0.get(t, modseq / BLOCK)?.take(modseq, uid);
        Ok(())
    }

    pub(crate) fn close(self, t: &TransactionalTree) -> TxResult<()> {
        self.0.close(t)
    }
}

/// One entry of the change index.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub uid: u32,
    /// The modseq of the entry: when the message arrived, last changed or was expunged.
    pub modseq: u64,
    /// The message's state now; `None` once it is expunged.
    pub state: Option<MessageState>,
}

/// A message's flags as [`Store::list_folder`] hands them out.
#[derive(Debug, Clone, Copy)]
pub enum Listed<'a> {
    /// Only system flags (or none), as the bits of [`crate::SYSTEM_FLAG_BITS`].
    System(u8),
    /// Other flags as well: the stored state.
    State(StateRef<'a>),
}

impl Store {
    /// Every live message of the folder, in UID order, as (UID, modseq, flags), read from the
    /// change index: a few hundred records for a folder of 100k messages that changed in
    /// batches, where reading every state is 100k. Only messages with a flag besides the
    /// system ones have their state read. The index and the folder record are read under the
    /// account's lock, so the listing is the folder at one moment; the folder record of that
    /// moment is returned.
    pub fn list_folder(
        &self,
        account: u64,
        folder: u64,
        mut f: impl FnMut(u32, u64, Listed<'_>),
    ) -> Result<crate::model::Folder> {
        let lock = self.lock(account);
        let guard = lock.lock().expect("account lock");
        let record = self.folder_by_id(account, folder)?.ok_or(Error::NoFolder)?;
        let mut live: Vec<(u32, u64, u8)> = Vec::new();
        for kv in self.inner.changes.scan_prefix(folder.to_be_bytes()) {
            let (k, v) = kv?;
            let n = key_part(&k, 8)?;
            live.extend(
                Block::decode(&v)?
                    .entries(n)
                    .filter(|e| e.2 != EXPUNGED)
                    .map(|(m, u, k)| (u, m, k)),
            );
        }
        live.sort_unstable_by_key(|e| e.0);
        let others: Vec<u32> = live
            .iter()
            .filter(|e| e.2 & OTHER != 0)
            .map(|e| e.0)
            .collect();
        let states = self.states_of(folder, &others)?;
        drop(guard);
        let mut states = others.into_iter().zip(states).peekable();
        for (uid, modseq, kind) in live {
            if kind & OTHER == 0 {
                f(uid, modseq, Listed::System(kind >> 1));
                continue;
            }
            while states.next_if(|(u, _)| *u < uid).is_some() {}
            // Written with its entry under the same lock, so it is there.
            if let Some((_, Some(raw))) = states.next_if(|(u, _)| *u == uid) {
                f(uid, modseq, Listed::State(StateRef::parse(&raw)?));
            }
        }
        Ok(record)
    }

    /// Visits the change index entries of the folder with modseq in (`after`, `upto`], oldest
    /// first, as (UID, entry modseq, flags or `None` when expunged). The flags are the entry's
    /// own ([`Listed::System`]) unless the message has others, whose state is read then
    /// ([`Listed::State`]): catching up on 1000 flag changes reads a few index records, not
    /// 1000 states.
    ///
    /// `upto` is meant to be the folder's highest modseq as read before the call: every entry up
    /// to it is then in place, and whatever happens during the call gets modseqs above it, to
    /// be read next time. A message changed meanwhile may show a state newer than its entry;
    /// one expunged meanwhile is left out, its tombstone being above `upto`.
    pub fn visit_changes(
        &self,
        folder: u64,
        after: u64,
        upto: u64,
        mut f: impl FnMut(u32, u64, Option<Listed<'_>>),
    ) -> Result<()> {
        let entries = self.entries_between(folder, after, upto)?;
        let others: Vec<u32> = entries
            .iter()
            .filter(|e| e.2 != EXPUNGED && e.2 & OTHER != 0)
            .map(|e| e.0)
            .collect();
        let mut states = self.states_of(folder, &others)?.into_iter();
        for &(uid, modseq, kind) in &entries {
            if kind == EXPUNGED {
                f(uid, modseq, None);
            } else if kind & OTHER == 0 {
                f(uid, modseq, Some(Listed::System(kind >> 1)));
            } else if let Some(Some(raw)) = states.next() {
                f(uid, modseq, Some(Listed::State(StateRef::parse(&raw)?)));
            }
        }
        Ok(())
    }

    /// The entries with modseq in (`after`, `upto`], oldest first, as (UID, modseq, kind).
    fn entries_between(&self, folder: u64, after: u64, upto: u64) -> Result<Vec<(u32, u64, u8)>> {
        let mut entries = Vec::new();
        if after >= upto {
            return Ok(entries);
        }
        let from = block_key(folder, (after + 1) / BLOCK);
        let to = block_key(folder, upto / BLOCK);
        for kv in self.inner.changes.range(from..=to) {
            let (k, v) = kv?;
            let n = key_part(&k, 8)?;
            entries.extend(
                Block::decode(&v)?
                    .entries(n)
                    .filter(|(m, _, _)| *m > after && *m <= upto)
                    .map(|(m, u, k)| (u, m, k)),
            );
        }
        Ok(entries)
    }

    /// Everything that changed in the folder after `modseq`, oldest first.
    pub fn changes_since(&self, folder: u64, modseq: u64) -> Result<Vec<Change>> {
        let entries = self.entries_between(folder, modseq, u64::MAX)?;
        let live: Vec<u32> = entries
            .iter()
            .filter(|e| e.2 != EXPUNGED)
            .map(|e| e.0)
            .collect();
        let mut states = self.states_of(folder, &live)?.into_iter();
        let mut out = Vec::with_capacity(entries.len());
        for (uid, modseq, kind) in entries {
            let state = if kind == EXPUNGED {
                None
            } else if let Some(Some(raw)) = states.next() {
                Some(StateRef::parse(&raw)?.to_state())
            } else {
                continue;
            };
            out.push(Change { uid, modseq, state });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_entries_in_modseq_order() {
        let mut b = Block::default();
        let seen_kw = live_kind(["\\Seen", "$Work"]);
        b.put(BLOCK * 3 + 9, 7, 0);
        b.put(BLOCK * 3 + 2, 8, EXPUNGED);
        b.put(BLOCK * 3 + 127, u32::MAX, seen_kw);
        let back = Block::decode(&b.encode()).unwrap();
        assert_eq!(back, b);
        assert_eq!(
            back.entries(3).collect::<Vec<_>>(),
            vec![
                (BLOCK * 3 + 2, 8, EXPUNGED),
                (BLOCK * 3 + 9, 7, 0),
                (BLOCK * 3 + 127, u32::MAX, seen_kw)
            ]
        );
        b.take(BLOCK * 3 + 9, 99);
        assert_eq!(b.places().count(), 3, "another message's entry stays");
        b.take(BLOCK * 3 + 9, 7);
        b.take(BLOCK * 3 + 9, 7);
        assert_eq!(b.places().count(), 2);
        assert_eq!(
            Block::decode(&b.encode())
                .unwrap()
                .places()
                .collect::<Vec<_>>(),
            b.places().collect::<Vec<_>>(),
            "what was taken is not written"
        );
        // Put back where it was taken, then everything taken: an empty block.
        b.put(BLOCK * 3 + 9, 7, 0);
        assert_eq!(b.places().count(), 3);
        for (m, u) in [(9, 7), (2, 8), (127, u32::MAX)] {
            b.take(BLOCK * 3 + m, u);
        }
        assert!(b.is_empty());
        assert!(b.encode().is_empty());
    }

    #[test]
    fn live_kinds_hold_system_flags_and_a_mark_for_others() {
        assert_eq!(live_kind([]), 0);
        assert_eq!(live_kind(["\\Seen", "\\Draft"]), (1 | 16) << 1);
        assert_eq!(live_kind(["\\deleted", "$Work"]), (8 << 1) | OTHER);
        assert_eq!(live_kind(["\\Custom"]), OTHER);
        for kind in [
            live_kind([
                "\\Seen",
                "\\Answered",
                "\\Flagged",
                "\\Deleted",
                "\\Draft",
                "x",
            ]),
            EXPUNGED,
        ] {
            assert!(valid_kind(kind), "{kind:#x}");
        }
    }

    #[test]
    fn broken_blocks_are_refused() {
        for raw in [
            &b"\x00\x00\x00\x00\x01"[..],
            b"\x05\x00\x00\x00\x01\x00\x02\x00\x00\x00\x01\x00",
            b"\x05\x00\x00\x00\x01\x07",
            b"\x05\x00\x00\x00\x01\x03",
            b"\x05\x00\x00\x00\x01\x80",
        ] {
            assert!(Block::decode(raw).is_err(), "{raw:?}");
        }
    }
}
