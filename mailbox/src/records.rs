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
    tree: records::Tree,
    engine: records::Engine,
}

impl Store {
    /// Opens (creating if need be) the record table `name`. Names are private to the caller;
    /// they never collide with the store's own trees, which carry no `rec:` prefix.
    pub fn records(&self, name: &str) -> Result<Records> {
        let engine = records::Engine::from_sled(self.inner.db.clone());
        Ok(Records {
            tree: engine.tree(&format!("rec:{name}"))?,
            engine,
        })
    }
}

impl Records {
    /// A table that lives in memory only, for tests of what keeps records.
    pub fn in_memory() -> Records {
        let engine = records::Engine::in_memory();
        Records {
            tree: engine.tree("rec").expect("memory trees open"),
            engine,
        }
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.tree.get(key)?.map(|v| dec(&v)).transpose()
    }

    pub fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.tree.contains(key)?)
    }

    /// Writes and flushes `value` under `key`.
    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.tree.insert(key, enc(value)?)?;
        self.engine.flush()?;
        Ok(())
    }

    /// Removes and flushes; removing a missing key is not an error.
    pub fn remove(&self, key: &str) -> Result<()> {
        self.tree.remove(key)?;
        self.engine.flush()?;
        Ok(())
    }

    /// The keys under `prefix`, in order. Records are read one by one with [`Records::get`],
    /// so a long table is never held whole.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .tree
            .keys(prefix)?
            .into_iter()
            .map(|k| String::from_utf8_lossy(&k).into_owned())
            .collect())
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
        let s = Store::reopen(dir.path(), key);
        let r = s.records("jobs").unwrap();
        assert_eq!(r.keys("a/").unwrap(), vec!["a/1"]);
        assert_eq!(
            r.get::<(u32, String)>("b/1").unwrap(),
            Some((3, "z".into()))
        );
        assert!(r.contains("b/1").unwrap());
        assert!(s.records("other").unwrap().keys("").unwrap().is_empty());
    }

    #[test]
    fn a_table_in_memory_behaves_as_one_on_disk() {
        let r = crate::Records::in_memory();
        r.put("a/1", &1u32).unwrap();
        r.put("b/1", &2u32).unwrap();
        assert_eq!(r.keys("a/").unwrap(), vec!["a/1"]);
        assert_eq!(r.get::<u32>("b/1").unwrap(), Some(2));
        r.remove("b/1").unwrap();
        assert!(!r.contains("b/1").unwrap());
    }
}
