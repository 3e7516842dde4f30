//! One connection: TCP, TLS with the pinned certificate, the hello, the node's answer, then
//! the frames it sends. Everything read is bounded by the api crate's [`FrameDecoder`] (one
//! frame at most [`monitor_api::limits::MAX_FRAME_BYTES`]).

use std::io;

use monitor_api::{Accepted, ClientFrame, Credentials, FrameDecoder, FrameError, ServerFrame};
use monitor_model::reconnect::CONNECT_TIMEOUT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::known_hosts::{Fingerprint, KnownHosts};
use crate::{ClientError, Target, tls};

/// What a dial needs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub target: Target,
    pub credentials: Credentials,
    pub known_hosts: KnownHosts,
    /// A fingerprint the person (or a script) accepted for this node beforehand: a node
    /// presenting it is trusted and kept in the known-hosts file.
    pub accept: Option<Fingerprint>,
    /// The monitor's name and version, for the node's log.
    pub client: String,
}

/// An accepted connection.
pub struct Session {
    pub accepted: Accepted,
    stream: TlsStream<TcpStream>,
    decoder: FrameDecoder,
    chunk: Box<[u8]>,
    ended: bool,
}

/// Opens a connection and sends the hello; the node's acceptance, or why not. Bounded by
/// [`CONNECT_TIMEOUT`] as a whole.
pub async fn dial(settings: &Settings) -> Result<Session, ClientError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, dial_inner(settings)).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Timeout {
            target: settings.target.key(),
        }),
    }
}

async fn dial_inner(settings: &Settings) -> Result<Session, ClientError> {
    let target = settings.target.key();
    let known = settings.known_hosts.get(&target)?;
    // An explicit acceptance is the person's decision and wins over the file.
    let expected = settings.accept.or(known);
    let tcp = TcpStream::connect((settings.target.host.as_str(), settings.target.port))
        .await
        .map_err(|e| ClientError::from_connect(&target, e))?;
    let _ = tcp.set_nodelay(true);
    let (config, presented) = tls::config(expected).map_err(|e| ClientError::Tls {
        target: target.clone(),
        detail: e.to_string(),
    })?;
    let connector = TlsConnector::from(config);
    let stream = match connector
        .connect(tls::server_name(&settings.target.host), tcp)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            let presented = presented.lock().ok().and_then(|p| *p);
            return Err(match (presented, known) {
                (Some(p), _) if Some(p) == expected => ClientError::Tls {
                    target,
                    detail: e.to_string(),
                },
                (Some(p), Some(k)) => ClientError::ChangedCertificate {
                    target,
                    known: k,
                    presented: p,
                    path: settings.known_hosts.path().display().to_string(),
                },
                (Some(p), None) => ClientError::UnknownCertificate {
                    target,
                    fingerprint: p,
                },
                (None, _) => ClientError::Tls {
                    target,
                    detail: e.to_string(),
                },
            });
        }
    };
    if known != expected
        && let Some(fp) = expected
    {
        settings.known_hosts.set(&target, fp)?;
        tracing::info!(%target, fingerprint = %fp, "node certificate kept in known hosts");
    }
    let mut session = Session {
        accepted: placeholder(),
        stream,
        decoder: FrameDecoder::new(),
        chunk: vec![0u8; 16 * 1024].into_boxed_slice(),
        ended: false,
    };
    let hello = ClientFrame::Hello {
        versions: monitor_api::SUPPORTED,
        credentials: settings.credentials.clone(),
        client: Some(monitor_api::limits::clip(&settings.client, 64).to_string()),
    };
    let line = monitor_api::encode(&hello).map_err(|e| ClientError::Protocol {
        target: target.clone(),
        detail: e.to_string(),
    })?;
    let io_err = |e: io::Error| ClientError::Unreachable {
        target: target.clone(),
        detail: e.to_string(),
    };
    session.stream.write_all(&line).await.map_err(io_err)?;
    session.stream.flush().await.map_err(io_err)?;
    let first = loop {
        match session.next_frame().await {
            Ok(Some(f)) => break f,
            Ok(None) => return Err(ClientError::Closed { target }),
            Err(e) if !e.is_fatal() => {
                tracing::warn!(%target, error = %e, "unreadable frame skipped");
            }
            Err(e) => {
                return Err(ClientError::Protocol {
                    target,
                    detail: e.to_string(),
                });
            }
        }
    };
    match first {
        ServerFrame::Accepted(a) => {
            tracing::info!(%target, version = a.version, node = %a.node_version, "monitor accepted");
            session.accepted = a;
            Ok(session)
        }
        ServerFrame::Refused { refusal } => Err(ClientError::Refused(refusal)),
        other => Err(ClientError::Protocol {
            target,
            detail: format!("answered the hello with {}", frame_kind(&other)),
        }),
    }
}

fn placeholder() -> Accepted {
    Accepted {
        version: 0,
        node_version: String::new(),
        scope: monitor_api::Scope::Operator,
    }
}

/// A frame's type for a log line, without its content (subjects and addresses stay out of
/// logs).
pub fn frame_kind(frame: &ServerFrame) -> &'static str {
    match frame {
        ServerFrame::Accepted(_) => "accepted",
        ServerFrame::Refused { .. } => "refused",
        ServerFrame::SnapshotStart { .. } => "snapshot-start",
        ServerFrame::SnapshotJob { .. } => "snapshot-job",
        ServerFrame::SnapshotEnd => "snapshot-end",
        ServerFrame::Event { .. } => "event",
        ServerFrame::Heartbeat { .. } => "heartbeat",
    }
}

impl Session {
    /// The next frame; `None` when the node closed the connection between frames. An error
    /// that is not [fatal](FrameError::is_fatal) costs only its frame: reading may go on.
    pub async fn next_frame(&mut self) -> Result<Option<ServerFrame>, FrameError> {
        loop {
            if let Some(frame) = self.decoder.next_frame()? {
                return Ok(Some(frame));
            }
            if self.ended {
                return if self.decoder.unfinished() > 0 {
                    Err(FrameError::Truncated)
                } else {
                    Ok(None)
                };
            }
            let n = match self.stream.read(&mut self.chunk).await {
                Ok(n) => n,
                // A node that stops without TLS's close_notify ends the stream so too.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                self.ended = true;
            } else {
                self.decoder.push(&self.chunk[..n])?;
            }
        }
    }
}
