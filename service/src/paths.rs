//! Layout of a service server's data folder.

use std::path::PathBuf;

daemon::data_dir!(
    /// The data folder of one service server. Every file the server reads or writes lives
    /// here.
    pub DataDir
);

impl DataDir {
    /// `wims-service.toml`: the configuration, written last by `init`, so its presence marks a
    /// complete folder.
    pub fn config(&self) -> PathBuf {
        self.root.join("wims-service.toml")
    }
    /// The network CA's secret key, ASCII-armored. The same file on every server of a network.
    pub fn ca_key(&self) -> PathBuf {
        self.root.join("ca.key")
    }
    /// 32 random bytes: the server's libp2p Ed25519 secret; its PeerId follows from it.
    pub fn server_key(&self) -> PathBuf {
        self.root.join("keys/server.key")
    }
    /// The sled registry.
    pub fn db(&self) -> PathBuf {
        self.root.join("db")
    }
    pub fn is_initialised(&self) -> bool {
        self.config().is_file() && self.ca_key().is_file() && self.server_key().is_file()
    }
}
