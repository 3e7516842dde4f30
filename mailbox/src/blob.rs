//! Message bodies as encrypted files with obfuscated names.
//!
//! A blob is cut into fixed plaintext segments, each sealed with XChaCha20-Poly1305 under a key
//! derived from the node storage key and the blob id. The nonce carries the segment index and a
//! "last" flag, so segments cannot be reordered, dropped or the file truncated unnoticed, and any
//! byte range can be read by decrypting only the segments that cover it.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"WIMSBLB1";
const PREFIX_LEN: usize = 16;
const HEADER_LEN: u64 = (MAGIC.len() + PREFIX_LEN) as u64;
/// Large enough that the per-segment tag is noise (0.02 %), small enough that a partial FETCH
/// decrypts little it does not need.
pub const SEGMENT: usize = 64 * 1024;
const TAG: usize = 16;
const SEALED_SEGMENT: u64 = (SEGMENT + TAG) as u64;

/// The node's storage key: the root of every blob key and blob file name.
#[derive(Clone)]
pub struct StorageKey([u8; 32]);

impl StorageKey {
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Where blobs live and how they are named and keyed.
#[derive(Clone)]
pub struct BlobDir {
    root: PathBuf,
    key: StorageKey,
    name_key: [u8; 32],
    /// Blobs held open by a [`BodyPin`], by id; only live pins are kept.
    pinned: Arc<Mutex<HashMap<u64, Weak<File>>>>,
}

/// Keeps a blob readable while it lives: [`BlobDir::open_blob`] reads it through the open file
/// even after its name was removed (its message expunged), as an open file outlives its name.
/// A session that still shows a message another session expunged can so finish sending it.
pub struct BodyPin {
    _file: Arc<File>,
}

impl BlobDir {
    pub fn open(root: &Path, key: StorageKey) -> Result<Self> {
        fs::create_dir_all(root.join("tmp"))?;
        let name_key = blake3::derive_key("wims blob name v1", key.as_bytes());
        Ok(Self {
            root: root.to_path_buf(),
            key,
            name_key,
            pinned: Arc::default(),
        })
    }

    /// Holds blob `id` open (see [`BodyPin`]); `None` when it is gone already.
    pub fn pin(&self, id: u64) -> Result<Option<BodyPin>> {
        let mut pinned = self.pinned.lock().expect("pinned blobs");
        pinned.retain(|_, f| f.strong_count() > 0);
        if let Some(file) = pinned.get(&id).and_then(Weak::upgrade) {
            return Ok(Some(BodyPin { _file: file }));
        }
        match File::open(self.path(id)) {
            Ok(f) => {
                let file = Arc::new(f);
                pinned.insert(id, Arc::downgrade(&file));
                Ok(Some(BodyPin { _file: file }))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn key(&self) -> &StorageKey {
        &self.key
    }

    fn cipher(&self, id: u64) -> XChaCha20Poly1305 {
        let mut material = [0u8; 40];
        material[..32].copy_from_slice(self.key.as_bytes());
        material[32..].copy_from_slice(&id.to_be_bytes());
        let k = blake3::derive_key("wims blob key v1", &material);
        XChaCha20Poly1305::new(&k.into())
    }

    /// The file of blob `id`: a keyed hash, so the folder listing reveals neither ids nor order.
    pub fn path(&self, id: u64) -> PathBuf {
        let h = blake3::keyed_hash(&self.name_key, &id.to_be_bytes()).to_hex();
        let h = h.as_str();
        self.root.join(&h[..2]).join(&h[2..40])
    }

    /// Removes half-written files left by a crash, and blob files no record refers to.
    pub fn collect_garbage(&self, live: impl Iterator<Item = u64>) -> Result<usize> {
        let tmp = self.root.join("tmp");
        for e in fs::read_dir(&tmp)? {
            let _ = fs::remove_file(e?.path());
        }
        let keep: std::collections::HashSet<PathBuf> = live.map(|id| self.path(id)).collect();
        let mut removed = 0;
        for dir in fs::read_dir(&self.root)? {
            let dir = dir?;
            if dir.file_name() == "tmp" || !dir.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(dir.path())? {
                let p = f?.path();
                if !keep.contains(&p) {
                    fs::remove_file(&p)?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    pub fn create(&self, id: u64) -> Result<BlobWriter> {
        let mut prefix = [0u8; PREFIX_LEN];
        rand::rngs::OsRng.fill_bytes(&mut prefix);
        let tmp_path = self.root.join("tmp").join(format!("{id:016x}"));
        let mut file = io::BufWriter::with_capacity(
            4 * SEALED_SEGMENT as usize,
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp_path)?,
        );
        file.write_all(MAGIC)?;
        file.write_all(&prefix)?;
        Ok(BlobWriter {
            id,
            cipher: self.cipher(id),
            prefix,
            file: Some(file),
            tmp_path,
            final_path: self.path(id),
            buf: Vec::with_capacity(SEGMENT),
            segment: 0,
            len: 0,
        })
    }

    pub fn open_blob(&self, id: u64) -> Result<BlobReader> {
        let file = match File::open(self.path(id)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let pinned = self.pinned.lock().expect("pinned blobs");
                match pinned.get(&id).and_then(Weak::upgrade) {
                    // Reads are positional, so the clones' shared offset does not matter.
                    Some(f) => f.try_clone()?,
                    None => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        let file_len = file.metadata()?.len();
        let mut head = [0u8; HEADER_LEN as usize];
        file.read_exact_at(&mut head, 0)?;
        if &head[..MAGIC.len()] != MAGIC || file_len < HEADER_LEN + TAG as u64 {
            return Err(Error::Integrity);
        }
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&head[MAGIC.len()..]);
        let body = file_len - HEADER_LEN;
        let segments = body.div_ceil(SEALED_SEGMENT);
        let len = body - segments * TAG as u64;
        Ok(BlobReader {
            cipher: self.cipher(id),
            prefix,
            file,
            segments,
            len,
            pos: 0,
            cur: None,
        })
    }

    pub fn remove(&self, id: u64) -> Result<()> {
        match fs::remove_file(self.path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

fn nonce(prefix: &[u8; PREFIX_LEN], segment: u64, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..PREFIX_LEN].copy_from_slice(prefix);
    n[PREFIX_LEN..PREFIX_LEN + 6].copy_from_slice(&segment.to_be_bytes()[2..]);
    n[23] = last as u8;
    n.into()
}

/// Streams plaintext into a sealed blob. Nothing is visible under the final name until
/// [`BlobWriter::commit`] has synced it; dropping the writer removes the partial file.
pub struct BlobWriter {
    id: u64,
    cipher: XChaCha20Poly1305,
    prefix: [u8; PREFIX_LEN],
    file: Option<io::BufWriter<File>>,
    tmp_path: PathBuf,
    final_path: PathBuf,
    buf: Vec<u8>,
    segment: u64,
    len: u64,
}

impl BlobWriter {
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        let n = nonce(&self.prefix, self.segment, last);
        let sealed = self
            .cipher
            .encrypt(
                &n,
                Payload {
                    msg: &self.buf,
                    aad: &[],
                },
            )
            .map_err(|_| io::Error::other("seal"))?;
        self.file
            .as_mut()
            .expect("file present until commit")
            .write_all(&sealed)?;
        self.buf.clear();
        self.segment += 1;
        Ok(())
    }

    /// Seals the last segment, syncs and moves the file under its final name.
    pub fn commit(mut self) -> Result<u64> {
        self.seal(true)?;
        let file = self.file.take().expect("file present until commit");
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        let dir = self.final_path.parent().expect("blob path has a parent");
        fs::create_dir_all(dir)?;
        fs::rename(&self.tmp_path, &self.final_path)?;
        File::open(dir)?.sync_all()?;
        Ok(self.id)
    }
}

impl Write for BlobWriter {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let total = data.len();
        while !data.is_empty() {
            // A full buffer is sealed only once more data arrives: until then it may be the last.
            if self.buf.len() == SEGMENT {
                self.seal(false)?;
            }
            let take = (SEGMENT - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        self.len += total as u64;
        Ok(total)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

/// Random-access plaintext view of a blob; every segment is authenticated before use.
pub struct BlobReader {
    cipher: XChaCha20Poly1305,
    prefix: [u8; PREFIX_LEN],
    file: File,
    segments: u64,
    len: u64,
    pos: u64,
    cur: Option<(u64, Vec<u8>)>,
}

impl BlobReader {
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn load(&mut self, segment: u64) -> io::Result<()> {
        if matches!(&self.cur, Some((s, _)) if *s == segment) {
            return Ok(());
        }
        let off = HEADER_LEN + segment * SEALED_SEGMENT;
        let last = segment + 1 == self.segments;
        let want = if last {
            (self.len - segment * SEGMENT as u64) as usize + TAG
        } else {
            SEALED_SEGMENT as usize
        };
        let mut sealed = vec![0u8; want];
        self.file.read_exact_at(&mut sealed, off)?;
        let plain = self
            .cipher
            .decrypt(
                &nonce(&self.prefix, segment, last),
                Payload {
                    msg: &sealed,
                    aad: &[],
                },
            )
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, Error::Integrity))?;
        self.cur = Some((segment, plain));
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let seg = self.pos / SEGMENT as u64;
        self.load(seg)?;
        let (_, plain) = self.cur.as_ref().expect("segment loaded");
        let within = (self.pos - seg * SEGMENT as u64) as usize;
        let n = (plain.len() - within).min(out.len());
        out[..n].copy_from_slice(&plain[within..within + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let p = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if p < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = p as u64;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(len: usize) {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::open(dir.path(), StorageKey::generate()).unwrap();
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = blobs.create(7).unwrap();
        for c in data.chunks(1000) {
            w.write_all(c).unwrap();
        }
        w.commit().unwrap();
        let mut r = blobs.open_blob(7).unwrap();
        assert_eq!(r.len(), len as u64);
        let mut back = Vec::new();
        r.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        if len > 10 {
            let at = len as u64 / 2;
            r.seek(SeekFrom::Start(at)).unwrap();
            let mut b = [0u8; 5];
            let n = r.read(&mut b).unwrap();
            assert_eq!(&b[..n], &data[at as usize..at as usize + n]);
        }
    }

    #[test]
    fn roundtrips_at_segment_edges() {
        for len in [
            0,
            1,
            SEGMENT - 1,
            SEGMENT,
            SEGMENT + 1,
            3 * SEGMENT,
            3 * SEGMENT + 17,
        ] {
            roundtrip(len);
        }
    }

    #[test]
    fn tampering_and_truncation_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::open(dir.path(), StorageKey::generate()).unwrap();
        let mut w = blobs.create(1).unwrap();
        w.write_all(&vec![1u8; 2 * SEGMENT + 5]).unwrap();
        w.commit().unwrap();
        let path = blobs.path(1);
        let mut bytes = fs::read(&path).unwrap();
        let keep = bytes.clone();
        bytes[HEADER_LEN as usize + 3] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let mut out = Vec::new();
        assert!(blobs.open_blob(1).unwrap().read_to_end(&mut out).is_err());
        // Dropping the final segment must not look like a shorter valid blob.
        fs::write(&path, &keep[..(HEADER_LEN + 2 * SEALED_SEGMENT) as usize]).unwrap();
        let mut out = Vec::new();
        assert!(blobs.open_blob(1).unwrap().read_to_end(&mut out).is_err());
    }

    #[test]
    fn names_are_obfuscated_and_partial_writes_vanish() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::open(dir.path(), StorageKey::generate()).unwrap();
        let name = blobs
            .path(42)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        // The name depends on the storage key, so it says nothing without it.
        let other = BlobDir::open(dir.path(), StorageKey::generate()).unwrap();
        assert_ne!(other.path(42), blobs.path(42));
        assert_eq!(name.len(), 38);
        let mut w = blobs.create(42).unwrap();
        w.write_all(b"half").unwrap();
        drop(w);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert!(!blobs.path(42).exists());
    }
}
