//! Sealed chunks on disk, in one folder per message: the sender's spool, the receiver's
//! spool and a service server's held parts all keep them the same way. The chunks are
//! OpenPGP ciphertext already, so they need no further encryption; one file per chunk lets
//! a transfer resume at any chunk and keeps memory flat.
//!
//! Every file is written to a temporary name, synced and renamed, so after a crash it is
//! either absent or whole.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::manifest::{Manifest, SignedManifest, hash_chunk};

const MANIFEST: &str = "manifest";

fn chunk_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("{index:08}.chunk"))
}

/// Writes a file so that it is either absent or whole, even across a crash.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

pub fn put_chunk(dir: &Path, index: u32, data: &[u8]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_atomic(&chunk_path(dir, index), data)
}

/// Writes the chunks of a message being sealed, which nothing refers to until the manifest
/// follows them: each goes to its file at once, and a thread of its own makes the files
/// durable one after another while the sealer goes on, so sealing does not wait for the disk
/// chunk by chunk. [`SyncBehind::finish`] returns once every file and the folder are on disk;
/// only then may the manifest be written. A crash before that leaves no manifest, and the
/// message is sealed again.
pub struct SyncBehind {
    dir: PathBuf,
    files: Option<mpsc::SyncSender<File>>,
    syncer: Option<JoinHandle<io::Result<()>>>,
}

impl SyncBehind {
    /// Files written but not yet synced, at most: they hold no memory of ours, only the
    /// kernel's dirty pages, which this bounds.
    const BEHIND: usize = 4;

    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (files, rx) = mpsc::sync_channel::<File>(Self::BEHIND);
        let syncer = std::thread::Builder::new()
            .name("chunk-sync".into())
            .spawn(move || {
                // The first failure is kept; the files after it are dropped unsynced, and
                // the sealing fails at `finish`.
                let mut result = Ok(());
                for f in rx {
                    if result.is_ok() {
                        result = f.sync_all();
                    }
                }
                result
            })?;
        Ok(SyncBehind {
            dir: dir.to_path_buf(),
            files: Some(files),
            syncer: Some(syncer),
        })
    }

    pub fn put_chunk(&mut self, index: u32, data: &[u8]) -> io::Result<()> {
        let mut f = File::create(chunk_path(&self.dir, index))?;
        f.write_all(data)?;
        let gone = || io::Error::other("chunk sync thread ended");
        self.files
            .as_ref()
            .ok_or_else(gone)?
            .send(f)
            .map_err(|_| gone())
    }

    /// Waits until every chunk written is durable, with the folder's entries.
    pub fn finish(mut self) -> io::Result<()> {
        self.files.take();
        let synced = self
            .syncer
            .take()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("chunk sync thread panicked")))
            })
            .unwrap_or(Ok(()));
        synced?;
        File::open(&self.dir)?.sync_all()
    }
}

impl Drop for SyncBehind {
    fn drop(&mut self) {
        self.files.take();
        if let Some(h) = self.syncer.take() {
            let _ = h.join();
        }
    }
}

pub fn read_chunk(dir: &Path, index: u32) -> io::Result<Vec<u8>> {
    std::fs::read(chunk_path(dir, index))
}

pub fn has_chunk(dir: &Path, index: u32) -> bool {
    chunk_path(dir, index).is_file()
}

/// Removes one chunk (a damaged one, say); a missing file is not an error.
pub fn remove_chunk(dir: &Path, index: u32) -> io::Result<()> {
    match std::fs::remove_file(chunk_path(dir, index)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

pub fn put_manifest(dir: &Path, signed: &SignedManifest) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = crate::proto::encode(signed).map_err(io::Error::other)?;
    write_atomic(&dir.join(MANIFEST), &bytes)
}

pub fn read_manifest(dir: &Path) -> io::Result<Option<SignedManifest>> {
    match std::fs::read(dir.join(MANIFEST)) {
        Ok(b) => crate::proto::decode(&b).map(Some).map_err(io::Error::other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether chunk `index` is in `dir` whole and intact.
pub fn chunk_ok(dir: &Path, manifest: &Manifest, index: u32) -> bool {
    match read_chunk(dir, index) {
        Ok(data) => {
            manifest.chunk_len(index) == Some(data.len())
                && hash_chunk(&data) == manifest.chunk_hashes[index as usize]
        }
        Err(_) => false,
    }
}

/// Indices of the chunks of `manifest` not yet in `dir` whole and intact. A damaged file
/// (a crash mid-write cannot leave one, a disk fault can) counts as missing.
pub fn missing(dir: &Path, manifest: &Manifest) -> Vec<u32> {
    (0..manifest.chunk_hashes.len() as u32)
        .filter(|&i| !chunk_ok(dir, manifest, i))
        .collect()
}

/// Indices of the chunk files present in `dir`, of `count`, without reading them.
pub fn present(dir: &Path, count: u32) -> Vec<u32> {
    (0..count).filter(|&i| has_chunk(dir, i)).collect()
}

/// Chunks in order, for the unsealer, read one at a time.
pub fn chunks(dir: &Path, count: u32) -> impl Iterator<Item = io::Result<Vec<u8>>> + Send + use<> {
    let dir = dir.to_path_buf();
    (0..count).map(move |i| read_chunk(&dir, i))
}

/// Removes the folder and everything in it; a missing folder is not an error.
pub fn remove_dir(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The folder name for a message under some key (a recipient and message id, a job key):
/// a hash, so neither addresses nor ids show in file names.
pub fn dir_name(key: &str) -> String {
    let name = blake3::hash(key.as_bytes()).to_hex();
    name[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountKey;
    use crate::seal::{SealOptions, seal};

    #[test]
    fn missing_present_and_damaged_chunks() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m");
        let alice = AccountKey::generate("alice@a.h").unwrap();
        let bob = AccountKey::generate("bob@b.h").unwrap();
        let body = vec![7u8; 300 * 1024];
        let options = SealOptions {
            chunk_size: crate::manifest::MIN_CHUNK_SIZE,
            ..SealOptions::default()
        };
        let sealed = seal(
            &body[..],
            &alice,
            &[bob.cert()],
            &options,
            |i: u32, d: &[u8], _h: &crate::ChunkHash| put_chunk(&dir, i, d),
        )
        .unwrap();
        put_manifest(&dir, &sealed.signed).unwrap();
        let m = &sealed.manifest;
        let n = m.chunk_hashes.len() as u32;
        assert!(n >= 4);
        assert!(missing(&dir, m).is_empty());
        assert_eq!(present(&dir, n).len() as u32, n);
        std::fs::write(chunk_path(&dir, 1), b"garbage").unwrap();
        remove_chunk(&dir, 2).unwrap();
        assert_eq!(missing(&dir, m), vec![1, 2]);
        assert_eq!(present(&dir, n).len() as u32, n - 1);
        assert_eq!(read_manifest(&dir).unwrap().unwrap(), sealed.signed);
        remove_dir(&dir).unwrap();
        assert!(read_manifest(&dir).unwrap().is_none());

        // Written behind a sync thread: the same files, once finished.
        let mut behind = SyncBehind::new(&dir).unwrap();
        let again = seal(
            &body[..],
            &alice,
            &[bob.cert()],
            &options,
            |i: u32, d: &[u8], _h: &crate::ChunkHash| behind.put_chunk(i, d),
        )
        .unwrap();
        behind.finish().unwrap();
        put_manifest(&dir, &again.signed).unwrap();
        assert!(missing(&dir, &again.manifest).is_empty());
        remove_dir(&dir).unwrap();
        assert!(read_manifest(&dir).unwrap().is_none());
        remove_dir(&dir).unwrap();
    }
}
