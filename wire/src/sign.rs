//! Detached OpenPGP signatures over the canonical encoding of wire documents.
//!
//! Every document kind signs `context || encoding` with a distinct context string, so a
//! signature made for one kind (a receipt) can never be presented as another (a manifest)
//! even if the two encodings happened to coincide.

use std::io::Write;

use sequoia_openpgp as openpgp;

use openpgp::crypto::KeyPair;
use openpgp::parse::Parse;
use openpgp::parse::stream::{
    DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationHelper,
};
use openpgp::serialize::stream::{Message, Signer};
use openpgp::types::HashAlgorithm;
use openpgp::{Cert, KeyHandle};

use crate::error::{Result, WireError};
use crate::{AccountKey, policy};

/// Upper bound on a detached signature we are willing to parse. One Ed25519 signature with
/// its subpackets is ~150 bytes.
const MAX_SIGNATURE_BYTES: usize = 4096;

pub(crate) fn sign_detached(key: &AccountKey, context: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    sign_with(key.signing_keypair()?, context, data)
}

/// Signs `context || data` with one signing key pair (an account's or the network CA's).
pub(crate) fn sign_with(keypair: KeyPair, context: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let message = Message::new(&mut out);
    let mut signer = Signer::new(message, keypair)
        .map_err(WireError::pgp)?
        .hash_algo(HashAlgorithm::SHA512)
        .map_err(WireError::pgp)?
        .detached()
        .build()
        .map_err(WireError::pgp)?;
    signer.write_all(context)?;
    signer.write_all(data)?;
    signer.finalize().map_err(WireError::pgp)?;
    Ok(out)
}

/// Checks `signature` is a good signature by `signer` over `context || data`. The error text
/// says why not; callers wrap it into the variant for their document kind.
pub(crate) fn verify_detached(
    signer: &Cert,
    context: &[u8],
    data: &[u8],
    signature: &[u8],
) -> std::result::Result<(), String> {
    if signature.len() > MAX_SIGNATURE_BYTES {
        return Err("signature too large".into());
    }
    let helper = OneSigner {
        cert: signer,
        good: false,
    };
    let mut verifier = DetachedVerifierBuilder::from_bytes(signature)
        .map_err(|e| format!("{e:#}"))?
        .with_policy(policy(), None, helper)
        .map_err(|e| format!("{e:#}"))?;
    verifier
        .verify_reader(std::io::Read::chain(context, data))
        .map_err(|e| format!("{e:#}"))?;
    if verifier.helper_ref().good {
        Ok(())
    } else {
        Err("no good signature".into())
    }
}

/// Accepts exactly the signatures made by one certificate; at least one must be good.
struct OneSigner<'a> {
    cert: &'a Cert,
    good: bool,
}

impl VerificationHelper for OneSigner<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(vec![self.cert.clone()])
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut first_error = None;
        for layer in structure {
            match layer {
                MessageLayer::SignatureGroup { results } => {
                    for r in results {
                        match r {
                            Ok(good) if good.ka.cert().fingerprint() == self.cert.fingerprint() => {
                                self.good = true
                            }
                            Ok(_) => {}
                            Err(e) => {
                                first_error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                }
                _ => return Err(anyhow::anyhow!("unexpected layer in a detached signature")),
            }
        }
        if self.good {
            Ok(())
        } else {
            Err(anyhow::anyhow!(
                first_error.unwrap_or_else(|| "no signature".into())
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_separate_document_kinds() {
        let k = AccountKey::generate("alice@alpha.h").unwrap();
        let sig = sign_detached(&k, b"wims manifest\0", b"doc").unwrap();
        assert!(sig.len() < MAX_SIGNATURE_BYTES);
        verify_detached(&k.cert(), b"wims manifest\0", b"doc", &sig).unwrap();
        assert!(verify_detached(&k.cert(), b"wims receipt\0", b"doc", &sig).is_err());
        assert!(verify_detached(&k.cert(), b"wims manifest\0", b"dog", &sig).is_err());
        let other = AccountKey::generate("carol@gamma.h").unwrap();
        assert!(verify_detached(&other.cert(), b"wims manifest\0", b"doc", &sig).is_err());
    }
}
