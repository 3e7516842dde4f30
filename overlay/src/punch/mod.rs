//! Port prediction ("birthday") hole punching, for the pair dcutr cannot join: one node
//! behind a NAT that keeps one public port per socket but lets in only the addresses it has
//! sent to (port-restricted cone), the other behind a NAT that gives every destination a new
//! random port (symmetric). dcutr aims at the one public port each side was seen at, which on
//! the symmetric side is only valid towards the relay.
//!
//! Both nodes agree on a token over the relay circuit ([`behaviour`], its own protocol), and
//! each asks the circuit's relay where it sees the other, to aim only there ([`policy`]).
//! Then each one:
//! - opens [`FAN_SOCKETS`] UDP sockets that send probes to the other's QUIC address, so that
//!   a symmetric NAT opens as many random ports towards it ([`fan`]);
//! - unless its own NAT changes ports, sprays probes from its QUIC socket at random ports of
//!   the other's public IP ([`spray`]), which opens its own NAT to those ports.
//!
//! A spray probe that lands on a port a fan socket opened is a hit: that socket now has a path
//! to the other's QUIC socket. The node with the hit forwards between that socket and its own
//! QUIC endpoint on loopback ([`forward`]), and dials the peer through it; the peer sees an
//! ordinary incoming QUIC connection, authenticated like any other.
//!
//! With 128 sockets and about 4800 probes over the 64 512 ports above 1023, about 9 hits
//! are expected; a miss leaves the pair with the store-only servers as before.

mod behaviour;
mod fan;
mod forward;
mod policy;
mod quic_socket;
mod spray;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

pub(crate) use behaviour::{Behaviour, Event};
pub(crate) use fan::fan_and_forward;
pub(crate) use quic_socket::find_quic_socket;
pub(crate) use spray::spray;

/// Sockets opened towards the peer.
const FAN_SOCKETS: usize = 128;
/// How long both sides probe.
pub(crate) const PUNCH_WINDOW: Duration = Duration::from_secs(6);

const PROBE_MAGIC: [u8; 8] = *b"\0wimspb1";

/// What every probe of one punch carries. Its first byte is zero, which no QUIC packet has
/// (the fixed bit is unset), so a QUIC endpoint that a probe reaches drops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Probe([u8; 24]);

impl Probe {
    pub(crate) fn new(token: [u8; 16]) -> Self {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&PROBE_MAGIC);
        bytes[8..].copy_from_slice(&token);
        Probe(bytes)
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The UDP socket address of a plain `/ip4|ip6/…/udp/…/quic-v1` address (not a circuit).
pub(crate) fn quic_socket_addr(addr: &Multiaddr) -> Option<SocketAddr> {
    let mut iter = addr.iter();
    let ip: IpAddr = match iter.next()? {
        Protocol::Ip4(ip) => ip.into(),
        Protocol::Ip6(ip) => ip.into(),
        _ => return None,
    };
    let Protocol::Udp(port) = iter.next()? else {
        return None;
    };
    let Protocol::QuicV1 = iter.next()? else {
        return None;
    };
    let plain = match iter.next() {
        None => true,
        Some(Protocol::P2p(_)) => iter.next().is_none(),
        Some(_) => false,
    };
    plain.then_some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quic_addresses_only() {
        let quic: Multiaddr = "/ip4/198.51.100.7/udp/4001/quic-v1".parse().unwrap();
        assert_eq!(
            quic_socket_addr(&quic),
            Some("198.51.100.7:4001".parse().unwrap())
        );
        let tcp: Multiaddr = "/ip4/198.51.100.7/tcp/4001".parse().unwrap();
        assert_eq!(quic_socket_addr(&tcp), None);
        let circuit: Multiaddr = "/ip4/198.51.100.7/udp/4001/quic-v1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit"
            .parse()
            .unwrap();
        assert_eq!(quic_socket_addr(&circuit), None);
    }

    #[test]
    fn probes_are_not_quic_packets() {
        let probe = Probe::new([7; 16]);
        assert_eq!(probe.bytes()[0] & 0x40, 0, "QUIC's fixed bit must be clear");
        assert_ne!(probe, Probe::new([8; 16]));
    }
}
