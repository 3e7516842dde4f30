//! Documents the service network signs with its CA: authorization tokens and directory
//! records. Both travel as [`NetworkSigned`]: the exact postcard bytes plus the CA's detached
//! signature over `context || bytes`, with the format version first so a reader refuses an
//! unknown version before decoding the rest.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ca::{CaKey, verify_ca};
use crate::error::{Result, WireError};
use crate::manifest::{Manifest, MessageId};
use crate::{Cert, cert_from_bytes};

/// The token format this build writes and reads.
pub const TOKEN_VERSION: u16 = 1;
/// The directory record format this build writes and reads.
pub const RECORD_VERSION: u16 = 1;

const TOKEN_CONTEXT: &[u8] = b"wims token\0";
const RECORD_CONTEXT: &[u8] = b"wims directory\0";

/// A token lists a few addresses; a record carries one certificate and a few addresses.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Sealing adds a little to the plaintext: per-4-KiB AEAD tags, the key packets and the
/// signature. A manifest whose ciphertext exceeds the token's plaintext size by more than
/// this is not the message the token was issued for.
pub fn sealed_size_bound(plaintext: u64) -> u64 {
    plaintext + plaintext / 128 + 64 * 1024
}

/// A CA-signed document as it travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSigned {
    pub body: Vec<u8>,
    pub signature: Vec<u8>,
}

/// "The network allows `sender` to send message `message_id`, of at most `size` plaintext
/// bytes, to `recipients`, until `expires`."
///
/// Issued by the sender's home service server (DESIGN.md, "Sending a message", step 2) and
/// carried inside the signed manifest; recipients and service servers refuse parts of a
/// message without a valid one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub version: u16,
    pub message_id: MessageId,
    pub sender: String,
    pub recipients: Vec<String>,
    /// Plaintext size the sender declared.
    pub size: u64,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub issued: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub expires: DateTime<Utc>,
}

/// Where an account lives: "`address` has certificate `cert`, is hosted by node `node`
/// (reachable at `node_addrs`) and its backup servers are `backups`, in order."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRecord {
    pub version: u16,
    pub address: String,
    pub display_name: String,
    /// The account certificate, certified by the CA, binary OpenPGP.
    pub cert: Vec<u8>,
    /// The hosting node's libp2p PeerId, as text.
    pub node: String,
    /// Multiaddrs the node was last seen listening on, relay circuits included.
    pub node_addrs: Vec<String>,
    /// Backup (store-only) servers, most preferred first: PeerId and multiaddrs.
    pub backups: Vec<ServerAddr>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub updated: DateTime<Utc>,
}

/// A service server: its PeerId and the multiaddrs it listens on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerAddr {
    pub peer_id: String,
    pub addrs: Vec<String>,
}

impl CaKey {
    pub fn sign_token(&self, token: &Token) -> Result<NetworkSigned> {
        self.sign_doc(TOKEN_CONTEXT, token)
    }

    pub fn sign_record(&self, record: &DirectoryRecord) -> Result<NetworkSigned> {
        self.sign_doc(RECORD_CONTEXT, record)
    }

    pub(crate) fn sign_doc<T: Serialize>(&self, context: &[u8], doc: &T) -> Result<NetworkSigned> {
        let body =
            postcard::to_stdvec(doc).map_err(|e| WireError::invalid("document", e.to_string()))?;
        let signature = self.sign(context, &body)?;
        Ok(NetworkSigned { body, signature })
    }
}

pub(crate) fn open_doc<T: DeserializeOwned>(
    signed: &NetworkSigned,
    ca: &Cert,
    context: &[u8],
    what: &'static str,
    supported: u16,
    max: usize,
) -> Result<T> {
    if signed.body.len() > max {
        return Err(WireError::invalid(what, "too large"));
    }
    let (version, _) = postcard::take_from_bytes::<u16>(&signed.body)
        .map_err(|e| WireError::invalid(what, e.to_string()))?;
    if version != supported {
        return Err(WireError::UnsupportedVersion {
            found: version,
            supported,
        });
    }
    verify_ca(ca, context, &signed.body, &signed.signature).map_err(WireError::NetworkSignature)?;
    let (doc, rest) = postcard::take_from_bytes::<T>(&signed.body)
        .map_err(|e| WireError::invalid(what, e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::invalid(what, "trailing bytes"));
    }
    Ok(doc)
}

/// Verifies a token's CA signature and returns it; see [`check_token_for`] for the rest.
pub fn verify_token(signed: &NetworkSigned, ca: &Cert) -> Result<Token> {
    open_doc(
        signed,
        ca,
        TOKEN_CONTEXT,
        "token",
        TOKEN_VERSION,
        MAX_TOKEN_BYTES,
    )
}

/// Verifies a directory record's CA signature, and that its certificate is the CA-certified
/// certificate of its address. Returns the record and the certificate.
pub fn verify_record(signed: &NetworkSigned, ca: &Cert) -> Result<(DirectoryRecord, Cert)> {
    let record: DirectoryRecord = open_doc(
        signed,
        ca,
        RECORD_CONTEXT,
        "directory record",
        RECORD_VERSION,
        MAX_RECORD_BYTES,
    )?;
    let cert = cert_from_bytes(&record.cert)?;
    if !crate::ca::is_certified(&cert, &record.address, ca) {
        return Err(WireError::AddressMismatch {
            claimed: record.address,
        });
    }
    Ok((record, cert))
}

/// How long after its token expired a message sealed in time may still arrive: it may wait on
/// a store-only server (14 days by default) and in its sender's retries. The manifest's
/// `created` is the sender's word, so without this bound an expired token would be good
/// forever.
pub const TOKEN_GRACE_DAYS: i64 = 30;

/// How far a manifest's `created` may lie before its token's `issued` (clocks differ a little
/// even on network time).
const CREATED_SKEW_MINUTES: i64 = 10;

/// Checks that the token in `manifest` is a valid CA-signed authorization for this very
/// message to `recipient` at time `now` (network time).
pub fn check_token_for(
    manifest: &Manifest,
    recipient: &str,
    ca: &Cert,
    now: DateTime<Utc>,
) -> Result<Token> {
    let bytes = manifest
        .authorization
        .as_deref()
        .ok_or_else(|| WireError::Unauthorized("no authorization token".into()))?;
    let token = verify_token(&Token::decode_signed(bytes)?, ca)?;
    let why = if token.message_id != manifest.message_id {
        Some("token is for another message")
    } else if !token.sender.eq_ignore_ascii_case(&manifest.sender) {
        Some("token is for another sender")
    } else if !token
        .recipients
        .iter()
        .any(|r| r.eq_ignore_ascii_case(recipient))
    {
        Some("token does not name this recipient")
    } else if manifest.total_size > sealed_size_bound(token.size) {
        Some("message is larger than the token allows")
    } else if now > token.expires && manifest.created > token.expires {
        // A message sealed while its token was valid may arrive later (retries, collection
        // from a store-only server); one sealed after expiry may not.
        Some("token expired before the message was sealed")
    } else if now > token.expires + chrono::Duration::days(TOKEN_GRACE_DAYS) {
        Some("token expired too long ago")
    } else if manifest.created < token.issued - chrono::Duration::minutes(CREATED_SKEW_MINUTES) {
        Some("message claims to be sealed before its token was issued")
    } else {
        None
    };
    match why {
        Some(why) => Err(WireError::Unauthorized(why.into())),
        None => Ok(token),
    }
}

impl Token {
    /// The bytes that go into [`crate::SealOptions::authorization`].
    pub fn encode_signed(signed: &NetworkSigned) -> Vec<u8> {
        postcard::to_stdvec(signed).unwrap_or_default()
    }

    /// The signed token in a manifest's `authorization`, its signature not yet checked.
    pub fn decode_signed(bytes: &[u8]) -> Result<NetworkSigned> {
        postcard::from_bytes(bytes)
            .map_err(|e| WireError::Unauthorized(format!("token does not decode: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountKey, SealOptions, seal};

    fn token(ca: &CaKey, id: MessageId, size: u64) -> Vec<u8> {
        let now = Utc::now();
        let t = Token {
            version: TOKEN_VERSION,
            message_id: id,
            sender: "alice@alpha.h".into(),
            recipients: vec!["bob@beta.h".into()],
            size,
            issued: now,
            expires: now + chrono::Duration::minutes(10),
        };
        Token::encode_signed(&ca.sign_token(&t).unwrap())
    }

    #[test]
    fn token_binds_message_sender_recipient_and_size() {
        let ca = CaKey::generate("t").unwrap();
        let alice = AccountKey::generate("alice@alpha.h").unwrap();
        let bob = AccountKey::generate("bob@beta.h").unwrap();
        let body = b"Subject: hi\r\n\r\nhello\r\n".repeat(10);
        let id = MessageId::random();
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let opts = SealOptions {
            message_id: Some(id),
            authorization: Some(token(&ca, id, body.len() as u64)),
            ..SealOptions::default()
        };
        let sealed = seal(&body[..], &alice, &[bob.cert()], &opts, &mut chunks).unwrap();
        let now = Utc::now();
        check_token_for(&sealed.manifest, "bob@beta.h", &ca.cert(), now).unwrap();
        assert!(check_token_for(&sealed.manifest, "carol@beta.h", &ca.cert(), now).is_err());
        let other = CaKey::generate("o").unwrap();
        assert!(check_token_for(&sealed.manifest, "bob@beta.h", &other.cert(), now).is_err());

        // A token for another message id, or a smaller size, does not fit.
        let mut m = sealed.manifest.clone();
        m.authorization = Some(token(&ca, MessageId::random(), body.len() as u64));
        assert!(check_token_for(&m, "bob@beta.h", &ca.cert(), now).is_err());
        m.authorization = Some(token(&ca, id, 1));
        assert!(
            m.total_size > sealed_size_bound(1)
                || check_token_for(&m, "bob@beta.h", &ca.cert(), now).is_ok()
        );
        m.authorization = None;
        assert!(matches!(
            check_token_for(&m, "bob@beta.h", &ca.cert(), now),
            Err(WireError::Unauthorized(_))
        ));
        // Arriving late is fine within the grace after expiry, not after; and a message cannot
        // have been sealed before its token was issued, whatever its `created` says.
        let late = now + chrono::Duration::days(TOKEN_GRACE_DAYS - 1);
        check_token_for(&sealed.manifest, "bob@beta.h", &ca.cert(), late).unwrap();
        let too_late = now + chrono::Duration::days(TOKEN_GRACE_DAYS + 1);
        assert!(check_token_for(&sealed.manifest, "bob@beta.h", &ca.cert(), too_late).is_err());
        let mut early = sealed.manifest.clone();
        early.created = now - chrono::Duration::days(400);
        assert!(check_token_for(&early, "bob@beta.h", &ca.cert(), now).is_err());
        // A flipped bit in the token breaks the CA signature.
        let mut bytes = token(&ca, id, body.len() as u64);
        let last = bytes.len() / 3;
        bytes[last] ^= 1;
        m.authorization = Some(bytes);
        assert!(check_token_for(&m, "bob@beta.h", &ca.cert(), now).is_err());
    }

    #[test]
    fn records_need_the_ca_signature_and_certification() {
        let ca = CaKey::generate("t").unwrap();
        let bob = AccountKey::generate("bob@beta.h").unwrap();
        let record = DirectoryRecord {
            version: RECORD_VERSION,
            address: "bob@beta.h".into(),
            display_name: "Bob".into(),
            cert: crate::cert_to_bytes(&ca.certify(&bob.cert(), "bob@beta.h").unwrap()).unwrap(),
            node: "12D3KooW".into(),
            node_addrs: vec!["/ip4/127.0.0.1/tcp/1".into()],
            backups: vec![],
            updated: Utc::now(),
        };
        let signed = ca.sign_record(&record).unwrap();
        let (back, cert) = verify_record(&signed, &ca.cert()).unwrap();
        assert_eq!(back.address, "bob@beta.h");
        assert_eq!(cert.fingerprint(), bob.fingerprint());

        // Uncertified certificate: refused even with a good record signature.
        let mut plain = record.clone();
        plain.cert = crate::cert_to_bytes(&bob.cert()).unwrap();
        assert!(verify_record(&ca.sign_record(&plain).unwrap(), &ca.cert()).is_err());
        // Token signature presented as a record: refused (context separation).
        let other = CaKey::generate("o").unwrap();
        assert!(verify_record(&other.sign_record(&record).unwrap(), &ca.cert()).is_err());
        let mut tampered = signed.clone();
        let n = tampered.body.len();
        tampered.body[n - 1] ^= 1;
        assert!(verify_record(&tampered, &ca.cert()).is_err());
    }
}
