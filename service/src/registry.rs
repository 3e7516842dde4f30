//! The account registry and partnership list: the only code that touches the database.
//!
//! Five sled trees: `accounts` (canonical address → JSON [`Account`]), `partners`
//! (canonical pair → nothing), `releases` (`latest` → JSON CA-signed release
//! announcement), and for store-only holding `held` and `held_receipts` (see `held.rs`). Every write is flushed before the call returns, so what a
//! server has answered survives a crash. State changes go through compare-and-swap, so two
//! concurrent `Host` requests for one account cannot both win.

use std::path::Path;

use chrono::{DateTime, Utc};
use records::{Engine, Tree};
use serde::{Deserialize, Serialize};
use wire::NetworkSigned;

use crate::address::{domain_of, normalize_address, normalize_party};

mod held;
pub use held::{HeldEntry, HeldReceipt};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountState {
    /// Registered; its profile's hosting secret is still unused.
    Created,
    /// A node hosts it; the directory has its record.
    Hosted,
    /// Switched off by the operator: not in the directory, cannot send or receive.
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Canonical (lower-case) address.
    pub address: String,
    pub display_name: String,
    pub state: AccountState,
    /// `wire::proto::hosting_key` of the profile's secret, for an account created before
    /// servers kept verifiers, while it waits to be hosted; gone once used, so the secret works
    /// once.
    pub hosting_key: Option<[u8; 32]>,
    /// `wire::proto::hosting_verifier` of the profile's secret while the account waits to be
    /// hosted: it checks the secret's signature but cannot make one, so a copy of the registry
    /// hosts nothing. Gone once used.
    #[serde(default)]
    pub hosting_verifier: Option<[u8; 32]>,
    /// PeerId of the hosting node.
    pub node: Option<String>,
    /// Fingerprint (hex) of the hosted account certificate.
    pub fingerprint: Option<String>,
    /// The current CA-signed directory record.
    pub record: Option<NetworkSigned>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("database: {0}")]
    Db(#[from] records::Error),
    #[error("stored entry {key} does not decode: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("account {0} already exists")]
    Exists(String),
    #[error("no account {0}")]
    NoAccount(String),
    #[error("{0} is not a valid address or domain")]
    InvalidAddress(String),
    /// The account is not in the state the change needs (e.g. hosted meanwhile).
    #[error("account {0} is not in the expected state")]
    WrongState(String),
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// What the server keeps of a profile's hosting secret until the account is hosted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostingSecret {
    /// The public key the secret stands for (accounts created now).
    Verifier([u8; 32]),
    /// The older keyed-hash key (accounts created before verifiers).
    Key([u8; 32]),
}

/// The registry; cheap to clone (the engine's handles are shared).
#[derive(Clone, Debug)]
pub struct Registry {
    db: Engine,
    accounts: Tree,
    partners: Tree,
    releases: Tree,
    held: Tree,
    held_receipts: Tree,
}

impl Registry {
    /// Opens (or creates) the database at `path`. Fails while another process holds it.
    pub fn open(path: &Path) -> Result<Registry> {
        Registry::on(Engine::open(path)?)
    }

    /// A registry that lives in memory only, for tests.
    pub fn in_memory() -> Registry {
        Registry::on(Engine::in_memory()).expect("memory trees open")
    }

    fn on(db: Engine) -> Result<Registry> {
        Ok(Registry {
            accounts: db.tree("accounts")?,
            partners: db.tree("partners")?,
            releases: db.tree("releases")?,
            held: db.tree("held")?,
            held_receipts: db.tree("held_receipts")?,
            db,
        })
    }

    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    fn decode(key: &[u8], bytes: &[u8]) -> Result<Account> {
        serde_json::from_slice(bytes).map_err(|e| RegistryError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            reason: e.to_string(),
        })
    }

    fn encode(a: &Account) -> Vec<u8> {
        serde_json::to_vec(a).expect("accounts serialise")
    }

    /// Registers `address` in state Created with the key of its hosting secret.
    pub fn create_account(
        &self,
        address: &str,
        display_name: &str,
        secret: HostingSecret,
        now: DateTime<Utc>,
    ) -> Result<Account> {
        let address = normalize_address(address)
            .ok_or_else(|| RegistryError::InvalidAddress(address.to_string()))?;
        let account = Account {
            address: address.clone(),
            display_name: display_name.to_string(),
            state: AccountState::Created,
            hosting_key: match secret {
                HostingSecret::Key(k) => Some(k),
                HostingSecret::Verifier(_) => None,
            },
            hosting_verifier: match secret {
                HostingSecret::Verifier(v) => Some(v),
                HostingSecret::Key(_) => None,
            },
            node: None,
            fingerprint: None,
            record: None,
            created: now,
        };
        let encoded = Self::encode(&account);
        if !self
            .accounts
            .compare_and_swap(address.as_bytes(), None, Some(&encoded))?
        {
            return Err(RegistryError::Exists(address.clone()));
        }
        self.flush()?;
        Ok(account)
    }

    /// The account `address` (any spelling), if registered.
    pub fn account(&self, address: &str) -> Result<Option<Account>> {
        let Some(address) = normalize_address(address) else {
            return Ok(None);
        };
        match self.accounts.get(address.as_bytes())? {
            Some(v) => Ok(Some(Self::decode(address.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// Every account, by address.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.accounts
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Self::decode(&k, &v)
            })
            .collect()
    }

    /// Applies `change` to the stored account atomically: retried if another writer got there
    /// first, so `change` sees the latest state and may refuse it.
    fn modify(
        &self,
        address: &str,
        change: impl Fn(&mut Account) -> Result<()>,
    ) -> Result<Account> {
        let address = normalize_address(address)
            .ok_or_else(|| RegistryError::NoAccount(address.to_string()))?;
        loop {
            let old = self
                .accounts
                .get(address.as_bytes())?
                .ok_or_else(|| RegistryError::NoAccount(address.clone()))?;
            let mut account = Self::decode(address.as_bytes(), &old)?;
            change(&mut account)?;
            let encoded = Self::encode(&account);
            let swapped =
                self.accounts
                    .compare_and_swap(address.as_bytes(), Some(&old), Some(&encoded))?;
            if swapped {
                self.flush()?;
                return Ok(account);
            }
        }
    }

    /// Marks a Created account hosted by `node` with certificate `fingerprint`, stores its
    /// first record and forgets the hosting key. Fails with [`RegistryError::WrongState`]
    /// unless the account is still Created with this unused `secret`.
    pub fn set_hosted(
        &self,
        address: &str,
        secret: &HostingSecret,
        node: &str,
        fingerprint: &str,
        record: NetworkSigned,
    ) -> Result<Account> {
        self.modify(address, |a| {
            let unused = match secret {
                HostingSecret::Key(k) => a.hosting_key.as_ref() == Some(k),
                HostingSecret::Verifier(v) => a.hosting_verifier.as_ref() == Some(v),
            };
            if a.state != AccountState::Created || !unused {
                return Err(RegistryError::WrongState(a.address.clone()));
            }
            a.state = AccountState::Hosted;
            a.hosting_key = None;
            a.hosting_verifier = None;
            a.node = Some(node.to_string());
            a.fingerprint = Some(fingerprint.to_string());
            a.record = Some(record.clone());
            Ok(())
        })
    }

    /// Replaces the record of a Hosted account (its node came up at new addresses).
    pub fn update_record(&self, address: &str, record: NetworkSigned) -> Result<Account> {
        self.modify(address, |a| {
            if a.state != AccountState::Hosted {
                return Err(RegistryError::WrongState(a.address.clone()));
            }
            a.record = Some(record.clone());
            Ok(())
        })
    }

    /// Switches the account off for good; an unused hosting secret dies with it.
    pub fn disable(&self, address: &str) -> Result<Account> {
        self.modify(address, |a| {
            a.state = AccountState::Disabled;
            a.hosting_key = None;
            a.hosting_verifier = None;
            Ok(())
        })
    }

    /// The partners-tree key of a pair, the same for (a, b) and (b, a).
    fn pair_key(a: &str, b: &str) -> Vec<u8> {
        let (x, y) = if a <= b { (a, b) } else { (b, a) };
        format!("{x}\n{y}").into_bytes()
    }

    fn parties(a: &str, b: &str) -> Result<(String, String)> {
        let na = normalize_party(a).ok_or_else(|| RegistryError::InvalidAddress(a.to_string()))?;
        let nb = normalize_party(b).ok_or_else(|| RegistryError::InvalidAddress(b.to_string()))?;
        Ok((na, nb))
    }

    /// Lets `a` and `b` (addresses or whole domains) exchange mail, both ways. False if they
    /// already could by this very entry.
    pub fn add_partner(&self, a: &str, b: &str) -> Result<bool> {
        let (a, b) = Self::parties(a, b)?;
        let old = self.partners.insert(Self::pair_key(&a, &b), [])?;
        self.flush()?;
        Ok(old.is_none())
    }

    /// Removes exactly the entry (a, b); false if there was none.
    pub fn remove_partner(&self, a: &str, b: &str) -> Result<bool> {
        let (a, b) = Self::parties(a, b)?;
        let old = self.partners.remove(Self::pair_key(&a, &b))?;
        self.flush()?;
        Ok(old.is_some())
    }

    /// Every partnership entry, each pair in sorted order.
    pub fn partners(&self) -> Result<Vec<(String, String)>> {
        self.partners
            .iter()
            .map(|kv| {
                let (k, _) = kv?;
                let text = String::from_utf8_lossy(&k).into_owned();
                text.split_once('\n')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| RegistryError::Corrupt {
                        key: text.clone(),
                        reason: "not a pair".into(),
                    })
            })
            .collect()
    }

    /// Whether `a` and `b` may exchange mail: one domain, or partners as address/address,
    /// domain/domain or address/domain (either way round).
    pub fn allowed(&self, a: &str, b: &str) -> Result<bool> {
        let (Some(a), Some(b)) = (normalize_address(a), normalize_address(b)) else {
            return Ok(false);
        };
        let (da, db) = (domain_of(&a), domain_of(&b));
        if da == db {
            return Ok(true);
        }
        for (x, y) in [
            (a.as_str(), b.as_str()),
            (a.as_str(), db),
            (da, b.as_str()),
            (da, db),
        ] {
            if self.partners.contains(Self::pair_key(x, y))? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Only the newest announcement matters to nodes, so one key holds it.
const LATEST_RELEASE: &[u8] = b"latest";

impl Registry {
    /// Replaces the announced release with `signed` (already CA-signed).
    pub fn set_release(&self, signed: &NetworkSigned) -> Result<()> {
        let bytes = serde_json::to_vec(signed).expect("signed documents serialise");
        self.releases.insert(LATEST_RELEASE, &bytes)?;
        self.flush()
    }

    /// The announced release, if any.
    pub fn release(&self) -> Result<Option<NetworkSigned>> {
        let Some(bytes) = self.releases.get(LATEST_RELEASE)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RegistryError::Corrupt {
                key: "releases/latest".into(),
                reason: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let r = Registry::open(&dir.path().join("db")).unwrap();
        (dir, r)
    }

    fn record(n: u8) -> NetworkSigned {
        NetworkSigned {
            body: vec![n],
            signature: vec![n],
        }
    }

    #[test]
    fn accounts_are_created_once_and_found_in_any_case() {
        let (_d, r) = registry();
        let now = Utc::now();
        let a = r
            .create_account("Bob@Kapur.H", "Bob", HostingSecret::Key([1; 32]), now)
            .unwrap();
        assert_eq!(a.address, "bob@kapur.h");
        assert_eq!(a.state, AccountState::Created);
        assert!(matches!(
            r.create_account("bob@kapur.h", "Bob", HostingSecret::Key([2; 32]), now),
            Err(RegistryError::Exists(_))
        ));
        assert!(matches!(
            r.create_account("bob", "Bob", HostingSecret::Key([2; 32]), now),
            Err(RegistryError::InvalidAddress(_))
        ));
        assert_eq!(r.account("BOB@kapur.h").unwrap().unwrap(), a);
        assert!(r.account("carol@kapur.h").unwrap().is_none());
        assert!(r.account("not an address").unwrap().is_none());
        r.create_account("ann@kapur.h", "", HostingSecret::Key([3; 32]), now)
            .unwrap();
        let all: Vec<_> = r
            .accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.address)
            .collect();
        assert_eq!(all, ["ann@kapur.h", "bob@kapur.h"]);
    }

    #[test]
    fn hosting_uses_the_key_once_and_records_update() {
        let (_d, r) = registry();
        r.create_account(
            "bob@kapur.h",
            "Bob",
            HostingSecret::Key([1; 32]),
            Utc::now(),
        )
        .unwrap();
        assert!(matches!(
            r.update_record("bob@kapur.h", record(0)),
            Err(RegistryError::WrongState(_))
        ));
        assert!(matches!(
            r.set_hosted(
                "bob@kapur.h",
                &HostingSecret::Key([9; 32]),
                "node",
                "FPR",
                record(1)
            ),
            Err(RegistryError::WrongState(_))
        ));
        let a = r
            .set_hosted(
                "bob@kapur.h",
                &HostingSecret::Key([1; 32]),
                "node",
                "FPR",
                record(1),
            )
            .unwrap();
        assert_eq!(a.state, AccountState::Hosted);
        assert_eq!(a.hosting_key, None);
        assert_eq!(a.node.as_deref(), Some("node"));
        assert!(matches!(
            r.set_hosted(
                "bob@kapur.h",
                &HostingSecret::Key([1; 32]),
                "other",
                "FPR",
                record(2)
            ),
            Err(RegistryError::WrongState(_))
        ));
        r.update_record("bob@kapur.h", record(3)).unwrap();
        assert_eq!(
            r.account("bob@kapur.h").unwrap().unwrap().record,
            Some(record(3))
        );
        assert!(matches!(
            r.update_record("carol@kapur.h", record(3)),
            Err(RegistryError::NoAccount(_))
        ));
        let d = r.disable("bob@kapur.h").unwrap();
        assert_eq!(d.state, AccountState::Disabled);
        assert!(r.update_record("bob@kapur.h", record(4)).is_err());
    }

    #[test]
    fn partnerships_in_every_combination() {
        let (_d, r) = registry();
        assert!(r.allowed("a@x.h", "B@X.h").unwrap());
        assert!(!r.allowed("a@x.h", "b@y.h").unwrap());

        assert!(r.add_partner("A@X.h", "b@y.h").unwrap());
        assert!(!r.add_partner("b@y.h", "a@x.h").unwrap());
        assert!(r.allowed("a@x.h", "b@y.h").unwrap());
        assert!(r.allowed("b@y.h", "a@x.h").unwrap());
        assert!(!r.allowed("c@x.h", "b@y.h").unwrap());

        r.add_partner("x.h", "z.h").unwrap();
        assert!(r.allowed("c@x.h", "d@z.h").unwrap());
        assert!(r.allowed("d@z.h", "c@x.h").unwrap());

        r.add_partner("w.h", "e@x.h").unwrap();
        assert!(r.allowed("e@x.h", "q@w.h").unwrap());
        assert!(r.allowed("q@w.h", "e@x.h").unwrap());
        assert!(!r.allowed("f@x.h", "q@w.h").unwrap());

        assert_eq!(
            r.partners().unwrap(),
            [
                ("a@x.h".to_string(), "b@y.h".to_string()),
                ("e@x.h".to_string(), "w.h".to_string()),
                ("x.h".to_string(), "z.h".to_string()),
            ]
        );
        assert!(r.remove_partner("b@y.h", "A@x.h").unwrap());
        assert!(!r.remove_partner("b@y.h", "a@x.h").unwrap());
        assert!(!r.allowed("a@x.h", "b@y.h").unwrap());
        assert!(matches!(
            r.add_partner("not valid", "x.h"),
            Err(RegistryError::InvalidAddress(_))
        ));
    }

    #[test]
    fn durable_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let r = Registry::open(&dir.path().join("db")).unwrap();
            r.create_account(
                "bob@kapur.h",
                "Bob",
                HostingSecret::Key([1; 32]),
                Utc::now(),
            )
            .unwrap();
            r.add_partner("kapur.h", "beta.h").unwrap();
        }
        let r = Registry::open(&dir.path().join("db")).unwrap();
        assert_eq!(r.accounts().unwrap().len(), 1);
        assert!(r.allowed("bob@kapur.h", "x@beta.h").unwrap());
    }

    #[test]
    fn the_latest_release_replaces_the_previous_one_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        {
            let r = Registry::open(&dir.path().join("db")).unwrap();
            assert_eq!(r.release().unwrap(), None);
            r.set_release(&record(1)).unwrap();
            r.set_release(&record(2)).unwrap();
        }
        let r = Registry::open(&dir.path().join("db")).unwrap();
        assert_eq!(r.release().unwrap(), Some(record(2)));
    }
}
