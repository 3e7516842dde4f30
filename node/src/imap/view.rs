//! A session's view of its selected folder: the sequence-number map and the state each message
//! had when this client last heard of it. Comparing it with the store yields the untagged
//! EXISTS / EXPUNGE / FETCH updates that keep several sessions on one folder consistent.

use std::collections::{HashMap, HashSet};

use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};
use mailbox::{MessageState, Store};

use super::syntax::flag_list;

pub struct View {
    pub folder: u64,
    pub account: u64,
    pub read_only: bool,
    pub uids: Vec<u32>,
    pub states: HashMap<u32, MessageState>,
    /// Folder modseq when the view was last compared with the store.
    seen_modseq: u64,
    /// Expunges noticed but not yet told (not allowed during FETCH/STORE/SEARCH).
    pending_expunge: bool,
    pub condstore: bool,
    /// Messages that are \Recent in this session (RFC 3501 2.3.2).
    pub recent: HashSet<u32>,
    /// IMAP4rev2 has no \Recent and no RECENT response.
    pub rev2: bool,
}

impl View {
    pub fn open(
        store: &Store,
        account: u64,
        folder: &mailbox::Folder,
        read_only: bool,
    ) -> mailbox::Result<View> {
        let list = store.message_states(folder.id)?;
        let floor = if read_only {
            folder.recent_uid
        } else {
            store.claim_recent(account, folder.id)?
        };
        let recent = list
            .iter()
            .map(|(u, _)| *u)
            .filter(|u| *u > floor)
            .collect();
        Ok(View {
            recent,
            rev2: false,
            folder: folder.id,
            account,
            read_only,
            uids: list.iter().map(|(u, _)| *u).collect(),
            states: list.into_iter().collect(),
            seen_modseq: folder.highest_modseq,
            pending_expunge: false,
            condstore: false,
        })
    }

    pub fn exists(&self) -> u32 {
        self.uids.len() as u32
    }

    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.uids.binary_search(&uid).ok().map(|i| i as u32 + 1)
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

    /// The flag list a client sees: stored flags plus the session's \Recent.
    pub fn flags_of(&self, uid: u32, st: &MessageState) -> String {
        if self.recent.contains(&uid) && !self.rev2 {
            let mut f = st.flags.clone();
            f.push("\\Recent".into());
            flag_list(&f)
        } else {
            flag_list(&st.flags)
        }
    }

    pub fn fetch_flags_line(&self, out: &mut Vec<u8>, seq: u32, uid: u32, with_uid: bool) {
        if let Some(st) = self.states.get(&uid) {
            let mut items = vec![format!("FLAGS {}", self.flags_of(uid, st))];
            if with_uid {
                items.push(format!("UID {uid}"));
            }
            if self.condstore {
                items.push(format!("MODSEQ ({})", st.modseq));
            }
            out.extend_from_slice(format!("* {seq} FETCH ({})\r\n", items.join(" ")).as_bytes());
        }
    }

    /// Brings the view up to date and writes the untagged updates. Expunges are told only when
    /// `allow_expunge`; otherwise they wait and the messages keep their sequence numbers.
    pub fn refresh(
        &mut self,
        store: &Store,
        out: &mut Vec<u8>,
        allow_expunge: bool,
    ) -> mailbox::Result<()> {
        let Some(folder) = store.folder_by_id(self.account, self.folder)? else {
            return Ok(());
        };
        if folder.highest_modseq == self.seen_modseq && !(self.pending_expunge && allow_expunge) {
            return Ok(());
        }
        let current: HashMap<u32, MessageState> =
            store.message_states(self.folder)?.into_iter().collect();
        let mut gone: Vec<u32> = self
            .uids
            .iter()
            .copied()
            .filter(|u| !current.contains_key(u))
            .collect();
        if !gone.is_empty() {
            if allow_expunge {
                // Highest first, so each number is valid when the client applies it.
                gone.sort_unstable_by(|a, b| b.cmp(a));
                for u in gone {
                    if let Some(seq) = self.seq_of(u) {
                        out.extend_from_slice(format!("* {seq} EXPUNGE\r\n").as_bytes());
                        self.uids.remove(seq as usize - 1);
                        self.states.remove(&u);
                        self.recent.remove(&u);
                    }
                }
                self.pending_expunge = false;
            } else {
                self.pending_expunge = true;
            }
        }
        let mut changed = Vec::new();
        for (i, u) in self.uids.iter().enumerate() {
            if let (Some(new), Some(old)) = (current.get(u), self.states.get(u))
                && new != old
            {
                changed.push((i as u32 + 1, *u, new.clone()));
            }
        }
        for (seq, uid, st) in changed {
            self.states.insert(uid, st);
            self.fetch_flags_line(out, seq, uid, true);
        }
        let max = self.uids.last().copied().unwrap_or(0);
        let mut new: Vec<(u32, MessageState)> =
            current.into_iter().filter(|(u, _)| *u > max).collect();
        if !new.is_empty() {
            new.sort_unstable_by_key(|(u, _)| *u);
            let floor = if self.read_only {
                folder.recent_uid
            } else {
                store.claim_recent(self.account, self.folder)?
            };
            for (u, st) in new {
                self.uids.push(u);
                self.states.insert(u, st);
                if u > floor {
                    self.recent.insert(u);
                }
            }
            out.extend_from_slice(format!("* {} EXISTS\r\n", self.uids.len()).as_bytes());
            if !self.rev2 {
                out.extend_from_slice(format!("* {} RECENT\r\n", self.recent.len()).as_bytes());
            }
        }
        self.seen_modseq = folder.highest_modseq;
        Ok(())
    }

    /// After our own change, take the new state without echoing it as someone else's.
    pub fn absorb(&mut self, uid: u32, st: MessageState) {
        if self.states.contains_key(&uid) {
            self.states.insert(uid, st);
        }
    }
}
