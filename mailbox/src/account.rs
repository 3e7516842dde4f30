//! Local accounts: creation, login check, password change and complete removal.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};
use crate::model::{Account, SpecialUse};
use crate::store::{Store, dec, enc};

/// Lower-cases and checks the shape `local@domain`.
pub fn normalize_address(address: &str) -> Result<String> {
    let a = address.trim().to_lowercase();
    let ok = match a.split_once('@') {
        Some((l, d)) => {
            !l.is_empty()
                && !d.is_empty()
                && !d.contains('@')
                && a.chars()
                    .all(|c| !c.is_control() && !c.is_whitespace() && !"\"()<>,;:\\[]".contains(c))
        }
        None => false,
    };
    if ok {
        Ok(a)
    } else {
        Err(Error::InvalidAddress)
    }
}

/// An argon2id PHC string for a password or a drop passphrase.
pub(crate) fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Password(e.to_string()))
}

impl Store {
    pub fn add_account(&self, address: &str, password: &str) -> Result<Account> {
        let address = normalize_address(address)?;
        if self.inner.accounts.contains_key(address.as_bytes())? {
            return Err(Error::AccountExists);
        }
        let account = Account {
            id: self.next_id()?,
            address: address.clone(),
            password_hash: hash_password(password)?,
            created: chrono::Utc::now().timestamp(),
        };
        let won = self.inner.accounts.compare_and_swap(
            address.as_bytes(),
            None as Option<&[u8]>,
            Some(enc(&account)?),
        )?;
        if won.is_err() {
            return Err(Error::AccountExists);
        }
        self.create_folder(account.id, "INBOX")?;
        self.set_subscribed(account.id, "INBOX", true)?;
        for u in SpecialUse::ALL {
            self.create_special_folder(account.id, u.default_name(), u)?;
            self.set_subscribed(account.id, u.default_name(), true)?;
        }
        self.flush()?;
        Ok(account)
    }

    pub fn account(&self, address: &str) -> Result<Option<Account>> {
        let Ok(address) = normalize_address(address) else {
            return Ok(None);
        };
        match self.inner.accounts.get(address.as_bytes())? {
            Some(v) => Ok(Some(dec(&v)?)),
            None => Ok(None),
        }
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.inner
            .accounts
            .iter()
            .values()
            .map(|v| dec(&v?))
            .collect()
    }

    /// Checks a login. Deliberately slow (argon2id): callers run it off the async threads.
    pub fn verify_login(&self, address: &str, password: &str) -> Result<Option<Account>> {
        let Some(account) = self.account(address)? else {
            // Same work for unknown names, so timing does not reveal which accounts exist.
            let _ = hash_password(password);
            return Ok(None);
        };
        let parsed = PasswordHash::new(&account.password_hash)
            .map_err(|e| Error::Password(e.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            .then_some(account))
    }

    pub fn set_password(&self, address: &str, password: &str) -> Result<()> {
        let mut account = self.account(address)?.ok_or(Error::NoAccount)?;
        account.password_hash = hash_password(password)?;
        self.inner
            .accounts
            .insert(account.address.as_bytes(), enc(&account)?)?;
        self.flush()
    }

    /// Removes the account with every folder, message and blob of it.
    pub fn remove_account(&self, address: &str) -> Result<()> {
        let account = self.account(address)?.ok_or(Error::NoAccount)?;
        for f in self.folders(account.id)? {
            self.purge_folder(&f)?;
        }
        for name in self.subscriptions(account.id)? {
            self.set_subscribed(account.id, &name, false)?;
        }
        self.records("quota")?.remove(&account.address)?;
        self.reset_urlauth_keys(account.id, None)?;
        self.inner
            .drop_settings
            .remove(account.address.as_bytes())?;
        self.inner.accounts.remove(account.address.as_bytes())?;
        self.flush()
    }
}
