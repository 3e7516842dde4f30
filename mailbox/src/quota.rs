//! Storage quota per account (IMAP QUOTA, RFC 9208): a limit in bytes over the messages of
//! all the account's folders. Only the limit is kept here; usage is counted from the folders.

use crate::error::{Error, Result};
use crate::store::Store;

/// The record table of per-account limits, keyed by address.
const TABLE: &str = "quota";

impl Store {
    /// Sets (`Some`) or clears the account's own limit in bytes.
    pub fn set_quota(&self, address: &str, limit: Option<u64>) -> Result<()> {
        let account = self.account(address)?.ok_or(Error::NoAccount)?;
        let t = self.records(TABLE)?;
        match limit {
            Some(l) => t.put(&account.address, &l),
            None => t.remove(&account.address),
        }
    }

    /// The account's own limit in bytes, if one was set.
    pub fn quota_of(&self, address: &str) -> Result<Option<u64>> {
        self.records(TABLE)?.get(address)
    }

    /// Bytes of all the account's messages.
    pub fn usage(&self, account: u64) -> Result<u64> {
        let mut total = 0;
        for f in self.folders(account)? {
            total += self.folder_size(f.id)?;
        }
        Ok(total)
    }
}
