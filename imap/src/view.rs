//! A session's view of its selected folder: the sequence-number map and the state each message
//! had when this client last heard of it. The store's change index tells what happened since,
//! which yields the untagged EXISTS / EXPUNGE / FETCH updates that keep several sessions on one
//! folder consistent at a cost that follows the changes, not the folder's size.

use std::sync::Arc;

use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use mailbox::{Folder, Store};

use super::flag_table::{FlagTable, SEEN};
use super::search_context::Context;
use super::view_cache::{Snapshot, ViewCache};
use crate::flag_table::SYSTEM_FLAGS;

pub use crate::view_cache::Slot;

pub struct View {
    pub folder: u64,
    pub account: u64,
    pub read_only: bool,
    /// UIDs in sequence-number order, and beside them what the client knows of each (with
    /// `recent` always false: see `recent_uids`). Shared with the view cache and with other
    /// sessions until one of them changes: a session selecting a folder of 100k messages
    /// takes them without copying two megabytes.
    uids: Arc<Vec<u32>>,
    slots: Arc<Vec<Slot>>,
    table: FlagTable,
    /// Keywords the client was told of in FLAGS: the first this many of the table's.
    announced: u32,
    /// Distinct keywords the folder may have (see [`Store::max_keywords`]).
    max_keywords: usize,
    /// Folder modseq and UIDNEXT when the view was last compared with the store.
    seen_modseq: u64,
    seen_uidnext: u32,
    pub uidvalidity: u32,
    /// Expunged messages not yet told (not allowed during FETCH/STORE/SEARCH).
    pending_expunge: Vec<u32>,
    /// The UIDs \Recent to this session, ascending.
    recent_uids: Vec<u32>,
    pub condstore: bool,
    /// IMAP4rev2 has no \Recent and no RECENT response.
    pub rev2: bool,
    /// Expunges go out as VANISHED (QRESYNC).
    pub qresync: bool,
    /// Live SEARCH and SORT results (RFC 5267); they end with the view.
    pub contexts: Vec<Context>,
    /// UIDs whose state changed or that are new since the contexts were last brought up to
    /// date; kept only while there are contexts.
    pub touched: Vec<u32>,
}

fn push_num(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// The UIDs that are \Recent to a session: above one mark and up to another.
#[derive(Clone, Copy)]
struct Recent {
    above: u32,
    up_to: u32,
}

impl Recent {
    /// Everything above `mark`: what a read-only session shows, claiming nothing.
    fn above(mark: u32) -> Recent {
        Recent {
            above: mark,
            up_to: u32::MAX,
        }
    }

    /// What [`Store::claim_recent`] gave this session.
    fn claimed((above, up_to): (u32, u32)) -> Recent {
        Recent { above, up_to }
    }

    fn has(self, uid: u32) -> bool {
        uid > self.above && uid <= self.up_to
    }

    /// Where the \Recent UIDs are in `uids` (ascending): one run.
    fn run_in(self, uids: &[u32]) -> std::ops::Range<usize> {
        uids.partition_point(|&u| u <= self.above)..uids.partition_point(|&u| u <= self.up_to)
    }
}

impl View {
    /// Reads the folder's messages: a copy of a view in `cache` caught up from its modseq, or
    /// else one scan of their states. `folder` names the folder; it is read again after
    /// \Recent is claimed, so every message this session claims is in the view.
    pub fn open(
        store: &Store,
        cache: Option<&ViewCache>,
        account: u64,
        folder: &Folder,
        read_only: bool,
    ) -> mailbox::Result<View> {
        let claim = if read_only {
            None
        } else {
            Some(store.claim_recent(account, folder.id)?)
        };
        let folder = store
            .folder_by_id(account, folder.id)?
            .ok_or(mailbox::Error::NoFolder)?;
        // EXAMINE claims nothing and shows what nobody has claimed yet.
        let floor = claim.map_or(Recent::above(folder.recent_uid), Recent::claimed);
        let snap = cache.and_then(|c| c.get(account, folder.id)).filter(|s| {
            s.uidvalidity == folder.uidvalidity
                && s.modseq <= folder.highest_modseq
                && s.uidnext <= folder.uidnext
        });
        let mut view = View {
            folder: folder.id,
            account,
            read_only,
            uids: Arc::default(),
            slots: Arc::default(),
            table: FlagTable::new(),
            announced: 0,
            max_keywords: store.max_keywords(),
            seen_modseq: folder.highest_modseq,
            seen_uidnext: folder.uidnext,
            uidvalidity: folder.uidvalidity,
            pending_expunge: Vec::new(),
            recent_uids: Vec::new(),
            condstore: false,
            rev2: false,
            qresync: false,
            contexts: Vec::new(),
            touched: Vec::new(),
        };
        if let Some(snap) = snap {
            view.uids = snap.uids.clone();
            view.slots = snap.slots.clone();
            view.table = snap.table.clone();
            (view.seen_modseq, view.seen_uidnext) = (snap.modseq, snap.uidnext);
            // The copy has no \Recent; this session's are one run of UIDs.
            view.recent_uids = view.uids[floor.run_in(&view.uids)].to_vec();
            // What the copy missed is not told: the client learns the folder from SELECT.
            view.catch_up(store, &folder, floor, &mut Vec::new(), true)?;
        } else {
            view.list(store, floor)?;
        }
        for k in store.folder_keywords(folder.id)? {
            view.table.name(&k);
        }
        view.announced = view.table.keyword_count();
        if let Some(cache) = cache
            && cache.wants(
                account,
                folder.id,
                view.uids.len(),
                view.seen_modseq,
                view.seen_uidnext,
            )
        {
            cache.put(view.snapshot());
        }
        Ok(view)
    }

    /// The view without this session's \Recent, for other sessions to start from.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            account: self.account,
            folder: self.folder,
            uidvalidity: self.uidvalidity,
            modseq: self.seen_modseq,
            uidnext: self.seen_uidnext,
            uids: self.uids.clone(),
            slots: self.slots.clone(),
            table: self.table.clone(),
        }
    }

    pub fn exists(&self) -> u32 {
        self.uids.len() as u32
    }

    /// Adds the messages with UIDs in `range` to the end of the view; those in `floor` are
    /// \Recent to this session.
    fn append_states(
        &mut self,
        store: &Store,
        range: std::ops::RangeInclusive<u32>,
        floor: Recent,
    ) -> mailbox::Result<()> {
        let (uids, slots) = (
            Arc::make_mut(&mut self.uids),
            Arc::make_mut(&mut self.slots),
        );
        let (table, recent) = (&mut self.table, &mut self.recent_uids);
        store.scan_states(self.folder, range, |uid, st| {
            uids.push(uid);
            slots.push(Slot {
                modseq: st.modseq,
                list: table.list_of(&st),
                recent: false,
            });
            if floor.has(uid) {
                recent.push(uid);
            }
        })
    }

    /// Reads the whole folder from the store's change index, which lists it as it was at one
    /// moment; the view then stands at that moment's modseq and UIDNEXT.
    fn list(&mut self, store: &Store, floor: Recent) -> mailbox::Result<()> {
        let (uids, slots) = (
            Arc::make_mut(&mut self.uids),
            Arc::make_mut(&mut self.slots),
        );
        let (table, recent) = (&mut self.table, &mut self.recent_uids);
        let at = store.list_folder(self.account, self.folder, |uid, modseq, flags| {
            uids.push(uid);
            slots.push(Slot {
                modseq,
                list: table.list_of_listed(&flags),
                recent: false,
            });
            if floor.has(uid) {
                recent.push(uid);
            }
        })?;
        (self.seen_modseq, self.seen_uidnext) = (at.highest_modseq, at.uidnext);
        Ok(())
    }

    pub fn uids(&self) -> &[u32] {
        &self.uids
    }

    /// The folder's modseq and UIDNEXT as the view last saw them.
    pub fn highest_modseq(&self) -> u64 {
        self.seen_modseq
    }

    pub fn uidnext(&self) -> u32 {
        self.seen_uidnext
    }

    pub fn recent_count(&self) -> usize {
        self.recent_uids.len()
    }

    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.uids.binary_search(&uid).ok().map(|i| i as u32 + 1)
    }

    /// [`View::seq_of`], looking first right after `previous` (the sequence number found for
    /// the message before): a change lists its messages in UID order, so walking it this way
    /// finds each at the first look instead of searching the folder for every one.
    pub fn seq_after(&self, uid: u32, previous: Option<u32>) -> Option<u32> {
        let next = previous.map_or(0, |s| s as usize);
        if self.uids.get(next) == Some(&uid) {
            return Some(next as u32 + 1);
        }
        self.seq_of(uid)
    }

    /// What the client knows of the message with sequence number `seq`.
    pub fn slot(&self, seq: u32) -> Option<Slot> {
        let i = (seq as usize).checked_sub(1)?;
        let mut slot = *self.slots.get(i)?;
        slot.recent =
            !self.recent_uids.is_empty() && self.recent_uids.binary_search(&self.uids[i]).is_ok();
        Some(slot)
    }

    pub fn has_flag(&self, slot: &Slot, flag: &str) -> bool {
        self.table.has(slot.list, flag)
    }

    pub fn is_seen(&self, slot: &Slot) -> bool {
        self.table.system(slot.list) & SEEN != 0
    }

    /// Sequence number of the first message without \Seen.
    pub fn first_unseen(&self) -> Option<u32> {
        self.slots
            .iter()
            .position(|s| !self.is_seen(s))
            .map(|i| i as u32 + 1)
    }

    /// A message sequence number beyond the mailbox is a client error (RFC 9051 6.4.4 and
    /// RFC 3501 9); `*` in an empty mailbox names nothing and is one too.
    pub fn seq_set_valid(&self, set: &SequenceSet) -> bool {
        let n = self.uids.len() as u32;
        let ok = |v: &SeqOrUid| match v {
            SeqOrUid::Value(x) => x.get() <= n,
            SeqOrUid::Asterisk => n > 0,
        };
        set.0.as_ref().iter().all(|s| match s {
            Sequence::Single(v) => ok(v),
            Sequence::Range(a, b) => ok(a) && ok(b),
        })
    }

    /// Messages a sequence set names, as (seq, uid), ascending and without duplicates.
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        if self.uids.is_empty() {
            return out;
        }
        let largest_seq = self.uids.len() as u32;
        let largest_uid = *self.uids.last().expect("non-empty");
        let val = |v: &SeqOrUid, largest: u32| match v {
            SeqOrUid::Value(n) => n.get(),
            SeqOrUid::Asterisk => largest,
        };
        for s in set.0.as_ref() {
            let (a, b) = match s {
                Sequence::Single(v) => {
                    let x = val(v, if uid { largest_uid } else { largest_seq });
                    (x, x)
                }
                Sequence::Range(x, y) => {
                    let l = if uid { largest_uid } else { largest_seq };
                    let (x, y) = (val(x, l), val(y, l));
                    (x.min(y), x.max(y))
                }
            };
            if uid {
                let start = self.uids.partition_point(|&u| u < a);
                let end = self.uids.partition_point(|&u| u <= b);
                out.extend((start..end).map(|i| (i as u32 + 1, self.uids[i])));
            } else {
                let a = a.max(1);
                let b = b.min(largest_seq);
                if a <= b {
                    out.extend((a..=b).map(|s| (s, self.uids[s as usize - 1])));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// `* FLAGS` and `* OK [PERMANENTFLAGS]` naming every keyword the view knows; after it the
    /// client may be shown any of them.
    pub fn announce_flags(&mut self, out: &mut Vec<u8>) {
        let mut kw = String::new();
        for k in self.table.keywords() {
            kw.push(' ');
            kw.push_str(k);
        }
        out.extend_from_slice(format!("* FLAGS ({SYSTEM_FLAGS}{kw})\r\n").as_bytes());
        if self.read_only {
            out.extend_from_slice(b"* OK [PERMANENTFLAGS ()] .\r\n");
        } else {
            // `\*`: new keywords may be made, until the folder has as many as it may have.
            let more = if (self.table.keyword_count() as usize) < self.max_keywords {
                " \\*"
            } else {
                ""
            };
            out.extend_from_slice(
                format!("* OK [PERMANENTFLAGS ({SYSTEM_FLAGS}{kw}{more})] .\r\n").as_bytes(),
            );
        }
        self.announced = self.table.keyword_count();
    }

    /// Announces the keywords first if the message at `seq` carries one the client has not
    /// been told of: every FETCH response that shows flags comes after this.
    pub fn announce_for(&mut self, out: &mut Vec<u8>, seq: u32) {
        if let Some(s) = self.slot(seq)
            && self.table.rank(s.list) > self.announced
        {
            self.announce_flags(out);
        }
    }

    /// The parenthesised flag list the client sees for a message: stored flags plus the
    /// session's \Recent.
    pub fn write_flags(&self, out: &mut Vec<u8>, slot: &Slot) {
        let text = self.table.text(slot.list);
        out.push(b'(');
        out.extend_from_slice(text);
        if slot.recent && !self.rev2 {
            if !text.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(b"\\Recent");
        }
        out.push(b')');
    }

    /// The flag list as a string, for responses assembled elsewhere.
    pub fn flags_text(&self, slot: &Slot) -> String {
        let mut v = Vec::new();
        self.write_flags(&mut v, slot);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// `* n FETCH (FLAGS (...) [UID u] [MODSEQ (m)])`, announcing new keywords first.
    pub fn fetch_flags_line(&mut self, out: &mut Vec<u8>, seq: u32, with_uid: bool) {
        self.announce_for(out, seq);
        let Some(slot) = self.slot(seq) else { return };
        out.extend_from_slice(b"* ");
        push_num(out, seq.into());
        out.extend_from_slice(b" FETCH (FLAGS ");
        self.write_flags(out, &slot);
        if with_uid || self.qresync {
            out.extend_from_slice(b" UID ");
            push_num(out, self.uids[seq as usize - 1].into());
        }
        if self.condstore {
            out.extend_from_slice(b" MODSEQ (");
            push_num(out, slot.modseq);
            out.push(b')');
        }
        out.extend_from_slice(b")\r\n");
    }
}

// Bringing the view up to date: another session's changes, our own, expunges.
#[path = "view_updates.rs"]
mod updates;

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
