//! What the swarm reports: connections, listeners and dials, the behaviours' events, and the
//! control protocol's requests and answers, each turned into the task's bookkeeping or
//! handed to the waiting handle.

use super::*;

impl SwarmTask {
    pub(crate) fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::info!(%address, "listening");
                self.addrs_changed();
                if self.relay_server && !self.relay_listeners.contains_key(&listener_id) {
                    // A service server is publicly reachable at what it listens on; the relay
                    // only serves (and advertises) reservations with a confirmed external
                    // address, which it hands to clients as their circuit address.
                    self.swarm.add_external_address(address);
                }
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                tracing::debug!(%address, "listen address expired");
                self.addrs_changed();
                if self.relay_server {
                    self.swarm.remove_external_address(&address);
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => {
                self.addrs_changed();
                if let Some(relay) = self.relay_listeners.remove(&listener_id) {
                    match reason {
                        // The connection to the relay ended (it restarted, or the network
                        // went away): the usual case, asked again at once.
                        Ok(()) => tracing::info!(%relay, "relay reservation ended; asking again"),
                        Err(e) => {
                            tracing::warn!(%relay, "relay reservation lost ({e}); asking again")
                        }
                    }
                    self.retry_relay_later(relay);
                } else {
                    tracing::warn!(?reason, "listener closed");
                }
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!("listener error: {error}");
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                let relayed = endpoint.is_relayed();
                tracing::debug!(peer = %peer_id, relayed, addr = %remote(&endpoint), "connected");
                self.connections
                    .entry(peer_id)
                    .or_default()
                    .insert(connection_id, relayed);
                self.port_punched(peer_id, connection_id, &endpoint);
                self.last_dial_error.remove(&peer_id);
                for waiter in self.connect_waiters.remove(&peer_id).unwrap_or_default() {
                    let _ = waiter.send(Ok(()));
                }
                self.repunching.remove(&peer_id);
                self.check_data_waiters(peer_id);
                self.want_quic_to_relay(peer_id, &endpoint);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                cause,
                ..
            } => {
                tracing::debug!(peer = %peer_id, ?cause, "connection closed");
                self.punched.remove(&connection_id);
                if let Some(conns) = self.connections.get_mut(&peer_id) {
                    conns.remove(&connection_id);
                    if conns.is_empty() {
                        self.connections.remove(&peer_id);
                        self.relay_quic_dialled.remove(&peer_id);
                    }
                }
                self.after_close(peer_id);
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                connection_id,
            } => {
                tracing::debug!(%peer, "dial failed: {error}");
                if self.port_punch.is_own_dial(connection_id) {
                    return;
                }
                if let DialError::WrongPeerId { address, .. } = &error
                    && self.forget_address(peer, address)
                    && self.connect_waiters.contains_key(&peer)
                {
                    // Someone else answered there (a private address reused in another
                    // network, our own loopback): the other addresses still may be right.
                    self.redial(peer);
                    return;
                }
                let reason = error.to_string();
                self.last_dial_error.insert(peer, reason.clone());
                if !self.swarm.is_connected(&peer) {
                    self.fail_connect_waiters(peer, reason);
                }
                self.dial_ended(peer);
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => {
                tracing::debug!(%send_back_addr, "incoming connection failed: {error}");
            }
            SwarmEvent::ExternalAddrConfirmed { address } => {
                tracing::info!(%address, "external address confirmed");
            }
            other => tracing::trace!(?other, "swarm event"),
        }
    }

    pub(super) fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Control(event) => self.on_control_event(event),
            BehaviourEvent::RelayClient(relay::client::Event::ReservationReqAccepted {
                relay_peer_id,
                renewal,
                ..
            }) => {
                tracing::info!(relay = %relay_peer_id, renewal, "relay reservation accepted");
                self.relay_backoff.remove(&relay_peer_id);
            }
            BehaviourEvent::Dcutr(event) => match event.result {
                Ok(connection) => {
                    tracing::info!(peer = %event.remote_peer_id, "hole punch succeeded");
                    self.punched.insert(connection);
                    self.check_data_waiters(event.remote_peer_id);
                }
                Err(e) => {
                    tracing::info!(peer = %event.remote_peer_id, error = %e, "hole punch failed")
                }
            },
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                self.observed_by(peer_id, &info.observed_addr);
            }
            BehaviourEvent::Identify(event) => tracing::trace!(?event, "identify"),
            BehaviourEvent::Ping(event) => tracing::trace!(?event, "ping"),
            BehaviourEvent::Autonat(event) => tracing::debug!(?event, "autonat"),
            BehaviourEvent::RelayServer(event) => {
                tracing::debug!(?event, "relay server");
                // The punch behaviour tells a circuit's ends where the relay sees the other.
                let punch = &mut self.swarm.behaviour_mut().punch;
                match event {
                    relay::Event::CircuitReqAccepted {
                        src_peer_id,
                        dst_peer_id,
                    } => punch.circuit(src_peer_id, dst_peer_id, true),
                    relay::Event::CircuitClosed {
                        src_peer_id,
                        dst_peer_id,
                        ..
                    } => punch.circuit(src_peer_id, dst_peer_id, false),
                    _ => {}
                }
            }
            BehaviourEvent::Punch(event) => self.on_punch_event(event),
            BehaviourEvent::RelayClient(event) => tracing::debug!(?event, "relay client"),
            BehaviourEvent::Data(()) => {}
        }
    }

    pub(super) fn on_control_event(&mut self, event: request_response::Event<Request, Response>) {
        match event {
            request_response::Event::Message {
                peer,
                connection_id: _,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
            } => {
                tracing::trace!(%peer, "control request in");
                let (reply, answer) = oneshot::channel();
                match self.inbound.try_send(Inbound::Request {
                    peer,
                    request,
                    reply,
                }) {
                    Ok(()) => {
                        let timeout = self.reply_timeout;
                        self.pending_replies.push(Box::pin(async move {
                            let response = tokio::time::timeout(timeout, answer).await;
                            (channel, response.ok().and_then(Result::ok))
                        }));
                    }
                    Err(e) => {
                        tracing::warn!(%peer, "inbound queue unavailable, refusing: {e}");
                        let busy =
                            Response::Refused(Refusal::new(RefusalCode::TryLater, "node busy"));
                        let _ = self
                            .swarm
                            .behaviour_mut()
                            .control
                            .send_response(channel, busy);
                    }
                }
            }
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                tracing::trace!(%peer, ?request_id, "control response in");
                if let Some(reply) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Ok(response));
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, ?request_id, "control request failed: {error}");
                let error = match error {
                    OutboundFailure::DialFailure => OverlayError::Dial(
                        self.last_dial_error
                            .get(&peer)
                            .cloned()
                            .unwrap_or_else(|| "no connection to the peer".into()),
                    ),
                    OutboundFailure::Timeout => OverlayError::Timeout,
                    OutboundFailure::ConnectionClosed => OverlayError::Closed,
                    OutboundFailure::UnsupportedProtocols => OverlayError::Unsupported,
                    OutboundFailure::Io(e) => OverlayError::from_io(e),
                };
                if let Some(reply) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Err(error));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "inbound control request failed: {error}");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}
