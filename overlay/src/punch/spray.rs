//! Probes from the QUIC socket at random ports of the peer's public IP: each one opens our
//! own (port-keeping) NAT to that port of the peer, and may land on a port the peer's fan
//! sockets opened towards us.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use rand::Rng;

use super::{PUNCH_WINDOW, Probe};

const ROUND: Duration = Duration::from_millis(20);
const PER_ROUND: usize = 16;

/// Sprays for [`PUNCH_WINDOW`]; `socket` is a duplicate of the QUIC socket (non-blocking,
/// as the endpoint keeps it). A full send buffer skips a probe rather than waiting.
pub(crate) async fn spray(socket: UdpSocket, ips: Vec<IpAddr>, probe: Probe) {
    let mut round = tokio::time::interval(ROUND);
    let rounds = PUNCH_WINDOW.as_millis() / ROUND.as_millis();
    let mut sent = 0u64;
    for _ in 0..rounds {
        round.tick().await;
        // Not held across the await: the thread-local generator is not Send.
        let mut rng = rand::thread_rng();
        for ip in &ips {
            for _ in 0..PER_ROUND {
                let port = rng.gen_range(1024..=u16::MAX);
                if socket
                    .send_to(probe.bytes(), SocketAddr::new(*ip, port))
                    .is_ok()
                {
                    sent += 1;
                }
            }
        }
    }
    tracing::debug!(?ips, sent, "port prediction spray done");
}
