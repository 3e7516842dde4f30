//! The port prediction hole punch protocol ([`PUNCH_PROTOCOL`]), apart from the application's
//! control protocol: request-response, one postcard frame each way of at most
//! [`MAX_PUNCH_BYTES`], behind a 4-byte big-endian length.
//!
//! Two nodes that reach each other only over a relay circuit exchange [`PunchOffer`]s over that
//! circuit. Before either side sends a probe it asks the relay of the circuit where it sees the
//! other ([`PunchRequest::WhereIs`]) and aims only at those addresses: an offer names where the
//! probes go, and a peer must not be able to point them at anyone but itself. See
//! `docs/nat-traversal.md`.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::network::{MAX_RECORD_BYTES, MAX_TOKEN_BYTES, NetworkSigned, TOKEN_GRACE_DAYS};
use crate::{Cert, Result, WireError, verify_record, verify_token};

pub const PUNCH_PROTOCOL: &str = "/wims/punch/1";

/// An offer names two addresses and may carry a [`Vouch`] (a token and a directory record,
/// each with a signature); an answer names a few addresses. Anything larger is not ours.
pub const MAX_PUNCH_BYTES: usize = MAX_TOKEN_BYTES + MAX_RECORD_BYTES + 3 * 4096;

/// Addresses an offer may name: where the peer's relays see its QUIC socket, one socket seen
/// over IPv4 and IPv6 at most. Every target costs a fan of probes.
pub const MAX_TARGETS: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PunchRequest {
    /// Node → node, over a relay circuit once a plain hole punch has failed: start a port
    /// prediction hole punch; answered with the peer's own offer.
    Offer(PunchOffer),
    /// Node → the relay of a circuit: where do you see the peer at the other end of my
    /// circuit (its PeerId as bytes)? Answered only while such a circuit runs through it.
    WhereIs { peer: Vec<u8> },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PunchResponse {
    Offer(PunchOffer),
    /// Where the relay sees the peer's direct connections to it.
    SeenAt(Vec<SocketAddr>),
    /// No punch (or no answer) now; the text is for logs.
    Refused(String),
}

/// One side of a port prediction ("birthday") hole punch, for a pair of nodes where one
/// NAT gives every destination a new port. Each side opens many UDP sockets towards the
/// other's QUIC address and sprays probes from its QUIC socket at random ports of the other's
/// public IP; a probe that meets one of those sockets' mappings opens the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PunchOffer {
    /// Chosen by the side that asks, echoed in the answer; every probe carries it, so a
    /// socket only takes a probe of this punch for a hit.
    pub token: [u8; 16],
    /// Where the sender's QUIC socket is seen from outside (what its relays observe).
    pub quic_addrs: Vec<SocketAddr>,
    /// Why the asked node should expect the asker: a node joins a punch only while it waits
    /// to send to the asker itself, or when the asker vouches for itself so.
    pub vouch: Option<Vouch>,
}

/// A sender's node vouching for itself to the recipient's node: it holds the network's
/// authorization for a message to an account hosted there, and it is the node of the account
/// the authorization is for. Both documents are CA-signed; see [`check_vouch`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vouch {
    /// The authorization token of a message (as `Authorize` returned it).
    pub token: NetworkSigned,
    /// The directory record of the token's sender, naming the asking node.
    pub sender_record: NetworkSigned,
}

/// Checks that `vouch` shows the node `asker` (a PeerId as text) sending a message under the
/// network CA `ca` at time `now` (the token expired at most [`TOKEN_GRACE_DAYS`] ago: a
/// message may be retried that long). Returns the token's recipients: the asked node expects
/// the asker if one of them is an account it hosts under that CA.
pub fn check_vouch(
    vouch: &Vouch,
    asker: &str,
    ca: &Cert,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let token = verify_token(&vouch.token, ca)?;
    if now > token.expires + chrono::Duration::days(TOKEN_GRACE_DAYS) {
        return Err(WireError::Unauthorized("token expired too long ago".into()));
    }
    let (record, _) = verify_record(&vouch.sender_record, ca)?;
    if !record.address.eq_ignore_ascii_case(&token.sender) {
        return Err(WireError::Unauthorized(
            "record is not the token's sender's".into(),
        ));
    }
    if record.node != asker {
        return Err(WireError::Unauthorized("record names another node".into()));
    }
    Ok(token.recipients)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_messages_fit_the_frame() {
        let addr: SocketAddr = "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535"
            .parse()
            .unwrap();
        let big = NetworkSigned {
            body: vec![0xff; MAX_TOKEN_BYTES],
            signature: vec![0xff; 4096],
        };
        let offer = PunchOffer {
            token: [0xff; 16],
            quic_addrs: vec![addr; MAX_TARGETS],
            vouch: Some(Vouch {
                token: big.clone(),
                sender_record: NetworkSigned {
                    body: vec![0xff; MAX_RECORD_BYTES],
                    ..big
                },
            }),
        };
        for bytes in [
            crate::proto::encode(&PunchRequest::Offer(offer.clone())).unwrap(),
            crate::proto::encode(&PunchResponse::SeenAt(vec![addr; 16])).unwrap(),
            crate::proto::encode(&PunchRequest::WhereIs { peer: vec![0; 64] }).unwrap(),
        ] {
            assert!(bytes.len() <= MAX_PUNCH_BYTES, "{}", bytes.len());
        }
        let back: PunchRequest = crate::proto::decode(
            &crate::proto::encode(&PunchRequest::Offer(offer.clone())).unwrap(),
        )
        .unwrap();
        assert_eq!(back, PunchRequest::Offer(offer));
    }

    #[test]
    fn a_vouch_binds_token_recipient_sender_and_node() {
        use crate::network::{DirectoryRecord, RECORD_VERSION, TOKEN_VERSION, Token};
        use crate::{AccountKey, CaKey, MessageId};
        let ca = CaKey::generate("t").unwrap();
        let alice = AccountKey::generate("alice@alpha.h").unwrap();
        let now = Utc::now();
        let token = |sender: &str| {
            ca.sign_token(&Token {
                version: TOKEN_VERSION,
                message_id: MessageId::random(),
                sender: sender.into(),
                recipients: vec!["bob@beta.h".into()],
                size: 10,
                issued: now,
                expires: now + chrono::Duration::minutes(10),
            })
            .unwrap()
        };
        let record = |node: &str| {
            ca.sign_record(&DirectoryRecord {
                version: RECORD_VERSION,
                address: "alice@alpha.h".into(),
                display_name: "Alice".into(),
                cert: crate::cert_to_bytes(&ca.certify(&alice.cert(), "alice@alpha.h").unwrap())
                    .unwrap(),
                node: node.into(),
                node_addrs: vec![],
                backups: vec![],
                updated: now,
            })
            .unwrap()
        };
        let good = Vouch {
            token: token("alice@alpha.h"),
            sender_record: record("12D3KooWA"),
        };
        assert_eq!(
            check_vouch(&good, "12D3KooWA", &ca.cert(), now).unwrap(),
            vec!["bob@beta.h".to_string()]
        );
        // Another node presenting it, much later, another network.
        assert!(check_vouch(&good, "12D3KooWB", &ca.cert(), now).is_err());
        let late = now + chrono::Duration::days(TOKEN_GRACE_DAYS + 1);
        assert!(check_vouch(&good, "12D3KooWA", &ca.cert(), late).is_err());
        let other = CaKey::generate("o").unwrap();
        assert!(check_vouch(&good, "12D3KooWA", &other.cert(), now).is_err());
        // A token for someone else's mail, with one's own record.
        let borrowed = Vouch {
            token: token("mallory@alpha.h"),
            ..good.clone()
        };
        assert!(check_vouch(&borrowed, "12D3KooWA", &ca.cert(), now).is_err());
        // The two documents swapped: each is refused as the other (context separation).
        let swapped = Vouch {
            token: good.sender_record.clone(),
            sender_record: good.token.clone(),
        };
        assert!(check_vouch(&swapped, "12D3KooWA", &ca.cert(), now).is_err());
    }
}
