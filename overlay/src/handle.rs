use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use libp2p::core::transport::ListenerId;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, StreamProtocol, identity, noise, tcp, yamux};
use tokio::sync::{mpsc, oneshot};
use wire::proto::{DATA_PROTOCOL, Request, Response};

use crate::OverlayError;
use crate::behaviour::Behaviour;
use crate::config::OverlayConfig;
use crate::data_stream::DataStream;
use crate::inbound::Inbound;
use crate::stream_gate::StreamGate;
use crate::swarm_task::{Command, SwarmTask};

/// Connections with no stream open are closed after this long.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long binding the listen addresses may take at start.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a data stream waits for dcutr to turn a relayed connection into a direct one.
const DIRECT_WAIT: Duration = Duration::from_secs(15);
const COMMAND_QUEUE: usize = 64;
const INBOUND_QUEUE: usize = 256;

/// Starts the overlay.
pub struct Overlay;

impl Overlay {
    /// Starts the swarm on the current tokio runtime; returns once every `listen` address has
    /// produced its first listen address (so the actual ephemeral ports are known) or an error
    /// if one fails.
    pub async fn start(
        config: OverlayConfig,
    ) -> Result<(OverlayHandle, mpsc::Receiver<Inbound>), OverlayError> {
        let key = identity::Keypair::ed25519_from_bytes(config.secret_key)
            .map_err(|e| OverlayError::Config(format!("secret key: {e}")))?;
        let peer_id = key.public().to_peer_id();
        let transport = |e: &dyn std::fmt::Display| OverlayError::Transport(e.to_string());
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| transport(&e))?
            .with_quic()
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| transport(&e))?
            .with_behaviour(|key, relay_client| Behaviour::new(key, relay_client, &config))
            .map_err(|e| transport(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
            .build();

        let mut control = swarm.behaviour().data.new_control();
        let mut incoming = control
            .accept(StreamProtocol::new(DATA_PROTOCOL))
            .map_err(|e| OverlayError::Transport(e.to_string()))?;

        crate::listen::probe_ports(&config.listen)?;
        let mut waiting: HashMap<ListenerId, Multiaddr> = HashMap::new();
        for addr in &config.listen {
            let id = swarm
                .listen_on(addr.clone())
                .map_err(|e| crate::listen::failed(addr, &e))?;
            waiting.insert(id, addr.clone());
        }

        let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (inbound_tx, inbound_rx) = mpsc::channel(INBOUND_QUEUE);
        let mut task = SwarmTask::new(
            swarm,
            command_rx,
            command_tx.downgrade(),
            inbound_tx.clone(),
            config.relay_server,
            config.request_timeout,
        );

        tokio::time::timeout(LISTEN_TIMEOUT, async {
            while !waiting.is_empty() {
                let event = task.swarm.select_next_some().await;
                match &event {
                    SwarmEvent::NewListenAddr { listener_id, .. } => {
                        waiting.remove(listener_id);
                    }
                    SwarmEvent::ListenerClosed {
                        listener_id,
                        reason: Err(error),
                        ..
                    }
                    | SwarmEvent::ListenerError { listener_id, error } => {
                        if let Some(addr) = waiting.get(listener_id) {
                            return Err(crate::listen::failed(addr, error));
                        }
                    }
                    SwarmEvent::ListenerClosed { listener_id, .. } => {
                        if let Some(addr) = waiting.get(listener_id) {
                            return Err(OverlayError::Listen {
                                addr: addr.clone(),
                                in_use: false,
                                reason: "closed".into(),
                            });
                        }
                    }
                    _ => {}
                }
                task.on_swarm_event(event);
            }
            Ok(())
        })
        .await
        .map_err(|_| OverlayError::Transport("listen addresses did not come up".into()))??;

        for relay in config.relays.iter().cloned() {
            task.add_relay(relay)?;
        }

        // Inbound data streams bypass the swarm task: they are already negotiated streams,
        // and the application applies back-pressure by reading its queue. Streams over the
        // caps are dropped at once, which resets them at the peer.
        let gate = StreamGate::new(config.streams);
        let forwarder = tokio::spawn(async move {
            while let Some((peer, stream)) = incoming.next().await {
                let Some(permit) = gate.admit(peer) else {
                    tracing::debug!(%peer, "data stream refused: too many open");
                    drop(stream);
                    continue;
                };
                tracing::debug!(%peer, "data stream in");
                let inbound = Inbound::Data {
                    peer,
                    stream: DataStream::inbound(peer, stream, gate.clone(), permit),
                };
                if inbound_tx.send(inbound).await.is_err() {
                    break;
                }
            }
        });
        task.set_data_forwarder(forwarder);
        let addr_changes = task.addr_changes();
        tokio::spawn(task.run());

        Ok((
            OverlayHandle {
                peer_id,
                commands: command_tx,
                control,
                request_timeout: config.request_timeout,
                addr_changes,
            },
            inbound_rx,
        ))
    }
}

/// A cheap, cloneable way to use the running overlay.
#[derive(Clone)]
pub struct OverlayHandle {
    peer_id: PeerId,
    commands: mpsc::Sender<Command>,
    control: libp2p_stream::Control,
    request_timeout: Duration,
    addr_changes: tokio::sync::watch::Receiver<u64>,
}

impl std::fmt::Debug for OverlayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverlayHandle")
            .field("peer_id", &self.peer_id)
            .finish()
    }
}

impl OverlayHandle {
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Changes whenever the listen addresses do (e.g. a relay circuit address appears); wait
    /// on it with `changed()`.
    pub fn listen_addr_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.addr_changes.clone()
    }

    async fn call<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, OverlayError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(command(tx))
            .await
            .map_err(|_| OverlayError::Stopped)?;
        rx.await.map_err(|_| OverlayError::Stopped)
    }

    /// Current listen addresses (incl. relay circuit addresses once reserved), each WITHOUT
    /// /p2p/<self> suffix.
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.call(Command::ListenAddrs).await.unwrap_or_default()
    }

    /// Remember addresses for a peer (used by request/open_data dials).
    pub async fn add_peer_addrs(&self, peer: PeerId, addrs: Vec<Multiaddr>) {
        let _ = self
            .call(|done| Command::AddPeerAddrs { peer, addrs, done })
            .await;
    }

    /// One control request: dials if not connected (using remembered addrs; addrs of the form
    /// .../p2p/<relay>/p2p-circuit work too), sends, waits for the response.
    pub async fn request(&self, peer: PeerId, request: Request) -> Result<Response, OverlayError> {
        self.call_within(|reply| Command::Request {
            peer,
            request,
            reply,
        })
        .await
    }

    /// A command answered with a result, within the request timeout: the behaviour has its
    /// own timeout once a request is on a stream; this one also bounds a dial that hangs (a
    /// silently dropping firewall).
    async fn call_within<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, OverlayError>>) -> Command,
    ) -> Result<T, OverlayError> {
        tokio::time::timeout(self.request_timeout, self.call(command))
            .await
            .map_err(|_| OverlayError::Timeout)?
            .and_then(|r| r)
    }

    /// What to show `peer` when this node asks it for a port prediction hole punch on the way
    /// to a data stream: without it, a node joins only if it waits to send to us itself. Kept
    /// until the next data stream to `peer` has its direct connection or gives up.
    pub async fn vouch_for(&self, peer: PeerId, vouch: wire::punch::Vouch) {
        let _ = self.commands.send(Command::Vouch { peer, vouch }).await;
    }

    /// Sends one request of the hole punch protocol as it is and returns the answer, outside
    /// the punch's own rules: what any peer can send, for tests of how nodes and relays
    /// answer it. Not for the application.
    #[doc(hidden)]
    pub async fn punch_request(
        &self,
        peer: PeerId,
        request: wire::punch::PunchRequest,
    ) -> Result<wire::punch::PunchResponse, OverlayError> {
        self.call_within(|reply| Command::PunchRequest {
            peer,
            request,
            reply,
        })
        .await
    }

    /// Opens a data stream (/wims/data/1) to the peer, dialing if needed. Refuses with
    /// [`OverlayError::NotDirect`] when only a relayed connection comes up: relay circuits
    /// carry no message data.
    pub async fn open_data(&self, peer: PeerId) -> Result<DataStream, OverlayError> {
        tokio::time::timeout(
            self.request_timeout,
            self.call(|reply| Command::Connect { peer, reply }),
        )
        .await
        .map_err(|_| OverlayError::Timeout)???;
        let punched = tokio::time::timeout(
            DIRECT_WAIT,
            self.call(|reply| Command::PrepareData { peer, reply }),
        )
        .await
        .map_err(|_| OverlayError::NotDirect(peer))???;
        let mut control = self.control.clone();
        let stream = tokio::time::timeout(
            self.request_timeout,
            control.open_stream(peer, StreamProtocol::new(DATA_PROTOCOL)),
        )
        .await
        .map_err(|_| OverlayError::Timeout)?
        .map_err(|e| match e {
            libp2p_stream::OpenStreamError::UnsupportedProtocol(_) => OverlayError::Unsupported,
            libp2p_stream::OpenStreamError::Io(e) => OverlayError::from_io(e),
            other => OverlayError::Transport(other.to_string()),
        })?;
        tracing::debug!(%peer, punched, "data stream out");
        Ok(DataStream::new(peer, stream).punched(punched))
    }

    /// Whether the current connection to `peer` (if any) is direct (not relayed).
    pub async fn is_direct(&self, peer: PeerId) -> bool {
        self.call(|reply| Command::IsDirect { peer, reply })
            .await
            .unwrap_or(false)
    }

    /// Whether the overlay has stopped (or is stopping): its task no longer takes commands.
    pub fn is_stopped(&self) -> bool {
        self.commands.is_closed()
    }

    /// Stops the swarm (listeners closed, connections dropped).
    pub async fn shutdown(&self) {
        let _ = self.call(Command::Shutdown).await;
    }
}
