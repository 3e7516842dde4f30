//! Data streams go over direct connections only. While the only connection to a peer is a
//! relay circuit, a data stream waits for the hole punch; when that does not come, the circuit
//! is dropped and dialled again, which makes the peer start a fresh hole punch (DCUtR runs
//! once per new relayed connection, and a first attempt can fail on timing alone).

use std::time::Duration;

use libp2p::PeerId;
use libp2p::swarm::ConnectionId;
use libp2p::swarm::dial_opts::PeerCondition;

use super::{Command, Reply, SwarmTask};
use crate::OverlayError;

/// How long a waiting data stream gives a hole punch before the circuit is dialled again.
const REPUNCH_AFTER: Duration = Duration::from_secs(5);
/// How long it gives dcutr before trying port prediction as well (dcutr's punch, when it
/// works, is through within a second or two).
const PORT_PUNCH_AFTER: Duration = Duration::from_secs(3);

impl SwarmTask {
    pub(super) fn prepare_data(&mut self, peer: PeerId, reply: Reply<bool>) {
        self.data_waiters.entry(peer).or_default().push(reply);
        self.swarm.behaviour_mut().punch.set_waiting(peer, true);
        self.check_data_waiters(peer);
        if self.data_waiters.contains_key(&peer) {
            self.repunch_later(peer);
            self.command_later(PORT_PUNCH_AFTER, Command::PortPunch(peer));
        }
    }

    /// Still only a circuit while a data stream waits: a NAT may change ports, which dcutr
    /// cannot get through; try port prediction over the circuit.
    pub(super) fn port_punch_if_waiting(&mut self, peer: PeerId) {
        self.check_data_waiters(peer);
        if self.data_waiters.contains_key(&peer)
            && !self.is_direct(peer)
            && !self.relayed(peer).is_empty()
        {
            self.start_port_punch(peer);
        }
    }

    pub(super) fn is_direct(&self, peer: PeerId) -> bool {
        self.connections
            .get(&peer)
            .is_some_and(|c| c.values().any(|relayed| !relayed))
    }

    /// Answers the peer's data waiters once only direct connections are left (closing the
    /// circuits when a direct one is up), or fails them when nothing is left.
    pub(super) fn check_data_waiters(&mut self, peer: PeerId) {
        // Callers that gave up (timed out) must not make us close anything on their behalf.
        if let Some(waiters) = self.data_waiters.get_mut(&peer) {
            waiters.retain(|w| !w.is_closed());
            if waiters.is_empty() {
                self.data_waiters.remove(&peer);
            }
        }
        if !self.data_waiters.contains_key(&peer) {
            self.swarm.behaviour_mut().punch.set_waiting(peer, false);
            return;
        }
        let direct = self.is_direct(peer);
        let conns = self.connections.get(&peer);
        let relayed = self.relayed(peer);
        let ready = if conns.is_none_or(|c| c.is_empty()) {
            if self.repunching.contains(&peer) {
                // The circuit is being dialled again.
                return;
            }
            false
        } else if direct && relayed.is_empty() {
            true
        } else {
            if direct {
                // The circuit has served its purpose (the hole punch); closing it leaves the
                // data stream only the direct path to choose. We answer once it is gone.
                for id in relayed {
                    self.swarm.close_connection(id);
                }
            }
            return;
        };
        let punched = conns.is_some_and(|c| c.keys().any(|id| self.punched.contains(id)));
        self.swarm.behaviour_mut().punch.set_waiting(peer, false);
        for waiter in self.data_waiters.remove(&peer).unwrap_or_default() {
            let _ = waiter.send(if ready {
                Ok(punched)
            } else {
                Err(OverlayError::Closed)
            });
        }
    }

    fn relayed(&self, peer: PeerId) -> Vec<ConnectionId> {
        self.connections
            .get(&peer)
            .map(|c| c.iter().filter(|(_, r)| **r).map(|(id, _)| *id).collect())
            .unwrap_or_default()
    }

    fn repunch_later(&self, peer: PeerId) {
        self.command_later(REPUNCH_AFTER, Command::Repunch(peer));
    }

    /// Still only a circuit while a data stream waits: drop it, to dial it again once it is
    /// gone (see [`SwarmTask::after_close`]).
    pub(super) fn repunch(&mut self, peer: PeerId) {
        self.check_data_waiters(peer);
        let waiting = self.data_waiters.contains_key(&peer);
        let relayed = self.relayed(peer);
        if !waiting || self.is_direct(peer) || relayed.is_empty() {
            return;
        }
        if self.swarm.behaviour().punch.runs_with(peer) {
            // Dropping the circuit now could fail the wait before the port prediction punch
            // is through (a loaded machine takes longer for it).
            self.repunch_later(peer);
            return;
        }
        tracing::debug!(%peer, "no direct connection yet; relaying again for a new hole punch");
        self.repunching.insert(peer);
        for id in relayed {
            self.swarm.close_connection(id);
        }
        self.repunch_later(peer);
    }

    /// After a connection to `peer` closed: the circuit that was dropped for a new hole punch
    /// is dialled again once no connection is left.
    pub(super) fn after_close(&mut self, peer: PeerId) {
        if self.repunching.contains(&peer)
            && !self.connections.contains_key(&peer)
            // The failed hole punch's own dials may still be running out their timeouts.
            && let Err(e) = self.dial_known(peer, PeerCondition::Disconnected)
        {
            tracing::debug!(%peer, "circuit not dialled again: {e}");
            self.repunching.remove(&peer);
        }
        self.check_data_waiters(peer);
    }

    /// A dial to `peer` failed: no new hole punch is coming.
    pub(super) fn dial_ended(&mut self, peer: PeerId) {
        if self.repunching.remove(&peer) {
            self.check_data_waiters(peer);
        }
    }
}
