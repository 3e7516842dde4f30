//! The service network's certificate authority.
//!
//! One OpenPGP key per service network, shared by all its service servers. Its primary key
//! certifies account certificates (an ordinary OpenPGP third-party certification of the
//! account's `<address>` User ID); its signing subkey signs the network's own documents
//! (authorization tokens, directory records). Nodes pin its certificate from the account
//! profile and trust nothing the network says that it did not sign.

use std::fmt;

use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::cert::{CertBuilder, CipherSuite};
use openpgp::crypto::KeyPair;
use openpgp::packet::UserID;
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use openpgp::types::{HashAlgorithm, KeyFlags, SignatureType};

use crate::error::{Result, WireError};
use crate::key::cert_has_address;
use crate::sign::{sign_with, verify_detached};

/// The network CA's key, secret parts included. Lives only on service servers.
#[derive(Clone)]
pub struct CaKey {
    cert: Cert,
}

impl fmt::Debug for CaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaKey")
            .field("fingerprint", &self.cert.fingerprint().to_hex())
            .finish_non_exhaustive()
    }
}

impl CaKey {
    /// Makes a new CA for the network called `network` (only a label in the User ID).
    pub fn generate(network: &str) -> Result<Self> {
        let (cert, _revocation) = CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .add_userid(UserID::from(format!("{network} certificate authority")))
            .set_primary_key_flags(KeyFlags::empty().set_certification())
            .add_signing_subkey()
            .generate()
            .map_err(WireError::pgp)?;
        Self::from_cert(cert)
    }

    pub fn from_cert(cert: Cert) -> Result<Self> {
        if !cert.is_tsk() {
            return Err(WireError::Key("CA certificate has no secret keys".into()));
        }
        let ca = CaKey { cert };
        ca.certification_keypair()?;
        ca.signing_keypair()?;
        Ok(ca)
    }

    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_cert(Cert::from_bytes(bytes).map_err(WireError::pgp)?)
    }

    /// The whole key, secrets included, ASCII-armored: for the CA file on service servers.
    pub fn secret_armored(&self) -> Result<Vec<u8>> {
        self.cert
            .as_tsk()
            .armored()
            .to_vec()
            .map_err(WireError::pgp)
    }

    /// The public certificate that nodes pin.
    pub fn cert(&self) -> Cert {
        self.cert.clone().strip_secret_key_material()
    }

    pub fn fingerprint(&self) -> openpgp::Fingerprint {
        self.cert.fingerprint()
    }

    /// Returns `account` with the CA's certification of its `<address>` User ID added.
    pub fn certify(&self, account: &Cert, address: &str) -> Result<Cert> {
        let uid = account
            .userids()
            .find(|u| {
                u.userid()
                    .email()
                    .ok()
                    .flatten()
                    .is_some_and(|e| e.eq_ignore_ascii_case(address))
            })
            .ok_or_else(|| WireError::AddressMismatch {
                claimed: address.to_string(),
            })?;
        let mut signer = self.certification_keypair()?;
        let sig = uid
            .userid()
            .certify(
                &mut signer,
                account,
                SignatureType::GenericCertification,
                HashAlgorithm::SHA512,
                None,
            )
            .map_err(WireError::pgp)?;
        let (cert, _) = account
            .clone()
            .strip_secret_key_material()
            .insert_packets(sig)
            .map_err(WireError::pgp)?;
        Ok(cert)
    }

    /// Signs a network document: `context || body`.
    pub(crate) fn sign(&self, context: &[u8], body: &[u8]) -> Result<Vec<u8>> {
        sign_with(self.signing_keypair()?, context, body)
    }

    fn certification_keypair(&self) -> Result<KeyPair> {
        self.cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .map_err(WireError::pgp)?
            .into_keypair()
            .map_err(WireError::pgp)
    }

    fn signing_keypair(&self) -> Result<KeyPair> {
        crate::key::signing_keypair(&self.cert)
    }
}

/// True if `ca` has certified that `account` belongs to `address`.
pub fn is_certified(account: &Cert, address: &str, ca: &Cert) -> bool {
    if !cert_has_address(account, address) {
        return false;
    }
    let ca_primary = ca.primary_key().key();
    account.userids().any(|ua| {
        let uid = ua.userid();
        uid.email()
            .ok()
            .flatten()
            .is_some_and(|e| e.eq_ignore_ascii_case(address))
            && ua.certifications().any(|sig| {
                sig.verify_userid_binding(ca_primary, account.primary_key().key(), uid)
                    .is_ok()
            })
    })
}

/// Checks a network document's signature by the CA.
pub(crate) fn verify_ca(
    ca: &Cert,
    context: &[u8],
    body: &[u8],
    signature: &[u8],
) -> std::result::Result<(), String> {
    verify_detached(ca, context, body, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountKey;

    #[test]
    fn certifies_accounts_and_nothing_else() {
        let ca = CaKey::generate("test").unwrap();
        let bob = AccountKey::generate("bob@beta.h").unwrap();
        assert!(!is_certified(&bob.cert(), "bob@beta.h", &ca.cert()));
        let certified = ca.certify(&bob.cert(), "bob@beta.h").unwrap();
        assert!(!certified.is_tsk());
        assert_eq!(certified.fingerprint(), bob.fingerprint());
        assert!(is_certified(&certified, "bob@beta.h", &ca.cert()));
        assert!(is_certified(&certified, "BOB@beta.h", &ca.cert()));
        assert!(!is_certified(&certified, "carol@beta.h", &ca.cert()));

        // Another CA's certification does not count, nor does a self-made one.
        let other = CaKey::generate("other").unwrap();
        let forged = other.certify(&bob.cert(), "bob@beta.h").unwrap();
        assert!(!is_certified(&forged, "bob@beta.h", &ca.cert()));
        assert!(ca.certify(&bob.cert(), "carol@beta.h").is_err());

        let back = CaKey::from_secret_bytes(&ca.secret_armored().unwrap()).unwrap();
        assert_eq!(back.fingerprint(), ca.fingerprint());
        assert!(CaKey::from_secret_bytes(&crate::cert_to_bytes(&ca.cert()).unwrap()).is_err());
    }
}
