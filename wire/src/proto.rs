//! The messages of the wims overlay protocols, defined once for nodes and service servers.
//!
//! - [`CONTROL_PROTOCOL`]: request-response. One [`Request`], one [`Response`], each a
//!   postcard encoding of at most [`MAX_CONTROL_BYTES`], behind a 4-byte big-endian length.
//! - [`DATA_PROTOCOL`]: one stream per message transfer. The sender writes [`DataFrame`]s,
//!   the receiver answers [`DataReply`]s, each behind a 4-byte big-endian length and at most
//!   [`MAX_FRAME_BYTES`].
//!
//! Peers are authenticated by the transport (noise: the PeerId is the key); what a peer
//! claims beyond that (an account, a message, a receipt) is signed by an account key or by
//! the network CA and checked by the receiver. See `docs/protocol.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, WireError};
use crate::manifest::{MAX_CHUNK_SIZE, MessageId, SignedManifest};
use crate::network::NetworkSigned;
use crate::receipt::SignedReceipt;
use crate::sign::{sign_detached, verify_detached};
use crate::{AccountKey, Cert};

pub const CONTROL_PROTOCOL: &str = "/wims/control/1";
pub const DATA_PROTOCOL: &str = "/wims/data/1";

/// Control messages carry a few addresses, a certificate or a signed record.
pub const MAX_CONTROL_BYTES: usize = 256 * 1024;
/// A data frame carries one chunk (or a manifest: at most 2 MiB of hashes).
pub const MAX_FRAME_BYTES: usize = MAX_CHUNK_SIZE as usize + 64 * 1024;
/// The first frame of a data stream is an offer, a deposit or a fetch: a manifest and at most
/// two directory records. Anyone may open a stream, so it is read against this smaller limit.
pub const MAX_FIRST_FRAME_BYTES: usize =
    crate::manifest::MAX_MANIFEST_BYTES + 2 * crate::network::MAX_RECORD_BYTES + 64 * 1024;

const LOGIN_CONTEXT: &[u8] = b"wims login\0";
const HOSTING_KEY_CONTEXT: &str = "wims 2026 hosting secret v1";
const HOSTING_SIGNING_CONTEXT: &str = "wims 2026 hosting signing key v1";
const HOSTING_SIGNATURE_CONTEXT: &[u8] = b"wims host\0";

/// A control request. Node → service unless marked otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Host an account on the requesting node (account profile's one-time secret).
    Host(HostRequest),
    /// The hosting node of an account is up, at these addresses.
    Login(SignedLogin),
    /// The directory record of `address`, asked on behalf of the hosted account `asker`.
    /// Refused unless the two may exchange mail.
    Lookup { asker: String, address: String },
    /// An authorization token for one message.
    Authorize {
        sender: String,
        recipients: Vec<String>,
        message_id: MessageId,
        size: u64,
    },
    /// The network's time.
    Time,
    /// Node → node: the receipt for a message that arrived other than over a direct data
    /// stream (collected from a service server).
    Receipt(SignedReceipt),
    /// The latest release the service network announced. Appended last so the earlier
    /// variants keep their postcard tags.
    Release,
    /// What a service server holds for the account of `record` (its current directory
    /// record, naming the requesting node): message parts waiting for it as recipient and
    /// receipts waiting for it as sender.
    Waiting { record: NetworkSigned },
    /// The account of `record` has the message `message_id` whole (as recipient) or its
    /// receipt (as sender): the server drops what it holds of it.
    Collected {
        record: NetworkSigned,
        message_id: MessageId,
    },
    /// Recipient's node → a service server of the sender: keep this receipt until the
    /// sender's node collects it. `recipient_record` names the depositing node and carries
    /// the certificate the receipt verifies with.
    HoldReceipt {
        sender: String,
        receipt: SignedReceipt,
        recipient_record: NetworkSigned,
    },
    /// Service server → node: parts for `address` arrived; collect them.
    Notify { address: String },
    /// Tag 11 was the port prediction offer before it got a protocol of its own
    /// (`crate::punch`); kept so that no later request takes its number. Always refused.
    Retired,
    /// As [`Request::Collected`] as the recipient, for the message `message_id` of `sender`
    /// only: an id is the sender's choice and shared by all recipients, so a co-recipient's
    /// deposit under the same id is another message.
    CollectedFrom {
        record: NetworkSigned,
        message_id: MessageId,
        sender: String,
    },
    /// As [`Request::Host`], proven by a signature of the profile's hosting secret over the
    /// requesting PeerId and the certificate's fingerprint ([`sign_hosting`]), which the
    /// server checks against the verifier it keeps. The request's keyed proof still serves an
    /// account created before servers kept verifiers.
    HostSigned {
        request: HostRequest,
        signature: Vec<u8>,
    },
}

/// Proof of the account profile's hosting secret, bound to the node and the key it hosts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRequest {
    pub address: String,
    /// The account's public certificate (binary OpenPGP), to be certified.
    pub cert: Vec<u8>,
    /// [`hosting_proof`] of the secret, the requesting PeerId and the certificate's
    /// fingerprint.
    pub proof: [u8; 32],
    pub node_addrs: Vec<String>,
}

/// "The account `address` is hosted by node `node`, now at `node_addrs`", signed by the
/// account key so that a service server only accepts it for a certified account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub address: String,
    pub node: String,
    pub node_addrs: Vec<String>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedLogin {
    pub login: Vec<u8>,
    pub signature: Vec<u8>,
}

/// A control response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The account's new directory record (its certificate now CA-certified).
    Hosted(NetworkSigned),
    Record(NetworkSigned),
    Token(NetworkSigned),
    /// Milliseconds since the Unix epoch on the answering server.
    Time(i64),
    Done,
    Refused(Refusal),
    /// The latest release announcement, CA-signed (see [`crate::verify_release`]).
    Release(NetworkSigned),
    Waiting(Waiting),
    /// Tag 8 was the answer to a port prediction offer; kept so that no later response takes
    /// its number.
    Retired,
}

/// Answer to [`Request::Waiting`]. At most [`MAX_WAITING`] entries of each kind; the rest
/// comes in later answers, once these are collected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub messages: Vec<HeldMessage>,
    pub receipts: Vec<SignedReceipt>,
}

pub const MAX_WAITING: usize = 64;

/// A message a service server holds parts of, for its recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldMessage {
    pub message_id: MessageId,
    pub sender: String,
    /// How many of the message's chunks this server holds, of `chunk_count`.
    pub held_chunks: u32,
    pub chunk_count: u32,
}

/// Why a request or a transfer was refused. `code` is for programs, `detail` for logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefusalCode {
    /// No such account (or a disabled one).
    UnknownAccount,
    /// Sender and recipient are neither of one domain nor partners.
    NotPartners,
    /// Wrong or used hosting secret.
    BadProof,
    /// The requesting peer is not the account's hosting node.
    NotHostingNode,
    /// A signature, token or certificate did not verify.
    BadSignature,
    /// Malformed, inconsistent or too large.
    BadRequest,
    /// The receiver could not take it now; try again later.
    TryLater,
    /// A service server's quota for the recipient is used up: try the next server.
    OverQuota,
}

impl Refusal {
    pub fn new(code: RefusalCode, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            detail: detail.into(),
        }
    }
}

/// What a sender writes on a data stream: the offer (or deposit) first, then the chunks the
/// receiver asked for, in any order. On a [`DataFrame::Fetch`] stream the roles turn: the
/// node asks, the server offers and sends chunks, the node answers with [`DataReply`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataFrame {
    /// To the recipient's node.
    Offer(SignedManifest),
    Chunk {
        index: u32,
        /// As bytes, not a sequence of u8: the same encoding on the wire, but copied whole
        /// instead of element by element.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    /// To a store-only service server: hold parts of this message for its recipient. The
    /// two CA-signed directory records let the server check the manifest's signature and
    /// tell the recipient's node, without asking anyone.
    Deposit {
        manifest: SignedManifest,
        sender_record: NetworkSigned,
        recipient_record: NetworkSigned,
    },
    /// Node → service server: send me what you hold of `message_id`; `record` is the
    /// recipient's current directory record, naming the requesting node.
    Fetch {
        record: NetworkSigned,
        message_id: MessageId,
    },
    /// Service server → node, after its `Offer` on a fetch stream: the chunk indices it
    /// holds, ascending.
    Holding(Vec<u32>),
    /// As [`DataFrame::Fetch`], for the message `message_id` of `sender` only (see
    /// [`Request::CollectedFrom`]).
    FetchFrom {
        record: NetworkSigned,
        message_id: MessageId,
        sender: String,
    },
}

/// What a receiver answers on a data stream: once after the offer (`Need`, or at once
/// `Delivered` for a message it already has, or `Refused`), `Got` for each chunk once it is
/// on disk, and once after the last needed chunk (`Delivered` or `Refused`; a service
/// server says nothing more, the sender closes after the last `Got`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataReply {
    /// Chunk indices the receiver still lacks, ascending.
    Need(Vec<u32>),
    Delivered(SignedReceipt),
    Refused(Refusal),
    /// The chunk is stored durably: if the stream breaks now, it is not lost.
    Got(u32),
}

/// Encodes a protocol message; size limits are the codec's business.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>> {
    postcard::to_stdvec(msg).map_err(|e| WireError::invalid("protocol message", e.to_string()))
}

/// Decodes a data frame from the buffer it arrived in. A chunk's data is moved out of the
/// buffer rather than copied into a new one: a receiver then holds one copy of each chunk,
/// not two.
pub fn decode_data_frame(mut bytes: Vec<u8>) -> Result<DataFrame> {
    // A `Chunk` is laid out as its variant index, its index and its data as bytes, which is
    // also how this tuple decodes; a test keeps the two in step.
    const CHUNK_VARIANT: u32 = 1;
    let chunk = match postcard::take_from_bytes::<(u32, u32, &[u8])>(&bytes) {
        Ok(((CHUNK_VARIANT, index, data), [])) => {
            Some((index, data.as_ptr() as usize - bytes.as_ptr() as usize))
        }
        _ => None,
    };
    match chunk {
        Some((index, start)) => {
            bytes.drain(..start);
            Ok(DataFrame::Chunk { index, data: bytes })
        }
        None => decode(&bytes),
    }
}

/// Decodes a protocol message, refusing trailing bytes.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T> {
    let (msg, rest) = postcard::take_from_bytes::<T>(bytes)
        .map_err(|e| WireError::invalid("protocol message", e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::invalid("protocol message", "trailing bytes"));
    }
    Ok(msg)
}

/// The key a service server keeps instead of the hosting secret itself.
pub fn hosting_key(secret: &[u8]) -> [u8; 32] {
    blake3::derive_key(HOSTING_KEY_CONTEXT, secret)
}

/// Proof of the hosting secret, bound to the node that hosts and the key it hosts, so a
/// captured proof is no use to another node or for another key.
pub fn hosting_proof(key: &[u8; 32], node: &str, fingerprint: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(key);
    h.update(node.as_bytes());
    h.update(&[0]);
    h.update(fingerprint.as_bytes());
    *h.finalize().as_bytes()
}

/// The Ed25519 key the profile's hosting secret stands for: the node signs with it, the server
/// keeps only its public half ([`hosting_verifier`]), so what the server stores cannot host the
/// account.
fn hosting_signing_key(secret: &[u8]) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&blake3::derive_key(HOSTING_SIGNING_CONTEXT, secret))
}

/// What a service server keeps of a profile's hosting secret.
pub fn hosting_verifier(secret: &[u8]) -> [u8; 32] {
    hosting_signing_key(secret).verifying_key().to_bytes()
}

fn hosting_message(node: &str, fingerprint: &str) -> Vec<u8> {
    let mut m = HOSTING_SIGNATURE_CONTEXT.to_vec();
    m.extend_from_slice(node.as_bytes());
    m.push(0);
    m.extend_from_slice(fingerprint.as_bytes());
    m
}

/// The hosting secret's signature over the node that hosts and the key it hosts.
pub fn sign_hosting(secret: &[u8], node: &str, fingerprint: &str) -> Vec<u8> {
    use ed25519_dalek::Signer;
    hosting_signing_key(secret)
        .sign(&hosting_message(node, fingerprint))
        .to_bytes()
        .to_vec()
}

/// Whether `signature` is the hosting secret's (the one `verifier` was made from) over this
/// node and key.
pub fn verify_hosting(
    verifier: &[u8; 32],
    node: &str,
    fingerprint: &str,
    signature: &[u8],
) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(verifier) else {
        return false;
    };
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
        return false;
    };
    key.verify_strict(&hosting_message(node, fingerprint), &signature)
        .is_ok()
}

/// The request that hosts `key`'s account on the node `node` with the profile's `secret`: signed
/// ([`Request::HostSigned`]), with the older keyed proof inside for accounts created before.
pub fn host_request(
    secret: &[u8],
    node: &str,
    key: &AccountKey,
    node_addrs: Vec<String>,
) -> Result<Request> {
    let fingerprint = key.fingerprint().to_hex();
    Ok(Request::HostSigned {
        request: HostRequest {
            address: key.address().to_string(),
            cert: key.public_bytes()?,
            proof: hosting_proof(&hosting_key(secret), node, &fingerprint),
            node_addrs,
        },
        signature: sign_hosting(secret, node, &fingerprint),
    })
}

pub fn sign_login(key: &AccountKey, login: &Login) -> Result<SignedLogin> {
    let bytes = encode(login)?;
    let signature = sign_detached(key, LOGIN_CONTEXT, &bytes)?;
    Ok(SignedLogin {
        login: bytes,
        signature,
    })
}

/// Verifies a login with the account's (certified) certificate.
pub fn verify_login(signed: &SignedLogin, cert: &Cert) -> Result<Login> {
    let login: Login = decode(&signed.login)?;
    verify_detached(cert, LOGIN_CONTEXT, &signed.login, &signed.signature)
        .map_err(WireError::BadSignature)?;
    if !crate::key::cert_has_address(cert, &login.address) {
        return Err(WireError::AddressMismatch {
            claimed: login.address,
        });
    }
    Ok(login)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosting_signatures_bind_node_and_key_and_need_the_secret() {
        let secret = [7u8; 32];
        let verifier = hosting_verifier(&secret);
        let sig = sign_hosting(&secret, "12D3KooWA", "ABCD");
        assert!(verify_hosting(&verifier, "12D3KooWA", "ABCD", &sig));
        assert!(!verify_hosting(&verifier, "12D3KooWB", "ABCD", &sig));
        assert!(!verify_hosting(&verifier, "12D3KooWA", "ABCE", &sig));
        assert!(!verify_hosting(
            &hosting_verifier(&[8; 32]),
            "12D3KooWA",
            "ABCD",
            &sig
        ));
        assert!(!verify_hosting(&verifier, "12D3KooWA", "ABCD", &sig[..63]));
        // What the server keeps is neither the secret nor the older keyed-hash key.
        assert_ne!(verifier, secret);
        assert_ne!(verifier, hosting_key(&secret));
    }

    #[test]
    fn messages_round_trip_and_refuse_trailing_bytes() {
        let r = Request::Lookup {
            asker: "alice@alpha.h".into(),
            address: "bob@beta.h".into(),
        };
        let bytes = encode(&r).unwrap();
        assert_eq!(decode::<Request>(&bytes).unwrap(), r);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<Request>(&longer).is_err());
        assert!(decode::<Request>(&[200, 1, 2]).is_err());
    }

    /// Chunk data is encoded as bytes, which postcard lays out exactly as it did the
    /// sequence of u8 before: a length, then the bytes.
    #[test]
    fn chunk_data_is_a_length_then_the_bytes() {
        let frame = DataFrame::Chunk {
            index: 1,
            data: vec![7, 8, 9],
        };
        let bytes = encode(&frame).unwrap();
        assert_eq!(bytes, [1, 1, 3, 7, 8, 9]);
        assert_eq!(decode::<DataFrame>(&bytes).unwrap(), frame);
    }

    #[test]
    fn data_frames_decode_alike_from_an_owned_buffer() {
        let frames = [
            DataFrame::Chunk {
                index: 300,
                data: (0..=255u8).cycle().take(70_000).collect(),
            },
            DataFrame::Chunk {
                index: 0,
                data: Vec::new(),
            },
            DataFrame::Holding(vec![1, 2, 3]),
        ];
        for frame in frames {
            let bytes = encode(&frame).unwrap();
            assert_eq!(decode_data_frame(bytes.clone()).unwrap(), frame);
            let mut longer = bytes;
            longer.push(0);
            assert!(decode_data_frame(longer).is_err());
        }
        assert!(decode_data_frame(vec![1, 5, 200]).is_err());
    }

    #[test]
    fn login_is_bound_to_the_account_key() {
        let k = AccountKey::generate("bob@beta.h").unwrap();
        let login = Login {
            address: "bob@beta.h".into(),
            node: "12D3KooW".into(),
            node_addrs: vec![],
            at: Utc::now(),
        };
        let signed = sign_login(&k, &login).unwrap();
        assert_eq!(
            verify_login(&signed, &k.cert()).unwrap().address,
            "bob@beta.h"
        );
        let other = AccountKey::generate("carol@beta.h").unwrap();
        assert!(verify_login(&signed, &other.cert()).is_err());
        let forged = sign_login(
            &other,
            &Login {
                address: "bob@beta.h".into(),
                ..login
            },
        )
        .unwrap();
        assert!(verify_login(&forged, &k.cert()).is_err());
    }

    #[test]
    fn hosting_proof_depends_on_every_input() {
        let key = hosting_key(b"secret");
        let p = hosting_proof(&key, "node", "fpr");
        assert_ne!(p, hosting_proof(&hosting_key(b"secreT"), "node", "fpr"));
        assert_ne!(p, hosting_proof(&key, "nodf", "fpr"));
        assert_ne!(p, hosting_proof(&key, "node", "fps"));
    }
}
