use std::sync::Arc;
use std::time::Duration;

use futures::AsyncWriteExt;
use libp2p::{PeerId, Stream};
use wire::proto::{MAX_FIRST_FRAME_BYTES, MAX_FRAME_BYTES};

use crate::OverlayError;
use crate::frame::{read_body, read_frame, read_len, write_frame};
use crate::idle_io::IdleIo;
use crate::stream_gate::{StreamGate, StreamPermit};

/// How long one read or write may go without progress before the peer counts as gone.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Length-delimited postcard frames over a libp2p stream (`/wims/data/1`): a 4-byte
/// big-endian length, then the [`wire::proto::encode`] bytes, at most
/// [`wire::proto::MAX_FRAME_BYTES`]. Each operation fails after [`IDLE_TIMEOUT`] without
/// progress.
pub struct DataStream {
    peer: PeerId,
    io: IdleIo<Stream>,
    hole_punched: bool,
    /// Set on streams a peer opened to us: their limits until the application trusts them.
    inbound: Option<Box<InboundLimits>>,
}

struct InboundLimits {
    gate: Arc<StreamGate>,
    /// This stream's place among the inbound streams, given back on drop.
    _permit: StreamPermit,
    /// No frame has been read yet: the next is an offer, a deposit or a fetch.
    first: bool,
}

impl std::fmt::Debug for DataStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStream")
            .field("peer", &self.peer)
            .finish()
    }
}

impl DataStream {
    pub(crate) fn new(peer: PeerId, stream: Stream) -> Self {
        DataStream {
            peer,
            io: IdleIo::new(stream, IDLE_TIMEOUT),
            hole_punched: false,
            inbound: None,
        }
    }

    /// A stream `peer` opened to us, holding `permit` among the inbound streams of `gate`.
    pub(crate) fn inbound(
        peer: PeerId,
        stream: Stream,
        gate: Arc<StreamGate>,
        permit: StreamPermit,
    ) -> Self {
        let mut s = Self::new(peer, stream);
        s.inbound = Some(Box::new(InboundLimits {
            gate,
            _permit: permit,
            first: true,
        }));
        s
    }

    pub(crate) fn punched(mut self, yes: bool) -> Self {
        self.hole_punched = yes;
        self
    }

    /// Whether the direct connection under this (outbound) stream came from a hole punch
    /// through a relay rather than a plain dial.
    pub fn hole_punched(&self) -> bool {
        self.hole_punched
    }

    pub fn peer(&self) -> PeerId {
        self.peer
    }

    pub async fn send<T: serde::Serialize>(&mut self, msg: &T) -> Result<(), OverlayError> {
        let bytes = wire::proto::encode(msg).map_err(|e| OverlayError::Encode(e.to_string()))?;
        self.io.arm();
        write_frame(&mut self.io, &bytes, MAX_FRAME_BYTES).await
    }

    /// One frame's bytes. On an inbound stream the first frame is held to
    /// [`MAX_FIRST_FRAME_BYTES`] and to the shared first-frame budget, and every frame must
    /// arrive within its deadline (see [`crate::StreamLimits`]).
    async fn read_bytes(&mut self) -> Result<Option<Vec<u8>>, OverlayError> {
        self.io.arm();
        let Some(inbound) = &mut self.inbound else {
            return read_frame(&mut self.io, MAX_FRAME_BYTES).await;
        };
        let limits = inbound.gate.limits;
        let len = tokio::time::timeout(limits.frame_grace, read_len(&mut self.io))
            .await
            .map_err(|_| OverlayError::Timeout)??;
        let Some(len) = len else {
            return Ok(None);
        };
        let max = if inbound.first {
            MAX_FIRST_FRAME_BYTES
        } else {
            MAX_FRAME_BYTES
        };
        if len > max {
            return Err(OverlayError::TooLarge { len, max });
        }
        // Held until the frame is read: what strangers' first frames take is bounded in all.
        let _budget = match inbound.first {
            true => Some(inbound.gate.first_frame_bytes(len).await),
            false => None,
        };
        self.io.arm();
        let body = tokio::time::timeout(limits.frame_deadline(len), read_body(&mut self.io, len))
            .await
            .map_err(|_| OverlayError::Timeout)??;
        inbound.first = false;
        Ok(Some(body))
    }

    /// None on clean end-of-stream before a frame starts.
    pub async fn recv<T: serde::de::DeserializeOwned>(
        &mut self,
    ) -> Result<Option<T>, OverlayError> {
        match self.read_bytes().await? {
            None => Ok(None),
            Some(bytes) => wire::proto::decode(&bytes)
                .map(Some)
                .map_err(|e| OverlayError::Decode(e.to_string())),
        }
    }

    /// As `recv::<DataFrame>()`, with a chunk's data kept in the buffer it arrived in.
    pub async fn recv_data(&mut self) -> Result<Option<wire::proto::DataFrame>, OverlayError> {
        match self.read_bytes().await? {
            None => Ok(None),
            Some(bytes) => wire::proto::decode_data_frame(bytes)
                .map(Some)
                .map_err(|e| OverlayError::Decode(e.to_string())),
        }
    }

    /// Ends our side of the stream; the peer's `recv` then returns `None`.
    pub async fn close(&mut self) -> Result<(), OverlayError> {
        self.io.arm();
        self.io.close().await.map_err(OverlayError::from_io)
    }

    /// Writes bytes as they are, outside the framing: for tests and diagnostics that must
    /// produce what a broken or hostile peer would send.
    #[doc(hidden)]
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), OverlayError> {
        self.io.arm();
        self.io
            .write_all(bytes)
            .await
            .map_err(OverlayError::from_io)?;
        self.io.flush().await.map_err(OverlayError::from_io)
    }
}
