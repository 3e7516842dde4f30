//! What inbound data streams may cost before their peer has proved anything: how many are open
//! at once (per peer and in all), how many bytes of first frames are held at once, and how long
//! a frame may take to arrive.
//!
//! A stream's first frame is an offer, a deposit or a fetch; only once the application has
//! verified it does the stream carry chunks. Until then anyone can open streams, so the first
//! frame is small ([`wire::proto::MAX_FIRST_FRAME_BYTES`]) and the bytes of all first frames
//! being read share one budget: a stranger's streams cannot hold more memory than that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libp2p::PeerId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits on inbound data streams; see [`crate::OverlayConfig::streams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Inbound data streams open at once, from all peers.
    pub total: usize,
    /// Inbound data streams open at once from one peer.
    pub per_peer: usize,
    /// Bytes of first frames being read at once, over all inbound streams.
    pub first_frame_budget: usize,
    /// Slowest transfer a frame may have: a frame of `n` bytes must arrive within
    /// `frame_grace + n / min_rate` seconds of its first byte being awaited.
    pub min_rate: u64,
    pub frame_grace: Duration,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            total: 256,
            per_peer: 32,
            first_frame_budget: 32 << 20,
            min_rate: 16 << 10,
            frame_grace: Duration::from_secs(60),
        }
    }
}

impl StreamLimits {
    /// How long a frame of `len` bytes may take, its length prefix included.
    pub(crate) fn frame_deadline(&self, len: usize) -> Duration {
        self.frame_grace + Duration::from_secs(len as u64 / self.min_rate.max(1))
    }
}

/// Counts the inbound streams open and hands out the first-frame budget.
#[derive(Debug)]
pub(crate) struct StreamGate {
    pub(crate) limits: StreamLimits,
    open: Mutex<Open>,
    budget: Arc<Semaphore>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_peer: HashMap<PeerId, usize>,
}

/// One inbound stream's place; given back when the stream is dropped.
#[derive(Debug)]
pub(crate) struct StreamPermit {
    gate: Arc<StreamGate>,
    peer: PeerId,
}

impl StreamGate {
    pub(crate) fn new(limits: StreamLimits) -> Arc<StreamGate> {
        // The budget always fits one largest first frame, or no offer could ever be read.
        let budget = limits
            .first_frame_budget
            .max(wire::proto::MAX_FIRST_FRAME_BYTES);
        Arc::new(StreamGate {
            limits,
            open: Mutex::default(),
            budget: Arc::new(Semaphore::new(budget)),
        })
    }

    /// A place for one more stream from `peer`, or `None` when a cap is reached.
    pub(crate) fn admit(self: &Arc<Self>, peer: PeerId) -> Option<StreamPermit> {
        let mut open = self.open.lock().expect("stream counts");
        if open.total >= self.limits.total {
            return None;
        }
        let n = open.by_peer.entry(peer).or_insert(0);
        if *n >= self.limits.per_peer {
            return None;
        }
        *n += 1;
        open.total += 1;
        Some(StreamPermit {
            gate: self.clone(),
            peer,
        })
    }

    /// Waits until `len` bytes of first frame may be held (`len` is at most the budget).
    pub(crate) async fn first_frame_bytes(&self, len: usize) -> OwnedSemaphorePermit {
        let n = u32::try_from(len).unwrap_or(u32::MAX);
        self.budget
            .clone()
            .acquire_many_owned(n)
            .await
            .expect("the budget is never closed")
    }

    #[cfg(test)]
    fn open(&self) -> usize {
        self.open.lock().expect("stream counts").total
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.gate.open.lock().expect("stream counts");
        open.total -= 1;
        if let Some(n) = open.by_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                open.by_peer.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_streams_per_peer_and_in_all() {
        let gate = StreamGate::new(StreamLimits {
            total: 3,
            per_peer: 2,
            ..StreamLimits::default()
        });
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        let a1 = gate.admit(a).unwrap();
        let _a2 = gate.admit(a).unwrap();
        assert!(gate.admit(a).is_none());
        let _b1 = gate.admit(b).unwrap();
        assert!(gate.admit(c).is_none());
        drop(a1);
        assert_eq!(gate.open(), 2);
        assert!(gate.admit(c).is_some());
    }

    #[tokio::test]
    async fn first_frames_share_one_budget() {
        let max = wire::proto::MAX_FIRST_FRAME_BYTES;
        let gate = StreamGate::new(StreamLimits {
            first_frame_budget: max,
            ..StreamLimits::default()
        });
        let held = gate.first_frame_bytes(max).await;
        let waiting = tokio::time::timeout(Duration::from_millis(50), gate.first_frame_bytes(1));
        assert!(waiting.await.is_err(), "the budget is spent");
        drop(held);
        let _one = gate.first_frame_bytes(1).await;
    }

    #[test]
    fn slow_frames_get_longer_but_bounded() {
        let l = StreamLimits::default();
        assert_eq!(l.frame_deadline(0), Duration::from_secs(60));
        assert_eq!(l.frame_deadline(16 << 20), Duration::from_secs(60 + 1024));
    }
}
