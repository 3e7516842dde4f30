//! Layout of a node's data folder.

use std::path::PathBuf;

daemon::data_dir!(
    /// The data folder of one node: its configuration, keys, store and logs.
    pub DataDir
);

impl DataDir {
    /// `$WIMS_DATA`, else the user's data folder.
    pub fn default_root() -> PathBuf {
        if let Some(d) = std::env::var_os("WIMS_DATA") {
            return d.into();
        }
        if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
            return PathBuf::from(d).join("wims");
        }
        match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(".local/share/wims"),
            None => PathBuf::from("wims-data"),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.root.join("wims.toml")
    }
    pub fn node_key(&self) -> PathBuf {
        self.root.join("keys/node.key")
    }
    pub fn storage_key(&self) -> PathBuf {
        self.root.join("keys/storage.key")
    }
    pub fn store(&self) -> PathBuf {
        self.root.join("store")
    }
    pub fn is_initialised(&self) -> bool {
        self.config().is_file() && self.storage_key().is_file()
    }
}
