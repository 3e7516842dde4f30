//! What peers ask of this node, handed to its owner on the overlay's inbound queue.

use libp2p::PeerId;
use tokio::sync::oneshot;
use wire::proto::{Request, Response};

use crate::data_stream::DataStream;

/// What peers ask of us.
#[derive(Debug)]
pub enum Inbound {
    /// A control request from an authenticated peer; answer through `reply` (dropping it =
    /// the requester sees an error).
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Response>,
    },
    /// A data stream a peer opened.
    Data { peer: PeerId, stream: DataStream },
}
