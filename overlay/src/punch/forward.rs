//! After a hit: the QUIC endpoint reaches the peer through the fan socket that has the path,
//! by way of a loopback socket that stands for the peer.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

use super::Probe;

/// The path is given up after this long without a packet either way (QUIC keep-alives come
/// every few seconds while a connection is up).
const IDLE: Duration = Duration::from_secs(30);
/// Larger than any UDP payload on the way.
const BUF: usize = 65_536;

/// Relays between `outside` (the socket with the path to `peer`) and `inside` (the loopback
/// socket our QUIC endpoint dials).
pub(crate) async fn forward(outside: UdpSocket, peer: SocketAddr, inside: UdpSocket, probe: Probe) {
    let mut from_peer = vec![0u8; BUF];
    let mut from_quic = vec![0u8; BUF];
    let mut quic: Option<SocketAddr> = None;
    let (mut to_peer, mut to_quic) = (0u64, 0u64);
    loop {
        let step = tokio::time::timeout(IDLE, async {
            tokio::select! {
                got = inside.recv_from(&mut from_quic) => {
                    // Only our endpoint, the first to send here, speaks for us.
                    if let Ok((n, src)) = got
                        && *quic.get_or_insert(src) == src
                    {
                        // A datagram too big for the path is lost like on any path; QUIC
                        // probes its packet size.
                        if outside.send_to(&from_quic[..n], peer).await.is_ok() {
                            to_peer += 1;
                        }
                    }
                }
                got = outside.recv_from(&mut from_peer) => {
                    if let Ok((n, src)) = got
                        && src == peer
                        && &from_peer[..n] != probe.bytes()
                        && let Some(quic) = quic
                        && inside.send_to(&from_peer[..n], quic).await.is_ok()
                    {
                        to_quic += 1;
                    }
                }
            }
        })
        .await;
        if step.is_err() {
            break;
        }
    }
    tracing::debug!(%peer, to_peer, to_quic, "port prediction path idle, closed");
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    async fn bind() -> UdpSocket {
        UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap()
    }

    async fn recv(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
        let mut buf = [0u8; 64];
        let (n, from) = tokio::time::timeout(Duration::from_secs(10), socket.recv_from(&mut buf))
            .await
            .expect("a datagram")
            .unwrap();
        (buf[..n].to_vec(), from)
    }

    #[tokio::test]
    async fn relays_both_ways_and_drops_probes_and_strangers() {
        let (outside, inside, peer, quic, stranger) = (
            bind().await,
            bind().await,
            bind().await,
            bind().await,
            bind().await,
        );
        let (outside_addr, inside_addr) =
            (outside.local_addr().unwrap(), inside.local_addr().unwrap());
        let peer_addr = peer.local_addr().unwrap();
        let probe = Probe::new([9; 16]);
        tokio::spawn(forward(outside, peer_addr, inside, probe));

        quic.send_to(b"initial", inside_addr).await.unwrap();
        assert_eq!(recv(&peer).await, (b"initial".to_vec(), outside_addr));
        // Another local program cannot speak to the peer through it.
        stranger.send_to(b"intruder", inside_addr).await.unwrap();
        quic.send_to(b"second", inside_addr).await.unwrap();
        assert_eq!(recv(&peer).await, (b"second".to_vec(), outside_addr));

        // A late probe and a stranger's datagram do not reach the endpoint; the peer's do.
        peer.send_to(probe.bytes(), outside_addr).await.unwrap();
        stranger.send_to(b"stranger", outside_addr).await.unwrap();
        peer.send_to(b"handshake", outside_addr).await.unwrap();
        assert_eq!(recv(&quic).await, (b"handshake".to_vec(), inside_addr));
    }
}
