//! Operator tokens of the monitor endpoint: made by `wims monitor-token`, shown once, and kept
//! only as BLAKE3 hashes in `monitor/tokens` of the data folder (0600), one per line. A token
//! is 32 random bytes, so a fast hash is enough: nobody can search that space, and the file
//! alone lets no one in. The running node reads the file at each operator hello, so a new or
//! revoked token counts at once.

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// Every operator token starts with this, so a token pasted in the wrong place is recognised.
pub const PREFIX: &str = "wmt_";

/// Where the hashes are kept in the data folder.
pub fn tokens_file(data_dir: &Path) -> PathBuf {
    data_dir.join("monitor").join("tokens")
}

fn hash(token: &str) -> blake3::Hash {
    blake3::hash(token.as_bytes())
}

/// A new random token.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn read_hashes(file: &Path) -> io::Result<Vec<blake3::Hash>> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| blake3::Hash::from_hex(l.trim()).ok())
        .collect())
}

/// Makes a token, adds its hash to the file (replacing every earlier one with `replace`), and
/// returns the token: the only time it exists in the clear.
pub fn issue(data_dir: &Path, replace: bool) -> io::Result<String> {
    let file = tokens_file(data_dir);
    let mut hashes = if replace {
        Vec::new()
    } else {
        read_hashes(&file)?
    };
    let token = generate();
    hashes.push(hash(&token));
    let text: String = hashes.iter().map(|h| format!("{}\n", h.to_hex())).collect();
    daemon::files::create_private_dir(file.parent().unwrap_or(data_dir))?;
    daemon::files::replace_secret(&file, text.as_bytes())?;
    Ok(token)
}

/// Removes every token.
pub fn revoke_all(data_dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(tokens_file(data_dir)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Whether `token` is one the operator made and did not revoke.
pub fn is_valid(data_dir: &Path, token: &str) -> bool {
    if !token.starts_with(PREFIX) {
        return false;
    }
    let wanted = hash(token);
    match read_hashes(&tokens_file(data_dir)) {
        // blake3::Hash compares in constant time.
        Ok(hashes) => hashes.iter().fold(false, |ok, h| ok | (*h == wanted)),
        Err(e) => {
            tracing::warn!(error = %e, "monitor token file unreadable");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_as_hashes_and_can_be_revoked() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_valid(dir.path(), "wmt_nothing"));
        let a = issue(dir.path(), false).unwrap();
        let b = issue(dir.path(), false).unwrap();
        assert!(a.starts_with(PREFIX) && a.len() > 40 && a != b);
        assert!(is_valid(dir.path(), &a) && is_valid(dir.path(), &b));
        let stored = std::fs::read_to_string(tokens_file(dir.path())).unwrap();
        assert!(!stored.contains(&a[PREFIX.len()..]));
        assert_eq!(stored.lines().count(), 2);
        let c = issue(dir.path(), true).unwrap();
        assert!(!is_valid(dir.path(), &a) && is_valid(dir.path(), &c));
        assert!(!is_valid(dir.path(), &c[..c.len() - 1]));
        revoke_all(dir.path()).unwrap();
        assert!(!is_valid(dir.path(), &c));
        revoke_all(dir.path()).unwrap();
    }
}
