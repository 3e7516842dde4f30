//! Subscriptions (IMAP SUBSCRIBE, LSUB, LIST (SUBSCRIBED)). Kept as names apart from the
//! folders: a name stays subscribed when its folder is deleted and may be subscribed before the
//! folder exists (RFC 3501 6.3.6, RFC 5258 3.1), so it cannot live in the folder record.

use crate::error::Result;
use crate::folder::{DELIMITER, normalize_folder_name};
use crate::store::{Store, dec, folder_key};

/// Set once the subscriptions of a store written before this list existed were carried over.
const CARRIED_OVER: &[u8] = b"subscriptions-carried-over";

impl Store {
    /// The account's subscribed names, sorted.
    pub fn subscriptions(&self, account: u64) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for k in self
            .inner
            .subscriptions
            .scan_prefix(account.to_be_bytes())
            .keys()
        {
            let k = k?;
            out.push(String::from_utf8_lossy(&k[8..]).into_owned());
        }
        Ok(out)
    }

    /// Subscribes or unsubscribes `name`, whether or not a folder of that name exists.
    pub fn set_subscribed(&self, account: u64, name: &str, on: bool) -> Result<()> {
        let name = normalize_folder_name(name)?;
        let key = folder_key(account, &name);
        if on {
            self.inner.subscriptions.insert(key, &[])?;
        } else {
            self.inner.subscriptions.remove(key)?;
        }
        self.flush()?;
        // Sessions that asked to hear of subscription changes (IMAP NOTIFY) look again.
        self.notify(account);
        Ok(())
    }

    /// Moves the subscriptions of `from` and the names under it to `to` (RENAME).
    pub(crate) fn rename_subscriptions(&self, account: u64, from: &str, to: &str) -> Result<()> {
        let prefix = format!("{from}{DELIMITER}");
        for name in self.subscriptions(account)? {
            if name == from || name.starts_with(&prefix) {
                let renamed = format!("{to}{}", &name[from.len()..]);
                self.inner
                    .subscriptions
                    .remove(folder_key(account, &name))?;
                self.inner
                    .subscriptions
                    .insert(folder_key(account, &renamed), &[])?;
            }
        }
        Ok(())
    }

    /// Stores written before this list kept a flag in each folder record: carry those over
    /// once, so nobody's subscriptions are lost on update.
    pub(crate) fn carry_over_subscriptions(&self) -> Result<()> {
        let i = &self.inner;
        if i.db.contains_key(CARRIED_OVER)? {
            return Ok(());
        }
        for kv in i.folders.iter() {
            let (k, v) = kv?;
            let f: crate::model::Folder = dec(&v)?;
            if f.subscribed {
                i.subscriptions.insert(k, &[])?;
            }
        }
        i.db.insert(CARRIED_OVER, &[])?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use crate::blob::StorageKey;
    use crate::store::{Store, dec, enc, folder_key};

    #[test]
    fn names_outlive_their_folders_and_follow_renames() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
        let a = store.add_account("a@a.h", "pw").unwrap().id;
        assert!(
            store
                .subscriptions(a)
                .unwrap()
                .contains(&"INBOX".to_string())
        );
        store.create_folder(a, "x/y").unwrap();
        assert!(!store.subscriptions(a).unwrap().contains(&"x/y".to_string()));
        store.set_subscribed(a, "x/y", true).unwrap();
        store.set_subscribed(a, "not-yet", true).unwrap();
        store.rename_folder(a, "x", "z").unwrap();
        let subs = store.subscriptions(a).unwrap();
        assert!(subs.contains(&"z/y".to_string()) && !subs.contains(&"x/y".to_string()));
        store.delete_folder(a, "z/y").unwrap();
        assert!(store.subscriptions(a).unwrap().contains(&"z/y".to_string()));
        assert!(
            store
                .subscriptions(a)
                .unwrap()
                .contains(&"not-yet".to_string())
        );
        store.set_subscribed(a, "z/y", false).unwrap();
        assert!(!store.subscriptions(a).unwrap().contains(&"z/y".to_string()));
        store.remove_account("a@a.h").unwrap();
        assert!(store.subscriptions(a).unwrap().is_empty());
    }

    #[test]
    fn an_older_store_keeps_its_subscriptions() {
        let dir = tempfile::tempdir().unwrap();
        let key = StorageKey::generate();
        let a;
        {
            let store = Store::open(dir.path(), key.clone()).unwrap();
            a = store.add_account("a@a.h", "pw").unwrap().id;
            store.create_folder(a, "Old").unwrap();
            // What an older store looks like: the flag in the folder record, no list.
            let k = folder_key(a, "Old");
            let mut f: crate::model::Folder =
                dec(&store.inner.folders.get(&k).unwrap().unwrap()).unwrap();
            f.subscribed = true;
            store.inner.folders.insert(&k, enc(&f).unwrap()).unwrap();
            store.inner.subscriptions.clear().unwrap();
            store.inner.db.remove(super::CARRIED_OVER).unwrap();
            store.flush().unwrap();
        }
        let store = Store::reopen(dir.path(), key);
        assert_eq!(store.subscriptions(a).unwrap(), vec!["Old".to_string()]);
    }
}
