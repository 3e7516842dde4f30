//! The account profile: what an operator hands to whoever hosts a new account.
//!
//! A TOML file made by `wims-service account create` and read by `wims account host`. It
//! holds the one-time hosting secret, so it is a secret until the account is hosted.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WireError};
use crate::network::ServerAddr;
use crate::{Cert, cert_from_bytes};

/// The profile format this build writes and reads.
pub const PROFILE_VERSION: u16 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProfile {
    pub version: u16,
    pub address: String,
    pub display_name: String,
    /// Lowercase hex of the one-time hosting secret.
    pub hosting_secret: String,
    /// The network CA's certificate, ASCII-armored: the trust anchor the node pins.
    pub ca_cert: String,
    /// The network's service servers, the account's home server first.
    pub servers: Vec<ServerAddr>,
}

impl AccountProfile {
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| WireError::invalid("account profile", e.to_string()))
    }

    pub fn from_toml(text: &str) -> Result<Self> {
        let p: AccountProfile = toml::from_str(text)
            .map_err(|e| WireError::invalid("account profile", e.to_string()))?;
        if p.version != PROFILE_VERSION {
            return Err(WireError::UnsupportedVersion {
                found: p.version,
                supported: PROFILE_VERSION,
            });
        }
        if p.servers.is_empty() {
            return Err(WireError::invalid("account profile", "no service servers"));
        }
        p.ca()?;
        p.secret()?;
        Ok(p)
    }

    pub fn ca(&self) -> Result<Cert> {
        cert_from_bytes(self.ca_cert.as_bytes())
    }

    pub fn secret(&self) -> Result<Vec<u8>> {
        let s = self.hosting_secret.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(WireError::invalid(
                "account profile",
                "hosting secret is not 64 hex digits",
            ));
        }
        Ok((0..32)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaKey;

    #[test]
    fn round_trip_and_validation() {
        let ca = CaKey::generate("t").unwrap();
        let p = AccountProfile {
            version: PROFILE_VERSION,
            address: "bob@beta.h".into(),
            display_name: "Bob".into(),
            hosting_secret: "ab".repeat(32),
            ca_cert: String::from_utf8(crate::cert_to_armored(&ca.cert()).unwrap()).unwrap(),
            servers: vec![ServerAddr {
                peer_id: "12D3KooW".into(),
                addrs: vec!["/ip4/127.0.0.1/udp/4100/quic-v1".into()],
            }],
        };
        let text = p.to_toml().unwrap();
        let back = AccountProfile::from_toml(&text).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.secret().unwrap(), vec![0xab; 32]);
        assert_eq!(back.ca().unwrap().fingerprint(), ca.fingerprint());
        assert!(AccountProfile::from_toml(&text.replace(&"ab".repeat(32), "xyz")).is_err());
        assert!(AccountProfile::from_toml("version = 2").is_err());
    }
}
