//! Small secrets (account keys) sealed with the storage key, so that a copy of the node's
//! key files without the storage key (a backup of `keys/accounts/`, a file sent by mistake)
//! gives nothing away.
//!
//! Format: `WIMSKWR1`, a 24-byte random nonce, then XChaCha20-Poly1305 of the secret under a key
//! derived from the storage key for this purpose only; the caller's context (the account's
//! address) is bound in as associated data, so one wrapped key cannot stand in for another.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::Store;
use crate::blob::StorageKey;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"WIMSKWR1";
const NONCE: usize = 24;
const KEY_CONTEXT: &str = "wims 2026 secret wrapping v1";

fn cipher(key: &StorageKey) -> XChaCha20Poly1305 {
    let k = blake3::derive_key(KEY_CONTEXT, key.as_bytes());
    XChaCha20Poly1305::new(&k.into())
}

/// Whether `bytes` is a wrapped secret (else it is one written before wrapping existed).
pub fn is_wrapped(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

fn wrap(key: &StorageKey, context: &[u8], secret: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(key)
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: context,
            },
        )
        .expect("XChaCha20-Poly1305 seals any length we hand it");
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

fn unwrap(key: &StorageKey, context: &[u8], wrapped: &[u8]) -> Result<Vec<u8>> {
    let rest = wrapped.strip_prefix(MAGIC).ok_or(Error::Integrity)?;
    if rest.len() < NONCE {
        return Err(Error::Integrity);
    }
    let (nonce, sealed) = rest.split_at(NONCE);
    cipher(key)
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: context,
            },
        )
        .map_err(|_| Error::Integrity)
}

impl Store {
    /// `secret` sealed with the storage key, bound to `context`.
    pub fn wrap_secret(&self, context: &[u8], secret: &[u8]) -> Vec<u8> {
        wrap(self.inner.blobs.key(), context, secret)
    }

    /// The secret [`Store::wrap_secret`] sealed for `context`; [`Error::Integrity`] when it was
    /// sealed for another context, with another storage key, or altered.
    pub fn unwrap_secret(&self, context: &[u8], wrapped: &[u8]) -> Result<Vec<u8>> {
        unwrap(self.inner.blobs.key(), context, wrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_secrets_open_only_with_their_key_and_context() {
        let key = StorageKey::generate();
        let w = wrap(&key, b"alice@a.h", b"secret key bytes");
        assert!(is_wrapped(&w));
        assert!(!w.windows(6).any(|x| x == b"secret"));
        assert_eq!(unwrap(&key, b"alice@a.h", &w).unwrap(), b"secret key bytes");
        assert!(unwrap(&key, b"bob@a.h", &w).is_err());
        assert!(unwrap(&StorageKey::generate(), b"alice@a.h", &w).is_err());
        let mut bent = w.clone();
        *bent.last_mut().unwrap() ^= 1;
        assert!(unwrap(&key, b"alice@a.h", &bent).is_err());
        assert!(unwrap(&key, b"alice@a.h", &w[..20]).is_err());
        assert!(!is_wrapped(b"-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        // Two wrappings of one secret differ (fresh nonce).
        assert_ne!(
            wrap(&key, b"alice@a.h", b"s"),
            wrap(&key, b"alice@a.h", b"s")
        );
    }
}
