//! The update check: the service network announces releases signed by its CA
//! (`wims-service release announce`); the node asks at start, once it has logged in, and
//! then daily, and says so in its log when a newer version than its own exists.
//!
//! Only an announcement that verifies against the pinned CA counts: anyone between the node
//! and the network, or a server that lost its way, must not be able to send users to a
//! download of their choosing.
//!
//! The last announcement that verified is kept in the store as the network signed it, with
//! the account whose network sent it, so that a node that cannot reach the network (stopped,
//! restarted, offline) still knows it. It is verified again against that account's pinned CA
//! whenever it is read: the store is not trusted to vouch for a download address.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use relay_client::ClientError;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use wire::proto::{RefusalCode, Request, Response};
use wire::{NetworkSigned, Release};

use super::Network;

/// How often a running node asks; releases are rare, and the question costs the network.
const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// After a failed check (network unreachable), a sooner second try.
const RETRY_INTERVAL: Duration = Duration::from_secs(3600);

/// The version this node runs.
pub const RUNNING_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The record table of the update check, and its one key.
const TABLE: &str = "update";
const LATEST: &str = "latest";

/// An announcement that verified, and when this node fetched it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRelease {
    pub release: Release,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub fetched: DateTime<Utc>,
}

/// The stored form. Field order is the on-disk layout: append only.
#[derive(Serialize, Deserialize)]
struct StoredRelease {
    /// As the network signed it, so that reading it verifies it again.
    signed: NetworkSigned,
    /// The hosted account whose network sent it: its pinned CA is the one that must verify.
    address: String,
    /// Milliseconds since the epoch.
    fetched: i64,
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum UpdateStatus {
    /// The network announced a newer version than [`RUNNING_VERSION`].
    Available { release: Release },
    /// Nothing newer announced (or nothing at all); `running` is this node's version.
    UpToDate { running: String },
    /// No hosted account, so no service network to ask.
    NoNetwork,
    /// The network could not be asked now (`reason`); `known` is the last announcement this
    /// node verified (verified again just now), `newer` whether it is newer than `running`.
    Remembered {
        known: KnownRelease,
        newer: bool,
        running: String,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The answer did not verify against the CA: forged, damaged or not an announcement.
    #[error("release announcement does not verify: {0}")]
    Unverified(ClientError),
    #[error("service network: {0}")]
    Network(ClientError),
    /// The node's own records could not be read.
    #[error("store: {0}")]
    Store(mailbox::Error),
}

/// The check's state in the running node.
pub(super) struct UpdateState {
    /// Becomes true after the first successful login: only then is the network known to
    /// answer, so the first check does not fail for a node still starting.
    logged_in: watch::Sender<bool>,
    /// The last announcement that verified, newer or not; filled from the store on first
    /// use.
    last: RwLock<Option<KnownRelease>>,
}

impl UpdateState {
    pub(super) fn new() -> Self {
        UpdateState {
            logged_in: watch::channel(false).0,
            last: RwLock::new(None),
        }
    }

    pub(super) fn logged_in(&self) {
        self.logged_in.send_replace(true);
    }
}

/// Whether dotted numeric version `candidate` is later than `running`. Missing parts count
/// as 0 ("1.2" = "1.2.0"); a version that is not dotted numbers is never newer, so an odd
/// announcement cannot nag.
pub fn is_newer(candidate: &str, running: &str) -> bool {
    fn parts(v: &str) -> Option<Vec<u64>> {
        v.split('.').map(|p| p.parse::<u64>().ok()).collect()
    }
    let (Some(mut c), Some(mut r)) = (parts(candidate), parts(running)) else {
        return false;
    };
    let n = c.len().max(r.len());
    c.resize(n, 0);
    r.resize(n, 0);
    c > r
}

/// Turns the client's answer into a status for a node running `running`.
pub fn judge(
    answer: relay_client::Result<Option<Release>>,
    running: &str,
) -> Result<UpdateStatus, UpdateError> {
    match answer {
        Ok(Some(release)) if is_newer(&release.product_version, running) => {
            Ok(UpdateStatus::Available { release })
        }
        Ok(_) => Ok(UpdateStatus::UpToDate {
            running: running.to_string(),
        }),
        Err(e @ (ClientError::Wire(_) | ClientError::Invalid(_))) => {
            Err(UpdateError::Unverified(e))
        }
        Err(e) => Err(UpdateError::Network(e)),
    }
}

/// Verifies a stored announcement against `ca`; `None` when it does not verify (any more).
fn reverify(stored: &StoredRelease, ca: &wire::Cert) -> Option<KnownRelease> {
    match wire::verify_release(&stored.signed, ca) {
        Ok(release) => Some(KnownRelease {
            release,
            fetched: DateTime::from_timestamp_millis(stored.fetched).unwrap_or_default(),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "stored release announcement does not verify; ignored");
            None
        }
    }
}

impl Network {
    /// Whether a service network answered a login since the node started.
    pub fn service_reachable(&self) -> bool {
        *self.update.logged_in.borrow()
    }

    /// Asks the service network of the first hosted account (by address) for its latest
    /// release; every hosted account of a node normally shares one network.
    pub async fn check_update(&self) -> Result<UpdateStatus, UpdateError> {
        let Some(h) = self.hosted_addresses().first().and_then(|a| self.hosted(a)) else {
            return Ok(UpdateStatus::NoNetwork);
        };
        let servers = super::hosted::load_records(&self.records.hosted)
            .map_err(UpdateError::Store)?
            .into_iter()
            .find(|r| r.address.eq_ignore_ascii_case(&h.address))
            .map(|r| r.servers)
            .unwrap_or_default();
        let response = self.fetch_release(&servers).await;
        let signed = match &response {
            Ok(Response::Release(signed)) => Some(signed.clone()),
            _ => None,
        };
        let answer = relay_client::release_answer(response, h.client.ca());
        if let (Ok(Some(release)), Some(signed)) = (&answer, signed) {
            self.remember(&h.address, release, signed);
        }
        let status = judge(answer, RUNNING_VERSION);
        self.update_job(&h.address, &status);
        match &status {
            Ok(UpdateStatus::Available { release }) => tracing::info!(
                version = release.product_version,
                url = release.url,
                running = RUNNING_VERSION,
                "update available"
            ),
            Ok(_) => tracing::debug!(running = RUNNING_VERSION, "no newer release announced"),
            Err(e @ UpdateError::Unverified(_)) => {
                tracing::warn!(error = %e, "release announcement refused")
            }
            Err(e) => tracing::debug!(error = %e, "update check failed"),
        }
        status
    }

    /// An announced newer release, or one that did not verify, as a job monitors see (once
    /// per version: the daily check does not repeat it).
    fn update_job(&self, address: &str, status: &Result<UpdateStatus, UpdateError>) {
        use monitor_api::{Activity, Direction, Stage, UserText, error_ids};
        let (id, version) = match status {
            Ok(UpdateStatus::Available { release }) => (
                format!("update/{}", release.product_version),
                release.product_version.as_str(),
            ),
            Err(UpdateError::Unverified(_)) => ("update/unverified".to_string(), ""),
            _ => return,
        };
        if self.jobs.get(&id).is_some() {
            return;
        }
        let job = self.jobs.start(jobs::JobSpec {
            id: &id,
            account: address,
            activity: Activity::Update,
            direction: Direction::Down,
            message_type: "message",
            peer: None,
            size: 0,
        });
        job.begin(Stage::UpdateAvailable, 0);
        if version.is_empty() {
            job.fail(UserText::new(error_ids::UPDATE_UNVERIFIED), None);
        } else {
            job.subject(version);
            job.finish();
        }
    }

    /// What `wims update check` reports: a fresh check, or, when the network cannot be
    /// reached, what the last announcement this node verified says.
    pub async fn update_status(&self) -> Result<UpdateStatus, UpdateError> {
        match self.check_update().await {
            Err(UpdateError::Network(e)) => match self.last_release() {
                Some(known) => Ok(UpdateStatus::Remembered {
                    newer: is_newer(&known.release.product_version, RUNNING_VERSION),
                    known,
                    running: RUNNING_VERSION.to_string(),
                    reason: e.to_string(),
                }),
                None => Err(UpdateError::Network(e)),
            },
            other => other,
        }
    }

    /// The last release announcement that verified, if any: from memory, else from the store,
    /// verified again against the pinned CA of the account whose network sent it.
    /// The version of the last verified announcement, when it is newer than this one.
    pub fn newer_release(&self) -> Option<String> {
        self.last_release()
            .map(|k| k.release.product_version)
            .filter(|v| is_newer(v, RUNNING_VERSION))
    }

    pub fn last_release(&self) -> Option<KnownRelease> {
        if let Some(known) = self.update.last.read().expect("release").clone() {
            return Some(known);
        }
        let stored = match self
            .store
            .records(TABLE)
            .and_then(|t| t.get::<StoredRelease>(LATEST))
        {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!(error = %e, "stored release announcement unreadable");
                return None;
            }
        };
        // An account no longer hosted leaves no CA to trust the announcement with.
        let h = self.hosted(&stored.address)?;
        let known = reverify(&stored, h.client.ca())?;
        *self.update.last.write().expect("release") = Some(known.clone());
        Some(known)
    }

    /// Keeps a verified announcement in memory and in the store.
    fn remember(&self, address: &str, release: &Release, signed: NetworkSigned) {
        let fetched = Utc::now();
        let stored = StoredRelease {
            signed,
            address: address.to_string(),
            fetched: fetched.timestamp_millis(),
        };
        if let Err(e) = self
            .store
            .records(TABLE)
            .and_then(|t| t.put(LATEST, &stored))
        {
            // The check itself succeeded; only a later offline report loses it.
            tracing::warn!(error = %e, "release announcement could not be stored");
        }
        *self.update.last.write().expect("release") = Some(KnownRelease {
            release: release.clone(),
            fetched,
        });
    }

    /// Asks `servers` in turn for the latest announcement and returns the answer as it came,
    /// signature and all: the service client hands out only the verified content, and the
    /// node keeps the signed form. Same order and rules as the client's own calls: a refusal
    /// is an answer; "try later" and a server out of reach move on to the next.
    async fn fetch_release(&self, servers: &[wire::ServerAddr]) -> relay_client::Result<Response> {
        let mut last = String::new();
        for (peer, _) in relay_client::parse_servers(servers)? {
            match self.overlay.request(peer, Request::Release).await {
                Ok(Response::Refused(r)) if r.code == RefusalCode::TryLater => last = r.detail,
                Ok(Response::Refused(r)) => return Err(ClientError::Refused(r)),
                Ok(response) => return Ok(response),
                Err(e) => {
                    tracing::debug!(server = %peer, error = %e, "service server unreachable");
                    last = e.to_string();
                }
            }
        }
        Err(ClientError::Unreachable(last))
    }
}

/// Says what the last verified announcement says at once, then checks once the node has
/// logged in, and daily.
pub(super) async fn run(net: Arc<Network>) {
    if let Some(known) = net.last_release()
        && is_newer(&known.release.product_version, RUNNING_VERSION)
    {
        tracing::info!(
            version = known.release.product_version,
            url = known.release.url,
            fetched = %known.fetched,
            running = RUNNING_VERSION,
            "newer release known from the last check"
        );
    }
    let mut logged_in = net.update.logged_in.subscribe();
    if logged_in.wait_for(|v| *v).await.is_err() {
        return;
    }
    loop {
        let wait = match net.check_update().await {
            Err(UpdateError::Network(_)) => RETRY_INTERVAL,
            _ => CHECK_INTERVAL,
        };
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use wire::CaKey;
    use wire::proto::Response;

    fn release(v: &str) -> Release {
        Release {
            version: wire::RELEASE_VERSION,
            product_version: v.into(),
            notes: "notes".into(),
            url: "https://example.invalid/r".into(),
            published: Utc::now(),
        }
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(is_newer("0.10.0", "0.9.9"));
        assert!(is_newer("1.0", "0.99.99"));
        assert!(is_newer("0.1.1", "0.1"));
        assert!(!is_newer("0.1.0", "0.1"));
        assert!(!is_newer("0.1.0", "0.2.0"));
        assert!(!is_newer("9.x", "0.1.0"));
        assert!(!is_newer("", "0.1.0"));
    }

    #[test]
    fn newer_is_available_older_or_none_is_up_to_date() {
        let ok = |v: &str| Ok(Some(release(v)));
        assert!(matches!(
            judge(ok("99.0.0"), "0.1.0"),
            Ok(UpdateStatus::Available { release }) if release.product_version == "99.0.0"
        ));
        assert_eq!(
            judge(ok("0.1.0"), "0.1.0").unwrap(),
            UpdateStatus::UpToDate {
                running: "0.1.0".into()
            }
        );
        assert!(matches!(
            judge(Ok(None), "0.1.0"),
            Ok(UpdateStatus::UpToDate { .. })
        ));
    }

    #[test]
    fn an_announcement_signed_by_another_ca_is_an_error_never_available() {
        let ca = CaKey::generate("network").unwrap();
        let forger = CaKey::generate("forger").unwrap();
        let forged = Response::Release(forger.sign_release(&release("99.0.0")).unwrap());
        let answer = relay_client::release_answer(Ok(forged), &ca.cert());
        let judged = judge(answer, "0.1.0");
        assert!(
            matches!(judged, Err(UpdateError::Unverified(_))),
            "{judged:?}"
        );
        let unreachable = Err(ClientError::Unreachable("down".into()));
        assert!(matches!(
            judge(unreachable, "0.1.0"),
            Err(UpdateError::Network(_))
        ));
    }

    /// What the store gives back is trusted only as far as the pinned CA vouches for it.
    #[test]
    fn a_stored_announcement_is_verified_again_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            mailbox::Store::open(dir.path(), mailbox::StorageKey::from_bytes([3; 32])).unwrap();
        let ca = CaKey::generate("network").unwrap();
        let forger = CaKey::generate("forger").unwrap();
        let table = store.records(TABLE).unwrap();
        let fetched = Utc::now().timestamp_millis();
        table
            .put(
                LATEST,
                &StoredRelease {
                    signed: ca.sign_release(&release("99.0.0")).unwrap(),
                    address: "alice@alpha.h".into(),
                    fetched,
                },
            )
            .unwrap();
        let stored: StoredRelease = table.get(LATEST).unwrap().unwrap();
        let known = reverify(&stored, &ca.cert()).unwrap();
        assert_eq!(known.release.product_version, "99.0.0");
        assert_eq!(known.fetched.timestamp_millis(), fetched);
        assert!(reverify(&stored, &forger.cert()).is_none());
        // Tampered with on disk: the signature no longer covers it.
        let mut tampered = stored;
        tampered.signed.body[0] ^= 1;
        assert!(reverify(&tampered, &ca.cert()).is_none());
    }
}
