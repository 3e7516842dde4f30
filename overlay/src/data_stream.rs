use std::time::Duration;

use futures::AsyncWriteExt;
use libp2p::{PeerId, Stream};
use wire::proto::MAX_FRAME_BYTES;

use crate::OverlayError;
use crate::frame::{read_frame, write_frame};
use crate::idle_io::IdleIo;

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
        }
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

    /// None on clean end-of-stream before a frame starts.
    pub async fn recv<T: serde::de::DeserializeOwned>(
        &mut self,
    ) -> Result<Option<T>, OverlayError> {
        self.io.arm();
        match read_frame(&mut self.io, MAX_FRAME_BYTES).await? {
            None => Ok(None),
            Some(bytes) => wire::proto::decode(&bytes)
                .map(Some)
                .map_err(|e| OverlayError::Decode(e.to_string())),
        }
    }

    /// As `recv::<DataFrame>()`, with a chunk's data kept in the buffer it arrived in.
    pub async fn recv_data(&mut self) -> Result<Option<wire::proto::DataFrame>, OverlayError> {
        self.io.arm();
        match read_frame(&mut self.io, MAX_FRAME_BYTES).await? {
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
