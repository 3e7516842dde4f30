//! What the node shows monitors (`docs/monitor-api.md`): the endpoint that streams the live
//! list of jobs (the `jobs` crate) to monitors that proved who they are, and the node's status.

pub mod endpoint;
mod status;
pub mod token;

use std::path::PathBuf;
use std::sync::Arc;

/// What the monitor endpoint serves with.
pub struct Monitors {
    pub clients: Arc<endpoints::Clients>,
    pub settings: Settings,
    /// Where the operator's tokens are kept.
    pub data_dir: PathBuf,
    /// The node on the network, for its status line; `None` in tests of the client endpoints
    /// alone.
    pub network: Option<Arc<delivery::Network>>,
    /// The jobs monitors are shown.
    pub registry: Arc<jobs::Registry>,
}

/// The endpoint's settings (the node's `[monitor]` section; docs/monitor-api.md).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seconds a monitor has to finish TLS and send its hello.
    pub handshake_timeout: u64,
    /// Largest hello, in bytes.
    pub max_hello_size: usize,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
}
