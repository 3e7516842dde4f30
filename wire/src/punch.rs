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

use serde::{Deserialize, Serialize};

pub const PUNCH_PROTOCOL: &str = "/wims/punch/1";

/// An offer names two addresses; an answer a few more. Anything larger is not ours.
pub const MAX_PUNCH_BYTES: usize = 1024;

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_messages_fit_the_frame() {
        let addr: SocketAddr = "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535"
            .parse()
            .unwrap();
        let offer = PunchOffer {
            token: [0xff; 16],
            quic_addrs: vec![addr; MAX_TARGETS],
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
}
