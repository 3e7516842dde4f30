//! What one transaction does to one folder's messages: every writer of message states goes
//! through here, so the states, the change index and the counters change together, and
//! [`Ledger::close`] writes all three in the same transaction.

use crate::change_index::{EXPUNGED, IndexWrites, live_kind};
use crate::counters::FolderCounters;
use crate::model::MessageState;
use crate::state_block::StateWrites;
use crate::state_record::StateRef;
use crate::store::{Tx, TxResult, tdec, tenc};
use sled::transaction::ConflictableTransactionError;

pub(crate) struct Ledger {
    folder: u64,
    states: StateWrites,
    index: IndexWrites,
    counters: Option<FolderCounters>,
    moves: Vec<FlagMove>,
}

/// Messages moved from one flag list to another (see [`Ledger::plan_move`]).
struct FlagMove {
    old: Vec<String>,
    new: Vec<String>,
    /// `new` as a state record holds it, after the modseq.
    flags: Vec<u8>,
    /// Its kind in the change index.
    kind: u8,
    count: i64,
}

impl Ledger {
    pub(crate) fn new(folder: u64) -> Ledger {
        Ledger {
            folder,
            states: StateWrites::new(folder),
            index: IndexWrites::new(folder),
            counters: None,
            moves: Vec::new(),
        }
    }

    /// The state blocks the caller read before the transaction, under the account's lock (see
    /// [`StateWrites::seed`]): a change of many messages then reads none of them again.
    pub(crate) fn seed_states(&mut self, blocks: &[(u32, sled::IVec)]) {
        self.states.seed(blocks);
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

    /// Plans moving messages from the flags of `old` to `new`; [`Ledger::moved`] then moves
    /// each message by the returned number. A flag change over a whole folder has a handful of
    /// distinct moves: the new list is encoded and classified once for all its messages, and
    /// the counters change once per move at [`Ledger::close`].
    pub(crate) fn plan_move(&mut self, old: &StateRef<'_>, new: &[String]) -> TxResult<usize> {
        let flags = postcard::to_allocvec(new)
            .map_err(|e| ConflictableTransactionError::Abort(e.into()))?;
        self.moves.push(FlagMove {
            old: old.flags().map(str::to_string).collect(),
            kind: live_kind(new.iter().map(String::as_str)),
            new: new.to_vec(),
            flags,
            count: 0,
        });
        Ok(self.moves.len() - 1)
    }

    /// A message whose state was `old` got the flags of planned move `m` at `modseq`.
    pub(crate) fn moved(
        &mut self,
        t: &Tx,
        uid: u32,
        old: &StateRef<'_>,
        modseq: u64,
        m: usize,
    ) -> TxResult<()> {
        let mv = &mut self.moves[m];
        mv.count += 1;
        self.states.put_flags(t.states, uid, modseq, &mv.flags)?;
        self.index.take(t.changes, old.modseq, uid)?;
        self.index.put(t.changes, modseq, uid, mv.kind)?;
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
    pub(crate) fn close(mut self, t: &Tx) -> TxResult<()> {
        let moves = std::mem::take(&mut self.moves);
        for mv in moves.iter().filter(|m| m.count > 0) {
            let c = self.counters(t)?;
            // Size is not touched: counted out and in with none.
            c.count(-mv.count, mv.old.iter().map(String::as_str), 0);
            c.count(mv.count, mv.new.iter().map(String::as_str), 0);
        }
        self.states.close(t.states)?;
        self.index.close(t.changes)?;
        if let Some(c) = &self.counters {
            t.counters.insert(&self.folder.to_be_bytes(), tenc(c)?)?;
        }
        Ok(())
    }
}
