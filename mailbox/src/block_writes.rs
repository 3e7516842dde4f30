//! The records one transaction changes in a tree kept in blocks (the change index, the message
//! states): each block read once, changed decoded, and written once when the transaction ends.

use std::collections::HashMap;

use sled::IVec;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::error::Result;
use crate::store::TxResult;

/// A block's decoded form.
pub(crate) trait BlockRecord: Default {
    fn decode(raw: &[u8]) -> Result<Self>;
    fn encode(&self) -> Vec<u8>;
    fn is_empty(&self) -> bool;
}

/// One folder's blocks of one tree that a transaction touched, by block number.
pub(crate) struct BlockWrites<B> {
    folder: u64,
    /// The key of a block: folder id and block number.
    key: fn(u64, u64) -> Vec<u8>,
    /// By block number.
    blocks: Vec<(u64, B)>,
    /// Where the last two blocks used are in `blocks` (checked before use: an insertion may
    /// have moved them). A change walks its messages in order and uses one or two blocks
    /// (the old and the new modseq's) many times over before moving on.
    recent: [usize; 2],
    /// Blocks as the caller read them before the transaction, decoded when first needed.
    seeded: HashMap<u64, IVec>,
}

impl<B: BlockRecord> BlockWrites<B> {
    pub(crate) fn new(folder: u64, key: fn(u64, u64) -> Vec<u8>) -> BlockWrites<B> {
        BlockWrites {
            folder,
            key,
            blocks: Vec::new(),
            recent: [0; 2],
            seeded: HashMap::new(),
        }
    }

    /// Gives block `n` as it is stored, read by the caller: [`BlockWrites::get`] takes it from
    /// here instead of the tree. Only for a block the transaction cannot see otherwise.
    pub(crate) fn seed(&mut self, n: u64, raw: IVec) {
        self.seeded.insert(n, raw);
    }

    /// Block `n`, read from the tree (or taken from the seeds) the first time.
    pub(crate) fn get(&mut self, t: &TransactionalTree, n: u64) -> TxResult<&mut B> {
        let known = |i: usize| self.blocks.get(i).is_some_and(|b| b.0 == n);
        let i = match self.recent.into_iter().find(|&i| known(i)) {
            Some(i) => i,
            None => match self.blocks.binary_search_by_key(&n, |b| b.0) {
                Ok(i) => i,
                Err(i) => {
                    let raw = match self.seeded.remove(&n) {
                        Some(raw) => Some(raw),
                        None => t.get((self.key)(self.folder, n))?,
                    };
                    let b = match raw {
                        Some(raw) => {
                            B::decode(&raw).map_err(ConflictableTransactionError::Abort)?
                        }
                        None => B::default(),
                    };
                    self.blocks.insert(i, (n, b));
                    i
                }
            },
        };
        if self.recent[0] != i {
            self.recent = [i, self.recent[0]];
        }
        Ok(&mut self.blocks[i].1)
    }

    /// Writes every block touched; an emptied one is removed.
    pub(crate) fn close(self, t: &TransactionalTree) -> TxResult<()> {
        for (n, b) in &self.blocks {
            let k = (self.key)(self.folder, *n);
            if b.is_empty() {
                t.remove(k)?;
            } else {
                t.insert(k, b.encode())?;
            }
        }
        Ok(())
    }
}
