//! The update check: the service network announces releases signed by its CA
//! (`wims-service release announce`); the node asks at start, once it has logged in, and
//! then daily, and says so in its log when a newer version than its own exists.
//!
//! Only an announcement that verifies against the pinned CA counts: anyone between the node
//! and the network, or a server that lost its way, must not be able to send users to a
//! download of their choosing.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use relay_client::ClientError;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use wire::Release;

use super::Network;

/// How often a running node asks; releases are rare, and the question costs the network.
const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// After a failed check (network unreachable), a sooner second try.
const RETRY_INTERVAL: Duration = Duration::from_secs(3600);

/// The version this node runs.
pub const RUNNING_VERSION: &str = env!("CARGO_PKG_VERSION");

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
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The answer did not verify against the CA: forged, damaged or not an announcement.
    #[error("release announcement does not verify: {0}")]
    Unverified(ClientError),
    #[error("service network: {0}")]
    Network(ClientError),
}

impl UpdateError {
    /// The code the CLI turns into text.
    pub fn code(&self) -> &'static str {
        match self {
            UpdateError::Unverified(_) => "update-unverified",
            UpdateError::Network(_) => "network-unreachable",
        }
    }
}

/// The check's state in the running node.
pub(super) struct UpdateState {
    /// Becomes true after the first successful login: only then is the network known to
    /// answer, so the first check does not fail for a node still starting.
    logged_in: watch::Sender<bool>,
    /// The last announcement that verified, newer or not.
    last: RwLock<Option<Release>>,
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

impl Network {
    /// Asks the service network of the first hosted account (by address) for its latest
    /// release; every hosted account of a node normally shares one network.
    pub async fn check_update(&self) -> Result<UpdateStatus, UpdateError> {
        let Some(h) = self.hosted_addresses().first().and_then(|a| self.hosted(a)) else {
            return Ok(UpdateStatus::NoNetwork);
        };
        let answer = h.client.latest_release().await;
        if let Ok(Some(r)) = &answer {
            *self.update.last.write().expect("release") = Some(r.clone());
        }
        let status = judge(answer, RUNNING_VERSION);
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

    /// The last release announcement that verified, if any.
    pub fn last_release(&self) -> Option<Release> {
        self.update.last.read().expect("release").clone()
    }
}

/// Checks once the node has logged in, then daily.
pub(super) async fn run(net: Arc<Network>) {
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
}
