//! The records one transaction changes in a tree kept in blocks (the change index, the message
//! states): each block read once, changed decoded, and written once when the transaction ends.

use std::collections::BTreeMap;

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
    blocks: BTreeMap<u64, B>,
}

impl<B: BlockRecord> BlockWrites<B> {
    pub(crate) fn new(folder: u64, key: fn(u64, u64) -> Vec<u8>) -> BlockWrites<B> {
        BlockWrites {
            folder,
            key,
            blocks: BTreeMap::new(),
        }
    }

    /// Block `n`, read from the tree the first time.
    pub(crate) fn get(&mut self, t: &TransactionalTree, n: u64) -> TxResult<&mut B> {
        if !self.blocks.contains_key(&n) {
            let b = match t.get((self.key)(self.folder, n))? {
                Some(raw) => B::decode(&raw).map_err(ConflictableTransactionError::Abort)?,
                None => B::default(),
            };
            self.blocks.insert(n, b);
        }
        Ok(self.blocks.get_mut(&n).expect("just loaded"))
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
