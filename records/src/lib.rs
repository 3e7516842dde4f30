//! Ordered key-value trees behind one small API, so what keeps records (the node's mailbox
//! tables, the service's registry) does not depend on the engine: [`Engine::open`] puts the
//! trees in a sled database on disk, [`Engine::in_memory`] keeps them in memory (tests). Keys
//! and values are bytes; callers choose their encodings. Writes are durable once
//! [`Engine::flush`] returns. Async code does its storage work through [`blocking`].

pub mod blocking;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sled(#[from] sled::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// One ordered tree of records.
#[derive(Clone, Debug)]
pub struct Tree(Kind);

#[derive(Clone, Debug)]
enum Kind {
    Sled(sled::Tree),
    Memory(Arc<Mutex<BTreeMap<Vec<u8>, Vec<u8>>>>),
}

/// Where the trees live.
#[derive(Clone, Debug)]
pub struct Engine(EngineKind);

#[derive(Clone, Debug)]
enum EngineKind {
    Sled(sled::Db),
    Memory(Arc<Mutex<BTreeMap<String, Tree>>>),
}

impl Engine {
    /// The sled database at `path`, created if need be. Fails while another process has it.
    pub fn open(path: &Path) -> Result<Engine> {
        Ok(Engine(EngineKind::Sled(sled::open(path)?)))
    }

    /// Trees in a sled database the caller owns (the mailbox's store keeps its other data in
    /// the same database).
    pub fn from_sled(db: sled::Db) -> Engine {
        Engine(EngineKind::Sled(db))
    }

    /// A database that exists only as long as this value (and its clones).
    pub fn in_memory() -> Engine {
        Engine(EngineKind::Memory(Arc::default()))
    }

    /// The tree `name`, created empty if need be.
    pub fn tree(&self, name: &str) -> Result<Tree> {
        match &self.0 {
            EngineKind::Sled(db) => Ok(Tree(Kind::Sled(db.open_tree(name)?))),
            EngineKind::Memory(trees) => Ok(trees
                .lock()
                .expect("trees")
                .entry(name.to_string())
                .or_insert_with(|| Tree(Kind::Memory(Arc::default())))
                .clone()),
        }
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<()> {
        if let EngineKind::Sled(db) = &self.0 {
            db.flush()?;
        }
        Ok(())
    }
}

impl Tree {
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        let key = key.as_ref();
        match &self.0 {
            Kind::Sled(t) => Ok(t.get(key)?.map(|v| v.to_vec())),
            Kind::Memory(m) => Ok(m.lock().expect("tree").get(key).cloned()),
        }
    }

    pub fn contains(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        let key = key.as_ref();
        match &self.0 {
            Kind::Sled(t) => Ok(t.contains_key(key)?),
            Kind::Memory(m) => Ok(m.lock().expect("tree").contains_key(key)),
        }
    }

    /// Sets `key`; the value it had, if any.
    pub fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<Option<Vec<u8>>> {
        let (key, value) = (key.as_ref(), value.as_ref());
        match &self.0 {
            Kind::Sled(t) => Ok(t.insert(key, value)?.map(|v| v.to_vec())),
            Kind::Memory(m) => Ok(m.lock().expect("tree").insert(key.to_vec(), value.to_vec())),
        }
    }

    /// Removes `key`; the value it had, if any (a missing key is not an error).
    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        let key = key.as_ref();
        match &self.0 {
            Kind::Sled(t) => Ok(t.remove(key)?.map(|v| v.to_vec())),
            Kind::Memory(m) => Ok(m.lock().expect("tree").remove(key)),
        }
    }

    /// Sets `key` to `new` (or removes it for `None`) only if its value is still `old` (`None`:
    /// absent). False, and nothing written, when another writer came first.
    pub fn compare_and_swap(
        &self,
        key: impl AsRef<[u8]>,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool> {
        let key = key.as_ref();
        match &self.0 {
            Kind::Sled(t) => Ok(t.compare_and_swap(key, old, new)?.is_ok()),
            Kind::Memory(m) => {
                let mut m = m.lock().expect("tree");
                if m.get(key).map(Vec::as_slice) != old {
                    return Ok(false);
                }
                match new {
                    Some(v) => m.insert(key.to_vec(), v.to_vec()),
                    None => m.remove(key),
                };
                Ok(true)
            }
        }
    }

    /// The entries whose keys start with `prefix`, in key order, read as the iteration goes
    /// (a long tree is never held whole; the memory engine copies the matching part).
    pub fn scan_prefix(
        &self,
        prefix: impl AsRef<[u8]>,
    ) -> Box<dyn Iterator<Item = Result<Entry>> + '_> {
        let prefix = prefix.as_ref();
        match &self.0 {
            Kind::Sled(t) => Box::new(t.scan_prefix(prefix).map(|kv| {
                kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(Error::from)
            })),
            Kind::Memory(m) => {
                let part: Vec<Entry> = m
                    .lock()
                    .expect("tree")
                    .range(prefix.to_vec()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Box::new(part.into_iter().map(Ok))
            }
        }
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Result<Entry>> + '_> {
        self.scan_prefix([])
    }

    /// The keys under `prefix`, in order.
    pub fn keys(&self, prefix: impl AsRef<[u8]>) -> Result<Vec<Vec<u8>>> {
        self.scan_prefix(prefix)
            .map(|kv| kv.map(|(k, _)| k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(e: &Engine) {
        let t = e.tree("t").unwrap();
        assert_eq!(t.insert(b"a/1", b"x").unwrap(), None);
        assert_eq!(t.insert(b"a/1", b"y").unwrap(), Some(b"x".to_vec()));
        t.insert(b"a/2", b"z").unwrap();
        t.insert(b"b/1", b"w").unwrap();
        assert_eq!(t.get(b"a/1").unwrap(), Some(b"y".to_vec()));
        assert!(t.contains(b"b/1").unwrap());
        assert_eq!(
            t.keys(b"a/").unwrap(),
            vec![b"a/1".to_vec(), b"a/2".to_vec()]
        );
        assert_eq!(t.iter().count(), 3);
        // Another writer came first: nothing is written.
        assert!(!t.compare_and_swap(b"a/1", Some(b"x"), Some(b"q")).unwrap());
        assert!(t.compare_and_swap(b"a/1", Some(b"y"), Some(b"q")).unwrap());
        assert!(t.compare_and_swap(b"c", None, Some(b"new")).unwrap());
        assert!(!t.compare_and_swap(b"c", None, Some(b"again")).unwrap());
        assert!(t.compare_and_swap(b"c", Some(b"new"), None).unwrap());
        assert_eq!(t.remove(b"a/2").unwrap(), Some(b"z".to_vec()));
        assert_eq!(t.remove(b"missing").unwrap(), None);
        assert_eq!(t.get(b"a/1").unwrap(), Some(b"q".to_vec()));
        // Trees are apart, and the same name is the same tree.
        assert!(e.tree("other").unwrap().iter().next().is_none());
        assert_eq!(e.tree("t").unwrap().keys(b"").unwrap().len(), 2);
        e.flush().unwrap();
    }

    #[test]
    fn both_engines_behave_alike() {
        exercise(&Engine::in_memory());
        let dir = tempfile::tempdir().unwrap();
        exercise(&Engine::open(&dir.path().join("db")).unwrap());
    }
}
