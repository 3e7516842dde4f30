//! The swarm task's side of port prediction hole punching ([`crate::punch`]): where relays
//! see our QUIC socket, the probes of a punch the behaviour agreed on, and the dial through a
//! hit.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use libp2p::core::ConnectedPoint;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::OutboundRequestId;
use libp2p::swarm::ConnectionId;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wire::punch::{PunchRequest, PunchResponse};

use super::{Command, SwarmTask};
use crate::OverlayError;
use crate::punch::{self, PUNCH_WINDOW, Probe, quic_socket_addr};

/// An incoming direct connection from the peer this soon after a punch began is its result.
const PUNCH_COUNTS_FOR: Duration = Duration::from_secs(16);

#[derive(Default)]
pub(super) struct PortPunches {
    /// Dials through a hit: their failure is no failure of the peer.
    dials: HashSet<ConnectionId>,
    tasks: Vec<JoinHandle<()>>,
    /// Requests sent as they are ([`crate::OverlayHandle::punch_request`]).
    raw: HashMap<OutboundRequestId, super::Reply<PunchResponse>>,
}

impl PortPunches {
    pub(super) fn is_own_dial(&mut self, id: ConnectionId) -> bool {
        self.dials.remove(&id)
    }

    pub(super) fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl SwarmTask {
    /// Identify told us where `relay` sees us on this connection.
    pub(super) fn observed_by(&mut self, relay: PeerId, observed: &Multiaddr) {
        if self.relay_peers.contains(&relay)
            && let Some(addr) = quic_socket_addr(observed)
        {
            self.swarm.behaviour_mut().punch.observed(relay, addr);
        }
    }

    fn quic_listen_port(&self) -> Option<u16> {
        self.swarm.listeners().find_map(|a| {
            quic_socket_addr(a)
                .filter(SocketAddr::is_ipv4)
                .map(|s| s.port())
        })
    }

    fn spray_helps(&self) -> bool {
        let seen = self.swarm.behaviour().punch.seen();
        spray_helps(&seen, self.quic_listen_port())
    }

    /// Asks `peer` (over the circuit) for a port prediction punch; the behaviour decides
    /// whether now is the time.
    pub(super) fn start_port_punch(&mut self, peer: PeerId) {
        self.swarm.behaviour_mut().punch.ask(peer);
    }

    pub(super) fn on_punch_event(&mut self, event: punch::Event) {
        match event {
            punch::Event::Run {
                peer,
                token,
                targets,
            } => self.run_punch(peer, token, targets),
            punch::Event::Raw { id, response } => {
                if let Some(reply) = self.port_punch.raw.remove(&id) {
                    let _ = reply.send(response.ok_or(OverlayError::Closed));
                }
            }
        }
    }

    pub(super) fn punch_request(
        &mut self,
        peer: PeerId,
        request: PunchRequest,
        reply: super::Reply<PunchResponse>,
    ) {
        let id = self.swarm.behaviour_mut().punch.send_raw(peer, request);
        self.port_punch.raw.insert(id, reply);
    }

    fn run_punch(&mut self, peer: PeerId, token: [u8; 16], targets: Vec<SocketAddr>) {
        self.port_punch.tasks.retain(|t| !t.is_finished());
        let probe = Probe::new(token);

        let (hit, via) = oneshot::channel();
        self.port_punch
            .tasks
            .push(tokio::spawn(punch::fan_and_forward(
                targets.clone(),
                probe,
                hit,
            )));
        let commands = self.self_commands.clone();
        self.port_punch.tasks.push(tokio::spawn(async move {
            if let Ok(via) = via.await
                && let Some(commands) = commands.upgrade()
            {
                let _ = commands.send(Command::PunchHit { peer, via }).await;
            }
        }));

        let spraying = self.spray_helps();
        if spraying && let Some(socket) = self.quic_listen_port().and_then(punch::find_quic_socket)
        {
            let mut ips: Vec<IpAddr> = targets.iter().map(SocketAddr::ip).collect();
            ips.sort();
            ips.dedup();
            self.port_punch
                .tasks
                .push(tokio::spawn(punch::spray(socket, ips, probe)));
        }
        tracing::debug!(%peer, ?targets, spraying, window = ?PUNCH_WINDOW, "port prediction punch");
    }

    /// A fan socket has a path to `peer`: dial it through its loopback end.
    pub(super) fn punch_hit(&mut self, peer: PeerId, via: SocketAddr) {
        let addr = quic_multiaddr(via).with(Protocol::P2p(peer));
        let opts = DialOpts::peer_id(peer)
            .addresses(vec![addr])
            .condition(PeerCondition::Always)
            .build();
        let id = opts.connection_id();
        match self.swarm.dial(opts) {
            Ok(()) => {
                self.port_punch.dials.insert(id);
            }
            Err(e) => tracing::debug!(%peer, "no dial through the punched path: {e}"),
        }
    }

    /// Whether a new connection is the result of a port prediction punch (then it is marked
    /// as hole-punched).
    pub(super) fn port_punched(
        &mut self,
        peer: PeerId,
        id: ConnectionId,
        endpoint: &ConnectedPoint,
    ) -> bool {
        let ours = self.port_punch.dials.remove(&id);
        let theirs = !endpoint.is_relayed()
            && !endpoint.is_dialer()
            && self
                .swarm
                .behaviour()
                .punch
                .punched_lately(peer, PUNCH_COUNTS_FOR);
        if !(ours || theirs) {
            return false;
        }
        tracing::info!(%peer, method = "port prediction", "hole punch succeeded");
        self.punched.insert(id);
        true
    }
}

/// Spraying only helps when the peer can aim at our QUIC socket's one public port: every
/// relay saw us at the same port, and either two relays did (so the NAT maps per socket, not
/// per destination) or our NAT kept the port number itself (with one relay, a changed port
/// may as well be a new random one per destination).
fn spray_helps(seen: &[SocketAddr], listen_port: Option<u16>) -> bool {
    let Some(first) = seen.first() else {
        return false;
    };
    seen.iter().all(|a| a.port() == first.port())
        && (seen.len() > 1 || Some(first.port()) == listen_port)
}

fn quic_multiaddr(addr: SocketAddr) -> Multiaddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) => Protocol::Ip4(ip),
        IpAddr::V6(ip) => Protocol::Ip6(ip),
    };
    Multiaddr::empty()
        .with(ip)
        .with(Protocol::Udp(addr.port()))
        .with(Protocol::QuicV1)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn who_sprays() {
        let at = |port: u16| SocketAddr::new(Ipv4Addr::new(198, 51, 100, 7).into(), port);
        // Nobody saw us: nothing to aim at.
        assert!(!spray_helps(&[], Some(4001)));
        // The port kept.
        assert!(spray_helps(&[at(4001)], Some(4001)));
        // One relay, another port: maybe a new one per destination.
        assert!(!spray_helps(&[at(23204)], Some(4001)));
        // Two relays, one other port: one port per socket (a carrier-grade NAT, say).
        assert!(spray_helps(&[at(23204), at(23204)], Some(4001)));
        // Two relays, two ports: symmetric.
        assert!(!spray_helps(&[at(23204), at(40112)], Some(4001)));
    }

    #[test]
    fn loopback_dial_address() {
        let via = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 40_000);
        assert_eq!(
            quic_multiaddr(via).to_string(),
            "/ip4/127.0.0.1/udp/40000/quic-v1"
        );
        assert_eq!(quic_socket_addr(&quic_multiaddr(via)), Some(via));
    }
}
