use libp2p::PeerId;

/// Everything that can go wrong on the overlay, typed so callers can choose between retrying,
/// falling back to a backup server, or giving up.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// No connection could be made to the peer (no address, refused, wrong peer, ...).
    #[error("dial failed: {0}")]
    Dial(String),
    #[error("timed out")]
    Timeout,
    /// The peer or the connection went away before the exchange finished.
    #[error("connection or stream closed")]
    Closed,
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("undecodable message: {0}")]
    Decode(String),
    #[error("unencodable message: {0}")]
    Encode(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Building the swarm failed.
    #[error("transport: {0}")]
    Transport(String),
    /// A listen address could not be bound; `in_use` when another program holds the port.
    #[error("listen on {addr}: {reason}")]
    Listen {
        addr: libp2p::Multiaddr,
        in_use: bool,
        reason: String,
    },
    /// The peer does not speak the protocol.
    #[error("peer does not support the protocol")]
    Unsupported,
    /// Only a relayed connection exists; relays carry no bulk data.
    #[error("no direct connection to {0}")]
    NotDirect(PeerId),
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The swarm task has stopped (shutdown, or every handle was dropped).
    #[error("overlay stopped")]
    Stopped,
}

impl OverlayError {
    /// For a listen address another program holds: the text arguments `port`, `what` (the
    /// transport, `TCP` or `QUIC`) and `addr` that name it to the user.
    pub fn port_in_use(&self) -> Option<[(&'static str, String); 3]> {
        let OverlayError::Listen {
            addr, in_use: true, ..
        } = self
        else {
            return None;
        };
        let kind = crate::listen::ListenKind::of(addr);
        let port = crate::listen::ListenKind::port(addr).unwrap_or_default();
        Some([
            ("port", port.to_string()),
            ("what", kind.name().to_string()),
            ("addr", addr.to_string()),
        ])
    }

    /// Carries a typed error through APIs that only speak `io::Error` (the request-response
    /// codec), so that it can be recovered with [`OverlayError::from_io`].
    pub(crate) fn into_io(self) -> std::io::Error {
        match self {
            OverlayError::Io(e) => e,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
        }
    }

    pub(crate) fn from_io(e: std::io::Error) -> Self {
        if e.get_ref().is_some_and(|inner| inner.is::<OverlayError>()) {
            if let Some(inner) = e.into_inner()
                && let Ok(typed) = inner.downcast::<OverlayError>()
            {
                return *typed;
            }
            // Unreachable in practice: checked just above.
            return OverlayError::Closed;
        }
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe => OverlayError::Closed,
            std::io::ErrorKind::TimedOut => OverlayError::Timeout,
            _ => OverlayError::Io(e),
        }
    }
}
