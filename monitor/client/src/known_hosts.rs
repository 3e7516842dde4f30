//! Trust on first use, as SSH does: the SHA-256 fingerprint of each node's certificate is
//! kept in a known-hosts file, one `host:port fingerprint` line per node. A node whose
//! certificate is not in the file is not trusted until the person (or `--accept-certificate`)
//! says so; a node that presents another certificate than the one kept is refused.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ClientError;

/// The file is small; anything larger is not one this program wrote.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The SHA-256 of a certificate's DER bytes, shown as `openssl x509 -fingerprint -sha256` and
/// `wims` show it: `AB:CD:…`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }

    /// Takes the colon form, bare hex, either case, with or without a `sha256:` prefix.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let text = text.trim();
        let text = text
            .strip_prefix("sha256:")
            .or_else(|| text.strip_prefix("SHA256:"))
            .unwrap_or(text);
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).ok()?;
            out[i] = u8::from_str_radix(s, 16).ok()?;
        }
        Some(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The known-hosts file. Lines that do not parse are kept as they are and otherwise ignored.
#[derive(Clone, Debug)]
pub struct KnownHosts {
    path: PathBuf,
}

impl KnownHosts {
    pub fn new(path: impl Into<PathBuf>) -> KnownHosts {
        KnownHosts { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<String, ClientError> {
        let err = |e: io::Error| ClientError::KnownHosts {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        };
        let file = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(String::new()),
            Err(e) => return Err(err(e)),
        };
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(err)?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(err(io::Error::other("file too large")));
        }
        Ok(text)
    }

    /// The fingerprint kept for `key` (`host:port`).
    pub fn get(&self, key: &str) -> Result<Option<Fingerprint>, ClientError> {
        Ok(self.read()?.lines().find_map(|line| {
            let mut parts = line.split_whitespace();
            (parts.next() == Some(key))
                .then(|| parts.next().and_then(Fingerprint::parse))
                .flatten()
        }))
    }

    /// Keeps `fp` for `key`, replacing what was kept for it. Written to a new file that
    /// replaces the old one, readable by the owner only.
    pub fn set(&self, key: &str, fp: Fingerprint) -> Result<(), ClientError> {
        let err = |e: io::Error| ClientError::KnownHosts {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        };
        let old = self.read()?;
        let mut text: String = old
            .lines()
            .filter(|l| l.split_whitespace().next() != Some(key))
            .flat_map(|l| [l, "\n"])
            .collect();
        text.push_str(&format!("{key} {fp}\n"));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = self.path.with_extension("new");
        let mut f = private_file(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        fs::rename(&tmp, &self.path).map_err(err)
    }
}

fn private_file(path: &Path) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_print_and_parse_in_every_usual_form() {
        let fp = Fingerprint::of(b"certificate");
        let shown = fp.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert_eq!(Fingerprint::parse(&shown), Some(fp));
        assert_eq!(Fingerprint::parse(&shown.to_lowercase()), Some(fp));
        assert_eq!(Fingerprint::parse(&shown.replace(':', "")), Some(fp));
        assert_eq!(Fingerprint::parse(&format!("sha256:{shown}")), Some(fp));
        assert_eq!(Fingerprint::parse("AB:CD"), None);
        assert_eq!(Fingerprint::parse(&"zz".repeat(32)), None);
    }

    #[test]
    fn entries_are_kept_replaced_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let kh = KnownHosts::new(dir.path().join("sub/known_hosts"));
        assert_eq!(kh.get("a:1").unwrap(), None);
        let (one, two) = (Fingerprint::of(b"one"), Fingerprint::of(b"two"));
        kh.set("a:1", one).unwrap();
        kh.set("b:2", two).unwrap();
        assert_eq!(kh.get("a:1").unwrap(), Some(one));
        kh.set("a:1", two).unwrap();
        assert_eq!(kh.get("a:1").unwrap(), Some(two));
        assert_eq!(kh.get("b:2").unwrap(), Some(two));
        let text = fs::read_to_string(kh.path()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(kh.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
