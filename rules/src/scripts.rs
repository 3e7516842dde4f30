//! The scripts each account keeps, in the store's record tables: the text of each by name,
//! and the name of the active one. Every script is checked before it is kept, so the active
//! one always compiles under the limits it was put with.

use mailbox::{Records, Store};
use serde::{Deserialize, Serialize};

use crate::{CheckError, Settings, check};

const SCRIPTS: &str = "sieve-scripts";
const ACTIVE: &str = "sieve-active";
/// Characters of a script's name.
const MAX_NAME: usize = 128;

/// One script as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInfo {
    pub name: String,
    pub size: usize,
    pub active: bool,
}

/// Why a script was not kept, changed or found.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// Empty, longer than 128 characters, or with a control character or `/`.
    #[error("bad script name")]
    BadName,
    #[error("script too large")]
    TooLarge,
    /// The account keeps as many scripts as it may.
    #[error("too many scripts")]
    TooMany,
    #[error("script does not check: {0}")]
    Check(CheckError),
    #[error("no such script")]
    NoSuchScript,
    /// The active script cannot be deleted (RFC 5804 2.10).
    #[error("script is active")]
    Active,
    #[error("script exists")]
    Exists,
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
}

#[derive(Serialize, Deserialize)]
struct Stored {
    text: Vec<u8>,
}

/// The scripts of every account.
#[derive(Clone)]
pub struct Scripts {
    scripts: Records,
    active: Records,
    settings: Settings,
}

fn prefix(account: u64) -> String {
    format!("{account:020}/")
}

fn key(account: u64, name: &str) -> String {
    format!("{}{name}", prefix(account))
}

fn check_name(name: &str) -> Result<(), ScriptError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && !name.chars().any(|c| c.is_control() || c == '/');
    if ok {
        Ok(())
    } else {
        Err(ScriptError::BadName)
    }
}

impl Scripts {
    pub fn open(store: &Store, settings: Settings) -> Result<Scripts, mailbox::Error> {
        Ok(Scripts {
            scripts: store.records(SCRIPTS)?,
            active: store.records(ACTIVE)?,
            settings,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The account's scripts by name.
    pub fn list(&self, account: u64) -> Result<Vec<ScriptInfo>, ScriptError> {
        let active = self.active_name(account)?;
        let p = prefix(account);
        let mut out = Vec::new();
        for k in self.scripts.keys(&p)? {
            if let Some(s) = self.scripts.get::<Stored>(&k)? {
                let name = k[p.len()..].to_string();
                out.push(ScriptInfo {
                    active: active.as_deref() == Some(name.as_str()),
                    size: s.text.len(),
                    name,
                });
            }
        }
        Ok(out)
    }

    pub fn get(&self, account: u64, name: &str) -> Result<Option<Vec<u8>>, ScriptError> {
        check_name(name)?;
        Ok(self
            .scripts
            .get::<Stored>(&key(account, name))?
            .map(|s| s.text))
    }

    /// Whether the account may keep a script of `size` bytes under `name` (HAVESPACE).
    pub fn have_space(&self, account: u64, name: &str, size: usize) -> Result<(), ScriptError> {
        check_name(name)?;
        if size > self.settings.max_script_size {
            return Err(ScriptError::TooLarge);
        }
        let exists = self.scripts.contains(&key(account, name))?;
        if !exists && self.scripts.keys(&prefix(account))?.len() >= self.settings.max_scripts {
            return Err(ScriptError::TooMany);
        }
        Ok(())
    }

    /// Keeps `text` as the script `name`, replacing one of that name, once it checks.
    pub fn put(&self, account: u64, name: &str, text: &[u8]) -> Result<(), ScriptError> {
        self.have_space(account, name, text.len())?;
        check(text, &self.settings).map_err(ScriptError::Check)?;
        let stored = Stored {
            text: text.to_vec(),
        };
        Ok(self.scripts.put(&key(account, name), &stored)?)
    }

    /// Makes `name` the active script, or none with `None`.
    pub fn activate(&self, account: u64, name: Option<&str>) -> Result<(), ScriptError> {
        let k = format!("{account:020}");
        match name {
            None => Ok(self.active.remove(&k)?),
            Some(name) => {
                if self.get(account, name)?.is_none() {
                    return Err(ScriptError::NoSuchScript);
                }
                Ok(self.active.put(&k, &name.to_string())?)
            }
        }
    }

    pub fn delete(&self, account: u64, name: &str) -> Result<(), ScriptError> {
        if self.get(account, name)?.is_none() {
            return Err(ScriptError::NoSuchScript);
        }
        if self.active_name(account)?.as_deref() == Some(name) {
            return Err(ScriptError::Active);
        }
        Ok(self.scripts.remove(&key(account, name))?)
    }

    pub fn rename(&self, account: u64, from: &str, to: &str) -> Result<(), ScriptError> {
        check_name(to)?;
        let Some(text) = self.get(account, from)? else {
            return Err(ScriptError::NoSuchScript);
        };
        if self.scripts.contains(&key(account, to))? {
            return Err(ScriptError::Exists);
        }
        self.scripts.put(&key(account, to), &Stored { text })?;
        if self.active_name(account)?.as_deref() == Some(from) {
            self.active
                .put(&format!("{account:020}"), &to.to_string())?;
        }
        Ok(self.scripts.remove(&key(account, from))?)
    }

    pub fn active_name(&self, account: u64) -> Result<Option<String>, ScriptError> {
        Ok(self.active.get::<String>(&format!("{account:020}"))?)
    }

    /// The active script's name and text.
    pub fn active(&self, account: u64) -> Result<Option<(String, Vec<u8>)>, ScriptError> {
        let Some(name) = self.active_name(account)? else {
            return Ok(None);
        };
        Ok(self.get(account, &name)?.map(|t| (name, t)))
    }

    /// Forgets every script of an account that is removed.
    pub fn forget(&self, account: u64) -> Result<(), ScriptError> {
        for k in self.scripts.keys(&prefix(account))? {
            self.scripts.remove(&k)?;
        }
        Ok(self.active.remove(&format!("{account:020}"))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailbox::StorageKey;

    #[test]
    fn scripts_are_checked_bounded_and_one_is_active() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
        let settings = Settings {
            max_scripts: 2,
            max_script_size: 100,
            ..Settings::default()
        };
        let s = Scripts::open(&store, settings).unwrap();
        s.put(1, "main", b"keep;\n").unwrap();
        assert!(matches!(
            s.put(1, "bad", b"keep\n"),
            Err(ScriptError::Check(_))
        ));
        assert!(matches!(
            s.put(1, "a/b", b"keep;\n"),
            Err(ScriptError::BadName)
        ));
        assert!(matches!(
            s.put(1, "big", &[b' '; 101]),
            Err(ScriptError::TooLarge)
        ));
        s.put(1, "other", b"discard;\n").unwrap();
        assert!(matches!(
            s.put(1, "third", b"keep;\n"),
            Err(ScriptError::TooMany)
        ));
        // Replacing one it has is not one more.
        s.put(1, "other", b"keep;\n").unwrap();
        assert!(s.active(1).unwrap().is_none());
        s.activate(1, Some("main")).unwrap();
        assert!(matches!(
            s.activate(1, Some("nope")),
            Err(ScriptError::NoSuchScript)
        ));
        assert!(matches!(s.delete(1, "main"), Err(ScriptError::Active)));
        s.rename(1, "main", "filters").unwrap();
        assert_eq!(
            s.active(1).unwrap(),
            Some(("filters".into(), b"keep;\n".to_vec()))
        );
        let names: Vec<_> = s
            .list(1)
            .unwrap()
            .into_iter()
            .map(|i| (i.name, i.active))
            .collect();
        assert_eq!(
            names,
            vec![("filters".into(), true), ("other".into(), false)]
        );
        // Another account sees none of them.
        assert!(s.list(2).unwrap().is_empty());
        s.forget(1).unwrap();
        assert!(s.list(1).unwrap().is_empty() && s.active(1).unwrap().is_none());
    }
}
