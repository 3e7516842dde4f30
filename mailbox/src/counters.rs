//! Per-folder counters: the numbers STATUS reports and the keywords in use, so neither STATUS
//! nor SELECT reads every message for them. Written in the transactions that change messages,
//! through a [`crate::ledger::Ledger`].

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::{Store, dec};

/// The counters of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderCounters {
    pub messages: u32,
    /// Messages without \Seen.
    pub unseen: u32,
    /// Messages with \Deleted.
    pub deleted: u32,
    /// Total size of the messages in bytes.
    pub size: u64,
    /// Every keyword some message carries, as spelled there, with the number of messages
    /// carrying it; sorted by keyword.
    pub keywords: Vec<(String, u32)>,
}

pub(crate) fn is_keyword(flag: &str) -> bool {
    !flag.starts_with('\\')
}

impl FolderCounters {
    /// Counts one message in (`sign` 1) or out (`sign` -1).
    pub(crate) fn count<'f>(&mut self, sign: i64, flags: impl Iterator<Item = &'f str>, size: u64) {
        let step = |n: &mut u32| *n = (i64::from(*n) + sign).max(0) as u32;
        step(&mut self.messages);
        self.size = if sign > 0 {
            self.size.saturating_add(size)
        } else {
            self.size.saturating_sub(size)
        };
        let (mut seen, mut deleted) = (false, false);
        for f in flags {
            seen |= f.eq_ignore_ascii_case("\\Seen");
            deleted |= f.eq_ignore_ascii_case("\\Deleted");
            if is_keyword(f) {
                self.keyword(f, sign);
            }
        }
        if !seen {
            step(&mut self.unseen);
        }
        if deleted {
            step(&mut self.deleted);
        }
    }

    fn keyword(&mut self, k: &str, sign: i64) {
        match self.keywords.binary_search_by(|(n, _)| n.as_str().cmp(k)) {
            Ok(i) => {
                let n = i64::from(self.keywords[i].1) + sign;
                if n <= 0 {
                    self.keywords.remove(i);
                } else {
                    self.keywords[i].1 = n as u32;
                }
            }
            Err(i) if sign > 0 => self.keywords.insert(i, (k.to_string(), sign as u32)),
            Err(_) => {}
        }
    }
}

impl Store {
    /// The folder's counters (zero for a folder without messages).
    pub fn counters(&self, folder: u64) -> Result<FolderCounters> {
        match self.inner.counters.get(folder.to_be_bytes())? {
            Some(raw) => dec(&raw),
            None => Ok(FolderCounters::default()),
        }
    }

    /// The counters computed afresh from every message of the folder. Used to build them for
    /// a store of the old format, and to check them.
    pub fn recount(&self, folder: u64) -> Result<FolderCounters> {
        let mut c = FolderCounters::default();
        let mut failed = None;
        self.scan_states(folder, 0..=u32::MAX, |uid, st| {
            let size = match self.inner.metas.get(crate::store::msg_key(folder, uid)) {
                Ok(Some(m)) => dec::<crate::model::MessageMeta>(&m).map(|m| m.size),
                Ok(None) => Ok(0),
                Err(e) => Err(e.into()),
            };
            match size {
                Ok(size) => c.count(1, st.flags(), size),
                Err(e) => failed = Some(e),
            }
        })?;
        failed.map_or(Ok(c), Err)
    }

    /// Keywords some message of the folder carries, sorted.
    pub fn folder_keywords(&self, folder: u64) -> Result<Vec<String>> {
        Ok(self
            .counters(folder)?
            .keywords
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_in_and_out_balances() {
        let mut c = FolderCounters::default();
        c.count(1, ["\\Seen", "$Work"].into_iter(), 10);
        c.count(1, ["$Work", "\\Deleted", "$A"].into_iter(), 5);
        c.count(1, [].into_iter(), 1);
        assert_eq!(
            c,
            FolderCounters {
                messages: 3,
                unseen: 2,
                deleted: 1,
                size: 16,
                keywords: vec![("$A".into(), 1), ("$Work".into(), 2)],
            }
        );
        c.count(-1, ["$Work", "\\Deleted", "$A"].into_iter(), 5);
        c.count(-1, ["\\Seen", "$Work"].into_iter(), 10);
        c.count(-1, [].into_iter(), 1);
        assert_eq!(c, FolderCounters::default());
    }
}
