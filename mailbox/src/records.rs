//! Named tables of small records the node keeps beside the mail: delivery jobs, hosted
//! accounts, receipts. The store does not know what they mean; it only keeps them durable,
//! so callers outside this crate never touch the database engine.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::store::{Store, dec, enc};

/// One table. Cheap to clone; writes are flushed before they return.
#[derive(Clone)]
pub struct Records {
    tree: sled::Tree,
    db: sled::Db,
}

impl Store {
    /// Opens (creating if need be) the record table `name`. Names are private to the caller;
    /// they never collide with the store's own trees, which carry no `rec:` prefix.
    pub fn records(&self, name: &str) -> Result<Records> {
        Ok(Records {
            tree: self.inner.db.open_tree(format!("rec:{name}"))?,
            db: self.inner.db.clone(),
        })
    }
}

impl Records {
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.tree.get(key)?.map(|v| dec(&v)).transpose()
    }

    pub fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.tree.contains_key(key)?)
    }

    /// Writes and flushes `value` under `key`.
    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.tree.insert(key, enc(value)?)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes and flushes; removing a missing key is not an error.
    pub fn remove(&self, key: &str) -> Result<()> {
        self.tree.remove(key)?;
        self.db.flush()?;
        Ok(())
    }

    /// The keys under `prefix`, in order. Records are read one by one with [`Records::get`],
    /// so a long table is never held whole.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for k in self.tree.scan_prefix(prefix).keys() {
            out.push(String::from_utf8_lossy(&k?).into_owned());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::{StorageKey, Store};

    #[test]
    fn records_survive_reopen_and_scan_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let key = StorageKey::from_bytes([7; 32]);
        {
            let s = Store::open(dir.path(), key.clone()).unwrap();
            let r = s.records("jobs").unwrap();
            r.put("a/1", &(1u32, "x".to_string())).unwrap();
            r.put("a/2", &(2u32, "y".to_string())).unwrap();
            r.put("b/1", &(3u32, "z".to_string())).unwrap();
            r.remove("a/2").unwrap();
            r.remove("missing").unwrap();
        }
        // sled's flusher thread lets go of the file lock a moment after the store is dropped.
        let started = std::time::Instant::now();
        let s = loop {
            match Store::open(dir.path(), key.clone()) {
                Err(crate::Error::InUse) if started.elapsed().as_secs() < 10 => {
                    std::thread::sleep(std::time::Duration::from_millis(50))
                }
                other => break other.unwrap(),
            }
        };
        let r = s.records("jobs").unwrap();
        assert_eq!(r.keys("a/").unwrap(), vec!["a/1"]);
        assert_eq!(
            r.get::<(u32, String)>("b/1").unwrap(),
            Some((3, "z".into()))
        );
        assert!(r.contains("b/1").unwrap());
        assert!(s.records("other").unwrap().keys("").unwrap().is_empty());
    }
}
