//! The server's two keys: its own libp2p identity and the network CA.

use std::path::Path;

use wire::CaKey;

use crate::error::{Result, ServiceError};

/// The server key's PeerId, as text. The overlay derives the same one from the same bytes.
pub fn peer_id(secret: &[u8; 32]) -> String {
    libp2p::identity::Keypair::ed25519_from_bytes(*secret)
        .expect("any 32 bytes are an Ed25519 secret key")
        .public()
        .to_peer_id()
        .to_string()
}

pub fn new_server_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    key
}

pub fn load_server_key(path: &Path) -> Result<[u8; 32]> {
    let bytes = std::fs::read(path).map_err(ServiceError::io(path))?;
    bytes
        .try_into()
        .map_err(|_| ServiceError::ServerKey(path.into()))
}

/// Reads a CA key file (the armored secret key, as `init` writes it).
pub fn load_ca(path: &Path) -> Result<CaKey> {
    let bytes = std::fs::read(path).map_err(ServiceError::io(path))?;
    CaKey::from_secret_bytes(&bytes).map_err(|e| ServiceError::Ca {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// The network name `init --network` gave the CA, from its User ID
/// ("NAME certificate authority").
pub fn ca_network_name(ca: &CaKey) -> Option<String> {
    let cert = ca.cert();
    let uid = cert.userids().next()?;
    let text = String::from_utf8_lossy(uid.userid().value()).into_owned();
    text.strip_suffix(" certificate authority")
        .map(str::to_string)
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_is_stable_and_key_specific() {
        let k = [7u8; 32];
        assert_eq!(peer_id(&k), peer_id(&k));
        assert!(peer_id(&k).starts_with("12D3KooW"));
        assert_ne!(peer_id(&k), peer_id(&[8u8; 32]));
    }

    #[test]
    fn network_name_comes_from_the_ca() {
        let ca = CaKey::generate("kapur net").unwrap();
        assert_eq!(ca_network_name(&ca).as_deref(), Some("kapur net"));
    }
}
