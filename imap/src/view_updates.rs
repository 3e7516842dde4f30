//! Bringing a view up to date: what other sessions changed, read from the store's change
//! index; the changes of this session's own commands, taken in without reading them back; and
//! expunges, told when the client may hear of them.

use std::sync::Arc;

use mailbox::{FlagChange, Folder, Listed, Store};

use super::{Recent, View};
use crate::search_ext::compact;

impl View {
    /// Brings the view up to date and writes the untagged updates. Expunges are told only when
    /// `allow_expunge`; otherwise they wait and the messages keep their sequence numbers.
    pub fn refresh(
        &mut self,
        store: &Store,
        out: &mut Vec<u8>,
        allow_expunge: bool,
    ) -> mailbox::Result<()> {
        let Some(mut folder) = store.folder_by_id(self.account, self.folder)? else {
            return Ok(());
        };
        let flush_pending = allow_expunge && !self.pending_expunge.is_empty();
        if folder.highest_modseq == self.seen_modseq && !flush_pending {
            return Ok(());
        }
        let mut floor = Recent::above(folder.recent_uid);
        if folder.uidnext > self.seen_uidnext && !self.read_only {
            // Claimed first and the folder read again, so every message claimed here is
            // among those this refresh adds.
            floor = Recent::claimed(store.claim_recent(self.account, self.folder)?);
            match store.folder_by_id(self.account, self.folder)? {
                Some(f) => folder = f,
                None => return Ok(()),
            }
        }
        self.catch_up(store, &folder, floor, out, allow_expunge)
    }

    /// Applies what changed up to `folder`'s modseq and UIDNEXT and writes it as untagged
    /// updates; messages added in `floor` are \Recent here.
    pub(super) fn catch_up(
        &mut self,
        store: &Store,
        folder: &Folder,
        floor: Recent,
        out: &mut Vec<u8>,
        allow_expunge: bool,
    ) -> mailbox::Result<()> {
        let mut gone = std::mem::take(&mut self.pending_expunge);
        let mut changed: Vec<u32> = Vec::new();
        {
            let (uids, slots, table) = (&self.uids, &mut self.slots, &mut self.table);
            let known_below = self.seen_uidnext;
            store.visit_changes(
                self.folder,
                self.seen_modseq,
                folder.highest_modseq,
                |uid, modseq, st| {
                    // Messages new to the view are read below, in UID order.
                    if uid >= known_below {
                        return;
                    }
                    let Ok(i) = uids.binary_search(&uid) else {
                        return;
                    };
                    match st {
                        None => gone.push(uid),
                        Some(flags) => {
                            let list = table.list_of_listed(&flags);
                            let modseq = match flags {
                                Listed::State(st) => st.modseq,
                                Listed::System(_) => modseq,
                            };
                            let slot = slots[i];
                            if slot.modseq != modseq || slot.list != list {
                                // Copied here first if shared, and only then.
                                let slot = &mut Arc::make_mut(slots)[i];
                                slot.modseq = modseq;
                                slot.list = list;
                                changed.push(uid);
                            }
                        }
                    }
                },
            )?;
        }
        if !gone.is_empty() {
            gone.sort_unstable();
            gone.dedup();
            if allow_expunge {
                self.expunge_now(out, &gone);
            } else {
                self.pending_expunge = gone;
            }
        }
        changed.sort_unstable();
        changed.dedup();
        if !self.contexts.is_empty() {
            self.touched.extend_from_slice(&changed);
        }
        for uid in changed {
            if let Some(seq) = self.seq_of(uid) {
                self.fetch_flags_line(out, seq, true);
            }
        }
        if folder.uidnext > self.seen_uidnext {
            let before = self.uids.len();
            let from = self.seen_uidnext.max(1);
            self.append_states(store, from..=folder.uidnext - 1, floor)?;
            if self.uids.len() > before {
                if !self.contexts.is_empty() {
                    self.touched.extend_from_slice(&self.uids[before..]);
                }
                out.extend_from_slice(format!("* {} EXISTS\r\n", self.uids.len()).as_bytes());
                if !self.rev2 {
                    let recent = self.recent_uids.len();
                    out.extend_from_slice(format!("* {recent} RECENT\r\n").as_bytes());
                }
            }
        }
        self.seen_modseq = folder.highest_modseq;
        self.seen_uidnext = folder.uidnext;
        Ok(())
    }

    /// Tells the expunge of `gone` (sorted UIDs) and drops them from the view. Highest first,
    /// so each number is valid when the client applies it.
    fn expunge_now(&mut self, out: &mut Vec<u8>, gone: &[u32]) {
        // Live results lose them first, under the numbers they have until the EXPUNGEs.
        let mut contexts = std::mem::take(&mut self.contexts);
        for c in &mut contexts {
            let by_uid = c.by_uid();
            c.remove(gone, |u| if by_uid { Some(u) } else { self.seq_of(u) }, out);
        }
        self.contexts = contexts;
        let mut drop = vec![false; self.uids.len()];
        let mut vanished = Vec::new();
        for &u in gone.iter().rev() {
            if let Ok(i) = self.uids.binary_search(&u) {
                if self.qresync {
                    vanished.push(u);
                } else {
                    out.extend_from_slice(format!("* {} EXPUNGE\r\n", i + 1).as_bytes());
                }
                drop[i] = true;
            }
        }
        self.recent_uids.retain(|u| gone.binary_search(u).is_err());
        if !vanished.is_empty() {
            // Under QRESYNC, by UID in one response (RFC 7162 3.2.10).
            vanished.reverse();
            out.extend_from_slice(format!("* VANISHED {}\r\n", compact(&vanished)).as_bytes());
        }
        let mut i = 0;
        Arc::make_mut(&mut self.uids).retain(|_| {
            i += 1;
            !drop[i - 1]
        });
        let mut i = 0;
        Arc::make_mut(&mut self.slots).retain(|_| {
            i += 1;
            !drop[i - 1]
        });
    }

    /// After [`View::absorb`] of every state a flag change reported: when the view had seen
    /// the folder up to the change's first modseq, it has now seen it up to its last, and a
    /// refresh need not read the change back (100k states after `STORE 1:*`).
    pub fn took_in(&mut self, (before, after): (u64, u64)) {
        if self.seen_modseq == before {
            self.seen_modseq = after;
        }
    }

    /// After our own change, take the new states without echoing them as someone else's.
    pub fn absorb(&mut self, change: &FlagChange) {
        // Each distinct list is looked up once, not once per message.
        let lists: Vec<u32> = change
            .lists
            .iter()
            .map(|l| self.table.list_of_flags(l))
            .collect();
        let mut previous = None;
        for u in &change.updated {
            if let Some(seq) = self.seq_after(u.uid, previous) {
                previous = Some(seq);
                let slot = &mut Arc::make_mut(&mut self.slots)[seq as usize - 1];
                slot.modseq = u.modseq;
                slot.list = lists[u.list as usize];
                if !self.contexts.is_empty() {
                    self.touched.push(u.uid);
                }
            }
        }
    }
}
