//! The node on the wims network: hosted accounts, outbound delivery jobs, inbound transfers
//! and receipts. `mailbox` keeps the records; `overlay` moves the bytes; this crate decides.
//! It knows nothing of the node's configuration file, its clients or its texts: the node
//! hands it a [`NetworkConfig`] and its store, and reads the jobs it reports.

mod collect;
mod delivery_watch;
pub mod filing;
mod hosted;
mod inbound;
mod inbound_watch;
mod job;
mod outbound;
pub mod pipe;
mod progress;
mod rate_limit;
pub mod send;
mod sent_receipts;
mod spool;
pub mod submit;
mod transfer;
mod trust_header;
mod unsealing;
mod update;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use overlay::{Inbound, Multiaddr, Overlay, OverlayConfig, OverlayHandle};
use relay_client::{ClientError, ServiceClient};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use wire::AccountKey;
use wire::proto::RefusalCode;

pub use hosted::{HostError, hosted_key_path};
pub use progress::{JobProgress, Phase};
pub use sent_receipts::{StoredReceipt, list_receipts};
pub use trust_header::TRUST_HEADER;
pub use update::{KnownRelease, RUNNING_VERSION, UpdateError, UpdateStatus, is_newer};

/// A hosted account as the running node holds it.
pub struct Hosted {
    pub address: String,
    pub key: AccountKey,
    pub client: ServiceClient,
}

/// What the network says about a recipient an SMTP client named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteCheck {
    /// A hosted account the sender may write to.
    Allowed,
    /// Known, but neither of the sender's domain nor a partner.
    NotAllowed,
    /// No such account on the network (or the sender is not hosted).
    Unknown,
    /// The network could not be asked now.
    Unavailable,
}

/// Why the network part could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The record tables could not be opened or read.
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
    /// The overlay could not listen (a port in use, most often).
    #[error(transparent)]
    Overlay(#[from] overlay::OverlayError),
}

/// Settings the network part of the node runs with.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    pub listen: Vec<Multiaddr>,
    pub retry_min: Duration,
    pub retry_max: Duration,
    pub collect_interval: Duration,
    /// Limits on the data streams other peers open to this node.
    pub streams: overlay::StreamLimits,
    /// Port prediction punches may aim at private network addresses.
    pub punch_private_targets: bool,
    /// How the job list monitors see is kept.
    pub jobs: jobs::RegistryConfig,
    /// The accounts' message rules, run on every message filed for them; `None` files
    /// everything into the INBOX.
    pub rules: Option<Arc<rules::Rules>>,
}

/// How long a recipient check goes on asking an unreachable service network, and the pause
/// between tries: a restarted server is back within seconds, and SMTP clients wait minutes
/// for a reply to RCPT.
const RECONNECT_WAIT: Duration = Duration::from_secs(15);
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// Offers one peer may make in a minute; a busy sender's jobs to this node stay well under it.
const OFFERS_PER_MINUTE: usize = 120;

pub struct Network {
    pub overlay: OverlayHandle,
    store: mailbox::Store,
    spool: spool::Spool,
    keys_dir: PathBuf,
    hosted: RwLock<HashMap<String, Arc<Hosted>>>,
    records: Tables,
    wake: Notify,
    /// Wakes the collector (a server said parts arrived).
    collect_wake: Notify,
    /// Inbound messages being received or collected now, by spool key: one writer each.
    busy_in: Mutex<HashSet<String>>,
    progress: progress::Board,
    /// Every job as monitors see it.
    pub jobs: Arc<jobs::Registry>,
    config: NetworkConfig,
    /// Network time, kept in step by the service clients.
    clock: relay_client::NetClock,
    update: update::UpdateState,
    /// Offers per peer and minute: each costs a directory lookup at our service server
    /// before anything about the peer is known.
    offers: crate::rate_limit::RateLimiter<overlay::PeerId>,
}

/// The record tables this module keeps in the store.
struct Tables {
    hosted: mailbox::Records,
    jobs: mailbox::Records,
    received: mailbox::Records,
    receipts: mailbox::Records,
    /// Per delivery job: which chunks are stored somewhere (recipient's node or servers).
    placed: mailbox::Records,
    /// Receipts of collected messages not yet handed to their sender (or its servers).
    receipts_out: mailbox::Records,
}

/// A hosted account's durable settings (its key is in a file of its own).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct HostedRecord {
    address: String,
    ca_cert: Vec<u8>,
    servers: Vec<wire::ServerAddr>,
    record: wire::NetworkSigned,
}

impl Network {
    /// The accounts' message rules.
    pub fn rules(&self) -> Option<&rules::Rules> {
        self.config.rules.as_deref()
    }

    /// Starts the overlay and loads the hosted accounts. Call [`Network::spawn_tasks`] to
    /// start delivering; a short-lived CLI process (hosting while the node is stopped) does
    /// not.
    pub async fn start(
        store: mailbox::Store,
        data_dir: &Path,
        node_key: [u8; 32],
        config: NetworkConfig,
    ) -> Result<(Arc<Network>, mpsc::Receiver<Inbound>), StartError> {
        let records = Tables {
            hosted: store.records("hosted")?,
            jobs: store.records("jobs")?,
            received: store.records("received")?,
            receipts: store.records("receipts")?,
            placed: store.records("placed")?,
            receipts_out: store.records("receipts_out")?,
        };
        let saved = hosted::load_records(&records.hosted)?;
        let mut overlay_config = OverlayConfig::new(node_key, config.listen.clone());
        overlay_config.agent = format!("wims/{}", env!("CARGO_PKG_VERSION"));
        overlay_config.streams = config.streams;
        overlay_config.punch_private_targets = config.punch_private_targets;
        overlay_config.vouch_check = Some(hosted::vouch_check(records.hosted.clone()));
        // Reserve circuits on the service servers so nodes behind NATs stay reachable.
        for r in &saved {
            for (peer, addrs) in relay_client::parse_servers(&r.servers).unwrap_or_default() {
                for a in addrs {
                    let a = a.with(overlay::Protocol::P2p(peer));
                    if !overlay_config.relays.contains(&a) {
                        overlay_config.relays.push(a);
                    }
                }
            }
        }
        let (overlay, inbound) = Overlay::start(overlay_config).await?;
        let keys_dir = data_dir.join("keys/accounts");
        let net = Network {
            overlay,
            spool: spool::Spool::new(data_dir.join("spool")),
            store,
            keys_dir,
            hosted: RwLock::new(HashMap::new()),
            records,
            wake: Notify::new(),
            collect_wake: Notify::new(),
            busy_in: Mutex::new(HashSet::new()),
            progress: progress::Board::default(),
            jobs: jobs::Registry::new(config.jobs),
            config,
            clock: relay_client::clock::network().clone(),
            update: update::UpdateState::new(),
            offers: crate::rate_limit::RateLimiter::new(OFFERS_PER_MINUTE),
        };
        for r in saved {
            match net.load_hosted(&r).await {
                Ok(h) => {
                    net.hosted
                        .write()
                        .expect("hosted map")
                        .insert(h.address.clone(), Arc::new(h));
                }
                Err(e) => {
                    tracing::error!(address = r.address, error = %e, "hosted account could not be loaded")
                }
            }
        }
        Ok((Arc::new(net), inbound))
    }

    /// Starts the background work: inbound transfers, the delivery queue, logins and the
    /// update check.
    pub fn spawn_tasks(self: &Arc<Self>, inbound: mpsc::Receiver<Inbound>) {
        tokio::spawn(inbound::serve(self.clone(), inbound));
        tokio::spawn(outbound::run(self.clone()));
        tokio::spawn(hosted::keep_logged_in(self.clone()));
        tokio::spawn(update::run(self.clone()));
        tokio::spawn(collect::run(self.clone()));
        tokio::spawn(self.jobs.clone().run_ticker());
    }

    /// The hosted account's latest directory record, as the network signed it.
    fn own_record(&self, address: &str) -> Option<wire::NetworkSigned> {
        let r: HostedRecord = self
            .records
            .hosted
            .get(&address.to_ascii_lowercase())
            .ok()??;
        Some(r.record)
    }

    /// The PeerId of the node a directory record names, its addresses made known to the
    /// overlay; `None` when the record names no valid PeerId.
    async fn record_node(&self, record: &wire::DirectoryRecord) -> Option<overlay::PeerId> {
        let node: overlay::PeerId = record.node.parse().ok()?;
        let mut addrs: Vec<overlay::Multiaddr> = record
            .node_addrs
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        // A node reserves a relay circuit on each of its accounts' servers, so it can be
        // reached through them even while its record does not name the circuit yet (it
        // logged in before the reservation came through).
        for (server, server_addrs) in
            relay_client::parse_servers(&record.backups).unwrap_or_default()
        {
            for a in server_addrs {
                let circuit = a
                    .with(overlay::Protocol::P2p(server))
                    .with(overlay::Protocol::P2pCircuit);
                if !addrs.contains(&circuit) {
                    addrs.push(circuit);
                }
            }
        }
        self.overlay.add_peer_addrs(node, addrs).await;
        Some(node)
    }

    /// Whether `peer` is a service server of one of the hosted accounts.
    fn is_account_server(&self, peer: &overlay::PeerId) -> bool {
        self.hosted
            .read()
            .expect("hosted map")
            .values()
            .any(|h| h.client.server_peers().contains(peer))
    }

    /// Whether a delivery job for `message_id` to `recipient` still waits.
    fn has_job(&self, message_id: &wire::MessageId, recipient: &str) -> bool {
        let key = format!("{}/{}", message_id.to_hex(), recipient.to_ascii_lowercase());
        self.records.jobs.contains(&key).unwrap_or(true)
    }

    /// Claims the inbound spool of `key` for one writer; `None` while another has it.
    fn claim_inbound(self: &Arc<Self>, key: &str) -> Option<InboundClaim> {
        let mut busy = self.busy_in.lock().expect("busy set");
        busy.insert(key.to_string()).then(|| InboundClaim {
            net: self.clone(),
            key: key.to_string(),
        })
    }

    pub fn hosted(&self, address: &str) -> Option<Arc<Hosted>> {
        self.hosted
            .read()
            .expect("hosted map")
            .get(&address.to_ascii_lowercase())
            .cloned()
    }

    /// Network time minus this node's clock, from the first hosted account's service client;
    /// `None` without one.
    pub fn clock_offset_ms(&self) -> Option<i64> {
        let first = self.hosted_addresses().into_iter().next()?;
        Some(self.hosted(&first)?.client.offset_ms())
    }

    pub fn hosted_addresses(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hosted
            .read()
            .expect("hosted map")
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// The addresses this node is reachable at, as text for directory records. Loopback
    /// ones only when there is nothing else (a network on one machine): to a peer elsewhere
    /// they name the peer itself.
    pub async fn node_addrs(&self) -> Vec<String> {
        let all = self.overlay.listen_addrs().await;
        let loopback = |a: &overlay::Multiaddr| {
            a.iter().next().is_some_and(|p| match p {
                overlay::Protocol::Ip4(ip) => ip.is_loopback(),
                overlay::Protocol::Ip6(ip) => ip.is_loopback(),
                _ => false,
            })
        };
        let only_loopback = all.iter().all(loopback);
        all.into_iter()
            .filter(|a| only_loopback || !loopback(a))
            .map(|a| a.to_string())
            .collect()
    }

    /// Asks the sender's service network whether `sender` may write to `recipient`. While the
    /// network cannot be reached (a service server restarting) it asks again for a little
    /// while, so a mail client's submission waits for the reconnect instead of failing.
    pub async fn check_recipient(&self, sender: &str, recipient: &str) -> RemoteCheck {
        let started = tokio::time::Instant::now();
        loop {
            let check = self.check_recipient_once(sender, recipient).await;
            if check != RemoteCheck::Unavailable {
                return check;
            }
            if started.elapsed() >= RECONNECT_WAIT {
                tracing::warn!(
                    sender,
                    recipient,
                    "recipient check: service network unreachable"
                );
                return check;
            }
            tokio::time::sleep(RECONNECT_PAUSE).await;
        }
    }

    async fn check_recipient_once(&self, sender: &str, recipient: &str) -> RemoteCheck {
        let Some(h) = self.hosted(sender) else {
            return RemoteCheck::Unknown;
        };
        match h.client.lookup(sender, recipient).await {
            Ok(_) => RemoteCheck::Allowed,
            Err(ClientError::Refused(r)) => match r.code {
                RefusalCode::NotPartners => RemoteCheck::NotAllowed,
                RefusalCode::TryLater => RemoteCheck::Unavailable,
                _ => RemoteCheck::Unknown,
            },
            Err(e) if e.is_transient() => {
                tracing::debug!(sender, recipient, error = %e, "recipient check failed");
                RemoteCheck::Unavailable
            }
            Err(e) => {
                tracing::warn!(sender, recipient, error = %e, "recipient check failed");
                RemoteCheck::Unknown
            }
        }
    }

    /// Records one durable delivery job per remote recipient of a message whose Sent copy
    /// is `(folder, uid)` of `sender`'s account. Returns once the jobs are on disk.
    pub fn queue(&self, submission: outbound::Submission<'_>) -> mailbox::Result<()> {
        outbound::queue(&self.records.jobs, submission)?;
        self.wake.notify_one();
        Ok(())
    }

    /// Where each delivery job of message `message_id` (hex) stands: the jobs this process
    /// has worked on, and the others still queued.
    pub fn progress(&self, message_id: &str) -> Vec<JobProgress> {
        let prefix = format!("{message_id}/");
        let seen = self.progress.under(&prefix);
        let mut out: Vec<JobProgress> = seen.iter().map(|(_, p)| p.clone()).collect();
        for key in self.records.jobs.keys(&prefix).unwrap_or_default() {
            if !seen.iter().any(|(k, _)| *k == key) {
                out.push(JobProgress {
                    recipient: key[prefix.len()..].to_string(),
                    ..JobProgress::default()
                });
            }
        }
        out
    }

    /// Receipts kept for `sender`'s messages.
    pub fn receipts(&self, sender: &str) -> mailbox::Result<Vec<StoredReceipt>> {
        sent_receipts::receipts(&self.records.receipts, sender)
    }
}

pub use outbound::Submission;

/// Held while one task writes an inbound spool folder; released on drop.
struct InboundClaim {
    net: Arc<Network>,
    key: String,
}

impl Drop for InboundClaim {
    fn drop(&mut self) {
        self.net.busy_in.lock().expect("busy set").remove(&self.key);
    }
}
