//! The port prediction punch as a libp2p behaviour with its own protocol
//! ([`wire::punch::PUNCH_PROTOCOL`]): offers between nodes over a relay circuit, and the
//! relay's answer to where it sees the other end of a circuit.
//!
//! The behaviour decides and talks; it sends no probe itself. Once both the offer exchange
//! and the relay's view are in, it reports [`Event::Run`] with the targets the swarm task
//! then fans and sprays at ([`super::fan_and_forward`], [`super::spray`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};
use std::time::Instant;

use libp2p::core::transport::PortUse;
use libp2p::core::{ConnectedPoint, Endpoint};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId, StreamProtocol};
use wire::punch::{PUNCH_PROTOCOL, PunchOffer, PunchRequest, PunchResponse, Vouch};

use super::policy::{Policy, aim};
use crate::VouchCheck;
use crate::codec::PunchCodec;

/// Addresses of one peer a relay tells: its connections, a handful at most.
const MAX_SEEN: usize = 8;
/// Peers we keep a vouch of ours for at once (one per peer we are about to send to).
const MAX_VOUCHES: usize = 1024;

type Inner = request_response::Behaviour<PunchCodec>;

/// What the swarm task acts on.
#[derive(Debug)]
pub(crate) enum Event {
    /// Probe `targets` for `peer` with `token` now.
    Run {
        peer: PeerId,
        token: [u8; 16],
        targets: Vec<SocketAddr>,
    },
    /// The answer to a request sent with [`Behaviour::send_raw`] (`None`: it failed).
    Raw {
        id: OutboundRequestId,
        response: Option<PunchResponse>,
    },
}

/// A connection as the punch sees it.
struct Conn {
    peer: PeerId,
    /// The relay a circuit runs through; `None` for a direct connection.
    relay: Option<PeerId>,
    /// The other end's address, on a direct connection.
    remote: Option<SocketAddr>,
}

/// An offer exchange waiting for the relay's view of the peer.
enum Check {
    /// Their offer: answered once the relay confirms where they are.
    Join {
        peer: PeerId,
        offer: PunchOffer,
        channel: ResponseChannel<PunchResponse>,
    },
    /// Their answer to our offer.
    Answered { peer: PeerId, offer: PunchOffer },
}

pub(crate) struct Behaviour {
    inner: Inner,
    /// A service server answers where it sees its circuits' ends; a node exchanges offers.
    relay_server: bool,
    conns: HashMap<ConnectionId, Conn>,
    /// Relay side: circuits running through us, (source, destination), with their count.
    circuits: HashMap<(PeerId, PeerId), usize>,
    /// Node side: where each relay sees our QUIC socket.
    seen_at: HashMap<PeerId, SocketAddr>,
    policy: Policy,
    /// Peers we wait to send to: their offers need no vouch.
    waiting: HashSet<PeerId>,
    /// What we show the peers we are about to send to, so they join our punch.
    vouches: HashMap<PeerId, Vouch>,
    vouch_check: Option<VouchCheck>,
    /// Whether targets in private networks are allowed (a service network that runs on one).
    private_targets: bool,
    /// Our offers on their way, with their tokens.
    asked: HashMap<OutboundRequestId, (PeerId, [u8; 16])>,
    checking: HashMap<OutboundRequestId, Check>,
    /// Requests sent as they are, whose answers go back unread.
    raw: HashSet<OutboundRequestId>,
    events: VecDeque<Event>,
}

impl Behaviour {
    pub(crate) fn new(
        relay_server: bool,
        vouch_check: Option<VouchCheck>,
        private_targets: bool,
        config: request_response::Config,
    ) -> Self {
        Behaviour {
            inner: Inner::with_codec(
                PunchCodec::punch(),
                [(StreamProtocol::new(PUNCH_PROTOCOL), ProtocolSupport::Full)],
                config,
            ),
            relay_server,
            conns: HashMap::new(),
            circuits: HashMap::new(),
            seen_at: HashMap::new(),
            policy: Policy::default(),
            waiting: HashSet::new(),
            vouches: HashMap::new(),
            vouch_check,
            private_targets,
            asked: HashMap::new(),
            checking: HashMap::new(),
            raw: HashSet::new(),
            events: VecDeque::new(),
        }
    }

    /// `relay` (one we hold a reservation on) sees our QUIC socket at `addr`.
    pub(crate) fn observed(&mut self, relay: PeerId, addr: SocketAddr) {
        self.seen_at.insert(relay, addr);
    }

    /// Where relays see our QUIC socket, one entry per relay.
    pub(crate) fn seen(&self) -> Vec<SocketAddr> {
        self.seen_at.values().copied().collect()
    }

    /// Relay side: a circuit from `src` to `dst` opened (`true`) or closed.
    pub(crate) fn circuit(&mut self, src: PeerId, dst: PeerId, open: bool) {
        let n = self.circuits.entry((src, dst)).or_default();
        if open {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.circuits.remove(&(src, dst));
            }
        }
    }

    /// Whether we wait to send data to `peer`. A wait that ends takes our vouch for it along.
    pub(crate) fn set_waiting(&mut self, peer: PeerId, waiting: bool) {
        if waiting {
            self.waiting.insert(peer);
        } else if self.waiting.remove(&peer) {
            self.vouches.remove(&peer);
        }
    }

    /// What to show `peer` when we ask it for a punch.
    pub(crate) fn vouch_for(&mut self, peer: PeerId, vouch: Vouch) {
        if self.vouches.len() >= MAX_VOUCHES && !self.vouches.contains_key(&peer) {
            let waiting = &self.waiting;
            self.vouches.retain(|p, _| waiting.contains(p));
        }
        if self.vouches.len() < MAX_VOUCHES {
            self.vouches.insert(peer, vouch);
        }
    }

    /// Whether `peer` is a node we should join a punch with: one we wait to send to, or one
    /// whose vouch shows it sending to an account hosted here.
    fn expected(&self, peer: PeerId, offer: &PunchOffer) -> bool {
        self.waiting.contains(&peer)
            || offer
                .vouch
                .as_ref()
                .zip(self.vouch_check.as_ref())
                .is_some_and(|(vouch, check)| (check.0)(&peer, vouch))
    }

    pub(crate) fn runs_with(&self, peer: PeerId) -> bool {
        self.policy.runs_with(Instant::now(), peer)
    }

    /// Whether `peer` was asked or joined within `within`.
    pub(crate) fn punched_lately(&self, peer: PeerId, within: std::time::Duration) -> bool {
        self.policy.punched_lately(Instant::now(), peer, within)
    }

    fn own_offer(&self, token: [u8; 16]) -> PunchOffer {
        let mut quic_addrs = self.seen();
        quic_addrs.sort();
        quic_addrs.dedup();
        quic_addrs.truncate(wire::punch::MAX_TARGETS);
        PunchOffer {
            token,
            quic_addrs,
            vouch: None,
        }
    }

    /// Asks `peer` (over the circuit, the only connection while this is called) for a port
    /// prediction punch, unless we have just tried, another punch runs, or we have nothing
    /// to offer.
    pub(crate) fn ask(&mut self, peer: PeerId) {
        if self.seen_at.is_empty() || !self.policy.ask(Instant::now(), peer) {
            return;
        }
        let token: [u8; 16] = rand::random();
        let offer = PunchOffer {
            vouch: self.vouches.get(&peer).cloned(),
            ..self.own_offer(token)
        };
        let id = self.inner.send_request(&peer, PunchRequest::Offer(offer));
        self.asked.insert(id, (peer, token));
        tracing::debug!(%peer, "hole punch by port prediction asked");
    }

    /// Sends `request` to `peer` as it is, bypassing every decision of ours: what a peer that
    /// does not follow the protocol could send (for the protocol's tests).
    pub(crate) fn send_raw(&mut self, peer: PeerId, request: PunchRequest) -> OutboundRequestId {
        let id = self.inner.send_request(&peer, request);
        self.raw.insert(id);
        id
    }

    fn respond(&mut self, channel: ResponseChannel<PunchResponse>, response: PunchResponse) {
        if self.inner.send_response(channel, response).is_err() {
            tracing::debug!("punch request withdrawn before the answer");
        }
    }

    fn refuse(&mut self, peer: PeerId, channel: ResponseChannel<PunchResponse>, why: &str) {
        tracing::debug!(%peer, why, "punch request refused");
        self.respond(channel, PunchResponse::Refused(why.to_string()));
    }

    /// Asks the relay of `connection` where it sees `peer`, to go on with `check`.
    fn ask_relay(&mut self, connection: ConnectionId, peer: PeerId, check: Check) -> bool {
        let Some(relay) = self.conns.get(&connection).and_then(|c| c.relay) else {
            return false;
        };
        let id = self.inner.send_request(
            &relay,
            PunchRequest::WhereIs {
                peer: peer.to_bytes(),
            },
        );
        self.checking.insert(id, check);
        true
    }

    fn on_request(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        request: PunchRequest,
        channel: ResponseChannel<PunchResponse>,
    ) {
        match request {
            PunchRequest::WhereIs { peer: of } => {
                let answer = self.where_is(peer, connection, &of);
                match answer {
                    Ok(seen) => self.respond(channel, PunchResponse::SeenAt(seen)),
                    Err(why) => self.refuse(peer, channel, why),
                }
            }
            PunchRequest::Offer(offer) => {
                if self.relay_server {
                    return self.refuse(peer, channel, "not a node");
                }
                let Some(relay) = self.conns.get(&connection).and_then(|c| c.relay) else {
                    return self.refuse(peer, channel, "already connected directly");
                };
                let have_address = !self.seen_at.is_empty();
                if let Err(no) = self.policy.join(
                    Instant::now(),
                    peer,
                    relay,
                    offer.quic_addrs.len(),
                    have_address,
                ) {
                    return self.refuse(peer, channel, no.text());
                }
                // Counted first: a stranger's vouch is checked (two signatures) only within
                // the budget.
                if !self.expected(peer, &offer) {
                    return self.refuse(peer, channel, "not expected");
                }
                let check = Check::Join {
                    peer,
                    offer,
                    channel,
                };
                self.ask_relay(connection, peer, check);
            }
        }
    }

    /// Relay side: where we see `of` (PeerId bytes), told only to the other end of a circuit
    /// between the two that runs through us, and only over a direct connection.
    fn where_is(
        &self,
        asker: PeerId,
        connection: ConnectionId,
        of: &[u8],
    ) -> Result<Vec<SocketAddr>, &'static str> {
        if !self.relay_server {
            return Err("not a relay");
        }
        if self
            .conns
            .get(&connection)
            .is_none_or(|c| c.relay.is_some())
        {
            return Err("asked over a circuit");
        }
        let of = PeerId::from_bytes(of).map_err(|_| "no such peer")?;
        if !self.circuits.contains_key(&(asker, of)) && !self.circuits.contains_key(&(of, asker)) {
            return Err("no circuit between you");
        }
        let mut seen: Vec<SocketAddr> = self
            .conns
            .values()
            .filter(|c| c.peer == of && c.relay.is_none())
            .filter_map(|c| c.remote)
            .collect();
        seen.sort();
        seen.dedup();
        seen.truncate(MAX_SEEN);
        Ok(seen)
    }

    fn on_response(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        id: OutboundRequestId,
        response: Option<PunchResponse>,
    ) {
        if self.raw.remove(&id) {
            self.events.push_back(Event::Raw { id, response });
            return;
        }
        if let Some((asked, token)) = self.asked.remove(&id) {
            match response {
                Some(PunchResponse::Offer(offer)) if offer.token == token && asked == peer => {
                    let check = Check::Answered { peer, offer };
                    if !self.ask_relay(connection, peer, check) {
                        tracing::debug!(%peer, "punch answer not over a circuit");
                    }
                }
                other => tracing::debug!(%peer, ?other, "no port prediction punch"),
            }
            return;
        }
        let Some(check) = self.checking.remove(&id) else {
            return;
        };
        let seen = match response {
            Some(PunchResponse::SeenAt(seen)) => seen,
            other => {
                tracing::debug!(relay = %peer, ?other, "relay did not say where the peer is");
                Vec::new()
            }
        };
        match check {
            Check::Join {
                peer,
                offer,
                channel,
            } => {
                let targets = aim(&offer.quic_addrs, &seen, self.private_targets);
                if targets.is_empty() {
                    return self.refuse(peer, channel, "not where your relay sees you");
                }
                let answer = self.own_offer(offer.token);
                if self
                    .inner
                    .send_response(channel, PunchResponse::Offer(answer))
                    .is_ok()
                {
                    self.run(peer, offer.token, targets);
                }
            }
            Check::Answered { peer, offer } => {
                let targets = aim(&offer.quic_addrs, &seen, self.private_targets);
                if targets.is_empty() {
                    tracing::debug!(%peer, "punch answer names none of the peer's addresses");
                    return;
                }
                self.run(peer, offer.token, targets);
            }
        }
    }

    fn run(&mut self, peer: PeerId, token: [u8; 16], targets: Vec<SocketAddr>) {
        self.policy.run(Instant::now(), peer);
        self.events.push_back(Event::Run {
            peer,
            token,
            targets,
        });
    }

    fn on_inner(&mut self, event: request_response::Event<PunchRequest, PunchResponse>) {
        match event {
            request_response::Event::Message {
                peer,
                connection_id,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
            } => self.on_request(peer, connection_id, request, channel),
            request_response::Event::Message {
                peer,
                connection_id,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
            } => self.on_response(peer, connection_id, request_id, Some(response)),
            request_response::Event::OutboundFailure {
                peer,
                connection_id,
                request_id,
                error,
            } => {
                tracing::debug!(%peer, "punch request failed: {error}");
                self.on_response(peer, connection_id, request_id, None);
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "punch request not answered: {error}");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}

/// The relay a circuit runs through: the peer id right before `/p2p-circuit`.
fn relay_of(addr: &Multiaddr) -> Option<PeerId> {
    let mut last = None;
    for p in addr.iter() {
        match p {
            Protocol::P2p(id) => last = Some(id),
            Protocol::P2pCircuit => return last,
            _ => {}
        }
    }
    None
}

/// The IP and port of a plain TCP or UDP address.
fn socket_of(addr: &Multiaddr) -> Option<SocketAddr> {
    let mut iter = addr.iter();
    let ip: IpAddr = match iter.next()? {
        Protocol::Ip4(ip) => ip.into(),
        Protocol::Ip6(ip) => ip.into(),
        _ => return None,
    };
    match iter.next()? {
        Protocol::Udp(port) | Protocol::Tcp(port) => Some(SocketAddr::new(ip, port)),
        _ => None,
    }
}

fn describe(peer: PeerId, endpoint: &ConnectedPoint) -> Conn {
    let (local, remote) = match endpoint {
        ConnectedPoint::Dialer { address, .. } => (None, address),
        ConnectedPoint::Listener {
            local_addr,
            send_back_addr,
        } => (Some(local_addr), send_back_addr),
    };
    let relay = if endpoint.is_relayed() {
        relay_of(remote).or_else(|| local.and_then(relay_of))
    } else {
        None
    };
    Conn {
        peer,
        relay,
        remote: relay.is_none().then(|| socket_of(remote)).flatten(),
    }
}

impl NetworkBehaviour for Behaviour {
    type ConnectionHandler = <Inner as NetworkBehaviour>::ConnectionHandler;
    type ToSwarm = Event;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.inner
            .handle_pending_inbound_connection(id, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner
            .handle_established_inbound_connection(id, peer, local, remote)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.inner
            .handle_pending_outbound_connection(id, peer, addresses, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.inner
            .handle_established_outbound_connection(id, peer, addr, role, port_use)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match &event {
            FromSwarm::ConnectionEstablished(e) => {
                self.conns
                    .insert(e.connection_id, describe(e.peer_id, e.endpoint));
            }
            FromSwarm::ConnectionClosed(e) => {
                self.conns.remove(&e.connection_id);
                if e.remaining_established == 0 {
                    // What a relay saw may be stale by the time we are back (another
                    // network, another NAT).
                    self.seen_at.remove(&e.peer_id);
                    // Circuits end with their connections to us; the relay's own event may
                    // not come when the whole connection drops.
                    let gone = e.peer_id;
                    self.circuits.retain(|(s, d), _| *s != gone && *d != gone);
                }
            }
            _ => {}
        }
        self.inner.on_swarm_event(event);
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        self.inner.on_connection_handler_event(peer, id, event);
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Event, THandlerInEvent<Self>>> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Poll::Ready(ToSwarm::GenerateEvent(event));
            }
            match self.inner.poll(cx) {
                Poll::Ready(ToSwarm::GenerateEvent(event)) => self.on_inner(event),
                Poll::Ready(other) => {
                    return Poll::Ready(other.map_out(|_| unreachable!("events are taken above")));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
#[path = "behaviour_tests.rs"]
mod tests;
