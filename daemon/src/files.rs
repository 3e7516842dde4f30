//! Files in a data folder. It holds mail, password hashes and keys, so everything a program
//! creates there is its owner's alone, and a file others read is never seen half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What every program's data folder has: files that exist only while it runs, and paths in
/// its configuration that are relative to it. Each program's own layout derefs to this.
#[derive(Clone, Debug)]
pub struct DataRoot {
    pub root: PathBuf,
}

impl DataRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataRoot { root: root.into() }
    }
    /// Files that exist only while the program runs.
    pub fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    /// Where the running program says what it listens on; written last, so its presence
    /// means the program is ready.
    pub fn endpoints(&self) -> PathBuf {
        self.run_dir().join("endpoints.json")
    }
    pub fn admin_socket(&self) -> PathBuf {
        self.run_dir().join("admin.sock")
    }
    /// A relative path from the configuration is relative to the data folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }
}

/// Declares a program's data folder type: a [`DataRoot`] to which the program adds the paths
/// of its own files in an `impl` of its own.
#[macro_export]
macro_rules! data_dir {
    ($(#[$m:meta])* $vis:vis $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug)]
        $vis struct $name($crate::files::DataRoot);

        /// `root`, `run_dir()`, `endpoints()`, `admin_socket()`, `resolve()`.
        impl ::std::ops::Deref for $name {
            type Target = $crate::files::DataRoot;
            fn deref(&self) -> &$crate::files::DataRoot {
                &self.0
            }
        }

        impl $name {
            pub fn new(root: impl Into<::std::path::PathBuf>) -> Self {
                $name($crate::files::DataRoot::new(root))
            }
        }
    };
}

/// Every file and folder this process creates is its owner's alone (mode 0600 / 0700). Called
/// before any thread starts.
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

/// Writes a file only the owner can read, creating its folder.
pub fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_owner_only(path, bytes, false)
}

/// As [`write_secret`], but refuses to replace an existing file, so a second `init` or a
/// mistyped `--out` never destroys a key.
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_owner_only(path, bytes, true)
}

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

/// Replaces `path` atomically (write a sibling, rename), so a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn write_owner_only(path: &Path, bytes: &[u8], new: bool) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if new {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_owner_only_and_new_ones_never_replace() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("keys/a.key");
        write_new_secret(&key, b"one").unwrap();
        assert!(write_new_secret(&key, b"two").is_err());
        assert_eq!(std::fs::read(&key).unwrap(), b"one");
        replace_secret(&key, b"three").unwrap();
        assert_eq!(std::fs::read(&key).unwrap(), b"three");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        make_private(&open).unwrap();
        let mode = std::fs::metadata(&open).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let root = DataRoot::new(dir.path());
        assert_eq!(root.resolve(Path::new("/x")), Path::new("/x"));
        assert_eq!(root.resolve(Path::new("x")), dir.path().join("x"));
    }
}
