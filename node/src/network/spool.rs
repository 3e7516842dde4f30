//! Sealed chunks on disk: outgoing messages waiting to be sent, incoming ones still being
//! received. The chunks are OpenPGP ciphertext already, so they need no further encryption;
//! one file per chunk lets a transfer resume at any chunk and keeps memory flat.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use wire::{Manifest, SignedManifest};

pub struct Spool {
    root: PathBuf,
}

impl Spool {
    pub fn new(root: PathBuf) -> Self {
        Spool { root }
    }

    /// The folder of one transfer; `kind` is "out" or "in", `key` any job key.
    pub fn dir(&self, kind: &str, key: &str) -> PathBuf {
        let name = blake3::hash(key.as_bytes()).to_hex();
        self.root.join(kind).join(&name[..32])
    }
}

fn chunk_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("{index:08}.chunk"))
}

/// Writes a file so that it is either absent or whole, even across a crash.
fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
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

pub fn read_chunk(dir: &Path, index: u32) -> io::Result<Vec<u8>> {
    std::fs::read(chunk_path(dir, index))
}

pub fn put_manifest(dir: &Path, signed: &SignedManifest) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = wire::proto::encode(signed).map_err(io::Error::other)?;
    write_atomic(&dir.join("manifest"), &bytes)
}

pub fn read_manifest(dir: &Path) -> io::Result<Option<SignedManifest>> {
    match std::fs::read(dir.join("manifest")) {
        Ok(b) => wire::proto::decode(&b).map(Some).map_err(io::Error::other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Indices of the chunks of `manifest` not yet in `dir` whole and intact. A damaged file
/// (a crash mid-write cannot leave one, a disk fault can) counts as missing.
pub fn missing(dir: &Path, manifest: &Manifest) -> Vec<u32> {
    (0..manifest.chunk_hashes.len() as u32)
        .filter(|&i| match read_chunk(dir, i) {
            Ok(data) => {
                manifest.chunk_len(i) != Some(data.len())
                    || wire::hash_chunk(&data) != manifest.chunk_hashes[i as usize]
            }
            Err(_) => true,
        })
        .collect()
}

/// Chunks in order, for the unsealer, read one at a time.
pub fn chunks(dir: &Path, count: u32) -> impl Iterator<Item = io::Result<Vec<u8>>> + Send + use<> {
    let dir = dir.to_path_buf();
    (0..count).map(move |i| read_chunk(&dir, i))
}

pub fn remove(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), error = %e, "spool folder not removed");
    }
}
