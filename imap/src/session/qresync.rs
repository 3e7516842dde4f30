//! QRESYNC (RFC 7162 3.2): a client that knew a folder at some modseq learns, on SELECT or
//! UID FETCH, only what vanished and what changed since, from the change index (whose
//! tombstones are kept for good), at a cost that follows the changes.

use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use super::{Session, State};
use crate::search_ext::compact;

/// What a client knew of a folder: `SELECT name (QRESYNC (uidvalidity modseq known-uids))`.
pub(crate) struct Known {
    pub uidvalidity: u32,
    pub modseq: u64,
    /// The UIDs the client holds; without it, every UID.
    pub uids: Option<SequenceSet>,
}

/// Whether `uid` is in `set`; `*` stands for `largest`.
fn contains(set: &SequenceSet, uid: u32, largest: u32) -> bool {
    let val = |v: &SeqOrUid| match v {
        SeqOrUid::Value(n) => n.get(),
        SeqOrUid::Asterisk => largest,
    };
    set.0.as_ref().iter().any(|s| match s {
        Sequence::Single(v) => val(v) == uid,
        Sequence::Range(a, b) => {
            let (a, b) = (val(a), val(b));
            (a.min(b)..=a.max(b)).contains(&uid)
        }
    })
}

impl Session {
    /// After SELECT with QRESYNC: `* VANISHED (EARLIER)` and the flags of what changed since
    /// the client's modseq. A different UIDVALIDITY means the client must start over, and
    /// the plain SELECT responses say so.
    pub(crate) fn resync(&mut self, known: &Known) {
        let uidvalidity = match &self.state {
            State::Selected(_, v) => v.uidvalidity,
            _ => return,
        };
        if uidvalidity != known.uidvalidity {
            return;
        }
        self.vanished_since(known.modseq, known.uids.as_ref());
        let State::Selected(_, view) = &mut self.state else {
            return;
        };
        let mut changed = Vec::new();
        let r = self.env.store.visit_changes(
            view.folder,
            known.modseq,
            view.highest_modseq(),
            |uid, _, st| {
                if st.is_some() {
                    changed.push(uid);
                }
            },
        );
        if let Err(e) = r {
            tracing::warn!(error = %e, "reading changes for QRESYNC failed");
        }
        changed.sort_unstable();
        changed.dedup();
        for uid in changed {
            if let Some(seq) = view.seq_of(uid) {
                view.fetch_flags_line(&mut self.out, seq, true);
            }
        }
    }

    /// `* VANISHED (EARLIER) uids`: the messages expunged after `modseq`, among `within`.
    pub(crate) fn vanished_since(&mut self, modseq: u64, within: Option<&SequenceSet>) {
        let State::Selected(_, view) = &self.state else {
            return;
        };
        let largest = view.uidnext().saturating_sub(1);
        let mut gone = Vec::new();
        let r = self.env.store.visit_changes(
            view.folder,
            modseq,
            view.highest_modseq(),
            |uid, _, st| {
                if st.is_none() && within.is_none_or(|w| contains(w, uid, largest)) {
                    gone.push(uid);
                }
            },
        );
        if let Err(e) = r {
            tracing::warn!(error = %e, "reading expunges for QRESYNC failed");
        }
        // A message expunged while this session still shows it is told as it goes, not here.
        gone.retain(|u| view.seq_of(*u).is_none());
        gone.sort_unstable();
        gone.dedup();
        if !gone.is_empty() {
            let l = format!("* VANISHED (EARLIER) {}", compact(&gone));
            self.line(&l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_membership() {
        let set = SequenceSet::try_from("1:3,7,10:*").unwrap();
        let has = |u| contains(&set, u, 20);
        assert!(has(1) && has(3) && has(7) && has(10) && has(20));
        assert!(!has(4) && !has(8) && !has(21));
    }
}
