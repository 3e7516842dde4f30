//! What one transaction does to one folder's messages: every writer of message states goes
//! through here, so the states, the change index and the counters change together, and
//! [`Ledger::close`] writes all three in the same transaction.

use crate::change_index::{EXPUNGED, IndexWrites, live_kind};
use crate::counters::FolderCounters;
use crate::model::MessageState;
use crate::state_block::StateWrites;
use crate::state_record::StateRef;
use crate::store::{Tx, TxResult, tdec, tenc};

pub(crate) struct Ledger {
    folder: u64,
    states: StateWrites,
    index: IndexWrites,
    counters: Option<FolderCounters>,
}

impl Ledger {
    pub(crate) fn new(folder: u64) -> Ledger {
        Ledger {
            folder,
            states: StateWrites::new(folder),
            index: IndexWrites::new(folder),
            counters: None,
        }
    }

    fn counters(&mut self, t: &Tx) -> TxResult<&mut FolderCounters> {
        if self.counters.is_none() {
            let c = match t.counters.get(self.folder.to_be_bytes())? {
                Some(raw) => tdec(&raw)?,
                None => FolderCounters::default(),
            };
            self.counters = Some(c);
        }
        Ok(self.counters.as_mut().expect("just loaded"))
    }

    /// A message arrived (delivered, appended or copied in) with state `st`.
    pub(crate) fn added(&mut self, t: &Tx, uid: u32, st: &MessageState, size: u64) -> TxResult<()> {
        self.states.put(t.states, uid, st)?;
        let kind = live_kind(st.flags.iter().map(String::as_str));
        self.index.put(t.changes, st.modseq, uid, kind)?;
        self.counters(t)?
            .count(1, st.flags.iter().map(String::as_str), size);
        Ok(())
    }

    /// A message's flags changed from `old` to `new` (with a new modseq).
    pub(crate) fn changed(
        &mut self,
        t: &Tx,
        uid: u32,
        old: &StateRef<'_>,
        new: &MessageState,
    ) -> TxResult<()> {
        self.states.put(t.states, uid, new)?;
        self.index.take(t.changes, old.modseq, uid)?;
        let kind = live_kind(new.flags.iter().map(String::as_str));
        self.index.put(t.changes, new.modseq, uid, kind)?;
        let c = self.counters(t)?;
        // Size is not touched: counted out and in with none.
        c.count(-1, old.flags(), 0);
        c.count(1, new.flags.iter().map(String::as_str), 0);
        Ok(())
    }

    /// Takes the message's state away, the first step of expunging it; `None` when it has
    /// none (it is gone already). [`Ledger::removed`] follows with the state.
    pub(crate) fn take_state(&mut self, t: &Tx, uid: u32) -> TxResult<Option<Vec<u8>>> {
        self.states.take(t.states, uid)
    }

    /// A message whose state was `old` was expunged at `modseq`; it leaves a tombstone there.
    pub(crate) fn removed(
        &mut self,
        t: &Tx,
        uid: u32,
        old: &StateRef<'_>,
        size: u64,
        modseq: u64,
    ) -> TxResult<()> {
        self.index.take(t.changes, old.modseq, uid)?;
        self.index.put(t.changes, modseq, uid, EXPUNGED)?;
        self.counters(t)?.count(-1, old.flags(), size);
        Ok(())
    }

    /// Writes the state blocks, the index records and the counters touched.
    pub(crate) fn close(self, t: &Tx) -> TxResult<()> {
        self.states.close(t.states)?;
        self.index.close(t.changes)?;
        if let Some(c) = &self.counters {
            t.counters.insert(&self.folder.to_be_bytes(), tenc(c)?)?;
        }
        Ok(())
    }
}
