//! A monitor for tests: connects to a node's monitor endpoint over TLS, pinning the node's own
//! certificate with `wims-monitor`'s own pinning, sends a hello and reads frames with
//! `monitor-api`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use monitor_api::{ClientFrame, Credentials, FrameReader, ServerFrame, VersionRange};
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

pub type Tls = StreamOwned<ClientConnection, TcpStream>;

/// The SHA-256 fingerprint of the (first) certificate in the PEM file `cert_pem`, as
/// `wims-monitor` pins it.
pub fn cert_fingerprint(cert_pem: &Path) -> io::Result<monitor_client::Fingerprint> {
    let pem = std::fs::read(cert_pem)?;
    let cert = rustls_pemfile::certs(&mut &pem[..])
        .next()
        .ok_or_else(|| io::Error::other("no certificate"))??;
    Ok(monitor_client::Fingerprint::of(cert.as_ref()))
}

/// A loopback port nothing listens on (at the moment of asking).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A TLS connection to the monitor endpoint at `addr`, trusting only the certificate in
/// `cert_pem`. Reads time out after `read_timeout`.
pub fn connect(addr: SocketAddr, cert_pem: &Path, read_timeout: Duration) -> io::Result<Tls> {
    let fingerprint = cert_fingerprint(cert_pem)?;
    let config = monitor_client::pinned_config(fingerprint).map_err(io::Error::other)?;
    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(read_timeout))?;
    let mut tls = StreamOwned::new(conn, tcp);
    // Finish the handshake now, so a refused certificate shows here.
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

pub fn account(address: &str, password: &str) -> Credentials {
    Credentials::Account {
        address: address.into(),
        password: password.into(),
    }
}

pub fn operator(token: &str) -> Credentials {
    Credentials::Operator {
        token: token.into(),
    }
}

/// A hello of version 1 with `credentials`.
pub fn hello(credentials: Credentials) -> ClientFrame {
    hello_versions(credentials, monitor_api::SUPPORTED)
}

pub fn hello_versions(credentials: Credentials, versions: VersionRange) -> ClientFrame {
    ClientFrame::Hello {
        versions,
        credentials,
        client: Some("wims-tests".into()),
    }
}

/// A connected monitor after its hello.
pub struct Monitor {
    reader: FrameReader<Tls>,
    /// Every frame read so far, in order.
    pub frames: Vec<ServerFrame>,
}

impl Monitor {
    /// Connects, sends `hello`, and returns the node's first answer with the monitor.
    pub fn open(
        addr: SocketAddr,
        cert_pem: &Path,
        hello: &ClientFrame,
    ) -> io::Result<(ServerFrame, Monitor)> {
        let mut tls = connect(addr, cert_pem, Duration::from_secs(30))?;
        monitor_api::write_frame(&mut tls, hello).map_err(io::Error::other)?;
        tls.flush()?;
        let mut monitor = Monitor {
            reader: FrameReader::new(tls),
            frames: Vec::new(),
        };
        let first = monitor
            .next_frame()?
            .ok_or_else(|| io::Error::other("closed without an answer"))?;
        Ok((first, monitor))
    }

    /// The next frame; `None` when the node closed the connection.
    pub fn next_frame(&mut self) -> io::Result<Option<ServerFrame>> {
        match self.reader.next_frame::<ServerFrame>() {
            Ok(Some(f)) => {
                self.frames.push(f.clone());
                Ok(Some(f))
            }
            Ok(None) => Ok(None),
            Err(monitor_api::FrameError::Io(e)) => Err(e),
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    }

    /// Reads frames until `done` holds for the frames read so far, or `limit` passes (then
    /// it fails, naming `what`).
    pub fn until(
        &mut self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&[ServerFrame]) -> bool,
    ) -> io::Result<()> {
        let started = Instant::now();
        while !done(&self.frames) {
            if started.elapsed() > limit {
                return Err(io::Error::other(format!(
                    "{what}: not seen within {limit:?}"
                )));
            }
            match self.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) => return Err(io::Error::other(format!("{what}: connection closed"))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Reads from `stream` until it ends, fails or `limit` passes; how long that took, and whether
/// it ended (rather than ran out of time).
pub fn wait_closed(stream: &mut impl Read, limit: Duration) -> (Duration, bool) {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (started.elapsed(), true),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (started.elapsed(), true),
        }
        if started.elapsed() > limit {
            return (started.elapsed(), false);
        }
    }
}
