//! The change index and the folder counters, kept beside the message records.
//!
//! The change index orders a folder's messages by modseq: key folder id ‖ modseq (both big
//! endian), value UID ‖ kind. A live message has exactly one entry, at its current modseq; an
//! expunged one leaves a tombstone at the modseq of its removal, kept for good so a client
//! that knew an older modseq can still learn what vanished. A session that knew the folder at
//! modseq M catches up by reading the entries after M: the cost follows the number of changes,
//! not the size of the folder.
//!
//! The counters record per folder the numbers STATUS reports and the keywords in use, so
//! neither STATUS nor SELECT reads every message for them.
//!
//! Both are written only inside the transactions that change messages (see
//! [`crate::store::Tx`]), through a [`Ledger`].

use serde::{Deserialize, Serialize};
use sled::IVec;
use sled::transaction::TransactionalTree;

use crate::error::{Error, Result};
use crate::model::MessageState;
use crate::state_record::StateRef;
use crate::store::{Store, TxResult, dec, msg_key, tdec, tenc};

pub(crate) const LIVE: u8 = 0;
const EXPUNGED: u8 = 1;

pub(crate) fn change_key(folder: u64, modseq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&folder.to_be_bytes());
    k[8..].copy_from_slice(&modseq.to_be_bytes());
    k
}

pub(crate) fn change_value(uid: u32, kind: u8) -> [u8; 5] {
    let mut v = [0u8; 5];
    v[..4].copy_from_slice(&uid.to_be_bytes());
    v[4] = kind;
    v
}

/// (UID, expunged) of a stored entry; `None` for bytes that are not one.
fn read_value(v: &[u8]) -> Option<(u32, bool)> {
    let uid = u32::from_be_bytes(v.get(..4)?.try_into().ok()?);
    match v.get(4) {
        Some(&LIVE) => Some((uid, false)),
        Some(&EXPUNGED) => Some((uid, true)),
        _ => None,
    }
}

fn modseq_of_key(k: &[u8]) -> Result<u64> {
    k.get(8..16)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or(Error::Encoding(postcard::Error::DeserializeBadEncoding))
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

/// The counters of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderCounters {
    pub messages: u32,
    /// Messages without \Seen.
    pub unseen: u32,
    /// Messages with \Deleted.
    pub deleted: u32,
    /// Total size of the messages in bytes.
    pub size: u64,
    /// Every keyword some message carries, as spelled there, with the number of messages
    /// carrying it; sorted by keyword.
    pub keywords: Vec<(String, u32)>,
}

fn is_keyword(flag: &str) -> bool {
    !flag.starts_with('\\')
}

impl FolderCounters {
    /// Counts one message in (`sign` 1) or out (`sign` -1).
    pub(crate) fn count<'f>(&mut self, sign: i64, flags: impl Iterator<Item = &'f str>, size: u64) {
        let step = |n: &mut u32| *n = (i64::from(*n) + sign).max(0) as u32;
        step(&mut self.messages);
        self.size = if sign > 0 {
            self.size.saturating_add(size)
        } else {
            self.size.saturating_sub(size)
        };
        let (mut seen, mut deleted) = (false, false);
        for f in flags {
            seen |= f.eq_ignore_ascii_case("\\Seen");
            deleted |= f.eq_ignore_ascii_case("\\Deleted");
            if is_keyword(f) {
                self.keyword(f, sign);
            }
        }
        if !seen {
            step(&mut self.unseen);
        }
        if deleted {
            step(&mut self.deleted);
        }
    }

    fn keyword(&mut self, k: &str, sign: i64) {
        match self.keywords.binary_search_by(|(n, _)| n.as_str().cmp(k)) {
            Ok(i) => {
                let n = i64::from(self.keywords[i].1) + sign;
                if n <= 0 {
                    self.keywords.remove(i);
                } else {
                    self.keywords[i].1 = n as u32;
                }
            }
            Err(i) if sign > 0 => self.keywords.insert(i, (k.to_string(), sign as u32)),
            Err(_) => {}
        }
    }
}

/// What one transaction did to one folder's messages: it writes the change index as it goes
/// and the counters once, at [`Ledger::close`].
pub(crate) struct Ledger {
    folder: u64,
    counters: Option<FolderCounters>,
}

impl Ledger {
    pub(crate) fn new(folder: u64) -> Ledger {
        Ledger {
            folder,
            counters: None,
        }
    }

    fn counters(&mut self, t: &TransactionalTree) -> TxResult<&mut FolderCounters> {
        if self.counters.is_none() {
            let c = match t.get(self.folder.to_be_bytes())? {
                Some(raw) => tdec(&raw)?,
                None => FolderCounters::default(),
            };
            self.counters = Some(c);
        }
        Ok(self.counters.as_mut().expect("just loaded"))
    }

    /// Drops the UID's entry at `modseq`, checking it is the UID's: a stray entry of another
    /// message is never removed in its place.
    fn unindex(&self, changes: &TransactionalTree, uid: u32, modseq: u64) -> TxResult<()> {
        let k = change_key(self.folder, modseq);
        if let Some(v) = changes.remove(&k)?
            && !read_value(&v).is_some_and(|(u, _)| u == uid)
        {
            changes.insert(&k, v)?;
        }
        Ok(())
    }

    /// A message arrived (delivered, appended or copied in) with state `st`.
    pub(crate) fn added(
        &mut self,
        changes: &TransactionalTree,
        counters: &TransactionalTree,
        uid: u32,
        st: &MessageState,
        size: u64,
    ) -> TxResult<()> {
        changes.insert(
            &change_key(self.folder, st.modseq),
            &change_value(uid, LIVE),
        )?;
        self.counters(counters)?
            .count(1, st.flags.iter().map(String::as_str), size);
        Ok(())
    }

    /// A message's flags changed from `old` to `new` (with a new modseq).
    pub(crate) fn changed(
        &mut self,
        changes: &TransactionalTree,
        counters: &TransactionalTree,
        uid: u32,
        old: &StateRef<'_>,
        new: &MessageState,
    ) -> TxResult<()> {
        self.unindex(changes, uid, old.modseq)?;
        changes.insert(
            &change_key(self.folder, new.modseq),
            &change_value(uid, LIVE),
        )?;
        let c = self.counters(counters)?;
        // Size is not touched: count out and in with none.
        c.count(-1, old.flags(), 0);
        c.count(1, new.flags.iter().map(String::as_str), 0);
        Ok(())
    }

    /// A message was expunged at `modseq`; it leaves a tombstone there.
    pub(crate) fn removed(
        &mut self,
        changes: &TransactionalTree,
        counters: &TransactionalTree,
        uid: u32,
        old: &StateRef<'_>,
        size: u64,
        modseq: u64,
    ) -> TxResult<()> {
        self.unindex(changes, uid, old.modseq)?;
        changes.insert(
            &change_key(self.folder, modseq),
            &change_value(uid, EXPUNGED),
        )?;
        self.counters(counters)?.count(-1, old.flags(), size);
        Ok(())
    }

    /// Writes the counters, if anything was counted.
    pub(crate) fn close(self, counters: &TransactionalTree) -> TxResult<()> {
        if let Some(c) = &self.counters {
            counters.insert(&self.folder.to_be_bytes(), tenc(c)?)?;
        }
        Ok(())
    }
}

impl Store {
    /// The folder's counters (zero for a folder without messages).
    pub fn counters(&self, folder: u64) -> Result<FolderCounters> {
        match self.inner.counters.get(folder.to_be_bytes())? {
            Some(raw) => dec(&raw),
            None => Ok(FolderCounters::default()),
        }
    }

    /// The counters computed afresh from every message of the folder. Used to build them for
    /// a store of the old format, and to check them.
    pub fn recount(&self, folder: u64) -> Result<FolderCounters> {
        let mut c = FolderCounters::default();
        let prefix = folder.to_be_bytes();
        for kv in self.inner.states.scan_prefix(prefix) {
            let (k, v) = kv?;
            let size = match self.inner.metas.get(&k)? {
                Some(m) => dec::<crate::model::MessageMeta>(&m)?.size,
                None => 0,
            };
            let st = StateRef::parse(&v)?;
            c.count(1, st.flags(), size);
        }
        Ok(c)
    }

    /// Keywords some message of the folder carries, sorted.
    pub fn folder_keywords(&self, folder: u64) -> Result<Vec<String>> {
        Ok(self
            .counters(folder)?
            .keywords
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// Reads every state of the folder with a UID in `uids`, in UID order, without decoding
    /// them into owned values.
    pub fn scan_states(
        &self,
        folder: u64,
        uids: std::ops::RangeInclusive<u32>,
        mut f: impl FnMut(u32, StateRef<'_>),
    ) -> Result<()> {
        let from = msg_key(folder, *uids.start());
        let to = msg_key(folder, *uids.end());
        for kv in self.inner.states.range(from..=to) {
            let (k, v) = kv?;
            let uid = u32::from_be_bytes(k[8..12].try_into().map_err(|_| Error::NoMessage)?);
            f(uid, StateRef::parse(&v)?);
        }
        Ok(())
    }

    /// Visits the change index entries of the folder with modseq in (`after`, `upto`], oldest
    /// first, as (UID, entry modseq, state now or `None` when expunged).
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
        mut f: impl FnMut(u32, u64, Option<StateRef<'_>>),
    ) -> Result<()> {
        if after >= upto {
            return Ok(());
        }
        let from = change_key(folder, after.saturating_add(1));
        let to = change_key(folder, upto);
        let mut entries: Vec<(u32, u64, bool)> = Vec::new();
        for kv in self.inner.changes.range(from..=to) {
            let (k, v) = kv?;
            let (uid, expunged) =
                read_value(&v).ok_or(Error::Encoding(postcard::Error::DeserializeBadEncoding))?;
            entries.push((uid, modseq_of_key(&k)?, expunged));
        }
        let states = self.states_of(folder, &entries)?;
        for (&(uid, modseq, expunged), raw) in entries.iter().zip(&states) {
            if expunged {
                f(uid, modseq, None);
            } else if let Some(raw) = raw {
                f(uid, modseq, Some(StateRef::parse(raw)?));
            }
        }
        Ok(())
    }

    /// The stored states of the live entries (`None` for tombstones and messages gone since).
    /// Few changes are looked up one by one; many, as after a STORE on a whole folder, are
    /// read in one ordered scan of their UID range, several times cheaper per message.
    fn states_of(&self, folder: u64, entries: &[(u32, u64, bool)]) -> Result<Vec<Option<IVec>>> {
        let mut out: Vec<Option<IVec>> = vec![None; entries.len()];
        let mut live: Vec<(u32, usize)> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.2)
            .map(|(i, e)| (e.0, i))
            .collect();
        live.sort_unstable();
        let (Some(&(first, _)), Some(&(last, _))) = (live.first(), live.last()) else {
            return Ok(out);
        };
        let span = u64::from(last - first) + 1;
        if (live.len() as u64) * 4 < span {
            for (uid, i) in live {
                out[i] = self.inner.states.get(msg_key(folder, uid))?;
            }
            return Ok(out);
        }
        let mut next = live.iter().peekable();
        for kv in self
            .inner
            .states
            .range(msg_key(folder, first)..=msg_key(folder, last))
        {
            let (k, v) = kv?;
            let uid = u32::from_be_bytes(k[8..12].try_into().map_err(|_| Error::NoMessage)?);
            while next.next_if(|(u, _)| *u < uid).is_some() {}
            // A message changed during the scan of the index may have two entries.
            while let Some((_, i)) = next.next_if(|(u, _)| *u == uid) {
                out[*i] = Some(v.clone());
            }
        }
        Ok(out)
    }

    /// Everything that changed in the folder after `modseq`, oldest first.
    pub fn changes_since(&self, folder: u64, modseq: u64) -> Result<Vec<Change>> {
        let mut out = Vec::new();
        self.visit_changes(folder, modseq, u64::MAX, |uid, modseq, st| {
            out.push(Change {
                uid,
                modseq,
                state: st.map(|s| s.to_state()),
            })
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_in_and_out_balances() {
        let mut c = FolderCounters::default();
        c.count(1, ["\\Seen", "$Work"].into_iter(), 10);
        c.count(1, ["$Work", "\\Deleted", "$A"].into_iter(), 5);
        c.count(1, [].into_iter(), 1);
        assert_eq!(
            c,
            FolderCounters {
                messages: 3,
                unseen: 2,
                deleted: 1,
                size: 16,
                keywords: vec![("$A".into(), 1), ("$Work".into(), 2)],
            }
        );
        c.count(-1, ["$Work", "\\Deleted", "$A"].into_iter(), 5);
        c.count(-1, ["\\Seen", "$Work"].into_iter(), 10);
        c.count(-1, [].into_iter(), 1);
        assert_eq!(c, FolderCounters::default());
    }

    #[test]
    fn values_read_back() {
        assert_eq!(read_value(&change_value(7, LIVE)), Some((7, false)));
        assert_eq!(
            read_value(&change_value(u32::MAX, EXPUNGED)),
            Some((u32::MAX, true))
        );
        assert_eq!(read_value(b"\0\0\0\x07\x09"), None);
        assert_eq!(read_value(b"\0\0"), None);
    }
}
