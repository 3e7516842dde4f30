//! Many sockets towards the peer's QUIC address: behind a symmetric NAT each gets a public
//! port of its own, and one of them may be where the peer's spray lands.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::forward::forward;
use super::{FAN_SOCKETS, PUNCH_WINDOW, Probe};

/// How often each socket probes again (a first probe can be lost; the mapping must stay).
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Opens the fan towards `targets`; on the first hit, keeps that socket, reports the
/// loopback address that now leads to the peer through `hit`, and forwards until the path
/// goes idle. Without a hit it ends after [`PUNCH_WINDOW`].
pub(crate) async fn fan_and_forward(
    targets: Vec<SocketAddr>,
    probe: Probe,
    hit: oneshot::Sender<SocketAddr>,
) {
    match fan(&targets, probe).await {
        Ok(Some((outside, peer))) => {
            let inside = match UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!("port prediction: no loopback socket: {e}");
                    return;
                }
            };
            let Ok(via) = inside.local_addr() else {
                return;
            };
            tracing::debug!(%peer, %via, "port prediction hit");
            if hit.send(via).is_ok() {
                forward(outside, peer, inside, probe).await;
            }
        }
        Ok(None) => tracing::debug!(?targets, "port prediction: no hit"),
        Err(e) => tracing::debug!(?targets, "port prediction: no fan: {e}"),
    }
}

async fn fan(targets: &[SocketAddr], probe: Probe) -> io::Result<Option<(UdpSocket, SocketAddr)>> {
    let Some(first) = targets.first() else {
        return Ok(None);
    };
    let any: SocketAddr = if first.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    // The sockets are of the first target's family; targets of the other one are out of reach.
    let targets: Vec<SocketAddr> = targets
        .iter()
        .filter(|t| t.is_ipv4() == first.is_ipv4())
        .copied()
        .collect();
    let deadline = Instant::now() + PUNCH_WINDOW;
    let mut sockets = JoinSet::new();
    for _ in 0..FAN_SOCKETS {
        let socket = match UdpSocket::bind(any).await {
            Ok(s) => s,
            // Out of descriptors, say: fewer sockets only make a hit less likely.
            Err(e) if !sockets.is_empty() => {
                tracing::debug!(opened = sockets.len(), "port prediction fan cut short: {e}");
                break;
            }
            Err(e) => return Err(e),
        };
        sockets.spawn(probe_until_hit(socket, targets.clone(), probe, deadline));
    }
    while let Some(done) = sockets.join_next().await {
        if let Ok(Some(hit)) = done {
            sockets.abort_all();
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

async fn probe_until_hit(
    socket: UdpSocket,
    targets: Vec<SocketAddr>,
    probe: Probe,
    deadline: Instant,
) -> Option<(UdpSocket, SocketAddr)> {
    let mut buf = [0u8; 64];
    while Instant::now() < deadline {
        for t in &targets {
            // A target that is unreachable from here fails at once; others may still do.
            let _ = socket.send_to(probe.bytes(), t).await;
        }
        let until = (Instant::now() + PROBE_EVERY).min(deadline);
        while let Ok(got) = tokio::time::timeout_at(until, socket.recv_from(&mut buf)).await {
            match got {
                Ok((n, from)) if targets.contains(&from) && &buf[..n] == probe.bytes() => {
                    return Some((socket, from));
                }
                Ok(_) => {}
                // An ICMP error from an earlier probe; the socket still works.
                Err(_) => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peer answers the fan's probes from its own socket, as a spray that lands does:
    /// one socket has the hit, and the loopback end then leads to the peer.
    #[tokio::test]
    async fn a_probe_back_is_a_hit_and_the_path_forwards() {
        let peer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let peer_addr = peer.local_addr().unwrap();
        let probe = Probe::new([3; 16]);
        let (hit, via) = oneshot::channel();
        tokio::spawn(fan_and_forward(vec![peer_addr], probe, hit));

        let mut buf = [0u8; 64];
        let (n, fan_socket) = peer.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], probe.bytes());
        // Something else first: only the probe of this punch is a hit.
        peer.send_to(Probe::new([4; 16]).bytes(), fan_socket)
            .await
            .unwrap();
        peer.send_to(probe.bytes(), fan_socket).await.unwrap();
        let via = tokio::time::timeout(PUNCH_WINDOW, via)
            .await
            .unwrap()
            .unwrap();

        let quic = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        quic.send_to(b"initial", via).await.unwrap();
        loop {
            let (n, from) = peer.recv_from(&mut buf).await.unwrap();
            // Other fan sockets' probes may still be on their way.
            if &buf[..n] == b"initial" {
                assert_eq!(from, fan_socket);
                break;
            }
        }
    }
}
