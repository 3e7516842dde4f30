//! WIMS wire types and sealed messages.
//!
//! This crate is the single definition of what travels between nodes and service servers:
//! account keys, sealed (signed + encrypted) messages cut into fixed-size chunks, the signed
//! manifest that lists them, and signed receipts. It does no networking, so the overlay and the
//! service servers share one format instead of two copies that drift apart.
//!
//! Format and rationale: `docs/protocol.md` ("Sealed messages"); backends and algorithms:
//! `docs/crypto.md`.
//!
//! Exactly one OpenPGP backend must be enabled: `crypto-rust` (default, no system packages) or
//! `crypto-openssl` (constant-time, for production builds).

#[cfg(all(feature = "crypto-rust", feature = "crypto-openssl"))]
compile_error!(
    "wire: enable exactly one OpenPGP backend, not both `crypto-rust` and `crypto-openssl` \
     (use --no-default-features --features crypto-openssl for the OpenSSL build)"
);

#[cfg(not(any(feature = "crypto-rust", feature = "crypto-openssl")))]
compile_error!(
    "wire: enable one OpenPGP backend: feature `crypto-rust` (development) or \
     `crypto-openssl` (production)"
);

mod ca;
pub mod chunk_dir;
mod error;
mod key;
mod manifest;
mod network;
mod profile;
pub mod proto;
pub mod punch;
mod receipt;
mod release;
mod seal;
mod sign;
mod unseal;

pub use ca::{CaKey, is_certified};
pub use error::{Result, WireError};
pub use key::{AccountKey, cert_addresses, cert_from_bytes, cert_to_armored, cert_to_bytes};
pub use manifest::{
    ChunkHash, MANIFEST_VERSION, MAX_CHUNK_SIZE, MAX_CHUNKS, MIN_CHUNK_SIZE, Manifest, MessageId,
    SignedManifest, chunk_count, hash_chunk, is_message_type, verify_manifest,
};
pub use network::{
    DirectoryRecord, NetworkSigned, RECORD_VERSION, ServerAddr, TOKEN_VERSION, Token,
    check_token_for, sealed_size_bound, verify_record, verify_token,
};
pub use profile::{AccountProfile, PROFILE_VERSION};
pub use receipt::{RECEIPT_VERSION, Receipt, SignedReceipt, sign_receipt, verify_receipt};
pub use release::{RELEASE_VERSION, Release, verify_release};
pub use seal::{ChunkSink, DEFAULT_CHUNK_SIZE, SealOptions, SealStats, Sealed, seal};
pub use unseal::{UNSEAL_VERIFY_BUFFER, UnsealReport, read_chunks, unseal};

/// The OpenPGP certificate type, re-exported so users need not depend on sequoia directly.
pub use sequoia_openpgp::Cert;
/// OpenPGP fingerprint of a certificate or key.
pub use sequoia_openpgp::Fingerprint;

/// The policy every operation in this crate evaluates keys and signatures under.
fn policy() -> &'static sequoia_openpgp::policy::StandardPolicy<'static> {
    static POLICY: sequoia_openpgp::policy::StandardPolicy<'static> =
        sequoia_openpgp::policy::StandardPolicy::new();
    &POLICY
}
