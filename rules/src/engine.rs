//! Rules at work: the active script of an account, compiled once and kept while its text is
//! unchanged, run on a message with what it asks answered from the store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use mailbox::{Records, Store};

use crate::{CheckError, Compiled, Decision, Lookups, Scripts, Settings, check, decide};

/// Senders and message ids a script has seen (vacation, `duplicate`), with when they expire.
const SEEN: &str = "sieve-seen";

/// A script's text hash and its compiled form.
type Cached = ([u8; 32], Compiled);

/// The node's rules.
pub struct Rules {
    store: Store,
    scripts: Scripts,
    runtime: sieve::Runtime,
    seen: Records,
    /// (Account, script name) → the script's text hash and its compiled form: the active
    /// script and the ones it includes are compiled once per text, not once per message.
    cache: Mutex<HashMap<(u64, String), Cached>>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("settings", self.scripts.settings())
            .finish()
    }
}

impl Rules {
    /// `protected` header fields no script may add, change or remove: the ones the node itself
    /// vouches for (the verified sender).
    pub fn new(
        store: &Store,
        settings: Settings,
        protected: &[&'static str],
    ) -> Result<Rules, mailbox::Error> {
        let mut runtime = settings.runtime();
        for h in protected {
            runtime.set_protected_header(*h);
        }
        Ok(Rules {
            runtime,
            scripts: Scripts::open(store, settings)?,
            seen: store.records(SEEN)?,
            store: store.clone(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn scripts(&self) -> &Scripts {
        &self.scripts
    }

    /// The account's active script, compiled; `None` without one, or when the kept one no
    /// longer checks (the node's limits were lowered): then mail is filed as without rules.
    fn active(&self, account: u64) -> Option<Compiled> {
        let (name, text) = match self.scripts.active(account) {
            Ok(Some(a)) => a,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(account, error = %e, "rules: the active script could not be read");
                return None;
            }
        };
        match self.compiled(account, &name, &text) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(account, script = name, error = %e, "rules: the active script does not check; mail is filed without it");
                None
            }
        }
    }

    /// The account's script `name` of this `text`, compiled, from the cache while its text is
    /// unchanged.
    fn compiled(&self, account: u64, name: &str, text: &[u8]) -> Result<Compiled, CheckError> {
        let hash = *blake3::hash(text).as_bytes();
        let key = (account, name.to_string());
        let mut cache = self.cache.lock().expect("rules cache");
        if let Some((h, c)) = cache.get(&key)
            && *h == hash
        {
            return Ok(c.clone());
        }
        let c = check(text, self.scripts.settings())?;
        cache.insert(key, (hash, c.clone()));
        Ok(c)
    }

    /// What the account's active script decides for a message (`head`: its header and the
    /// start of its body) from `from`; `None` when the account has no active script. Blocking.
    pub fn run(&self, account: u64, address: &str, head: &[u8], from: &str) -> Option<Decision> {
        let script = self.active(account)?;
        let mut look = AccountLookups {
            rules: self,
            account,
        };
        Some(decide(
            &self.runtime,
            &script,
            head,
            from,
            address,
            &mut look,
        ))
    }
}

/// A script's questions answered from its account's part of the store.
struct AccountLookups<'a> {
    rules: &'a Rules,
    account: u64,
}

impl Lookups for AccountLookups<'_> {
    fn folders_exist(&mut self, names: &[String]) -> bool {
        names
            .iter()
            .all(|n| matches!(self.rules.store.folder(self.account, n), Ok(Some(_))))
    }

    fn seen(&mut self, id: &str, expiry: u64) -> bool {
        let key = format!(
            "{:020}/{}",
            self.account,
            blake3::hash(id.as_bytes()).to_hex()
        );
        let t = now();
        let earlier = self.rules.seen.get::<u64>(&key).ok().flatten();
        if earlier.is_some_and(|until| until > t) {
            return true;
        }
        if let Err(e) = self.rules.seen.put(&key, &t.saturating_add(expiry)) {
            tracing::warn!(error = %e, "rules: could not remember a seen id");
        }
        false
    }

    fn include(&mut self, name: &str) -> Option<Compiled> {
        let text = self.rules.scripts.get(self.account, name).ok()??;
        self.rules.compiled(self.account, name, &text).ok()
    }
}
