//! The swarm task's side of port prediction hole punching ([`crate::punch`]): where relays
//! see our QUIC socket, the offer exchanged over the circuit, and the dial through a hit.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use libp2p::core::ConnectedPoint;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::swarm::ConnectionId;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wire::proto::{PunchOffer, Refusal, RefusalCode, Request, Response};

use super::{Command, SwarmTask};
use crate::punch::{self, PUNCH_WINDOW, Probe, quic_socket_addr};

/// A pair is punched this way at most once per wait for a direct connection (15 s).
const PUNCH_AGAIN_AFTER: Duration = Duration::from_secs(15);
/// An incoming direct connection from the peer this soon after a punch began is its result.
const PUNCH_COUNTS_FOR: Duration = Duration::from_secs(16);
/// Addresses an offer may name: where the peer's servers see its QUIC socket, which is one
/// socket seen over IPv4 and IPv6 at most. Every target costs a fan of probes.
const MAX_TARGETS: usize = 2;
/// Punches joined or started in one minute, with whomever: fresh peer ids cost nothing, so
/// the per-peer wait alone does not bound what a stream of offers makes the node send.
const MAX_PUNCHES_PER_MINUTE: usize = 6;

#[derive(Default)]
pub(super) struct PortPunches {
    /// Per relay reached over QUIC, where it sees our QUIC socket.
    seen_at: HashMap<PeerId, SocketAddr>,
    started: HashMap<PeerId, Instant>,
    /// The punch that runs, and until when. One at a time, whoever asks: an offer names where
    /// our probes go, so a stream of offers (from ever new peer ids) must not turn the node
    /// into a packet hose.
    running: Option<(PeerId, Instant)>,
    /// Our offers on their way, with their tokens.
    asked: HashMap<OutboundRequestId, (PeerId, [u8; 16])>,
    /// Dials through a hit: their failure is no failure of the peer.
    dials: HashSet<ConnectionId>,
    /// When the punches of the last minute began.
    recent: std::collections::VecDeque<Instant>,
    /// When we last joined a punch another peer asked for, per peer.
    joined: HashMap<PeerId, Instant>,
    tasks: Vec<JoinHandle<()>>,
}

impl PortPunches {
    pub(super) fn asked(&self, id: OutboundRequestId) -> bool {
        self.asked.contains_key(&id)
    }

    pub(super) fn is_own_dial(&mut self, id: ConnectionId) -> bool {
        self.dials.remove(&id)
    }

    fn busy(&self) -> bool {
        self.running
            .is_some_and(|(_, until)| Instant::now() < until)
    }

    /// Whether another punch fits this minute's budget.
    fn budget_left(&mut self) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|t| t.elapsed() >= Duration::from_secs(60))
        {
            self.recent.pop_front();
        }
        self.recent.len() < MAX_PUNCHES_PER_MINUTE
    }

    /// Whether a punch with `peer` still runs (its hit may yet come).
    pub(super) fn runs_with(&self, peer: PeerId) -> bool {
        self.busy() && self.running.is_some_and(|(p, _)| p == peer)
    }

    /// The last connection to `peer` closed: if it was a relay, what it saw may be stale by
    /// the time we are back (another network, another NAT).
    pub(super) fn disconnected(&mut self, peer: PeerId) {
        self.seen_at.remove(&peer);
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
            self.port_punch.seen_at.insert(relay, addr);
        }
    }

    fn quic_listen_port(&self) -> Option<u16> {
        self.swarm.listeners().find_map(|a| {
            quic_socket_addr(a)
                .filter(SocketAddr::is_ipv4)
                .map(|s| s.port())
        })
    }

    fn own_quic_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs: Vec<SocketAddr> = self.port_punch.seen_at.values().copied().collect();
        addrs.sort();
        addrs.dedup();
        addrs
    }

    fn spray_helps(&self) -> bool {
        let seen: Vec<SocketAddr> = self.port_punch.seen_at.values().copied().collect();
        spray_helps(&seen, self.quic_listen_port())
    }

    fn offer(&self, token: [u8; 16]) -> PunchOffer {
        PunchOffer {
            token,
            quic_addrs: self
                .own_quic_addrs()
                .into_iter()
                .map(|a| quic_multiaddr(a).to_string())
                .collect(),
        }
    }

    /// Asks `peer` (over the circuit) for a port prediction punch, unless we have just tried,
    /// another punch runs, or we have no QUIC address to offer.
    pub(super) fn start_port_punch(&mut self, peer: PeerId) {
        if self
            .port_punch
            .started
            .get(&peer)
            .is_some_and(|t| t.elapsed() < PUNCH_AGAIN_AFTER)
            || self.port_punch.seen_at.is_empty()
            || self.port_punch.busy()
            || !self.port_punch.budget_left()
        {
            return;
        }
        let token: [u8; 16] = rand::random();
        let offer = self.offer(token);
        let id = self
            .swarm
            .behaviour_mut()
            .control
            .send_request(&peer, Request::Punch(offer));
        self.port_punch.asked.insert(id, (peer, token));
        self.port_punch.started.insert(peer, Instant::now());
        tracing::debug!(%peer, "hole punch by port prediction asked");
    }

    /// An offer of `peer`'s, which came over `connection`.
    pub(super) fn on_punch_offer(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        offer: PunchOffer,
        channel: ResponseChannel<Response>,
    ) {
        let over_circuit = self
            .connections
            .get(&peer)
            .and_then(|c| c.get(&connection))
            .copied()
            .unwrap_or(false);
        let refusal = if self.relay_server {
            Some(Refusal::new(RefusalCode::BadRequest, "not a node"))
        } else if !over_circuit {
            Some(Refusal::new(
                RefusalCode::BadRequest,
                "already connected directly",
            ))
        } else if offer.quic_addrs.len() > MAX_TARGETS {
            Some(Refusal::new(RefusalCode::BadRequest, "too many addresses"))
        } else if self.port_punch.busy()
            || !self.port_punch.budget_left()
            || self
                .port_punch
                .joined
                .get(&peer)
                .is_some_and(|t| t.elapsed() < PUNCH_AGAIN_AFTER)
        {
            Some(Refusal::new(RefusalCode::TryLater, "no hole punch now"))
        } else {
            None
        };
        let accepted = refusal.is_none();
        let answer = match refusal {
            Some(refusal) => Response::Refused(refusal),
            None => Response::Punch(self.offer(offer.token)),
        };
        if self
            .swarm
            .behaviour_mut()
            .control
            .send_response(channel, answer)
            .is_err()
        {
            tracing::debug!(%peer, "punch offer withdrawn before the answer");
            return;
        }
        if accepted {
            self.port_punch
                .joined
                .retain(|_, t| t.elapsed() < PUNCH_AGAIN_AFTER);
            self.port_punch.joined.insert(peer, Instant::now());
            self.run_punch(peer, offer);
        }
    }

    /// The answer to one of our offers (`None`: the request failed).
    pub(super) fn on_punch_answer(&mut self, id: OutboundRequestId, answer: Option<Response>) {
        let Some((peer, token)) = self.port_punch.asked.remove(&id) else {
            return;
        };
        match answer {
            Some(Response::Punch(offer)) if offer.token == token => self.run_punch(peer, offer),
            other => tracing::debug!(%peer, ?other, "no port prediction punch"),
        }
    }

    fn run_punch(&mut self, peer: PeerId, offer: PunchOffer) {
        let targets: Vec<SocketAddr> = offer
            .quic_addrs
            .iter()
            .take(MAX_TARGETS)
            .filter_map(|a| a.parse::<Multiaddr>().ok())
            .filter_map(|a| quic_socket_addr(&a))
            .filter(|a| punch_target(a.ip()))
            .collect();
        if targets.is_empty() {
            return;
        }
        self.port_punch.started.insert(peer, Instant::now());
        self.port_punch.recent.push_back(Instant::now());
        // The window, and a little for the dial through a late hit.
        self.port_punch.running = Some((
            peer,
            Instant::now() + PUNCH_WINDOW + Duration::from_millis(500),
        ));
        self.port_punch.tasks.retain(|t| !t.is_finished());
        let probe = Probe::new(offer.token);

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
                .port_punch
                .started
                .get(&peer)
                .is_some_and(|t| t.elapsed() < PUNCH_COUNTS_FOR);
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

/// Whether probes may go to `ip`: an address a peer's servers can have seen it at. Never our
/// own host, a broadcast, a multicast group, a link-local or a documentation address. (Private
/// ranges stay allowed: a service network may well run on one.)
fn punch_target(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_link_local()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || v6.to_ipv4_mapped().is_some())
        }
    }
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
    fn probes_go_only_where_a_peer_can_be() {
        for ok in [
            "10.200.0.7",
            "198.18.3.4",
            "100.64.1.2",
            "2a01:4f8::1",
            "85.1.2.3",
        ] {
            assert!(punch_target(ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.251",
            "255.255.255.255",
            "169.254.1.1",
            "192.0.2.1",
            "240.0.0.1",
            "::1",
            "::",
            "ff02::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!punch_target(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn a_minute_has_a_budget_of_punches() {
        let mut p = PortPunches::default();
        for _ in 0..MAX_PUNCHES_PER_MINUTE {
            assert!(p.budget_left());
            p.recent.push_back(Instant::now());
        }
        assert!(!p.budget_left());
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
