//! Sealed chunks of transfers in progress: outgoing messages waiting to be sent, incoming
//! ones still being received or collected. The file layout is `wire::chunk_dir`'s.

use std::path::{Path, PathBuf};

pub use wire::chunk_dir::{
    SyncBehind, chunks, missing, put_chunk, put_manifest, read_chunk, read_manifest,
};

pub struct Spool {
    root: PathBuf,
}

impl Spool {
    pub fn new(root: PathBuf) -> Self {
        Spool { root }
    }

    /// The folder of one transfer; `kind` is "out" or "in", `key` any job key.
    pub fn dir(&self, kind: &str, key: &str) -> PathBuf {
        self.root.join(kind).join(wire::chunk_dir::dir_name(key))
    }
}

pub fn remove(dir: &Path) {
    if let Err(e) = wire::chunk_dir::remove_dir(dir) {
        tracing::warn!(dir = %dir.display(), error = %e, "spool folder not removed");
    }
}
