//! The monitor endpoint (`[monitor] listen`, `docs/monitor-api.md`): TLS with the node's
//! certificate, one hello from the monitor, then a snapshot and events until either side
//! closes.
//!
//! Everything a stranger can make the node do before the hello is accepted is bounded by a
//! setting: connections at once (in all and per address), the time to finish TLS and send
//! the hello, and the hello's size (the frame decoder refuses a longer line before it stores
//! it). Passwords are checked through the node's login limiter, which slows repeated
//! failures down for the address and the account alike.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use monitor_api::limits::HEARTBEAT_SECS;
use monitor_api::{
    Accepted, ClientFrame, Credentials, FrameDecoder, FrameError, Refusal, Scope, ServerFrame,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;

use super::Monitors;
use endpoints::limits::{ConnCaps, ConnLimiter};
use jobs::{Published, Registry, now};

/// A wrong operator token costs the asker this long: tokens cannot be guessed, and a client
/// that keeps trying should not spin.
const BAD_TOKEN_DELAY: Duration = Duration::from_millis(500);

/// Why a connection ended before it was accepted, for the log.
#[derive(Debug, thiserror::Error)]
enum HelloError {
    #[error("tls: {0}")]
    Tls(std::io::Error),
    #[error("hello: {0}")]
    Frame(#[from] FrameError),
    #[error("connection closed before the hello")]
    Closed,
    #[error("no hello in time")]
    Timeout,
}

/// Why an accepted connection ended, for the log.
#[derive(Debug, Clone, Copy)]
enum Ended {
    WriteFailed,
    NodeStopping,
    ClosedByMonitor,
    /// The monitor sent more than its hello, which version 1 does not allow.
    MonitorSpoke,
    ReadFailed,
}

/// Serves monitors on `listener` until the node stops.
pub async fn serve(listener: TcpListener, ctx: Arc<Monitors>) {
    let registry = ctx.registry.clone();
    let c = &ctx.settings;
    let limiter = ConnLimiter::new(ConnCaps {
        total: c.max_connections,
        per_ip: c.max_connections_per_ip,
    });
    let status = tokio::spawn(super::status::run(ctx.clone(), registry.clone()));
    endpoints::net::accept_loop(listener, "monitor", limiter, move |tcp, peer| {
        connection(tcp, peer, ctx.clone(), registry.clone())
    })
    .await;
    status.abort();
}

async fn connection(tcp: TcpStream, peer: SocketAddr, ctx: Arc<Monitors>, registry: Arc<Registry>) {
    let c = &ctx.settings;
    let deadline = Duration::from_secs(c.handshake_timeout);
    let opened = tokio::time::timeout(deadline, async {
        let tls = ctx.clients.tls.accept(tcp).await.map_err(HelloError::Tls)?;
        let (mut rd, wr) = tokio::io::split(tls);
        let hello = read_hello(&mut rd, c.max_hello_size).await?;
        Ok::<_, HelloError>((rd, wr, hello))
    })
    .await
    .unwrap_or(Err(HelloError::Timeout));
    let (rd, mut wr, hello) = match opened {
        Ok(x) => x,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "monitor connection ended before its hello");
            return;
        }
    };
    let ClientFrame::Hello {
        versions,
        credentials,
        client,
    } = hello;
    let answer = match monitor_api::negotiate(monitor_api::SUPPORTED, versions) {
        None => Err(Refusal::UnsupportedVersion {
            min: monitor_api::SUPPORTED.min,
            max: monitor_api::SUPPORTED.max,
        }),
        Some(version) => check(&ctx, &credentials, peer.ip())
            .await
            .map(|scope| (version, scope)),
    };
    let client = client.unwrap_or_default();
    let (version, scope) = match answer {
        Ok(x) => x,
        Err(refusal) => {
            tracing::info!(%peer, client = %client, credentials = ?credentials, ?refusal, "monitor refused");
            let _ = write(&mut wr, &ServerFrame::Refused { refusal }, &ctx).await;
            let _ = wr.shutdown().await;
            return;
        }
    };
    tracing::info!(%peer, client = %client, ?scope, version, "monitor connected");
    let accepted = ServerFrame::Accepted(Accepted {
        version,
        node_version: env!("CARGO_PKG_VERSION").to_string(),
        scope: scope.clone(),
    });
    if write(&mut wr, &accepted, &ctx).await.is_err() {
        return;
    }
    let account = match scope {
        Scope::Account { address } => Some(address),
        Scope::Operator => None,
    };
    let ended = stream(rd, wr, account.as_deref(), &registry, &ctx).await;
    tracing::info!(%peer, ?ended, "monitor disconnected");
}

/// Reads bytes until one whole hello arrived; nothing longer than `limit` is stored.
async fn read_hello<R: AsyncRead + Unpin>(
    rd: &mut R,
    limit: usize,
) -> Result<ClientFrame, HelloError> {
    let mut decoder = FrameDecoder::with_limit(limit);
    let mut buf = [0u8; 4096];
    loop {
        if let Some(frame) = decoder.next_frame::<ClientFrame>()? {
            return Ok(frame);
        }
        let n = rd.read(&mut buf).await.map_err(FrameError::Io)?;
        if n == 0 {
            return Err(HelloError::Closed);
        }
        decoder.push(&buf[..n])?;
    }
}

/// Whose jobs the credentials may see, or why not.
async fn check(ctx: &Monitors, credentials: &Credentials, peer: IpAddr) -> Result<Scope, Refusal> {
    match credentials {
        Credentials::Operator { token } => {
            if super::token::is_valid(&ctx.data_dir, token) {
                Ok(Scope::Operator)
            } else {
                tokio::time::sleep(BAD_TOKEN_DELAY).await;
                Err(Refusal::BadCredentials)
            }
        }
        Credentials::Account { address, password } => {
            match ctx
                .clients
                .login
                .authenticate(address, password, peer)
                .await
            {
                Ok(account) => Ok(Scope::Account {
                    address: account.address.to_ascii_lowercase(),
                }),
                Err(_) => {
                    let exists = ctx.clients.login.exists(address);
                    Err(account_refusal(exists, peer))
                }
            }
        }
    }
}

/// Why account credentials were refused. Only a monitor on this machine learns that an
/// address has no account here; from elsewhere both failures read the same, so that the
/// endpoint cannot be asked which accounts exist.
fn account_refusal(exists: bool, peer: IpAddr) -> Refusal {
    if !exists && peer.is_loopback() {
        Refusal::UnknownAccount
    } else {
        Refusal::BadCredentials
    }
}

async fn write<W: AsyncWrite + Unpin>(
    wr: &mut W,
    frame: &ServerFrame,
    ctx: &Monitors,
) -> std::io::Result<()> {
    let line = monitor_api::encode(frame).map_err(std::io::Error::other)?;
    send(wr, &line, ctx).await
}

/// Writes and flushes `bytes`; a monitor that does not take them within the write timeout is
/// dropped.
async fn send<W: AsyncWrite + Unpin>(
    wr: &mut W,
    bytes: &[u8],
    ctx: &Monitors,
) -> std::io::Result<()> {
    let limit = ctx.clients.write_timeout;
    tokio::time::timeout(limit, async {
        wr.write_all(bytes).await?;
        wr.flush().await
    })
    .await
    .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
}

/// The snapshot for `account` (`None`: every account), numbered to follow event `seq`.
async fn snapshot<W: AsyncWrite + Unpin>(
    wr: &mut W,
    account: Option<&str>,
    seq: u64,
    registry: &Registry,
    ctx: &Monitors,
) -> std::io::Result<()> {
    let jobs = registry.snapshot(account);
    let mut out = Vec::new();
    let start = ServerFrame::SnapshotStart {
        seq,
        now: now(),
        jobs: jobs.len() as u32,
        status: registry.status(),
    };
    let encoded = |f: &ServerFrame| monitor_api::encode(f).map_err(std::io::Error::other);
    out.extend(encoded(&start)?);
    for job in jobs {
        out.extend(encoded(&ServerFrame::SnapshotJob { job: Box::new(job) })?);
        // Sent in pieces: a snapshot of thousands of jobs is not held whole.
        if out.len() >= 256 * 1024 {
            send(wr, &out, ctx).await?;
            out.clear();
        }
    }
    out.extend(encoded(&ServerFrame::SnapshotEnd)?);
    send(wr, &out, ctx).await
}

fn visible(p: &Published, account: Option<&str>) -> bool {
    match (&p.account, account) {
        (None, _) | (_, None) => true,
        (Some(owner), Some(me)) => **owner == *me,
    }
}

/// Snapshot, then events and heartbeats, until the monitor goes or falls too far behind to
/// be written to.
async fn stream<R, W>(
    mut rd: R,
    mut wr: W,
    account: Option<&str>,
    registry: &Registry,
    ctx: &Monitors,
) -> Ended
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let heartbeat = Duration::from_secs(HEARTBEAT_SECS);
    let mut events = registry.subscribe();
    let mut seq = 0u64;
    if snapshot(&mut wr, account, seq, registry, ctx)
        .await
        .is_err()
    {
        return Ended::WriteFailed;
    }
    let mut quiet_until = tokio::time::Instant::now() + heartbeat;
    let mut probe = [0u8; 1];
    let mut line = Vec::with_capacity(4096);
    loop {
        tokio::select! {
            received = events.recv() => match received {
                Ok(p) => {
                    if !visible(&p, account) {
                        continue;
                    }
                    seq += 1;
                    line.clear();
                    line.extend_from_slice(b"{\"type\":\"event\",\"seq\":");
                    line.extend_from_slice(seq.to_string().as_bytes());
                    line.extend_from_slice(b",\"event\":");
                    line.extend_from_slice(&p.json);
                    line.extend_from_slice(b"}\n");
                    if send(&mut wr, &line, ctx).await.is_err() {
                        return Ended::WriteFailed;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Too slow for the ring: a fresh picture instead of a backlog.
                    tracing::debug!(missed, "monitor fell behind; sending a new snapshot");
                    events = registry.subscribe();
                    if snapshot(&mut wr, account, seq, registry, ctx).await.is_err() {
                        return Ended::WriteFailed;
                    }
                }
                Err(RecvError::Closed) => return Ended::NodeStopping,
            },
            _ = tokio::time::sleep_until(quiet_until) => {
                if write(&mut wr, &ServerFrame::Heartbeat { now: now() }, ctx).await.is_err() {
                    return Ended::WriteFailed;
                }
            }
            read = rd.read(&mut probe) => {
                return match read {
                    Ok(0) => Ended::ClosedByMonitor,
                    Ok(_) => Ended::MonitorSpoke,
                    Err(_) => Ended::ReadFailed,
                };
            }
        }
        quiet_until = tokio::time::Instant::now() + heartbeat;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_learns_that_an_account_does_not_exist() {
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let here6: IpAddr = "::1".parse().unwrap();
        let away: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(account_refusal(false, here), Refusal::UnknownAccount);
        assert_eq!(account_refusal(false, here6), Refusal::UnknownAccount);
        assert_eq!(account_refusal(false, away), Refusal::BadCredentials);
        assert_eq!(account_refusal(true, here), Refusal::BadCredentials);
        assert_eq!(account_refusal(true, away), Refusal::BadCredentials);
    }
}
