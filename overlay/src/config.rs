use std::sync::Arc;
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use wire::punch::Vouch;

/// How one overlay peer (a node or a service server) runs.
#[derive(Clone, Debug)]
pub struct OverlayConfig {
    /// Ed25519 secret key bytes (32) of this peer; its PeerId is the node's/server's identity.
    pub secret_key: [u8; 32],
    /// Addresses to listen on, e.g. /ip4/127.0.0.1/udp/0/quic-v1 and /ip4/127.0.0.1/tcp/0.
    pub listen: Vec<Multiaddr>,
    /// Run the relay server (service servers) — nodes leave it false.
    pub relay_server: bool,
    /// Service servers to reserve relay circuits on (full multiaddrs ending in /p2p/<id>);
    /// nodes then also listen on <relay>/p2p-circuit so peers behind NAT can reach them, and
    /// dcutr upgrades to a direct connection.
    pub relays: Vec<Multiaddr>,
    /// Identify agent version string, e.g. "wims/0.1.0".
    pub agent: String,
    /// Timeout of one control request (default 30 s).
    pub request_timeout: Duration,
    /// Limits on the data streams peers open to us.
    pub streams: crate::StreamLimits,
    /// Whether a peer's [`wire::punch::Vouch`] shows it to be a node we should expect mail
    /// from (nodes set it; without it only peers we wait to send to get a punch).
    pub vouch_check: Option<VouchCheck>,
    /// Whether port prediction punches may aim at private network addresses (10/8,
    /// 192.168/16, …): only for a service network that runs on one. Default false.
    pub punch_private_targets: bool,
}

/// Whether the asker (its PeerId) vouches for itself with this vouch.
pub type VouchFn = dyn Fn(&PeerId, &Vouch) -> bool + Send + Sync;

/// Checks a punch asker's vouch.
#[derive(Clone)]
pub struct VouchCheck(pub Arc<VouchFn>);

impl std::fmt::Debug for VouchCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VouchCheck")
    }
}

impl OverlayConfig {
    pub fn new(secret_key: [u8; 32], listen: Vec<Multiaddr>) -> Self {
        OverlayConfig {
            secret_key,
            listen,
            relay_server: false,
            relays: Vec::new(),
            agent: concat!("wims/", env!("CARGO_PKG_VERSION")).to_string(),
            request_timeout: Duration::from_secs(30),
            streams: crate::StreamLimits::default(),
            vouch_check: None,
            punch_private_targets: false,
        }
    }
}
