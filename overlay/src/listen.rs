//! Binding the listen addresses so that a port another program holds is an error.
//!
//! libp2p's TCP transport binds its listeners with `SO_REUSEPORT` (so outgoing connections can
//! leave from the listening port, which hole punching needs). The kernel then lets a second
//! process that does the same bind the very port, and splits incoming connections between the
//! two. A plain bind without the option fails on a port anyone listens on, so each configured
//! port is probed that way first.

use std::net::{IpAddr, SocketAddr};

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

use crate::OverlayError;

/// The transport of a listen address, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListenKind {
    Tcp,
    Quic,
    Other,
}

impl ListenKind {
    pub fn of(addr: &Multiaddr) -> ListenKind {
        let mut kind = ListenKind::Other;
        for p in addr.iter() {
            match p {
                Protocol::Tcp(_) => kind = ListenKind::Tcp,
                Protocol::QuicV1 => kind = ListenKind::Quic,
                _ => {}
            }
        }
        kind
    }

    /// The TCP or UDP port of `addr`.
    pub fn port(addr: &Multiaddr) -> Option<u16> {
        addr.iter().find_map(|p| match p {
            Protocol::Tcp(port) | Protocol::Udp(port) => Some(port),
            _ => None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ListenKind::Tcp => "TCP",
            ListenKind::Quic => "QUIC",
            ListenKind::Other => "-",
        }
    }
}

/// The socket address of `/ip4|ip6/…/tcp/PORT` or `/ip4|ip6/…/udp/PORT/quic-v1` with a fixed
/// port, and whether it is TCP; `None` for anything else.
fn fixed_port(addr: &Multiaddr) -> Option<(SocketAddr, bool)> {
    let mut it = addr.iter();
    let ip: IpAddr = match it.next()? {
        Protocol::Ip4(ip) => ip.into(),
        Protocol::Ip6(ip) => ip.into(),
        _ => return None,
    };
    match (it.next()?, it.next(), it.next()) {
        (Protocol::Tcp(port), None, _) if port != 0 => Some((SocketAddr::new(ip, port), true)),
        (Protocol::Udp(port), Some(Protocol::QuicV1), None) if port != 0 => {
            Some((SocketAddr::new(ip, port), false))
        }
        _ => None,
    }
}

/// Fails with [`OverlayError::Listen`] when a fixed port in `addrs` is taken. QUIC's UDP ports
/// are probed too: the transport's own error for them carries no error kind to tell "in use"
/// by.
pub(crate) fn probe_ports(addrs: &[Multiaddr]) -> Result<(), OverlayError> {
    for addr in addrs {
        let Some((sa, tcp)) = fixed_port(addr) else {
            continue;
        };
        // Bound and closed at once; the transport binds it again right after.
        let bound = if tcp {
            std::net::TcpListener::bind(sa).map(drop)
        } else {
            std::net::UdpSocket::bind(sa).map(drop)
        };
        if let Err(e) = bound {
            return Err(failed(addr, &e));
        }
    }
    Ok(())
}

/// The error of a listen address that could not be bound, with the cause's whole chain (the
/// transport's own error prints nothing of its cause).
pub(crate) fn failed(addr: &Multiaddr, e: &(dyn std::error::Error + 'static)) -> OverlayError {
    let mut in_use = false;
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            in_use |= io.kind() == std::io::ErrorKind::AddrInUse;
        }
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    OverlayError::Listen {
        addr: addr.clone(),
        in_use,
        reason: parts.join(": "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fixed_ports_are_probed() {
        let p = |s: &str| fixed_port(&s.parse().unwrap());
        let sa = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            p("/ip4/127.0.0.1/tcp/4001"),
            Some((sa("127.0.0.1:4001"), true))
        );
        assert_eq!(p("/ip6/::1/tcp/4001"), Some((sa("[::1]:4001"), true)));
        assert_eq!(p("/ip4/127.0.0.1/tcp/0"), None);
        assert_eq!(
            p("/ip4/127.0.0.1/udp/4001/quic-v1"),
            Some((sa("127.0.0.1:4001"), false))
        );
        assert_eq!(p("/ip4/127.0.0.1/udp/0/quic-v1"), None);
        assert_eq!(p("/ip4/127.0.0.1/tcp/4001/ws"), None);
    }

    #[test]
    fn a_taken_port_is_named_in_use() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
        match probe_ports(std::slice::from_ref(&addr)) {
            Err(OverlayError::Listen {
                addr: a,
                in_use,
                reason,
            }) => {
                assert_eq!(a, addr);
                assert!(in_use);
                assert!(!reason.is_empty());
            }
            other => panic!("{other:?}"),
        }
        drop(held);
        probe_ports(&[addr]).unwrap();
        let held = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/udp/{port}/quic-v1")
            .parse()
            .unwrap();
        assert!(matches!(
            probe_ports(&[addr]),
            Err(OverlayError::Listen { in_use: true, .. })
        ));
    }

    #[test]
    fn the_cause_chain_is_kept() {
        #[derive(Debug)]
        struct Silent(std::io::Error);
        impl std::fmt::Display for Silent {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                Ok(())
            }
        }
        impl std::error::Error for Silent {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Silent(std::io::Error::from(std::io::ErrorKind::AddrInUse));
        let addr: Multiaddr = "/ip4/127.0.0.1/udp/1/quic-v1".parse().unwrap();
        let OverlayError::Listen { in_use, reason, .. } = failed(&addr, &e) else {
            panic!()
        };
        assert!(in_use);
        assert!(!reason.is_empty());
    }
}
