//! Layout of a service server's data folder.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The data folder of one service server. Every file the server reads or writes lives here.
#[derive(Clone, Debug)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

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
    /// Files that exist only while the server runs.
    pub fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    pub fn endpoints(&self) -> PathBuf {
        self.run_dir().join("endpoints.json")
    }
    pub fn admin_socket(&self) -> PathBuf {
        self.run_dir().join("admin.sock")
    }
    /// A relative path from the config is relative to the data folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }
    pub fn is_initialised(&self) -> bool {
        self.config().is_file() && self.ca_key().is_file() && self.server_key().is_file()
    }
}

/// Writes a file only the owner can read, creating its folder; refuses to replace an
/// existing file, so a second `init` or a mistyped `--out` never destroys a key.
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Replaces `path` atomically (write a sibling, rename), so a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
