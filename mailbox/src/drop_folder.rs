//! Per-account settings of the XML drop folder, and the exactly-once journal that lets a
//! resumed job skip copies it already filed.
//!
//! Kept in their own trees, not in [`Account`](crate::Account): account records are postcard
//! (append-only layout), and most accounts never enable the drop folder.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use serde::{Deserialize, Serialize};

use crate::account::hash_password;
use crate::error::{Error, Result};
use crate::model::{Account, Delivered};
use crate::store::{StagedMessage, Store, dec, enc};

/// Drop-folder settings of one account. Field order is the on-disk layout: append only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DropSettings {
    /// argon2id PHC string of the drop passphrase; never the passphrase itself.
    pub passphrase_hash: String,
    /// Messages per hour; `None` uses the node's default.
    pub rate_per_hour: Option<u32>,
}

/// Result of checking a drop file's sender and passphrase.
#[derive(Debug)]
pub enum DropAuth {
    NoAccount,
    Disabled,
    WrongPassphrase,
    Allowed(Account, DropSettings),
}

impl Store {
    /// Enables drop sending for `address` with this passphrase (and rate), or disables it with
    /// `None`.
    pub fn set_drop_passphrase(
        &self,
        address: &str,
        passphrase: Option<&str>,
        rate_per_hour: Option<u32>,
    ) -> Result<()> {
        let account = self.account(address)?.ok_or(Error::NoAccount)?;
        let key = account.address.as_bytes();
        match passphrase {
            Some(p) => {
                let s = DropSettings {
                    passphrase_hash: hash_password(p)?,
                    rate_per_hour,
                };
                self.inner.drop_settings.insert(key, enc(&s)?)?;
            }
            None => {
                self.inner.drop_settings.remove(key)?;
            }
        }
        self.flush()
    }

    /// The account's drop settings; `None` when drop sending is off.
    pub fn drop_settings(&self, address: &str) -> Result<Option<DropSettings>> {
        let Some(account) = self.account(address)? else {
            return Ok(None);
        };
        match self.inner.drop_settings.get(account.address.as_bytes())? {
            Some(v) => Ok(Some(dec(&v)?)),
            None => Ok(None),
        }
    }

    /// Checks a drop file's sender and passphrase. Slow on purpose (argon2id): run it off the
    /// async threads.
    pub fn verify_drop_passphrase(&self, address: &str, passphrase: &str) -> Result<DropAuth> {
        let Some(account) = self.account(address)? else {
            return Ok(DropAuth::NoAccount);
        };
        let Some(settings) = self.drop_settings(&account.address)? else {
            return Ok(DropAuth::Disabled);
        };
        let parsed = PasswordHash::new(&settings.passphrase_hash)
            .map_err(|e| Error::Password(e.to_string()))?;
        if Argon2::default()
            .verify_password(passphrase.as_bytes(), &parsed)
            .is_ok()
        {
            Ok(DropAuth::Allowed(account, settings))
        } else {
            Ok(DropAuth::WrongPassphrase)
        }
    }

    /// Files `staged` like [`Store::deliver`], unless a copy with the same `job` key was already
    /// filed into this account and folder: then it returns `None`. The check and the filing are
    /// one transaction, so a job resumed after a crash never files a copy twice.
    pub fn deliver_once(
        &self,
        job: &str,
        staged: &StagedMessage,
        account: u64,
        folder: &str,
        flags: &[&str],
    ) -> Result<Option<Delivered>> {
        self.deliver_once_at(job, staged, account, folder, flags, None)
    }

    /// [`Store::deliver_once`] with the INTERNALDATE to give the copy (now if `None`).
    pub fn deliver_once_at(
        &self,
        job: &str,
        staged: &StagedMessage,
        account: u64,
        folder: &str,
        flags: &[&str],
        internal_date: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Option<Delivered>> {
        let key = journal_key(job, account, folder);
        self.deliver_journaled(staged, account, folder, flags, internal_date, Some(&key))
    }

    /// The copy a job filed into `folder` of `account`: folder id and UID.
    pub fn journaled_copy(
        &self,
        job: &str,
        account: u64,
        folder: &str,
    ) -> Result<Option<(u64, u32)>> {
        let key = journal_key(job, account, folder);
        Ok(self.inner.journal.get(key)?.and_then(|v| {
            let v: [u8; 12] = v.as_ref().try_into().ok()?;
            let folder = u64::from_be_bytes(v[..8].try_into().ok()?);
            let uid = u32::from_be_bytes(v[8..].try_into().ok()?);
            Some((folder, uid))
        }))
    }

    /// Forgets the journal entries of a finished job.
    pub fn forget_job(&self, job: &str) -> Result<()> {
        let prefix = format!("{job}\0");
        for k in self.inner.journal.scan_prefix(prefix.as_bytes()).keys() {
            self.inner.journal.remove(k?)?;
        }
        Ok(())
    }
}

fn journal_key(job: &str, account: u64, folder: &str) -> Vec<u8> {
    let mut k = format!("{job}\0").into_bytes();
    k.extend_from_slice(&account.to_be_bytes());
    k.extend_from_slice(folder.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StorageKey;
    use std::io::Write;

    fn store() -> (tempfile::TempDir, Store) {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path(), StorageKey::generate()).unwrap();
        (d, s)
    }

    #[test]
    fn passphrase_enable_verify_disable() {
        let (_d, s) = store();
        s.add_account("a@k.h", "pw").unwrap();
        assert!(matches!(
            s.verify_drop_passphrase("a@k.h", "x").unwrap(),
            DropAuth::Disabled
        ));
        assert!(matches!(
            s.verify_drop_passphrase("z@k.h", "x").unwrap(),
            DropAuth::NoAccount
        ));
        s.set_drop_passphrase("A@k.h", Some("open sesame"), Some(7))
            .unwrap();
        let st = s.drop_settings("a@k.h").unwrap().unwrap();
        assert!(!st.passphrase_hash.contains("open sesame"));
        assert_eq!(st.rate_per_hour, Some(7));
        assert!(matches!(
            s.verify_drop_passphrase("a@k.h", "open sesame").unwrap(),
            DropAuth::Allowed(..)
        ));
        assert!(matches!(
            s.verify_drop_passphrase("a@k.h", "open").unwrap(),
            DropAuth::WrongPassphrase
        ));
        s.set_drop_passphrase("a@k.h", None, None).unwrap();
        assert!(s.drop_settings("a@k.h").unwrap().is_none());
        assert!(matches!(
            s.set_drop_passphrase("nobody@k.h", Some("x"), None),
            Err(Error::NoAccount)
        ));
    }

    #[test]
    fn deliver_once_files_each_copy_once() {
        let (_d, s) = store();
        let a = s.add_account("a@k.h", "pw").unwrap();
        let mut w = s.new_message().unwrap();
        w.write_all(b"Subject: x\r\n\r\nbody\r\n").unwrap();
        let staged = w.finish().unwrap();
        assert!(
            s.deliver_once("job1", &staged, a.id, "INBOX", &[])
                .unwrap()
                .is_some()
        );
        assert!(
            s.deliver_once("job1", &staged, a.id, "INBOX", &[])
                .unwrap()
                .is_none()
        );
        let sent = s
            .deliver_once("job1", &staged, a.id, "Sent", &["\\Seen"])
            .unwrap()
            .unwrap();
        let sent_folder = s.folder(a.id, "Sent").unwrap().unwrap();
        assert_eq!(
            s.journaled_copy("job1", a.id, "Sent").unwrap(),
            Some((sent_folder.id, sent.uid))
        );
        assert_eq!(s.journaled_copy("job2", a.id, "Sent").unwrap(), None);
        s.forget_job("job1").unwrap();
        assert_eq!(s.inner.journal.len(), 0);
        let inbox = s.folder(a.id, "INBOX").unwrap().unwrap();
        assert_eq!(s.message_states(inbox.id).unwrap().len(), 1);
    }
}
