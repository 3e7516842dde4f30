//! The wims overlay: one libp2p swarm per node or service server, with the wims control
//! (request-response) and data (stream) protocols, relay circuits and hole punching.
//!
//! [`Overlay::start`] spawns a task that owns the swarm; [`OverlayHandle`] talks to it, and
//! what peers ask arrives as [`Inbound`] on the returned queue.

mod behaviour;
mod codec;
mod config;
mod data_stream;
mod error;
mod frame;
mod handle;
mod idle_io;
mod punch;
mod stream_gate;
mod swarm_task;

pub use config::{OverlayConfig, VouchCheck};
pub use data_stream::DataStream;
pub use error::OverlayError;
pub use handle::{Inbound, Overlay, OverlayHandle};
pub use libp2p::multiaddr::Protocol;
pub use libp2p::{Multiaddr, PeerId};
pub use stream_gate::StreamLimits;
