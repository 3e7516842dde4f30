//! Hosting accounts on this node and keeping the directory up to date about them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use relay_client::{ClientError, ServiceClient, backoff};
use wire::{AccountKey, AccountProfile};

use super::{Hosted, HostedRecord, Network};

/// How often a node tells the network where it is, when all is well.
const LOGIN_INTERVAL: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("profile: {0}")]
    Profile(String),
    #[error("account exists")]
    Exists,
    #[error("service network: {0}")]
    Network(#[from] ClientError),
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
    #[error("key: {0}")]
    Key(String),
}

impl HostError {
    /// What the CLI shows after its text: the refusal's own words, never the transport's
    /// list of every address it tried (that goes to the log).
    pub fn detail(&self) -> String {
        match self {
            HostError::Network(ClientError::Refused(r)) => r.detail.clone(),
            HostError::Network(_) => String::new(),
            other => other.to_string(),
        }
    }
}

pub(super) fn load_records(table: &mailbox::Records) -> mailbox::Result<Vec<HostedRecord>> {
    let mut out = Vec::new();
    for k in table.keys("")? {
        if let Some(r) = table.get::<HostedRecord>(&k)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Whether a punch asker's vouch shows it sending to an account hosted here: the token and
/// the sender's record verify under that account's network CA, the record names the asker, and
/// the token names the account. Each network's CA is tried once.
pub(super) fn vouch_check(table: mailbox::Records) -> overlay::VouchCheck {
    overlay::VouchCheck(Arc::new(move |peer, vouch| {
        let Ok(hosted) = load_records(&table) else {
            return false;
        };
        let asker = peer.to_string();
        let now = chrono::Utc::now();
        let mut tried: Vec<&[u8]> = Vec::new();
        for r in &hosted {
            if tried.contains(&r.ca_cert.as_slice()) {
                continue;
            }
            tried.push(&r.ca_cert);
            let Ok(ca) = wire::cert_from_bytes(&r.ca_cert) else {
                continue;
            };
            if let Ok(recipients) = wire::punch::check_vouch(vouch, &asker, &ca, now)
                && hosted.iter().any(|h| {
                    h.ca_cert == r.ca_cert
                        && recipients
                            .iter()
                            .any(|x| x.eq_ignore_ascii_case(&h.address))
                })
            {
                return true;
            }
        }
        false
    }))
}

/// Where a hosted account's key lies in `keys_dir`: the address is not a safe file name; its
/// hash is.
pub fn hosted_key_path(keys_dir: &Path, address: &str) -> PathBuf {
    let name = blake3::hash(address.to_ascii_lowercase().as_bytes()).to_hex();
    keys_dir.join(format!("{}.key", &name[..32]))
}

impl Network {
    fn key_path(&self, address: &str) -> PathBuf {
        hosted_key_path(&self.keys_dir, address)
    }

    /// The account's key; one stored before keys were wrapped is wrapped now.
    fn load_key(&self, address: &str) -> Result<Option<AccountKey>, HostError> {
        let path = self.key_path(address);
        let context = address.to_ascii_lowercase();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(HostError::Key(e.to_string())),
        };
        let key_error =
            |e: &dyn std::fmt::Display| HostError::Key(format!("{}: {e}", path.display()));
        if mailbox::is_wrapped(&bytes) {
            let secret = self
                .store
                .unwrap_secret(context.as_bytes(), &bytes)
                .map_err(|e| key_error(&e))?;
            return AccountKey::from_secret_bytes(&secret)
                .map(Some)
                .map_err(|e| key_error(&e));
        }
        let key = AccountKey::from_secret_bytes(&bytes).map_err(|e| key_error(&e))?;
        let wrapped = self.store.wrap_secret(context.as_bytes(), &bytes);
        match daemon::files::replace_secret(&path, &wrapped) {
            Ok(()) => tracing::info!(address, "account key wrapped with the storage key"),
            Err(e) => {
                tracing::warn!(address, error = %e, "account key not wrapped; it stays as it was")
            }
        }
        Ok(Some(key))
    }

    /// Stores the account's key, wrapped with the storage key.
    fn save_key(&self, address: &str, key: &AccountKey) -> Result<(), HostError> {
        let bytes = key
            .secret_bytes()
            .map_err(|e| HostError::Key(e.to_string()))?;
        let context = address.to_ascii_lowercase();
        let wrapped = self.store.wrap_secret(context.as_bytes(), &bytes);
        daemon::files::write_secret(&self.key_path(address), &wrapped)
            .map_err(|e| HostError::Key(e.to_string()))
    }

    pub(super) async fn load_hosted(&self, r: &HostedRecord) -> Result<Hosted, HostError> {
        let key = self
            .load_key(&r.address)?
            .ok_or_else(|| HostError::Key(format!("no key for {}", r.address)))?;
        let ca = wire::cert_from_bytes(&r.ca_cert).map_err(|e| HostError::Key(e.to_string()))?;
        let client =
            ServiceClient::new(self.overlay.clone(), &r.servers, ca, self.clock.clone()).await?;
        Ok(Hosted {
            address: r.address.clone(),
            key,
            client,
        })
    }

    /// `wims account host`: makes the account's key here (the secret never leaves the node),
    /// has the network certify it with the profile's one-time secret, and creates the local
    /// account that mail clients log into.
    pub async fn host(&self, profile_text: &str, password: &str) -> Result<String, HostError> {
        let profile = AccountProfile::from_toml(profile_text)
            .map_err(|e| HostError::Profile(e.to_string()))?;
        let address = mailbox::normalize_address(&profile.address)
            .map_err(|e| HostError::Profile(e.to_string()))?;
        if self.store.account(&address)?.is_some() {
            return Err(HostError::Exists);
        }
        let ca = profile
            .ca()
            .map_err(|e| HostError::Profile(e.to_string()))?;
        let secret = profile
            .secret()
            .map_err(|e| HostError::Profile(e.to_string()))?;
        // A key made by an earlier attempt that died after the network accepted it is
        // reused, so hosting can simply be run again.
        let key = match self.load_key(&address)? {
            Some(k) => k,
            None => {
                let k =
                    AccountKey::generate(&address).map_err(|e| HostError::Key(e.to_string()))?;
                self.save_key(&address, &k)?;
                k
            }
        };
        let client = ServiceClient::new(
            self.overlay.clone(),
            &profile.servers,
            ca.clone(),
            self.clock.clone(),
        )
        .await?;
        let located = client.host(&key, &secret, self.node_addrs().await).await?;
        let record = HostedRecord {
            address: address.clone(),
            ca_cert: wire::cert_to_bytes(&ca).map_err(|e| HostError::Key(e.to_string()))?,
            servers: profile.servers.clone(),
            record: located.signed,
        };
        self.records.hosted.put(&address, &record)?;
        self.store.add_account(&address, password)?;
        self.hosted.write().expect("hosted map").insert(
            address.clone(),
            Arc::new(Hosted {
                address: address.clone(),
                key,
                client,
            }),
        );
        tracing::info!(address, "account hosted");
        Ok(address)
    }
}

/// Tells the network where each hosted account's node is, and keeps the network clock, at
/// start and then periodically; retries with back-off while the network is unreachable.
pub(super) async fn keep_logged_in(net: Arc<Network>) {
    let mut failures = 0u32;
    let mut changes = net.overlay.listen_addr_changes();
    loop {
        let mut ok = true;
        let addrs = net.node_addrs().await;
        let hosted: Vec<Arc<Hosted>> = net
            .hosted
            .read()
            .expect("hosted map")
            .values()
            .cloned()
            .collect();
        for h in hosted {
            // The clock the client keeps is the node's network clock.
            match h.client.sync_time().await {
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(address = h.address, error = %e, "network time not available")
                }
            }
            match h.client.login(&h.key, addrs.clone()).await {
                Ok(located) => {
                    let updated = net
                        .records
                        .hosted
                        .get::<HostedRecord>(&h.address)
                        .ok()
                        .flatten()
                        .map(|mut r| {
                            r.record = located.signed;
                            r
                        });
                    if let Some(r) = updated {
                        let _ = net.records.hosted.put(&h.address, &r);
                    }
                    net.update.logged_in();
                    tracing::debug!(
                        address = h.address,
                        offset_ms = h.client.offset_ms(),
                        "logged in to the service network"
                    );
                }
                // The node is stopping: nothing went wrong with the network.
                Err(ClientError::Unreachable(e)) if net.overlay.is_stopped() => {
                    tracing::debug!(address = h.address, error = %e, "login ended by shutdown");
                    return;
                }
                Err(e) => {
                    ok = false;
                    tracing::warn!(address = h.address, error = %e, "login to the service network failed");
                }
            }
        }
        let wait = if ok {
            failures = 0;
            LOGIN_INTERVAL
        } else {
            failures += 1;
            backoff(failures, Duration::from_secs(1), Duration::from_secs(60))
        };
        // New addresses (a relay circuit reserved, a listener gone) go to the directory at
        // once: peers behind NAT reach this node only through what its record names.
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = addrs_settled(&mut changes, &addrs, &net) => {}
        }
    }
}

/// Resolves once the listen addresses differ from `published` and have stopped changing for
/// a moment (a reservation brings several addresses in a burst).
async fn addrs_settled(
    changes: &mut tokio::sync::watch::Receiver<u64>,
    published: &[String],
    net: &Network,
) {
    const SETTLE: Duration = Duration::from_millis(500);
    loop {
        if changes.changed().await.is_err() {
            // The overlay stopped: nothing will change any more.
            std::future::pending::<()>().await;
        }
        while tokio::time::timeout(SETTLE, changes.changed())
            .await
            .is_ok_and(|r| r.is_ok())
        {}
        let mut now = net.node_addrs().await;
        let mut before = published.to_vec();
        now.sort();
        before.sort();
        if now != before {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::NetworkConfig;
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn account_keys_are_wrapped_and_old_plain_ones_wrapped_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            mailbox::Store::open(&dir.path().join("store"), mailbox::StorageKey::generate())
                .unwrap();
        let config = NetworkConfig {
            listen: vec!["/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()],
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(2),
            collect_interval: Duration::from_secs(300),
            streams: overlay::StreamLimits::default(),
            punch_private_targets: false,
            jobs: Default::default(),
            rules: None,
        };
        let (net, _inbound) = Network::start(store, dir.path(), rand::random(), config)
            .await
            .unwrap();

        // Written by this version: wrapped, and bound to its account.
        let alice = AccountKey::generate("alice@a.h").unwrap();
        net.save_key("alice@a.h", &alice).unwrap();
        let on_disk = std::fs::read(net.key_path("alice@a.h")).unwrap();
        assert!(mailbox::is_wrapped(&on_disk));
        let back = net.load_key("Alice@a.h").unwrap().unwrap();
        assert_eq!(back.fingerprint(), alice.fingerprint());
        std::fs::write(net.key_path("bob@a.h"), &on_disk).unwrap();
        assert!(
            net.load_key("bob@a.h").is_err(),
            "alice's key read as bob's"
        );

        // Written by an older version: read as it is, then wrapped in place.
        let carol = AccountKey::generate("carol@a.h").unwrap();
        let plain = carol.secret_bytes().unwrap();
        daemon::files::write_secret(&net.key_path("carol@a.h"), &plain).unwrap();
        let read = net.load_key("carol@a.h").unwrap().unwrap();
        assert_eq!(read.fingerprint(), carol.fingerprint());
        let now = std::fs::read(net.key_path("carol@a.h")).unwrap();
        assert!(mailbox::is_wrapped(&now));
        assert_ne!(now, plain);
        let again = net.load_key("carol@a.h").unwrap().unwrap();
        assert_eq!(again.fingerprint(), carol.fingerprint());
        assert!(net.load_key("dave@a.h").unwrap().is_none());
    }
}
