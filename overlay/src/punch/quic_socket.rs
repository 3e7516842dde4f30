//! The spray must leave from the socket the QUIC endpoint listens on: that socket's public
//! port is the one the peer's fan sockets aim at. libp2p-quic does not hand its socket out,
//! so we find it among our own file descriptors by its local address and duplicate it.

use std::net::UdpSocket;

/// A duplicate of this process's UDP socket bound to `port` (IPv4), if there is one.
#[cfg(target_os = "linux")]
pub(crate) fn find_quic_socket(port: u16) -> Option<UdpSocket> {
    use std::os::fd::{BorrowedFd, RawFd};

    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<RawFd>().ok())
        else {
            continue;
        };
        // SAFETY: the descriptor is borrowed only to duplicate it. Should another thread close
        // it in between, the duplicate fails (EBADF) or is of some other file, which the
        // checks below on our own duplicate reject.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let Ok(owned) = borrowed.try_clone_to_owned() else {
            continue;
        };
        let socket = socket2::Socket::from(owned);
        if socket.r#type().ok() != Some(socket2::Type::DGRAM) {
            continue;
        }
        let Some(local) = socket.local_addr().ok().and_then(|a| a.as_socket()) else {
            continue;
        };
        if local.port() == port && local.is_ipv4() {
            return Some(socket.into());
        }
    }
    None
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn find_quic_socket(_port: u16) -> Option<UdpSocket> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn finds_our_own_udp_socket_and_sends_from_it() {
        // A TCP listener on the same port number comes first among the descriptors and
        // must be passed over. (Other tests' UDP sockets may hold a port we try: next one.)
        let (_tcp, ours) = (0..100)
            .find_map(|_| {
                let tcp = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
                let udp = UdpSocket::bind(tcp.local_addr().ok()?).ok()?;
                Some((tcp, udp))
            })
            .expect("a port free for both");
        let port = ours.local_addr().unwrap().port();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let found = find_quic_socket(port).expect("the socket is found");
        found.send_to(b"x", peer.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 4];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.port()), (&b"x"[..], port));
    }
}
