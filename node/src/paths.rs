//! Layout of a node's data folder.

use std::io::Write;
use std::path::{Path, PathBuf};

pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: PathBuf) -> Self {
        DataDir { root }
    }

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
    pub fn endpoints(&self) -> PathBuf {
        self.root.join("run/endpoints.json")
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
        self.config().is_file() && self.storage_key().is_file()
    }
}

/// Writes a file only the owner can read, creating its folder.
/// As [`write_secret`], but the file is replaced whole or not at all (a crash leaves the old
/// one): for a secret that already exists, such as a key file rewritten in a new format.
pub fn replace_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    write_secret(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    if let Some(d) = path.parent() {
        std::fs::File::open(d)?.sync_all()?;
    }
    Ok(())
}

pub fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Every file and folder this process creates is its owner's alone (mode 0600 / 0700): the
/// data folder holds mail, password hashes and keys. Called before any thread starts.
pub fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file creation mask; no other thread exists yet.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and its parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)?;
    make_private(dir)
}

/// Takes group and other users' access to `dir` away, if they have any.
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::info!(dir = %dir.display(), mode = format!("{:o}", mode & 0o777), "data folder made private (0700)");
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}
