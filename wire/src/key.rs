use std::fmt;

use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::cert::{CertBuilder, CipherSuite};
use openpgp::crypto::KeyPair;
use openpgp::packet::UserID;
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use openpgp::types::KeyFlags;

use crate::error::{Result, WireError};
use crate::policy;

/// An account's OpenPGP key, secret parts included (a TSK).
///
/// Shape: a Cv25519 certification-only primary key, an Ed25519 signing subkey and an X25519
/// subkey for transport and storage encryption, one User ID `<address>`. The primary only
/// certifies so that it can stay offline-grade while the subkeys do the daily work, and so the
/// service CA certifies one stable primary fingerprint.
///
/// The secret never leaves the hosting node: only [`AccountKey::cert`] and
/// [`AccountKey::public_armored`] are meant to be sent anywhere.
#[derive(Clone)]
pub struct AccountKey {
    cert: Cert,
    address: String,
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material, even by accident in a log line.
        f.debug_struct("AccountKey")
            .field("address", &self.address)
            .field("fingerprint", &self.cert.fingerprint().to_hex())
            .finish_non_exhaustive()
    }
}

impl AccountKey {
    /// Makes a fresh key for `address` (e.g. `bob@kapur.h`).
    pub fn generate(address: &str) -> Result<Self> {
        check_address(address)?;
        let (cert, _revocation) = CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .add_userid(UserID::from(format!("<{address}>")))
            .set_primary_key_flags(KeyFlags::empty().set_certification())
            .add_signing_subkey()
            .add_subkey(
                KeyFlags::empty()
                    .set_transport_encryption()
                    .set_storage_encryption(),
                None,
                None,
            )
            .generate()
            .map_err(WireError::pgp)?;
        Self::from_cert(cert)
    }

    /// Takes a certificate with its secret keys, checking it can sign and decrypt.
    pub fn from_cert(cert: Cert) -> Result<Self> {
        if !cert.is_tsk() {
            return Err(WireError::Key("certificate has no secret keys".into()));
        }
        let address = cert_addresses(&cert)
            .into_iter()
            .next()
            .ok_or_else(|| WireError::Key("certificate has no e-mail User ID".into()))?;
        let key = AccountKey { cert, address };
        key.signing_keypair()?;
        if key.decryption_keypairs().is_empty() {
            return Err(WireError::Key(
                "no usable secret encryption subkey".to_string(),
            ));
        }
        Ok(key)
    }

    /// Reads a secret key exported by [`AccountKey::secret_armored`] or
    /// [`AccountKey::secret_bytes`] (armored or binary, detected).
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_cert(Cert::from_bytes(bytes).map_err(WireError::pgp)?)
    }

    /// The secret key (TSK), ASCII-armored. Store it encrypted at rest; never send it.
    pub fn secret_armored(&self) -> Result<Vec<u8>> {
        self.cert
            .as_tsk()
            .armored()
            .to_vec()
            .map_err(WireError::pgp)
    }

    /// The secret key (TSK), binary OpenPGP.
    pub fn secret_bytes(&self) -> Result<Vec<u8>> {
        self.cert.as_tsk().to_vec().map_err(WireError::pgp)
    }

    /// The public certificate, ASCII-armored: what the service certifies and the directory
    /// hands out.
    pub fn public_armored(&self) -> Result<Vec<u8>> {
        cert_to_armored(&self.cert)
    }

    /// The public certificate, binary OpenPGP.
    pub fn public_bytes(&self) -> Result<Vec<u8>> {
        cert_to_bytes(&self.cert)
    }

    /// The public certificate (secret parts stripped).
    pub fn cert(&self) -> Cert {
        self.cert.clone().strip_secret_key_material()
    }

    /// The primary key's fingerprint: the account key's identity.
    pub fn fingerprint(&self) -> openpgp::Fingerprint {
        self.cert.fingerprint()
    }

    /// The account address from the User ID, e.g. `bob@kapur.h`.
    pub fn address(&self) -> &str {
        &self.address
    }

    pub(crate) fn signing_keypair(&self) -> Result<KeyPair> {
        signing_keypair(&self.cert)
    }

    pub(crate) fn decryption_keypairs(&self) -> Vec<KeyPair> {
        self.cert
            .keys()
            .unencrypted_secret()
            .with_policy(policy(), None)
            .supported()
            .revoked(false)
            .for_transport_encryption()
            .for_storage_encryption()
            .filter_map(|ka| ka.key().clone().into_keypair().ok())
            .collect()
    }
}

/// The first valid, live, unrevoked secret signing key of `cert` (an account's or the CA's).
pub(crate) fn signing_keypair(cert: &Cert) -> Result<KeyPair> {
    cert.keys()
        .unencrypted_secret()
        .with_policy(policy(), None)
        .supported()
        .alive()
        .revoked(false)
        .for_signing()
        .next()
        .ok_or_else(|| WireError::Key("no usable secret signing subkey".into()))?
        .key()
        .clone()
        .into_keypair()
        .map_err(WireError::pgp)
}

/// The e-mail addresses of a certificate's User IDs, lower-cased, in certificate order.
pub fn cert_addresses(cert: &Cert) -> Vec<String> {
    cert.userids()
        .filter_map(|uid| uid.userid().email().ok().flatten().map(str::to_lowercase))
        .collect()
}

/// Reads a public certificate (armored or binary). Secret parts, if any, are dropped.
pub fn cert_from_bytes(bytes: &[u8]) -> Result<Cert> {
    Ok(Cert::from_bytes(bytes)
        .map_err(WireError::pgp)?
        .strip_secret_key_material())
}

/// A certificate's public parts, ASCII-armored.
pub fn cert_to_armored(cert: &Cert) -> Result<Vec<u8>> {
    cert.armored().to_vec().map_err(WireError::pgp)
}

/// A certificate's public parts, binary OpenPGP.
pub fn cert_to_bytes(cert: &Cert) -> Result<Vec<u8>> {
    cert.to_vec().map_err(WireError::pgp)
}

/// True if `cert` carries `address` (case-insensitively).
pub(crate) fn cert_has_address(cert: &Cert, address: &str) -> bool {
    cert_addresses(cert)
        .iter()
        .any(|a| a.eq_ignore_ascii_case(address))
}

fn check_address(address: &str) -> Result<()> {
    let ok = address.len() <= 254
        && address
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'))
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if ok {
        Ok(())
    } else {
        Err(WireError::Key(format!(
            "not an account address: {address:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_export_import() {
        let k = AccountKey::generate("Bob@Kapur.h").unwrap();
        assert_eq!(k.address(), "bob@kapur.h");
        let armored = k.secret_armored().unwrap();
        assert!(armored.starts_with(b"-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let back = AccountKey::from_secret_bytes(&armored).unwrap();
        assert_eq!(back.fingerprint(), k.fingerprint());
        let back = AccountKey::from_secret_bytes(&k.secret_bytes().unwrap()).unwrap();
        assert_eq!(back.fingerprint(), k.fingerprint());

        let public = cert_from_bytes(&k.public_armored().unwrap()).unwrap();
        assert!(!public.is_tsk());
        assert_eq!(public.fingerprint(), k.fingerprint());
        assert_eq!(cert_from_bytes(&k.public_bytes().unwrap()).unwrap(), public);
        // A public cert is not an account key.
        assert!(matches!(
            AccountKey::from_secret_bytes(&k.public_bytes().unwrap()),
            Err(WireError::Key(_))
        ));
        assert!(!format!("{k:?}").contains("Secret"));
    }

    #[test]
    fn key_shape() {
        let k = AccountKey::generate("alice@alpha.h").unwrap();
        let p = policy();
        let vc = k.cert.with_policy(p, None).unwrap();
        let primary_flags = vc.primary_key().key_flags().unwrap();
        assert!(primary_flags.for_certification());
        assert!(!primary_flags.for_signing());
        assert!(!primary_flags.for_transport_encryption());
        assert_eq!(vc.keys().subkeys().for_signing().count(), 1);
        assert_eq!(
            vc.keys()
                .subkeys()
                .for_transport_encryption()
                .for_storage_encryption()
                .count(),
            1
        );
        for ka in vc.keys() {
            assert!(matches!(
                ka.key().pk_algo(),
                openpgp::types::PublicKeyAlgorithm::EdDSA
                    | openpgp::types::PublicKeyAlgorithm::ECDH
                    | openpgp::types::PublicKeyAlgorithm::Ed25519
                    | openpgp::types::PublicKeyAlgorithm::X25519
            ));
        }
    }

    #[test]
    fn rejects_bad_addresses() {
        for a in ["", "bob", "@x.h", "bob@", "a b@x.h", "<bob@x.h>", "a@b@c"] {
            assert!(AccountKey::generate(a).is_err(), "{a}");
        }
    }
}
