//! Filing several messages as one (IMAP MULTIAPPEND, RFC 3502): all of them or none.

use crate::error::{Error, Result};
use crate::model::Delivered;
use crate::store::{StagedMessage, Store};

/// Flags and internal date of one message to file.
pub struct Filing<'a> {
    pub staged: &'a StagedMessage,
    pub flags: Vec<&'a str>,
    pub internal_date: Option<chrono::DateTime<chrono::Utc>>,
}

impl Store {
    /// Files every message into `folder`, in order. When one fails, those already filed are
    /// taken out again and the error is returned: the folder ends as it was, apart from the
    /// UIDs used up.
    pub fn deliver_all(
        &self,
        account: u64,
        folder: &str,
        messages: &[Filing<'_>],
    ) -> Result<Vec<Delivered>> {
        let mut done: Vec<Delivered> = Vec::with_capacity(messages.len());
        for m in messages {
            match self.deliver(m.staged, account, folder, &m.flags, m.internal_date) {
                Ok(d) => done.push(d),
                Err(e) => {
                    if !done.is_empty() {
                        let f = self.folder(account, folder)?.ok_or(Error::NoFolder)?;
                        let uids: Vec<u32> = done.iter().map(|d| d.uid).collect();
                        self.remove_messages(account, f.id, &uids)?;
                    }
                    return Err(e);
                }
            }
        }
        Ok(done)
    }
}
