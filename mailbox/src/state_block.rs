//! Message states, [`UIDS`] UIDs to a record.
//!
//! Key folder id ‖ UID / [`UIDS`] (big endian), value the block's states in UID order, each
//! the UID's place in the block (1 byte), the state record's length (a varint of at most 4
//! bytes, so below [`MAX_RECORD`]) and the record (see [`StateRef`]). A STORE on a whole folder
//! of 100k messages writes some 800 records instead of 100k: sled's cost per written record,
//! not per byte, is what a large flag change pays for. A single state costs one block read, a
//! few hundred bytes.

use std::ops::{Range, RangeInclusive};

use sled::IVec;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::block_writes::{BlockRecord, BlockWrites};
use crate::error::{Error, Result};
use crate::model::MessageState;
use crate::state_record::StateRef;
use crate::store::{Store, TxResult, msg_key};

/// UIDs per state record.
pub(crate) const UIDS: u32 = 256;

/// State blocks as read: (block number, the stored block).
pub(crate) type RawBlocks = Vec<(u32, IVec)>;

/// A state record's length must stay below this to be framed; a longer one is refused when
/// written, never stored unreadable (with every other state of its block).
const MAX_RECORD: usize = 1 << 28;

/// The key of the record holding `uid`'s state.
pub(crate) fn state_key(folder: u64, uid: u32) -> [u8; 12] {
    msg_key(folder, uid / UIDS)
}

pub(crate) fn malformed() -> Error {
    Error::Encoding(postcard::Error::DeserializeBadEncoding)
}

/// The number after the folder id in a folder id ‖ u32 key: the block number of a state
/// record's key, the UID of a message key. An error, never a panic, for a short key.
pub(crate) fn key_u32(key: &[u8]) -> Result<u32> {
    key.get(8..12)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or_else(malformed)
}

/// Appends `n` as postcard writes a varint: seven bits a byte, low first, the top bit set on
/// all but the last.
fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The entries of a stored block as (place, the record's range in the block), in order. A
/// broken block yields one error and stops.
struct Entries<'a> {
    raw: &'a [u8],
    at: usize,
    last: Option<u8>,
}

impl Entries<'_> {
    fn new(raw: &[u8]) -> Entries<'_> {
        Entries {
            raw,
            at: 0,
            last: None,
        }
    }

    fn entry(&mut self) -> Option<(u8, Range<usize>)> {
        let place = *self.raw.get(self.at)?;
        if u32::from(place) >= UIDS || self.last.is_some_and(|l| l >= place) {
            return None;
        }
        let mut len = 0usize;
        let mut at = self.at + 1;
        for shift in [0, 7, 14, 21] {
            let b = *self.raw.get(at)?;
            at += 1;
            len |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                let end = at.checked_add(len).filter(|&e| e <= self.raw.len())?;
                self.at = end;
                self.last = Some(place);
                return Some((place, at..end));
            }
        }
        None
    }
}

impl Iterator for Entries<'_> {
    type Item = Result<(u8, Range<usize>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.raw.len() {
            return None;
        }
        match self.entry() {
            Some(e) => Some(Ok(e)),
            None => {
                self.at = self.raw.len();
                Some(Err(malformed()))
            }
        }
    }
}

/// One block decoded for a transaction to change: its bytes as read, with every record
/// written since appended, and (place, start, length) of each present record in those bytes,
/// ordered by place. Changing a state allocates nothing per record.
#[derive(Debug, Default)]
struct Block {
    bytes: Vec<u8>,
    entries: Vec<(u8, u32, u32)>,
}

impl BlockRecord for Block {
    fn decode(raw: &[u8]) -> Result<Block> {
        // Only the framing is checked: a record is parsed where it is read, and one this
        // transaction does not touch is written back as it was. Room is made once for every
        // place and for as many bytes again, what a change of every state appends.
        let mut entries = Vec::with_capacity(UIDS as usize);
        for e in Entries::new(raw) {
            let (place, r) = e?;
            entries.push((place, r.start as u32, r.len() as u32));
        }
        let mut bytes = Vec::with_capacity(raw.len() * 2);
        bytes.extend_from_slice(raw);
        Ok(Block { bytes, entries })
    }

    fn encode(&self) -> Vec<u8> {
        let size: u32 = self.entries.iter().map(|e| e.2 + 5).sum();
        let mut v = Vec::with_capacity(size as usize);
        for &(place, start, len) in &self.entries {
            v.push(place);
            push_varint(&mut v, len.into());
            v.extend_from_slice(&self.bytes[start as usize..(start + len) as usize]);
        }
        v
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Block {
    fn find(&self, uid: u32) -> std::result::Result<usize, usize> {
        let place = (uid % UIDS) as u8;
        self.entries.binary_search_by_key(&place, |e| e.0)
    }

    fn record(&self, i: usize) -> &[u8] {
        let (_, start, len) = self.entries[i];
        &self.bytes[start as usize..(start + len) as usize]
    }

    /// Sets `uid`'s record to the bytes `write` appends.
    fn put(&mut self, uid: u32, write: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        let start = self.bytes.len();
        write(&mut self.bytes)?;
        let len = self.bytes.len() - start;
        if len >= MAX_RECORD {
            self.bytes.truncate(start);
            return Err(malformed());
        }
        // Records are a few dozen bytes; a block never nears 4 GiB.
        let (start, len) = (
            u32::try_from(start).map_err(|_| malformed())?,
            u32::try_from(len).map_err(|_| malformed())?,
        );
        let entry = ((uid % UIDS) as u8, start, len);
        match self.find(uid) {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
        Ok(())
    }
}

/// The state blocks one transaction changes in one folder (see [`crate::ledger::Ledger`],
/// their only user).
pub(crate) struct StateWrites(BlockWrites<Block>);

impl StateWrites {
    pub(crate) fn new(folder: u64) -> StateWrites {
        StateWrites(BlockWrites::new(folder, |f, n| {
            msg_key(f, n as u32).to_vec()
        }))
    }

    /// Blocks read just before the transaction, under the account's lock that every writer of
    /// states holds, so as they are in the tree: used instead of reading them again inside it.
    pub(crate) fn seed(&mut self, blocks: &[(u32, IVec)]) {
        for (n, raw) in blocks {
            self.0.seed(u64::from(*n), raw.clone());
        }
    }

    fn block(&mut self, t: &TransactionalTree, uid: u32) -> TxResult<&mut Block> {
        self.0.get(t, u64::from(uid / UIDS))
    }

    /// Sets `uid`'s state.
    pub(crate) fn put(
        &mut self,
        t: &TransactionalTree,
        uid: u32,
        state: &MessageState,
    ) -> TxResult<()> {
        self.block(t, uid)?
            .put(uid, |out| {
                *out = postcard::to_extend(state, std::mem::take(out))?;
                Ok(())
            })
            .map_err(ConflictableTransactionError::Abort)
    }

    /// Sets `uid`'s state to `modseq` and a flag list already encoded as a state record
    /// holds it (postcard's encoding of the list).
    pub(crate) fn put_flags(
        &mut self,
        t: &TransactionalTree,
        uid: u32,
        modseq: u64,
        flags: &[u8],
    ) -> TxResult<()> {
        self.block(t, uid)?
            .put(uid, |out| {
                push_varint(out, modseq);
                out.extend_from_slice(flags);
                Ok(())
            })
            .map_err(ConflictableTransactionError::Abort)
    }

    /// Removes `uid`'s state and returns it; `None` when there is none.
    pub(crate) fn take(&mut self, t: &TransactionalTree, uid: u32) -> TxResult<Option<Vec<u8>>> {
        let b = self.block(t, uid)?;
        Ok(b.find(uid).ok().map(|i| {
            let record = b.record(i).to_vec();
            b.entries.remove(i);
            record
        }))
    }

    pub(crate) fn close(self, t: &TransactionalTree) -> TxResult<()> {
        self.0.close(t)
    }
}

/// Each record of a stored block as (place, record), in order; a broken block yields one error
/// and stops. For the upgrade, which reads blocks of another span.
pub(crate) fn block_records(raw: &[u8]) -> impl Iterator<Item = Result<(u8, &[u8])>> {
    Entries::new(raw).map(move |e| e.map(|(place, r)| (place, &raw[r])))
}

/// Builds blocks from states given in UID order (the upgrades): feed each state, take each
/// finished block as (key, value).
pub(crate) struct BlockBuilder {
    current: Option<(u64, u32)>,
    block: Block,
}

impl BlockBuilder {
    pub(crate) fn new() -> BlockBuilder {
        BlockBuilder {
            current: None,
            block: Block::default(),
        }
    }

    /// Adds one state; returns the block it finished, if any.
    pub(crate) fn add(
        &mut self,
        folder: u64,
        uid: u32,
        record: &[u8],
    ) -> Result<Option<([u8; 12], Vec<u8>)>> {
        StateRef::parse(record)?;
        let at = (folder, uid / UIDS);
        let done = match self.current {
            Some(c) if c != at => self.finish(),
            _ => None,
        };
        self.current = Some(at);
        self.block.put(uid, |out| {
            out.extend_from_slice(record);
            Ok(())
        })?;
        Ok(done)
    }

    /// The block being built, if any.
    pub(crate) fn finish(&mut self) -> Option<([u8; 12], Vec<u8>)> {
        let (folder, n) = self.current.take()?;
        let block = std::mem::take(&mut self.block);
        Some((msg_key(folder, n), block.encode()))
    }
}

impl Store {
    /// Visits every stored state of the folder with a UID in `uids`, in UID order, as the block
    /// it is in and its range there.
    fn each_state(
        &self,
        folder: u64,
        uids: RangeInclusive<u32>,
        mut f: impl FnMut(u32, &IVec, Range<usize>) -> Result<()>,
    ) -> Result<()> {
        let (from, to) = (
            state_key(folder, *uids.start()),
            state_key(folder, *uids.end()),
        );
        for kv in self.inner.states.range(from..=to) {
            let (k, v) = kv?;
            let base = key_u32(&k)? * UIDS;
            for e in Entries::new(&v) {
                let (place, r) = e?;
                let uid = base + u32::from(place);
                if uids.contains(&uid) {
                    f(uid, &v, r)?;
                }
            }
        }
        Ok(())
    }

    /// Reads every state of the folder with a UID in `uids`, in UID order, without decoding
    /// them into owned values.
    pub fn scan_states(
        &self,
        folder: u64,
        uids: RangeInclusive<u32>,
        mut f: impl FnMut(u32, StateRef<'_>),
    ) -> Result<()> {
        self.each_state(folder, uids, |uid, v, r| {
            f(uid, StateRef::parse(&v[r])?);
            Ok(())
        })
    }

    /// How many messages the folder has with a UID in `uids`.
    pub(crate) fn count_states(&self, folder: u64, uids: RangeInclusive<u32>) -> Result<u32> {
        let mut n = 0;
        self.each_state(folder, uids, |_, _, _| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// The folder's UIDs, in order.
    pub(crate) fn uids_of(&self, folder: u64) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        self.each_state(folder, 0..=u32::MAX, |uid, _, _| {
            out.push(uid);
            Ok(())
        })?;
        Ok(out)
    }

    /// The keys of the folder's state records, for removing the folder.
    pub(crate) fn state_keys(&self, folder: u64) -> Result<Vec<IVec>> {
        let mut out = Vec::new();
        for k in self.inner.states.scan_prefix(folder.to_be_bytes()).keys() {
            out.push(k?);
        }
        Ok(out)
    }

    /// The stored state records of `uids` (in any order; `None` for a message that is gone),
    /// side by side with them. Each block is read once however many of its UIDs are asked for;
    /// when they are in most blocks of their range, as after a STORE on a whole folder, the
    /// range is read in one ordered scan, several times cheaper per record than lookups.
    pub(crate) fn states_of(&self, folder: u64, uids: &[u32]) -> Result<Vec<Option<IVec>>> {
        self.read_states(folder, uids, &mut |_, _| ())
    }

    /// [`Store::states_of`], with the blocks read as well (number, raw block), for a change
    /// that writes them next (see [`crate::ledger::Ledger::seed_states`]).
    pub(crate) fn states_and_blocks_of(
        &self,
        folder: u64,
        uids: &[u32],
    ) -> Result<(Vec<Option<IVec>>, RawBlocks)> {
        let mut blocks = Vec::new();
        let states = self.read_states(folder, uids, &mut |n, raw| blocks.push((n, raw.clone())))?;
        Ok((states, blocks))
    }

    fn read_states(
        &self,
        folder: u64,
        uids: &[u32],
        seen: &mut dyn FnMut(u32, &IVec),
    ) -> Result<Vec<Option<IVec>>> {
        let mut out: Vec<Option<IVec>> = vec![None; uids.len()];
        let mut order: Vec<(u32, usize)> = uids.iter().copied().zip(0..).collect();
        order.sort_unstable();
        let (Some(&(first, _)), Some(&(last, _))) = (order.first(), order.last()) else {
            return Ok(out);
        };
        let mut blocks: Vec<u32> = order.iter().map(|(u, _)| u / UIDS).collect();
        blocks.dedup();
        let mut wanted = order.iter().peekable();
        let mut take = |n: u32, raw: &IVec| -> Result<()> {
            seen(n, raw);
            for e in Entries::new(raw) {
                let (place, r) = e?;
                let uid = n * UIDS + u32::from(place);
                while wanted.next_if(|(u, _)| *u < uid).is_some() {}
                // A UID asked for twice (a message changed during the scan of the index has
                // two entries) gets its state twice.
                while let Some((_, i)) = wanted.next_if(|(u, _)| *u == uid) {
                    out[*i] = Some(raw.subslice(r.start, r.len()));
                }
            }
            Ok(())
        };
        let span = (last / UIDS - first / UIDS) as usize + 1;
        if blocks.len() * 4 < span {
            for n in blocks {
                if let Some(raw) = self.inner.states.get(msg_key(folder, n))? {
                    take(n, &raw)?;
                }
            }
        } else {
            for kv in self
                .inner
                .states
                .range(state_key(folder, first)..=state_key(folder, last))
            {
                let (k, raw) = kv?;
                take(key_u32(&k)?, &raw)?;
            }
        }
        Ok(out)
    }

    pub fn message_state(&self, folder: u64, uid: u32) -> Result<Option<MessageState>> {
        match self.states_of(folder, &[uid])?.pop().flatten() {
            Some(raw) => Ok(Some(StateRef::parse(&raw)?.to_state())),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(modseq: u64, flags: &[&str]) -> Vec<u8> {
        postcard::to_allocvec(&MessageState {
            modseq,
            flags: flags.iter().map(|f| f.to_string()).collect(),
        })
        .unwrap()
    }

    #[test]
    fn blocks_round_trip_in_uid_order() {
        let long = "k".repeat(300);
        let mut b = BlockBuilder::new();
        assert!(b.add(1, 258, &record(5, &["\\Seen"])).unwrap().is_none());
        assert!(b.add(1, 257, &record(9, &[&long])).unwrap().is_none());
        assert!(b.add(1, 511, &record(7, &[])).unwrap().is_none());
        let (key, raw) = b.add(1, 512, &record(8, &[])).unwrap().unwrap();
        assert_eq!(key, msg_key(1, 1));
        let mut block = Block::decode(&raw).unwrap();
        let places: Vec<u8> = block.entries.iter().map(|e| e.0).collect();
        assert_eq!(places, [1, 2, 255]);
        assert_eq!(block.encode(), raw);
        let r = StateRef::parse(block.record(0)).unwrap();
        assert_eq!((r.modseq, r.flags().next()), (9, Some(long.as_str())));
        // A record replaced in place keeps its place; the block encodes as if built so.
        block
            .put(258, |out| {
                out.extend_from_slice(&record(6, &["\\Seen", "\\Flagged"]));
                Ok(())
            })
            .unwrap();
        let again = Block::decode(&block.encode()).unwrap();
        assert_eq!(again.entries.len(), 3);
        let r = StateRef::parse(again.record(1)).unwrap();
        assert_eq!((r.modseq, r.flags().count()), (6, 2));
        let (key, _) = b.finish().unwrap();
        assert_eq!(key, msg_key(1, 2));
        assert!(b.finish().is_none());
    }

    #[test]
    fn a_modseq_and_encoded_flags_make_the_record_postcard_makes() {
        let flags = vec!["\\Seen".to_string(), "$Work".into()];
        let list = postcard::to_allocvec(&flags).unwrap();
        for modseq in [0, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut out = Vec::new();
            push_varint(&mut out, modseq);
            out.extend_from_slice(&list);
            let st = MessageState {
                modseq,
                flags: flags.clone(),
            };
            assert_eq!(out, postcard::to_allocvec(&st).unwrap(), "{modseq}");
        }
    }

    #[test]
    fn broken_blocks_are_refused() {
        // Every place byte is a place: 256 UIDs to a block.
        for raw in [
            &b"\x05\x03\x01\x00"[..],
            b"\x05\x02\x01\x00\x05\x02\x01\x00",
            b"\x05\x02\x01\x00\x04\x02\x01\x00",
            b"\x05\xff\xff\xff\xff\x01",
            b"\x05",
        ] {
            assert!(Block::decode(raw).is_err(), "{raw:?}");
        }
        assert!(Block::decode(b"").unwrap().entries.is_empty());
        // Framing is checked when a block is read for a change, a record where it is read.
        let b = Block::decode(b"\x05\x02\x01\x05").unwrap();
        assert!(StateRef::parse(b.record(0)).is_err());
    }
}
