//! The one task that owns the [`Swarm`]. Handles talk to it only through [`Command`]s, so
//! no lock is ever held across the network and the swarm is polled without interruption.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::core::ConnectedPoint;
use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundFailure, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, DialError, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, identify, relay};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use wire::proto::{Refusal, RefusalCode, Request, Response};

use crate::OverlayError;
use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::inbound::Inbound;

mod direct_path;
mod events;
mod port_punch;

/// How long to wait before asking a relay for a new reservation after losing one: soon at
/// first (a restarted service server is back within seconds), then doubling up to the most.
const RELAY_RETRY_FIRST: Duration = Duration::from_secs(1);
const RELAY_RETRY_MOST: Duration = Duration::from_secs(30);

/// How long a stopping overlay waits for its connections to close.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

type Reply<T> = oneshot::Sender<Result<T, OverlayError>>;

pub(crate) enum Command {
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    AddPeerAddrs {
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        done: oneshot::Sender<()>,
    },
    /// Resolves once some connection to the peer is up.
    Connect {
        peer: PeerId,
        reply: Reply<()>,
    },
    Request {
        peer: PeerId,
        request: Request,
        reply: Reply<Response>,
    },
    /// Resolves once the peer is reachable only directly, so that a data stream cannot land
    /// on a relay circuit (which would cut it off after a few KiB); with whether that direct
    /// connection came from a hole punch.
    PrepareData {
        peer: PeerId,
        reply: Reply<bool>,
    },
    IsDirect {
        peer: PeerId,
        reply: oneshot::Sender<bool>,
    },
    RetryRelay(Multiaddr),
    /// A data stream may still wait for a hole punch to `peer`: try it anew.
    Repunch(PeerId),
    /// A data stream may still wait for a hole punch to `peer`: try port prediction.
    PortPunch(PeerId),
    /// What to show `peer` when asking it for a hole punch.
    Vouch {
        peer: PeerId,
        vouch: wire::punch::Vouch,
    },
    /// One hole punch protocol request, sent as it is.
    PunchRequest {
        peer: PeerId,
        request: wire::punch::PunchRequest,
        reply: Reply<wire::punch::PunchResponse>,
    },
    /// A port prediction punch found a path to `peer`, reached at `via` on loopback.
    PunchHit {
        peer: PeerId,
        via: std::net::SocketAddr,
    },
    Shutdown(oneshot::Sender<()>),
}

pub(crate) struct SwarmTask {
    pub(crate) swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    /// Weak, so that the task still stops once every handle is gone.
    self_commands: mpsc::WeakSender<Command>,
    inbound: mpsc::Sender<Inbound>,
    relay_server: bool,
    reply_timeout: Duration,
    data_forwarder: Option<JoinHandle<()>>,
    relay_listeners: HashMap<ListenerId, Multiaddr>,
    /// Relays we hold (or are getting back) a reservation on.
    relay_peers: HashSet<PeerId>,
    /// The next wait before asking a relay again, per relay; reset by an accepted reservation.
    relay_backoff: HashMap<PeerId, Duration>,
    /// Relays we also dialled over QUIC, after the first connection came up over TCP.
    relay_quic_dialled: HashSet<PeerId>,
    addr_book: HashMap<PeerId, Vec<Multiaddr>>,
    /// Bumped whenever the set of listen addresses changes (a relay circuit comes or goes),
    /// so the node can tell the directory where it is now.
    addrs_changed: tokio::sync::watch::Sender<u64>,
    /// Per peer, its connections and whether each is relayed.
    connections: HashMap<PeerId, HashMap<ConnectionId, bool>>,
    /// Direct connections that dcutr opened (a hole punch), while they are up.
    punched: HashSet<ConnectionId>,
    /// Peers whose circuit was dropped to be dialled again for a new hole punch.
    repunching: HashSet<PeerId>,
    last_dial_error: HashMap<PeerId, String>,
    connect_waiters: HashMap<PeerId, Vec<Reply<()>>>,
    data_waiters: HashMap<PeerId, Vec<Reply<bool>>>,
    pending_requests: HashMap<OutboundRequestId, Reply<Response>>,
    pending_replies:
        FuturesUnordered<BoxFuture<'static, (ResponseChannel<Response>, Option<Response>)>>,
    port_punch: port_punch::PortPunches,
}

impl SwarmTask {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        self_commands: mpsc::WeakSender<Command>,
        inbound: mpsc::Sender<Inbound>,
        relay_server: bool,
        reply_timeout: Duration,
    ) -> Self {
        SwarmTask {
            swarm,
            commands,
            self_commands,
            inbound,
            relay_server,
            reply_timeout,
            data_forwarder: None,
            relay_listeners: HashMap::new(),
            relay_peers: HashSet::new(),
            relay_backoff: HashMap::new(),
            relay_quic_dialled: HashSet::new(),
            addr_book: HashMap::new(),
            addrs_changed: tokio::sync::watch::Sender::new(0),
            connections: HashMap::new(),
            punched: HashSet::new(),
            repunching: HashSet::new(),
            last_dial_error: HashMap::new(),
            connect_waiters: HashMap::new(),
            data_waiters: HashMap::new(),
            pending_requests: HashMap::new(),
            pending_replies: FuturesUnordered::new(),
            port_punch: Default::default(),
        }
    }

    pub(crate) fn addr_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.addrs_changed.subscribe()
    }

    fn addrs_changed(&self) {
        self.addrs_changed.send_modify(|n| *n += 1);
    }

    pub(crate) fn set_data_forwarder(&mut self, forwarder: JoinHandle<()>) {
        self.data_forwarder = Some(forwarder);
    }

    pub(crate) fn add_relay(&mut self, relay: Multiaddr) -> Result<(), OverlayError> {
        let Some(Protocol::P2p(relay_peer)) = relay.iter().last() else {
            return Err(OverlayError::Config(format!(
                "relay address {relay} does not end in /p2p/<peer id>"
            )));
        };
        self.remember(relay_peer, vec![relay.clone()]);
        // One circuit per relay: the relay keeps one reservation per peer, so a second
        // listener (the same server over the other transport) would displace the first,
        // and the two would take turns forever. The first address given picks the transport
        // (an existing connection to the relay is reused either way).
        if !self.relay_peers.insert(relay_peer) {
            return Ok(());
        }
        // No dial of our own: listening on the circuit makes the relay client dial the relay
        // (or reuse a connection), and a concurrent dial of ours would make its dial fail the
        // "not already dialing" condition, which closes the circuit listener at once.
        self.listen_via_relay(relay);
        Ok(())
    }

    fn listen_via_relay(&mut self, relay: Multiaddr) {
        match self
            .swarm
            .listen_on(relay.clone().with(Protocol::P2pCircuit))
        {
            Ok(id) => {
                self.relay_listeners.insert(id, relay);
            }
            Err(e) => {
                tracing::warn!(%relay, "cannot listen via relay: {e}");
                self.retry_relay_later(relay);
            }
        }
    }

    fn retry_relay_later(&mut self, relay: Multiaddr) {
        let wait = match relay.iter().last() {
            Some(Protocol::P2p(peer)) => {
                let next = self.relay_backoff.entry(peer).or_insert(RELAY_RETRY_FIRST);
                let wait = *next;
                *next = (wait * 2).min(RELAY_RETRY_MOST);
                wait
            }
            _ => RELAY_RETRY_MOST,
        };
        tracing::debug!(%relay, ?wait, "asking the relay again later");
        self.command_later(wait, Command::RetryRelay(relay));
    }

    /// Hands the task a command of its own after `after`, unless the task has ended by then.
    fn command_later(&self, after: Duration, command: Command) {
        let commands = self.self_commands.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Some(commands) = commands.upgrade() {
                let _ = commands.send(command).await;
            }
        });
    }

    fn remember(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        let book = self.addr_book.entry(peer).or_default();
        for addr in addrs {
            if !book.contains(&addr) {
                book.push(addr.clone());
            }
            // Also for the behaviours' own dials (data streams, redials).
            self.swarm.add_peer_address(peer, addr);
        }
    }

    pub(crate) async fn run(mut self) {
        let done = loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    None => break None,
                    Some(Command::Shutdown(done)) => break Some(done),
                    Some(command) => self.on_command(command),
                },
                Some((channel, response)) = self.pending_replies.next(),
                    if !self.pending_replies.is_empty() =>
                {
                    // No response (the application dropped the reply) means dropping the
                    // channel, which the requester sees as an error.
                    if let Some(response) = response
                        && self.swarm.behaviour_mut().control.send_response(channel, response).is_err()
                    {
                        tracing::debug!("requester went away before the response");
                    }
                }
            }
        };
        self.stop();
        // The peers are told: a QUIC connection dropped unclosed would look alive to them
        // until its idle timeout, and a request sent meanwhile (to a restarted server, say)
        // would wait for nothing.
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            while !self.connections.is_empty() {
                let event = self.swarm.select_next_some().await;
                self.on_swarm_event(event);
            }
        })
        .await;
        // Dropped before answering, so that once `shutdown` returns the ports are closed.
        drop(self);
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    /// Listeners and connections end when the swarm is dropped right after this.
    fn stop(&mut self) {
        tracing::debug!("overlay stopping");
        if let Some(forwarder) = self.data_forwarder.take() {
            forwarder.abort();
        }
        self.port_punch.stop();
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in peers {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs(reply) => {
                let local = *self.swarm.local_peer_id();
                let addrs = self
                    .swarm
                    .listeners()
                    .map(|a| strip_own_id(a.clone(), local))
                    .collect();
                let _ = reply.send(addrs);
            }
            Command::AddPeerAddrs { peer, addrs, done } => {
                self.remember(peer, addrs);
                let _ = done.send(());
            }
            Command::Connect { peer, reply } => self.connect(peer, reply),
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let addrs = self.addr_book.get(&peer).cloned().unwrap_or_default();
                let id = self
                    .swarm
                    .behaviour_mut()
                    .control
                    .send_request_with_addresses(&peer, request, addrs);
                tracing::trace!(%peer, ?id, "control request queued");
                self.pending_requests.insert(id, reply);
            }
            Command::PrepareData { peer, reply } => self.prepare_data(peer, reply),
            Command::Repunch(peer) => self.repunch(peer),
            Command::PortPunch(peer) => self.port_punch_if_waiting(peer),
            Command::PunchHit { peer, via } => self.punch_hit(peer, via),
            Command::PunchRequest {
                peer,
                request,
                reply,
            } => self.punch_request(peer, request, reply),
            Command::Vouch { peer, vouch } => {
                self.swarm.behaviour_mut().punch.vouch_for(peer, vouch);
            }
            Command::IsDirect { peer, reply } => {
                let _ = reply.send(self.is_direct(peer));
            }
            Command::RetryRelay(relay) => self.listen_via_relay(relay),
            // `run` takes shutdowns before they get here.
            Command::Shutdown(_) => {}
        }
    }

    fn connect(&mut self, peer: PeerId, reply: Reply<()>) {
        if self.swarm.is_connected(&peer) {
            let _ = reply.send(Ok(()));
            return;
        }
        self.connect_waiters.entry(peer).or_default().push(reply);
        let addrs = self.addr_book.get(&peer).cloned().unwrap_or_default();
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .extend_addresses_through_behaviour()
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        match self.swarm.dial(opts) {
            Ok(()) => {}
            // Another dial is on its way; its outcome answers the waiters.
            Err(DialError::DialPeerConditionFalse(_)) => {}
            Err(e) => self.fail_connect_waiters(peer, e.to_string()),
        }
    }

    /// Drops `addr` (a dialled address, ending in the expected /p2p/) from what we dial
    /// `peer` at; true if it was there.
    fn forget_address(&mut self, peer: PeerId, addr: &Multiaddr) -> bool {
        let Some(book) = self.addr_book.get_mut(&peer) else {
            return false;
        };
        let plain = strip_own_id(addr.clone(), peer);
        let before = book.len();
        book.retain(|a| a != addr && a != &plain);
        book.len() < before
    }

    fn redial(&mut self, peer: PeerId) {
        if let Err(e) = self.dial_known(peer, PeerCondition::DisconnectedAndNotDialing) {
            self.fail_connect_waiters(peer, e.to_string());
        }
    }

    /// Dials `peer` at the addresses we know for it (and no others).
    fn dial_known(&mut self, peer: PeerId, condition: PeerCondition) -> Result<(), DialError> {
        let addrs = self.addr_book.get(&peer).cloned().unwrap_or_default();
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(condition)
            .build();
        self.swarm.dial(opts)
    }

    /// The address a relay observes us at is what a hole punch aims for, and it is only
    /// useful from the QUIC socket we listen on (a TCP connection comes from some other
    /// port, or punches only TCP). So a relay reached over TCP is dialled over QUIC as well.
    fn want_quic_to_relay(&mut self, peer: PeerId, endpoint: &ConnectedPoint) {
        if !self.relay_peers.contains(&peer)
            || endpoint.is_relayed()
            || is_quic(remote(endpoint))
            || !self.relay_quic_dialled.insert(peer)
        {
            return;
        }
        let quic: Vec<Multiaddr> = self
            .addr_book
            .get(&peer)
            .map(|b| b.iter().filter(|a| is_quic(a)).cloned().collect())
            .unwrap_or_default();
        if quic.is_empty() {
            return;
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(quic)
            .condition(PeerCondition::Always)
            .build();
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(%peer, "relay not dialled over QUIC: {e}");
        }
    }

    fn fail_connect_waiters(&mut self, peer: PeerId, reason: String) {
        for waiter in self.connect_waiters.remove(&peer).unwrap_or_default() {
            let _ = waiter.send(Err(OverlayError::Dial(reason.clone())));
        }
    }
}

pub(super) fn remote(endpoint: &ConnectedPoint) -> &Multiaddr {
    endpoint.get_remote_address()
}

pub(super) fn is_quic(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| matches!(p, Protocol::QuicV1))
}

/// Listen addresses are handed to others, who add the /p2p/ part themselves.
pub(crate) fn strip_own_id(mut addr: Multiaddr, local: PeerId) -> Multiaddr {
    if addr.iter().last() == Some(Protocol::P2p(local)) {
        addr.pop();
    }
    addr
}
