use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, WireError};
use crate::key::cert_has_address;
use crate::sign::{sign_detached, verify_detached};
use crate::{AccountKey, Cert};

/// The manifest format this build writes and the only one it reads.
pub const MANIFEST_VERSION: u16 = 1;

/// Smallest chunk size a manifest may declare. Below this, per-chunk overhead (a hash, a
/// request, a stored file on a server) dominates.
pub const MIN_CHUNK_SIZE: u32 = 64 * 1024;

/// Largest chunk size a manifest may declare: bounds what a receiver or server must buffer to
/// check one chunk's hash before accepting it.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

/// Most chunks one message may have: bounds the manifest (32 bytes a hash, so at most 2 MiB of
/// hashes) and thus what a receiver parses before any signature check. With the default
/// 4 MiB chunks this allows 256 GiB of ciphertext.
pub const MAX_CHUNKS: u32 = 65_536;

/// Upper bound on an encoded manifest: the hashes plus generous room for addresses, type and
/// token.
pub(crate) const MAX_MANIFEST_BYTES: usize = MAX_CHUNKS as usize * 33 + 256 * 1024;

/// Context prefix of the manifest signature (see `sign.rs`).
pub(crate) const MANIFEST_CONTEXT: &[u8] = b"wims manifest\0";

/// A message's network-wide identity: 128 random bits, chosen by the sending node before it
/// asks for authorization. Receivers deduplicate on it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageId(pub [u8; 16]);

impl MessageId {
    /// A fresh random id from the OS CSPRNG.
    pub fn random() -> Self {
        MessageId(rand::random())
    }

    /// Lower-case hex, 32 characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses [`MessageId::to_hex`] output.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, b) in id.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(MessageId(id))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.to_hex())
    }
}

/// BLAKE3 hash of one ciphertext chunk.
pub type ChunkHash = [u8; 32];

/// Hashes one chunk the way manifests do.
pub fn hash_chunk(data: &[u8]) -> ChunkHash {
    *blake3::hash(data).as_bytes()
}

/// How many chunks `total_size` bytes of ciphertext make at `chunk_size`: all full but the
/// last, which holds 1..=chunk_size bytes.
pub fn chunk_count(total_size: u64, chunk_size: u32) -> u64 {
    total_size.div_ceil(u64::from(chunk_size.max(1)))
}

/// What a sealed message consists of. Signed by the sender as a [`SignedManifest`].
///
/// Encoded with postcard (see `docs/protocol.md`); field order is the wire order, so new
/// fields go at the end together with a version bump.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version, always first so a reader can refuse what it does not know before
    /// decoding the rest.
    pub version: u16,
    pub message_id: MessageId,
    /// The sender's account address; must be a User ID of the signing certificate.
    pub sender: String,
    /// Every recipient's account address, in the order given to the sealer.
    pub recipients: Vec<String>,
    /// The message type: "message", "fax", "invoice", "statement", "remittance", ...
    pub message_type: String,
    /// When the message was sealed (network time), millisecond precision.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub created: DateTime<Utc>,
    /// Ciphertext bytes over all chunks.
    pub total_size: u64,
    /// Size of every chunk but the last.
    pub chunk_size: u32,
    /// BLAKE3 of each chunk, in order.
    pub chunk_hashes: Vec<ChunkHash>,
    /// The service network's authorization token for this message, obtained before sealing
    /// and thus covered by the sender's signature. Its format belongs to the service network.
    pub authorization: Option<Vec<u8>>,
}

impl Manifest {
    /// The canonical encoding that is signed and sent.
    pub fn encode(&self) -> Result<Vec<u8>> {
        postcard::to_stdvec(self).map_err(|e| WireError::invalid("manifest", e.to_string()))
    }

    /// Decodes and checks a manifest's consistency, without any signature check.
    fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(WireError::invalid("manifest", "too large"));
        }
        // The version goes first and is read alone: a future format may change everything
        // after it.
        let (version, _) = postcard::take_from_bytes::<u16>(bytes)
            .map_err(|e| WireError::invalid("manifest", e.to_string()))?;
        if version != MANIFEST_VERSION {
            return Err(WireError::UnsupportedVersion {
                found: version,
                supported: MANIFEST_VERSION,
            });
        }
        let (m, rest) = postcard::take_from_bytes::<Manifest>(bytes)
            .map_err(|e| WireError::invalid("manifest", e.to_string()))?;
        if !rest.is_empty() {
            return Err(WireError::invalid("manifest", "trailing bytes"));
        }
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<()> {
        let bad = |r: &str| Err(WireError::invalid("manifest", r));
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&self.chunk_size) {
            return bad("chunk size out of range");
        }
        if self.total_size == 0 {
            return bad("empty ciphertext");
        }
        if chunk_count(self.total_size, self.chunk_size) != self.chunk_hashes.len() as u64 {
            return bad("chunk count does not match total size");
        }
        if self.chunk_hashes.len() > MAX_CHUNKS as usize {
            return bad("too many chunks");
        }
        if self.recipients.is_empty() {
            return bad("no recipients");
        }
        // The type becomes a header and an IMAP keyword at the recipient: one safe spelling.
        if !is_message_type(&self.message_type) {
            return bad("message type is not a type name");
        }
        Ok(())
    }

    /// Expected length of chunk `index`.
    pub fn chunk_len(&self, index: u32) -> Option<usize> {
        let n = self.chunk_hashes.len() as u64;
        let i = u64::from(index);
        if i >= n {
            return None;
        }
        let cs = u64::from(self.chunk_size);
        Some(if i + 1 < n {
            cs as usize
        } else {
            (self.total_size - cs * (n - 1)) as usize
        })
    }

    /// Signs the encoding with the sender's signing subkey.
    pub(crate) fn sign(&self, sender: &AccountKey) -> Result<SignedManifest> {
        self.check()?;
        self.sign_unchecked(sender)
    }

    /// Signs without checking the manifest: for tests that must produce what a hostile
    /// sender's own software would.
    #[doc(hidden)]
    pub fn sign_unchecked(&self, sender: &AccountKey) -> Result<SignedManifest> {
        let manifest = self.encode()?;
        let signature = sign_detached(sender, MANIFEST_CONTEXT, &manifest)?;
        Ok(SignedManifest {
            manifest,
            signature,
        })
    }
}

/// A manifest as it travels: the exact signed bytes plus the sender's detached signature.
///
/// Carrying the bytes (not a re-encoding) means the signature check never depends on two
/// implementations encoding alike.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedManifest {
    /// postcard encoding of a [`Manifest`].
    pub manifest: Vec<u8>,
    /// Binary OpenPGP detached signature over `"wims manifest\0" || manifest`.
    pub signature: Vec<u8>,
}

impl SignedManifest {
    /// Decodes the manifest WITHOUT checking its signature: only to learn who claims to have
    /// sent it (to look up their certificate) before [`verify_manifest`]. Trust nothing else
    /// from it.
    pub fn unverified(&self) -> Result<Manifest> {
        Manifest::decode(&self.manifest)
    }

    /// BLAKE3 of the signed manifest bytes: what receipts refer to.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.manifest).as_bytes()
    }
}

/// Whether `t` is a message type name: a lower-case ASCII letter, then lower-case letters,
/// digits and `-`, at most 32 bytes.
pub fn is_message_type(t: &str) -> bool {
    let b = t.as_bytes();
    (1..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

/// Verifies the manifest's signature against the sender's certificate, its version and
/// consistency, and that the certificate carries the manifest's sender address.
pub fn verify_manifest(signed: &SignedManifest, sender_cert: &Cert) -> Result<Manifest> {
    let manifest = Manifest::decode(&signed.manifest)?;
    verify_detached(
        sender_cert,
        MANIFEST_CONTEXT,
        &signed.manifest,
        &signed.signature,
    )
    .map_err(WireError::ManifestSignature)?;
    if !cert_has_address(sender_cert, &manifest.sender) {
        return Err(WireError::AddressMismatch {
            claimed: manifest.sender,
        });
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n_chunks: usize) -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            message_id: MessageId::random(),
            sender: "alice@alpha.h".into(),
            recipients: vec!["bob@beta.h".into()],
            message_type: "message".into(),
            created: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
            total_size: (n_chunks as u64 - 1) * u64::from(MIN_CHUNK_SIZE) + 5,
            chunk_size: MIN_CHUNK_SIZE,
            chunk_hashes: vec![[7; 32]; n_chunks],
            authorization: None,
        }
    }

    #[test]
    fn message_id_hex() {
        let id = MessageId::random();
        assert_eq!(MessageId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(MessageId::from_hex("zz"), None);
        assert_ne!(MessageId::random(), MessageId::random());
    }

    #[test]
    fn encoding_round_trip_and_size_bound() {
        let m = sample(1024);
        let bytes = m.encode().unwrap();
        // 1024 hashes of 32 bytes plus a little: the stated bound for 4 GiB at 4 MiB chunks.
        assert!(bytes.len() < 1024 * 32 + 256, "{}", bytes.len());
        assert_eq!(Manifest::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn version_is_checked_first() {
        let mut m = sample(1);
        m.version = 2;
        let bytes = m.encode().unwrap();
        assert!(matches!(
            Manifest::decode(&bytes),
            Err(WireError::UnsupportedVersion {
                found: 2,
                supported: 1
            })
        ));
        // Even when what follows is not a version-1 manifest at all.
        let mut bytes = postcard::to_stdvec(&7u16).unwrap();
        bytes.extend_from_slice(b"\xff\xff\xff");
        assert!(matches!(
            Manifest::decode(&bytes),
            Err(WireError::UnsupportedVersion { found: 7, .. })
        ));
    }

    #[test]
    fn inconsistent_manifests_are_refused() {
        let mut m = sample(3);
        m.total_size += u64::from(MIN_CHUNK_SIZE);
        assert!(matches!(
            Manifest::decode(&m.encode().unwrap()),
            Err(WireError::Invalid { .. })
        ));
        let mut m = sample(1);
        m.chunk_size = 1;
        assert!(matches!(
            Manifest::decode(&m.encode().unwrap()),
            Err(WireError::Invalid { .. })
        ));
        for hostile in ["", "Invoice", "a b", "x)\r\n* 1 EXPUNGE", &"a".repeat(33)] {
            let mut m = sample(1);
            m.message_type = hostile.into();
            assert!(
                matches!(
                    Manifest::decode(&m.encode().unwrap()),
                    Err(WireError::Invalid { .. })
                ),
                "{hostile:?}"
            );
        }
        let mut bytes = sample(1).encode().unwrap();
        bytes.push(0);
        assert!(matches!(
            Manifest::decode(&bytes),
            Err(WireError::Invalid { .. })
        ));
    }

    #[test]
    fn chunk_lengths() {
        let m = sample(3);
        assert_eq!(m.chunk_len(0), Some(MIN_CHUNK_SIZE as usize));
        assert_eq!(m.chunk_len(2), Some(5));
        assert_eq!(m.chunk_len(3), None);
        assert_eq!(chunk_count(1, 10), 1);
        assert_eq!(chunk_count(10, 10), 1);
        assert_eq!(chunk_count(11, 10), 2);
    }
}
