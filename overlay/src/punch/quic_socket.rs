//! The spray must leave from the socket the QUIC endpoint listens on: that socket's public
//! port is the one the peer's fan sockets aim at. libp2p-quic does not hand its socket out
//! (its `Provider` trait cannot be implemented outside the crate), so we find it among our own
//! file descriptors and duplicate it. Only the one descriptor that is a UDP socket bound to
//! the port is touched: the kernel's UDP table (`/proc/self/net/udp`) gives the inodes of the
//! sockets on that port, and `/proc/self/fd` links name each descriptor's inode without
//! opening anything.

use std::net::UdpSocket;

/// A duplicate of this process's UDP socket bound to `port` (IPv4), if there is one.
#[cfg(target_os = "linux")]
pub(crate) fn find_quic_socket(port: u16) -> Option<UdpSocket> {
    use std::os::fd::{BorrowedFd, RawFd};

    let inodes = udp_inodes(&std::fs::read_to_string("/proc/self/net/udp").ok()?, port);
    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<RawFd>().ok())
        else {
            continue;
        };
        // `socket:[INODE]`: is this one of the sockets on the port?
        let is_candidate = std::fs::read_link(entry.path()).ok().is_some_and(|l| {
            l.to_str()
                .and_then(|l| l.strip_prefix("socket:["))
                .and_then(|l| l.strip_suffix(']'))
                .and_then(|i| i.parse::<u64>().ok())
                .is_some_and(|i| inodes.contains(&i))
        });
        if !is_candidate {
            continue;
        }
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

/// The inodes of the sockets bound to `port` in a `/proc/net/udp` table.
#[cfg(target_os = "linux")]
fn udp_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            let bound = u16::from_str_radix(local_port, 16).ok()? == port;
            bound.then(|| fields.get(9)?.parse().ok())?
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn find_quic_socket(_port: u16) -> Option<UdpSocket> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn reads_the_udp_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            \x20 12: 0100007F:0FA1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0\n\
            \x20 13: 00000000:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 77 2 0000000000000000 0\n";
        assert_eq!(udp_inodes(table, 4001), vec![4242]);
        assert_eq!(udp_inodes(table, 8080), vec![77]);
        assert!(udp_inodes(table, 9).is_empty());
    }

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
