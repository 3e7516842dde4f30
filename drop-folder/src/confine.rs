//! Where drop files may take attachments from: one folder, and nothing a link leads to.
//!
//! Whoever can write a drop file names the files it attaches, and the node reads them with
//! its own rights: without a fence, `<attachment>` could send the node's keys or store to
//! anyone. Attachments are therefore opened beneath one folder only, which must not be the
//! data folder or hold it; paths with `..` are refused, and no symbolic link is followed on the
//! way (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` where the kernel has it, else
//! each component checked and the file opened with `O_NOFOLLOW`).

use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Why an attachment was not opened.
#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    /// The path leads outside the folder (`..`, another absolute path, or a link).
    #[error("outside the attachment folder")]
    Outside,
    #[error("not a regular file")]
    NotFile,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The attachment folder, opened.
#[derive(Debug)]
pub struct AttachmentFolder {
    /// Canonical path of the folder.
    root: PathBuf,
    dir: File,
}

impl AttachmentFolder {
    /// Opens `folder` (created when missing). `Err(Outside)` when it is `data_dir` or holds it.
    pub fn open(folder: &Path, data_dir: &Path) -> Result<AttachmentFolder, ConfineError> {
        std::fs::create_dir_all(folder)?;
        let root = folder.canonicalize()?;
        let data = data_dir.canonicalize()?;
        if data.starts_with(&root) {
            return Err(ConfineError::Outside);
        }
        let dir = File::open(&root)?;
        Ok(AttachmentFolder { root, dir })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `requested` as a path beneath the folder: relative to it, or absolute and inside it.
    fn beneath(&self, requested: &Path) -> Result<PathBuf, ConfineError> {
        let rel = if requested.is_absolute() {
            requested
                .strip_prefix(&self.root)
                .map_err(|_| ConfineError::Outside)?
        } else {
            requested
        };
        let mut out = PathBuf::new();
        for c in rel.components() {
            match c {
                Component::Normal(n) => out.push(n),
                Component::CurDir => {}
                _ => return Err(ConfineError::Outside),
            }
        }
        if out.as_os_str().is_empty() {
            return Err(ConfineError::NotFile);
        }
        Ok(out)
    }

    /// Opens the regular file `requested` names beneath the folder, following no link.
    pub fn open_file(&self, requested: &Path) -> Result<File, ConfineError> {
        let rel = self.beneath(requested)?;
        let f = open_beneath(&self.dir, &self.root, &rel)?;
        if !f.metadata()?.is_file() {
            return Err(ConfineError::NotFile);
        }
        Ok(f)
    }
}

#[cfg(target_os = "linux")]
fn open_beneath(dir: &File, root: &Path, rel: &Path) -> Result<File, ConfineError> {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;

    let c = CString::new(rel.as_os_str().as_bytes()).map_err(|_| ConfineError::NotFile)?;
    // SAFETY: open_how is plain data; all zero is its "no flags" value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: `c` is a valid C string, `how` a valid open_how of the size passed, and `dir`
    // an open descriptor for the duration of the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            c.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd >= 0 {
        // SAFETY: the kernel just gave us this descriptor and nothing else owns it.
        return Ok(unsafe { File::from_raw_fd(fd as i32) });
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        // A link on the way, or a path that resolves outside.
        Some(libc::ELOOP) | Some(libc::EXDEV) => Err(ConfineError::Outside),
        // Kernels before 5.6, or a sandbox that hides the call.
        Some(libc::ENOSYS) | Some(libc::EPERM) => open_walking(root, rel),
        _ => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn open_beneath(_dir: &File, root: &Path, rel: &Path) -> Result<File, ConfineError> {
    open_walking(root, rel)
}

/// Checks that no component below `root` is a link, then opens the file without following
/// one. (A component swapped for a link between the check and the open would still be
/// followed; `openat2` above has no such window.)
fn open_walking(root: &Path, rel: &Path) -> Result<File, ConfineError> {
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        if std::fs::symlink_metadata(&at)?.file_type().is_symlink() {
            return Err(ConfineError::Outside);
        }
    }
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o.open(&at).map_err(|e| match e.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ELOOP) => ConfineError::Outside,
        _ => ConfineError::Io(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, AttachmentFolder) {
        let t = tempfile::tempdir().unwrap();
        let data = t.path().join("data");
        std::fs::create_dir_all(data.join("keys")).unwrap();
        std::fs::write(data.join("keys/storage.key"), b"secret").unwrap();
        let folder = t.path().join("outbox");
        std::fs::create_dir_all(folder.join("sub")).unwrap();
        std::fs::write(folder.join("sub/a.pdf"), b"pdf").unwrap();
        let f = AttachmentFolder::open(&folder, &data).unwrap();
        (t, f)
    }

    #[test]
    fn files_beneath_the_folder_open_by_relative_or_absolute_path() {
        let (_t, f) = setup();
        assert!(f.open_file(Path::new("sub/a.pdf")).is_ok());
        assert!(f.open_file(&f.path().join("sub/./a.pdf")).is_ok());
        assert!(matches!(
            f.open_file(Path::new("sub")),
            Err(ConfineError::NotFile)
        ));
    }

    #[test]
    fn nothing_outside_is_reached() {
        let (t, f) = setup();
        let key = t.path().join("data/keys/storage.key");
        for p in [
            key.clone(),
            PathBuf::from("../data/keys/storage.key"),
            PathBuf::from("sub/../../data/keys/storage.key"),
            PathBuf::from("/etc/passwd"),
        ] {
            assert!(
                matches!(f.open_file(&p), Err(ConfineError::Outside)),
                "{}",
                p.display()
            );
        }
        // A link to the key, or a folder link leading out.
        std::os::unix::fs::symlink(&key, f.path().join("key.pdf")).unwrap();
        std::os::unix::fs::symlink(t.path().join("data"), f.path().join("d")).unwrap();
        for p in ["key.pdf", "d/keys/storage.key"] {
            assert!(
                matches!(f.open_file(Path::new(p)), Err(ConfineError::Outside)),
                "{p}"
            );
            assert!(matches!(
                open_walking(f.path(), Path::new(p)),
                Err(ConfineError::Outside)
            ));
        }
    }

    #[test]
    fn the_data_folder_or_one_holding_it_is_no_attachment_folder() {
        let t = tempfile::tempdir().unwrap();
        let data = t.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        assert!(matches!(
            AttachmentFolder::open(&data, &data),
            Err(ConfineError::Outside)
        ));
        assert!(matches!(
            AttachmentFolder::open(t.path(), &data),
            Err(ConfineError::Outside)
        ));
        assert!(AttachmentFolder::open(&data.join("drop/attachments"), &data).is_ok());
    }
}
