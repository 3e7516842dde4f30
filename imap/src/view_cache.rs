//! Views of large folders, shared by the node's IMAP sessions. Reading a folder of 100k
//! messages is one scan of 100k state records; a session that selects a folder another session
//! (or an earlier one) has read takes a copy of that view instead and catches up from its
//! modseq through the change index, like any session does on NOOP.

use std::sync::{Arc, Mutex};

use super::flag_table::FlagTable;

/// What the session last told the client about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub modseq: u64,
    /// Flag list id in the view's [`FlagTable`].
    pub list: u32,
    /// \Recent in this session (RFC 3501 2.3.2).
    pub recent: bool,
}

/// Folders smaller than this are read afresh: a copy would save next to nothing.
const MIN_MESSAGES: usize = 2_000;

/// Messages kept over all folders (about 20 bytes each), the oldest views dropped first.
const MAX_MESSAGES: usize = 1_000_000;

/// A folder as a view saw it at one modseq and UIDNEXT, without any session's \Recent.
#[derive(Clone)]
pub struct Snapshot {
    pub account: u64,
    pub folder: u64,
    pub uidvalidity: u32,
    pub modseq: u64,
    pub uidnext: u32,
    pub uids: Arc<Vec<u32>>,
    /// Without any session's \Recent.
    pub slots: Arc<Vec<Slot>>,
    pub table: FlagTable,
}

#[derive(Default)]
pub struct ViewCache {
    /// Most recently stored last.
    views: Mutex<Vec<Arc<Snapshot>>>,
}

impl ViewCache {
    pub fn get(&self, account: u64, folder: u64) -> Option<Arc<Snapshot>> {
        self.views
            .lock()
            .expect("view cache")
            .iter()
            .find(|s| s.account == account && s.folder == folder)
            .cloned()
    }

    /// Whether a view of `messages` messages at this modseq and UIDNEXT is worth storing.
    pub fn wants(
        &self,
        account: u64,
        folder: u64,
        messages: usize,
        modseq: u64,
        uidnext: u32,
    ) -> bool {
        (MIN_MESSAGES..=MAX_MESSAGES).contains(&messages)
            && !self
                .get(account, folder)
                .is_some_and(|s| s.modseq == modseq && s.uidnext == uidnext)
    }

    pub fn put(&self, snap: Snapshot) {
        let mut views = self.views.lock().expect("view cache");
        views.retain(|s| !(s.account == snap.account && s.folder == snap.folder));
        views.push(Arc::new(snap));
        let mut total: usize = views.iter().map(|s| s.uids.len()).sum();
        while total > MAX_MESSAGES && views.len() > 1 {
            total -= views.remove(0).uids.len();
        }
    }
}
