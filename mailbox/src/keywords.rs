//! How many distinct keywords a folder may have. A keyword is at most 128 bytes, but without a
//! bound on their number one STORE could give every message of a large folder thousands of
//! them: state records of tens of kilobytes each, a FLAGS response of megabytes, a session's
//! flag table without end. A client adding keywords past the bound is refused; mail filed with
//! keywords past it is filed without those, never refused. A folder keeps one spelling of each
//! keyword, so case variants neither pass the bound nor show one keyword twice.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use crate::counters::is_keyword;
use crate::error::{Error, Result};
use crate::store::Store;

/// Distinct keywords a folder may have unless configured otherwise.
pub const DEFAULT_MAX_KEYWORDS: usize = 256;

impl Store {
    /// Sets how many distinct keywords a folder may have from now on.
    pub fn set_max_keywords(&self, n: usize) {
        self.inner.max_keywords.store(n, Ordering::Relaxed);
    }

    pub fn max_keywords(&self) -> usize {
        self.inner.max_keywords.load(Ordering::Relaxed)
    }

    /// Whether the folder may take a new keyword (IMAP's `\*` in PERMANENTFLAGS).
    pub fn may_add_keywords(&self, folder: u64) -> Result<bool> {
        Ok(self.counters(folder)?.keywords.len() < self.max_keywords())
    }

    /// How keywords are spelled in the folder once `incoming` are added: each as the folder
    /// has it already (IMAP compares keywords without regard to case, and a folder holding
    /// one keyword in many spellings would count and show it many times), new ones as given,
    /// while the folder has room. Past that, `refuse` makes it an error; otherwise those
    /// keywords are left out (see [`Spelling::apply`]). Called with the account's lock held,
    /// so the counters stay as read until the change is written.
    pub(crate) fn keyword_spelling<'a>(
        &self,
        folder: u64,
        incoming: impl Iterator<Item = &'a str>,
        refuse: bool,
    ) -> Result<Spelling> {
        let mut map = HashMap::new();
        let incoming: Vec<&str> = incoming.filter(|f| is_keyword(f)).collect();
        if incoming.is_empty() {
            // System flags only (marking a message \Seen, most often): nothing to look up.
            return Ok(Spelling(map));
        }
        for (k, _) in self.counters(folder)?.keywords {
            map.entry(k.to_ascii_lowercase()).or_insert(k);
        }
        let mut room = self.max_keywords().saturating_sub(map.len());
        let mut dropped = 0usize;
        for f in incoming {
            let lower = f.to_ascii_lowercase();
            if map.contains_key(&lower) {
                continue;
            }
            if room == 0 {
                if refuse {
                    return Err(Error::TooManyKeywords);
                }
                dropped += 1;
                continue;
            }
            room -= 1;
            map.insert(lower, f.to_string());
        }
        if dropped > 0 {
            tracing::warn!(
                folder,
                dropped,
                "message filed without keywords past the folder's limit"
            );
        }
        Ok(Spelling(map))
    }
}

/// The spelling of every keyword a change may use in one folder (see
/// [`Store::keyword_spelling`]).
pub(crate) struct Spelling(HashMap<String, String>);

impl Spelling {
    /// `flags` with each keyword as the folder spells it; keywords that did not fit are left
    /// out, system flags kept as they are.
    pub(crate) fn apply<'a>(&self, flags: impl Iterator<Item = &'a str>) -> Vec<String> {
        flags
            .filter_map(|f| {
                if is_keyword(f) {
                    self.0.get(&f.to_ascii_lowercase()).cloned()
                } else {
                    Some(f.to_string())
                }
            })
            .collect()
    }
}
