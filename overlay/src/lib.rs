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
mod inbound;
mod listen;
mod punch;
mod stream_gate;
mod swarm_task;

pub use config::{OverlayConfig, VouchCheck};
pub use data_stream::DataStream;
pub use error::OverlayError;
pub use handle::{Overlay, OverlayHandle};
pub use inbound::Inbound;
pub use libp2p::multiaddr::Protocol;
pub use libp2p::{Multiaddr, PeerId};
pub use stream_gate::StreamLimits;

/// Libraries' lines that say nothing to an operator at the everyday levels; `WIMS_LOG` (read
/// after these) can bring them back.
pub fn quiet_log_directives(level: u8) -> String {
    // Only ever quieter than `level`: a library's directive above it would let more through.
    let mut spec = String::new();
    if (2..=4).contains(&level) {
        // rustls warns of every client that connects by IP address (an SNI it ignores).
        spec.push_str("rustls=error,");
    }
    if level == 3 {
        // libp2p announces the local peer id; the programs' own start lines name it.
        spec.push_str("libp2p_swarm=warn,");
    }
    spec
}
