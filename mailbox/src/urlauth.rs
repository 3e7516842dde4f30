//! Secret keys for IMAP URLAUTH (RFC 4467): one per folder of an account, made on first use.
//! A URL's token is a MAC under its folder's key, so forgetting a key (RESETKEY) voids every
//! URL issued for that folder. Keys are kept sealed with the storage key, like account keys.

use rand::RngCore;

use crate::error::{Error, Result};
use crate::store::Store;

const TABLE: &str = "urlauth-keys";

fn key_name(account: u64, folder: u64) -> String {
    format!("{account:016x}/{folder:016x}")
}

impl Store {
    /// The folder's URLAUTH key, made when it has none (GENURLAUTH).
    pub fn urlauth_key(&self, account: u64, folder: u64) -> Result<[u8; 32]> {
        let lock = self.lock(account);
        let _held = lock.lock().expect("account lock");
        if let Some(k) = self.existing_urlauth_key(account, folder)? {
            return Ok(k);
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let name = key_name(account, folder);
        let sealed = self.wrap_secret(name.as_bytes(), &key);
        self.records(TABLE)?.put(&name, &sealed)?;
        Ok(key)
    }

    /// The folder's URLAUTH key if it has one (URLFETCH never makes one: a URL issued before
    /// RESETKEY must stay void).
    pub fn existing_urlauth_key(&self, account: u64, folder: u64) -> Result<Option<[u8; 32]>> {
        let name = key_name(account, folder);
        let Some(sealed) = self.records(TABLE)?.get::<Vec<u8>>(&name)? else {
            return Ok(None);
        };
        let key = self.unwrap_secret(name.as_bytes(), &sealed)?;
        key.try_into().map(Some).map_err(|_| Error::Integrity)
    }

    /// Forgets the URLAUTH key of one folder, or of every folder of the account (RESETKEY,
    /// and when the account goes).
    pub fn reset_urlauth_keys(&self, account: u64, folder: Option<u64>) -> Result<()> {
        let table = self.records(TABLE)?;
        match folder {
            Some(f) => table.remove(&key_name(account, f)),
            None => {
                for k in table.keys(&format!("{account:016x}/"))? {
                    table.remove(&k)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::blob::StorageKey;
    use crate::store::Store;

    #[test]
    fn keys_are_made_once_sealed_and_forgotten_on_reset() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
        assert_eq!(store.existing_urlauth_key(1, 5).unwrap(), None);
        let k = store.urlauth_key(1, 5).unwrap();
        assert_eq!(store.urlauth_key(1, 5).unwrap(), k);
        assert_eq!(store.existing_urlauth_key(1, 5).unwrap(), Some(k));
        let other = store.urlauth_key(1, 6).unwrap();
        assert_ne!(other, k);
        let theirs = store.urlauth_key(2, 5).unwrap();
        // Sealed: the key's bytes are nowhere in the table.
        let sealed: Vec<u8> = store
            .records("urlauth-keys")
            .unwrap()
            .get(&super::key_name(1, 5))
            .unwrap()
            .unwrap();
        assert!(!sealed.windows(32).any(|w| w == k));
        store.reset_urlauth_keys(1, Some(5)).unwrap();
        assert_eq!(store.existing_urlauth_key(1, 5).unwrap(), None);
        assert_eq!(store.existing_urlauth_key(1, 6).unwrap(), Some(other));
        store.reset_urlauth_keys(1, None).unwrap();
        assert_eq!(store.existing_urlauth_key(1, 6).unwrap(), None);
        assert_eq!(store.existing_urlauth_key(2, 5).unwrap(), Some(theirs));
        assert_ne!(store.urlauth_key(1, 5).unwrap(), k, "a new key after reset");
    }
}
