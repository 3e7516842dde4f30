//! The node's client of the service network: hosting, login, directory look-ups, send
//! authorization and network time.
//!
//! It only ever talks to the service servers named in an account profile, whose PeerIds the
//! transport authenticates, and it checks every document they return against the pinned CA
//! certificate: a record or token that does not verify is an error, whoever sent it.

pub mod clock;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use overlay::{Multiaddr, OverlayError, OverlayHandle, PeerId};
use wire::proto::{self, Refusal, RefusalCode, Request, Response};
use wire::{AccountKey, Cert, DirectoryRecord, NetworkSigned, Release, ServerAddr};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A server answered and said no.
    #[error("refused ({:?}): {}", .0.code, .0.detail)]
    Refused(Refusal),
    /// No server of the network could be reached.
    #[error("service network unreachable: {0}")]
    Unreachable(String),
    /// A server answered with something that does not verify or does not fit the request.
    #[error("invalid answer from the service network: {0}")]
    Invalid(String),
    #[error(transparent)]
    Wire(#[from] wire::WireError),
}

impl ClientError {
    /// True when trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable(_) => true,
            ClientError::Refused(r) => r.code == RefusalCode::TryLater,
            _ => false,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A verified directory record with its certificate.
#[derive(Clone, Debug)]
pub struct Located {
    pub record: DirectoryRecord,
    pub cert: Cert,
    pub signed: NetworkSigned,
}

struct Server {
    peer: PeerId,
    addrs: Vec<Multiaddr>,
}

/// One service network as a node sees it. Cheap to clone.
#[derive(Clone)]
pub struct ServiceClient {
    inner: Arc<Inner>,
}

struct Inner {
    overlay: OverlayHandle,
    servers: Vec<Server>,
    ca: Cert,
    clock: NetClock,
}

/// Network time: the local clock corrected by the offset to the service network's clock, as
/// last measured. A node has one, shared by the clients of all its accounts; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct NetClock(Arc<AtomicI64>);

impl NetClock {
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_else(Utc::now)
    }

    /// Milliseconds since the epoch, network time.
    pub fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.offset_ms()
    }

    /// Network time minus local time, in milliseconds; 0 until a server was asked.
    pub fn offset_ms(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set_offset_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::Relaxed);
    }
}

/// Parses the profile's server list; servers whose PeerId or addresses do not parse are
/// skipped (an empty result is an error).
pub fn parse_servers(servers: &[ServerAddr]) -> Result<Vec<(PeerId, Vec<Multiaddr>)>> {
    let parsed: Vec<_> = servers
        .iter()
        .filter_map(|s| {
            let peer: PeerId = s.peer_id.parse().ok()?;
            let addrs: Vec<Multiaddr> = s.addrs.iter().filter_map(|a| a.parse().ok()).collect();
            Some((peer, addrs))
        })
        .collect();
    if parsed.is_empty() {
        return Err(ClientError::Invalid("no usable service server".into()));
    }
    Ok(parsed)
}

/// Turns the answer to [`Request::Release`] into the verified announcement. A server says
/// "none yet" with an `UnknownAccount` refusal; anything not signed by `ca` is an error.
pub fn release_answer(answer: Result<Response>, ca: &Cert) -> Result<Option<Release>> {
    match answer {
        Ok(Response::Release(signed)) => Ok(Some(wire::verify_release(&signed, ca)?)),
        Ok(_) => Err(ClientError::Invalid("answer to a release request".into())),
        Err(ClientError::Refused(r)) if r.code == RefusalCode::UnknownAccount => Ok(None),
        Err(e) => Err(e),
    }
}

impl ServiceClient {
    /// A client of the servers in `servers`, keeping `clock` in step with the network's.
    pub async fn new(
        overlay: OverlayHandle,
        servers: &[ServerAddr],
        ca: Cert,
        clock: NetClock,
    ) -> Result<Self> {
        let mut list = Vec::new();
        for (peer, addrs) in parse_servers(servers)? {
            overlay.add_peer_addrs(peer, addrs.clone()).await;
            list.push(Server { peer, addrs });
        }
        Ok(ServiceClient {
            inner: Arc::new(Inner {
                overlay,
                servers: list,
                ca,
                clock,
            }),
        })
    }

    pub fn ca(&self) -> &Cert {
        &self.inner.ca
    }

    /// The service servers' relay circuit base addresses (`<server addr>/p2p/<id>`), for the
    /// overlay to reserve circuits on.
    pub fn relay_addrs(&self) -> Vec<Multiaddr> {
        self.inner
            .servers
            .iter()
            .flat_map(|s| {
                s.addrs
                    .iter()
                    .map(move |a| a.clone().with(overlay::Protocol::P2p(s.peer)))
            })
            .collect()
    }

    /// The service servers' PeerIds, most preferred first.
    pub fn server_peers(&self) -> Vec<PeerId> {
        self.inner.servers.iter().map(|s| s.peer).collect()
    }

    /// Network time: the local clock corrected by the last measured offset.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub fn offset_ms(&self) -> i64 {
        self.inner.clock.offset_ms()
    }

    /// Asks the servers in order until one answers; a refusal is an answer. A connection that
    /// closes under the request (the server restarted) is dialled anew and asked once more.
    async fn call(&self, request: Request) -> Result<Response> {
        let mut last = String::new();
        for server in &self.inner.servers {
            let overlay = &self.inner.overlay;
            let mut answer = overlay.request(server.peer, request.clone()).await;
            if matches!(answer, Err(OverlayError::Closed)) {
                answer = overlay.request(server.peer, request.clone()).await;
            }
            match answer {
                Ok(Response::Refused(r)) if r.code == RefusalCode::TryLater => {
                    last = r.detail;
                }
                Ok(Response::Refused(r)) => return Err(ClientError::Refused(r)),
                Ok(response) => return Ok(response),
                Err(e) => {
                    tracing::debug!(server = %server.peer, error = %e, "service server unreachable");
                    last = e.to_string();
                }
            }
        }
        Err(ClientError::Unreachable(last))
    }

    /// Measures the offset to the network's clock (half the round trip counts as latency).
    pub async fn sync_time(&self) -> Result<i64> {
        let before = Utc::now().timestamp_millis();
        let Response::Time(server) = self.call(Request::Time).await? else {
            return Err(ClientError::Invalid("time".into()));
        };
        let after = Utc::now().timestamp_millis();
        let offset = server - (before + after) / 2;
        self.inner.clock.set_offset_ms(offset);
        Ok(offset)
    }

    /// The latest release the network announced, verified against the pinned CA; `None`
    /// when none has been announced.
    pub async fn latest_release(&self) -> Result<Option<Release>> {
        release_answer(self.call(Request::Release).await, &self.inner.ca)
    }

    fn verify(&self, signed: NetworkSigned, address: &str) -> Result<Located> {
        let (record, cert) = wire::verify_record(&signed, &self.inner.ca)?;
        if !record.address.eq_ignore_ascii_case(address) {
            return Err(ClientError::Invalid(format!(
                "record for {} instead of {address}",
                record.address
            )));
        }
        Ok(Located {
            record,
            cert,
            signed,
        })
    }

    /// Hosts `key`'s account on this node with the profile's one-time secret.
    pub async fn host(
        &self,
        key: &AccountKey,
        secret: &[u8],
        node_addrs: Vec<String>,
    ) -> Result<Located> {
        let node = self.inner.overlay.peer_id().to_string();
        let signed_request = proto::host_request(secret, &node, key, node_addrs)?;
        // Servers from before signed requests cannot read one and answer nothing; they take
        // the keyed proof inside it.
        let older = match &signed_request {
            Request::HostSigned { request, .. } => Request::Host(request.clone()),
            other => other.clone(),
        };
        // A server that merely did not answer in time is asked the signed way once more
        // first: the current ones refuse the unsigned request.
        let mut answer = self.call(signed_request.clone()).await;
        if matches!(answer, Err(ClientError::Unreachable(_))) {
            answer = self.call(signed_request).await;
        }
        let answer = match answer {
            Err(ClientError::Unreachable(_)) => self.call(older).await?,
            other => other?,
        };
        let Response::Hosted(signed) = answer else {
            return Err(ClientError::Invalid("host".into()));
        };
        let located = self.verify(signed, key.address())?;
        if located.cert.fingerprint() != key.fingerprint() || located.record.node != node {
            return Err(ClientError::Invalid(
                "record names another key or node".into(),
            ));
        }
        Ok(located)
    }

    /// Tells the network this node hosts `key`'s account at `node_addrs`.
    pub async fn login(&self, key: &AccountKey, node_addrs: Vec<String>) -> Result<Located> {
        let login = proto::Login {
            address: key.address().to_string(),
            node: self.inner.overlay.peer_id().to_string(),
            node_addrs,
            at: self.now(),
        };
        let signed = proto::sign_login(key, &login)?;
        let Response::Record(record) = self.call(Request::Login(signed)).await? else {
            return Err(ClientError::Invalid("login".into()));
        };
        self.verify(record, key.address())
    }

    /// The directory record of `address`, asked for the hosted account `asker`.
    pub async fn lookup(&self, asker: &str, address: &str) -> Result<Located> {
        let request = Request::Lookup {
            asker: asker.to_string(),
            address: address.to_string(),
        };
        let Response::Record(record) = self.call(request).await? else {
            return Err(ClientError::Invalid("lookup".into()));
        };
        self.verify(record, address)
    }

    /// An authorization token for one message, checked before it is used.
    pub async fn authorize(
        &self,
        sender: &str,
        recipients: Vec<String>,
        message_id: wire::MessageId,
        size: u64,
    ) -> Result<NetworkSigned> {
        let request = Request::Authorize {
            sender: sender.to_string(),
            recipients: recipients.clone(),
            message_id,
            size,
        };
        let Response::Token(signed) = self.call(request).await? else {
            return Err(ClientError::Invalid("authorize".into()));
        };
        let token = wire::verify_token(&signed, &self.inner.ca)?;
        if token.message_id != message_id
            || !token.sender.eq_ignore_ascii_case(sender)
            || token.recipients.len() != recipients.len()
        {
            return Err(ClientError::Invalid(
                "token does not fit the request".into(),
            ));
        }
        Ok(signed)
    }
}

/// Back-off for reconnecting and retrying: doubles from `min` up to `max`.
pub fn backoff(attempt: u32, min: Duration, max: Duration) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    min.saturating_mul(factor).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(backoff(0, min, max), min);
        assert_eq!(backoff(3, min, max), Duration::from_secs(8));
        assert_eq!(backoff(40, min, max), max);
    }

    #[test]
    fn server_lists_need_one_usable_entry() {
        assert!(parse_servers(&[]).is_err());
        let bad = ServerAddr {
            peer_id: "nope".into(),
            addrs: vec![],
        };
        assert!(parse_servers(std::slice::from_ref(&bad)).is_err());
        let good = ServerAddr {
            peer_id: PeerId::random().to_string(),
            addrs: vec!["/ip4/127.0.0.1/tcp/1".into(), "junk".into()],
        };
        let parsed = parse_servers(&[bad, good]).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].1.len(), 1);
    }

    #[test]
    fn release_answers_verify_against_the_pinned_ca() {
        let ca = wire::CaKey::generate("t").unwrap();
        let other = wire::CaKey::generate("o").unwrap();
        let release = Release {
            version: wire::RELEASE_VERSION,
            product_version: "0.2.0".into(),
            notes: String::new(),
            url: "https://example.invalid/r".into(),
            // Whole milliseconds, as the signed document keeps them.
            published: DateTime::from_timestamp_millis(1_800_000_000_000).unwrap(),
        };
        let good = Response::Release(ca.sign_release(&release).unwrap());
        assert_eq!(
            release_answer(Ok(good), &ca.cert()).unwrap(),
            Some(release.clone())
        );
        let forged = Response::Release(other.sign_release(&release).unwrap());
        assert!(release_answer(Ok(forged), &ca.cert()).is_err());
        let none = ClientError::Refused(Refusal::new(RefusalCode::UnknownAccount, "none"));
        assert_eq!(release_answer(Err(none), &ca.cert()).unwrap(), None);
        assert!(release_answer(Ok(Response::Done), &ca.cert()).is_err());
    }
}
