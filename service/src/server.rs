//! A service server's life: `init` makes the data folder, [`ServiceServer::start`] opens the
//! registry, starts the overlay and the admin socket, and answers requests until
//! [`ServiceServer::stop`].

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use overlay::{Inbound, Multiaddr, Overlay, OverlayConfig, OverlayHandle, PeerId};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wire::proto::{RefusalCode, Request, Response};
use wire::{AccountProfile, CaKey, Cert, ServerAddr};

use crate::admin::{self, AdminContext, AdminFailure, AdminReply, AdminRequest};
use crate::config::Config;
use crate::error::{Result, ServiceError};
use crate::handler::{Handler, RemoteRecords, Settings};
use crate::holding::{self, HoldSettings, Holding};
use crate::keys;
use crate::paths::DataDir;
use crate::registry::{Registry, RegistryError};

/// The network name when neither `--network` nor a joined CA gives one.
pub const DEFAULT_NETWORK: &str = "wims";

/// What `init` made.
#[derive(Clone, Debug)]
pub struct InitInfo {
    pub network: String,
    /// This server's PeerId.
    pub peer_id: String,
    /// The network CA's fingerprint, for operators to compare between servers.
    pub ca_fingerprint: String,
}

/// A running service server.
pub struct ServiceServer {
    data: DataDir,
    config: Config,
    overlay: OverlayHandle,
    endpoints: ServerAddr,
    admin: Arc<AdminContext>,
    ca_cert: Cert,
    tasks: Vec<JoinHandle<()>>,
}

/// The multiaddr without its trailing `/p2p/<id>`: the PeerId travels beside it.
fn without_p2p(addr: &Multiaddr) -> String {
    let mut a = addr.clone();
    if matches!(a.iter().last(), Some(libp2p::multiaddr::Protocol::P2p(_))) {
        a.pop();
    }
    a.to_string()
}

/// This server first (at `addrs`), then the configured peers other than itself.
fn server_list(config: &Config, peer_id: &str, addrs: Vec<String>) -> Vec<ServerAddr> {
    let own = ServerAddr {
        peer_id: peer_id.to_string(),
        addrs: if config.overlay.announce.is_empty() {
            addrs
        } else {
            config.overlay.announce.clone()
        },
    };
    std::iter::once(own)
        .chain(
            config
                .network
                .peers
                .iter()
                .filter(|p| p.peer_id != peer_id)
                .cloned(),
        )
        .collect()
}

fn armored_ca_cert(ca: &CaKey, path: &Path) -> Result<String> {
    wire::cert_to_armored(&ca.cert())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| ServiceError::Ca {
            path: path.into(),
            reason: e.to_string(),
        })
}

impl ServiceServer {
    /// Makes the data folder `dir`: configuration, CA key (new for network `network`, or a
    /// copy of the CA key file `join` of an existing network), server key and database.
    /// Refuses a folder that exists and is not empty.
    pub fn init(dir: &Path, network: Option<&str>, join: Option<&Path>) -> Result<InitInfo> {
        let data = DataDir::new(dir);
        let occupied = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(dir.exists());
        if occupied {
            return Err(ServiceError::AlreadyInitialised(dir.into()));
        }
        // The CA first: a bad --join file leaves nothing behind.
        let ca = match join {
            Some(file) => keys::load_ca(file)?,
            None => CaKey::generate(network.unwrap_or(DEFAULT_NETWORK)).map_err(|e| {
                ServiceError::Ca {
                    path: data.ca_key(),
                    reason: e.to_string(),
                }
            })?,
        };
        let network = network
            .map(str::to_string)
            .or_else(|| keys::ca_network_name(&ca))
            .unwrap_or_else(|| DEFAULT_NETWORK.to_string());
        let made = Self::write_data_dir(&data, &ca, &network);
        if made.is_err() {
            // Half a data folder would make the next `init` refuse; take it away again.
            for p in [data.config(), data.ca_key()] {
                let _ = std::fs::remove_file(p);
            }
            for p in [data.root.join("keys"), data.db()] {
                let _ = std::fs::remove_dir_all(p);
            }
        }
        let key = made?;
        Ok(InitInfo {
            network,
            peer_id: keys::peer_id(&key),
            ca_fingerprint: ca.fingerprint().to_hex(),
        })
    }

    /// The files of a new data folder; returns the server key.
    fn write_data_dir(data: &DataDir, ca: &CaKey, network: &str) -> Result<[u8; 32]> {
        let dir = &data.root;
        std::fs::create_dir_all(dir).map_err(ServiceError::io(dir))?;
        {
            use std::os::unix::fs::PermissionsExt;
            // The CA key lives here: nobody but the operator has any business in the folder.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(ServiceError::io(dir))?;
        }
        let armored = ca.secret_armored().map_err(|e| ServiceError::Ca {
            path: data.ca_key(),
            reason: e.to_string(),
        })?;
        daemon::files::write_new_secret(&data.ca_key(), &armored)
            .map_err(ServiceError::io(data.ca_key()))?;
        let key = keys::new_server_key();
        daemon::files::write_new_secret(&data.server_key(), &key)
            .map_err(ServiceError::io(data.server_key()))?;
        drop(Registry::open(&data.db())?);
        // The config goes last: its presence marks a complete data folder.
        daemon::files::write_new_secret(&data.config(), Config::initial_text(network).as_bytes())
            .map_err(ServiceError::io(data.config()))?;
        Ok(key)
    }

    /// Starts the server of data folder `dir` with its configuration file.
    pub async fn start(dir: &Path) -> Result<ServiceServer> {
        let data = DataDir::new(dir);
        if !data.is_initialised() {
            return Err(ServiceError::NotInitialised(dir.into()));
        }
        let config = Config::load(&data.config())?;
        Self::start_with(dir, config).await
    }

    /// Starts the server of data folder `dir` with `config` instead of its configuration file
    /// (e.g. other listen addresses). Returns once it listens and `run/endpoints.json` is
    /// written.
    pub async fn start_with(dir: &Path, config: Config) -> Result<ServiceServer> {
        let data = DataDir::new(dir);
        if !data.is_initialised() {
            return Err(ServiceError::NotInitialised(dir.into()));
        }
        let ca = keys::load_ca(&data.ca_key())?;
        let key = keys::load_server_key(&data.server_key())?;
        // Opened before the overlay: a second server on the same folder fails here, before it
        // binds anything.
        let registry = Registry::open(&data.db())?;

        let mut oc = OverlayConfig::new(key, config.listen_addrs());
        oc.relay_server = config.overlay.relay;
        oc.request_timeout = Duration::from_secs(config.overlay.request_timeout.max(1));
        oc.agent = concat!("wims-service/", env!("CARGO_PKG_VERSION")).to_string();
        oc.streams = overlay::StreamLimits {
            total: config.overlay.max_streams.max(1),
            per_peer: config.overlay.max_streams_per_peer.max(1),
            first_frame_budget: config.overlay.first_frame_budget,
            min_rate: config.overlay.min_transfer_rate.max(1),
            ..overlay::StreamLimits::default()
        };
        let (overlay, inbound) = Overlay::start(oc).await?;
        let peer_id = overlay.peer_id().to_string();
        let addrs: Vec<String> = overlay
            .listen_addrs()
            .await
            .iter()
            .map(without_p2p)
            .collect();
        let endpoints = ServerAddr {
            peer_id: peer_id.clone(),
            addrs: addrs.clone(),
        };
        let servers = server_list(&config, &peer_id, addrs);
        for p in &servers[1..] {
            if let Ok(id) = p.peer_id.parse::<PeerId>() {
                let addrs = p.addrs.iter().filter_map(|a| a.parse().ok()).collect();
                overlay.add_peer_addrs(id, addrs).await;
            }
        }

        let ca_cert = ca.cert();
        let admin = Arc::new(AdminContext {
            registry: registry.clone(),
            ca_cert: armored_ca_cert(&ca, &data.ca_key())?,
            ca: ca.clone(),
            servers: servers.clone(),
        });
        let registry_for_holding = registry.clone();
        let handler = Arc::new(Handler::new(
            registry,
            ca,
            Settings {
                servers,
                max_message_size: config.authorization.max_message_size,
                // Bounded by Config::parse, so the conversion cannot saturate.
                token_lifetime: chrono::Duration::seconds(
                    config
                        .authorization
                        .token_lifetime
                        .min(crate::config::MAX_TOKEN_LIFETIME) as i64,
                ),
            },
        ));

        let mut server = ServiceServer {
            data,
            config,
            overlay: overlay.clone(),
            endpoints,
            admin: admin.clone(),
            ca_cert: ca_cert.clone(),
            tasks: Vec::new(),
        };
        std::fs::create_dir_all(server.data.run_dir())
            .map_err(ServiceError::io(server.data.run_dir()))?;
        let sock = server.data.admin_socket();
        // Bound here rather than in the task, so a failure stops the start.
        let listener = admin::bind(&sock).map_err(ServiceError::io(sock))?;
        server.tasks.push(tokio::spawn(async move {
            if let Err(e) = admin::serve(listener, admin).await {
                tracing::error!(error = %e, "admin socket failed");
            }
        }));
        let holding = Arc::new(Holding::new(
            registry_for_holding,
            server.data.resolve(Path::new(&server.config.holding.dir)),
            ca_cert.clone(),
            HoldSettings {
                quota: server.config.holding.quota_per_account,
                expiry: chrono::Duration::days(i64::from(server.config.holding.expiry_days)),
                receipts_per_sender: server.config.holding.receipts_per_sender.max(1),
            },
            overlay.clone(),
        ));
        let moved = holding.migrate()?;
        if moved > 0 {
            tracing::info!(
                messages = moved,
                "held messages moved to keys with their sender"
            );
        }
        server
            .tasks
            .push(tokio::spawn(holding::sweep_forever(holding.clone())));
        server.tasks.push(tokio::spawn(serve_inbound(
            inbound, handler, holding, overlay, ca_cert,
        )));

        // Written last and atomically: its presence means the server is ready.
        let json = serde_json::to_vec_pretty(&server.endpoints).expect("endpoints serialise");
        let ep = server.data.endpoints();
        daemon::files::write_atomic(&ep, &json).map_err(ServiceError::io(ep))?;
        tracing::info!(
            peer_id = %server.endpoints.peer_id,
            addrs = ?server.endpoints.addrs,
            network = %server.config.network.name,
            "service server ready"
        );
        Ok(server)
    }

    /// This server's PeerId and the addresses it actually listens on.
    pub fn endpoints(&self) -> &ServerAddr {
        &self.endpoints
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The network CA's public certificate (what nodes pin).
    pub fn ca_cert(&self) -> &Cert {
        &self.ca_cert
    }

    /// The running overlay (e.g. for a demo that wants to talk to it).
    pub fn overlay(&self) -> &OverlayHandle {
        &self.overlay
    }

    /// Runs an admin command in this process (no socket round trip).
    pub fn admin(&self, req: AdminRequest) -> AdminReply {
        admin::execute(&self.admin, req)
    }

    fn halt(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        let _ = std::fs::remove_file(self.data.endpoints());
        let _ = std::fs::remove_file(self.data.admin_socket());
    }

    /// Stops answering, shuts the overlay down and removes the `run/` files.
    pub async fn stop(mut self) {
        self.halt();
        self.overlay.shutdown().await;
        let _ = std::fs::remove_dir(self.data.run_dir());
        tracing::info!("service server stopped");
    }
}

impl Drop for ServiceServer {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Runs the server of data folder `dir` until `shutdown` completes.
pub async fn run(dir: &Path, shutdown: impl Future<Output = ()>) -> Result<()> {
    let server = ServiceServer::start(dir).await?;
    shutdown.await;
    server.stop().await;
    Ok(())
}

async fn serve_inbound(
    mut inbound: mpsc::Receiver<Inbound>,
    handler: Arc<Handler>,
    holding: Arc<Holding>,
    overlay: OverlayHandle,
    ca_cert: Cert,
) {
    while let Some(event) = inbound.recv().await {
        match event {
            Inbound::Request {
                peer,
                request,
                reply,
            } if is_holding_request(&request) => {
                let holding = holding.clone();
                tokio::spawn(async move {
                    let peer = peer.to_string();
                    let response =
                        records::blocking::run(move || holding.control(&peer, request, Utc::now()))
                            .await
                            .unwrap_or_else(|e| server_error(&e));
                    let _ = reply.send(response);
                });
            }
            Inbound::Request {
                peer,
                request,
                reply,
            } => {
                let handler = handler.clone();
                let overlay = overlay.clone();
                let ca_cert = ca_cert.clone();
                tokio::spawn(async move {
                    let response = answer(&handler, &overlay, &ca_cert, peer, request).await;
                    let _ = reply.send(response);
                });
            }
            Inbound::Data { peer, stream } => {
                let holding = holding.clone();
                tokio::spawn(async move {
                    if let Err(e) = holding::serve(holding, stream).await {
                        tracing::debug!(%peer, error = %e, "data stream ended early");
                    }
                });
            }
        }
    }
}

async fn answer(
    handler: &Arc<Handler>,
    overlay: &OverlayHandle,
    ca_cert: &Cert,
    peer: PeerId,
    request: Request,
) -> Response {
    let peer = peer.to_string();
    let lookups = handler.remote_needs(&peer, &request);
    let remote = ask_other_servers(handler, overlay, ca_cert, lookups).await;
    let h = handler.clone();
    records::blocking::run(move || h.handle_with(&peer, request, Utc::now(), &remote))
        .await
        .unwrap_or_else(|e| server_error(&e))
}

fn is_holding_request(request: &Request) -> bool {
    matches!(
        request,
        Request::Waiting { .. }
            | Request::Collected { .. }
            | Request::CollectedFrom { .. }
            | Request::HoldReceipt { .. }
    )
}

fn server_error(e: &records::blocking::Stopped) -> Response {
    tracing::error!(error = %e, "request handler failed");
    Response::Refused(wire::proto::Refusal::new(
        RefusalCode::TryLater,
        "server error",
    ))
}

/// Asks the network's other servers, in order, for records this server does not hold; keeps
/// the first answer that the CA signed for the address asked.
async fn ask_other_servers(
    handler: &Handler,
    overlay: &OverlayHandle,
    ca_cert: &Cert,
    lookups: Vec<Request>,
) -> RemoteRecords {
    let mut found = RemoteRecords::new();
    for lookup in lookups {
        let Request::Lookup { address, .. } = &lookup else {
            continue;
        };
        for server in &handler.settings().servers[1..] {
            let Ok(id) = server.peer_id.parse::<PeerId>() else {
                continue;
            };
            match overlay.request(id, lookup.clone()).await {
                Ok(Response::Record(signed)) => match wire::verify_record(&signed, ca_cert) {
                    Ok((record, _)) if record.address.eq_ignore_ascii_case(address) => {
                        found.insert(address.clone(), signed);
                        break;
                    }
                    _ => tracing::warn!(server = %id, %address, "peer server sent a bad record"),
                },
                Ok(other) => tracing::debug!(server = %id, %address, ?other, "peer server lookup"),
                Err(e) => {
                    tracing::debug!(server = %id, %address, error = %e, "peer server unreachable")
                }
            }
        }
    }
    found
}

/// The admin context of a stopped server: profile addresses from the configuration.
fn offline_admin(data: &DataDir) -> Result<AdminContext> {
    if !data.is_initialised() {
        return Err(ServiceError::NotInitialised(data.root.clone()));
    }
    let config = Config::load(&data.config())?;
    let ca = keys::load_ca(&data.ca_key())?;
    let key = keys::load_server_key(&data.server_key())?;
    let registry = Registry::open(&data.db())?;
    Ok(AdminContext {
        registry,
        ca_cert: armored_ca_cert(&ca, &data.ca_key())?,
        ca,
        servers: server_list(&config, &keys::peer_id(&key), config.overlay.listen.clone()),
    })
}

/// Runs an admin command on the server of data folder `dir`: through its admin socket when
/// it runs, else on the database directly. Blocks; from inside a running server's own
/// process use [`ServiceServer::admin`].
pub fn admin(dir: &Path, req: AdminRequest) -> Result<AdminReply> {
    let data = DataDir::new(dir);
    let sock = data.admin_socket();
    match admin::call(&sock, &req) {
        Some(Ok(reply)) => Ok(reply),
        Some(Err(e)) => Err(ServiceError::Admin {
            path: sock,
            reason: e.to_string(),
        }),
        None => Ok(admin::execute(&offline_admin(&data)?, req)),
    }
}

/// A failed admin reply as an error.
fn failure(code: AdminFailure, subject: String, detail: String) -> ServiceError {
    ServiceError::Registry(match code {
        AdminFailure::Exists => RegistryError::Exists(subject),
        AdminFailure::NoAccount => RegistryError::NoAccount(subject),
        AdminFailure::InvalidAddress => RegistryError::InvalidAddress(subject),
        AdminFailure::InvalidVersion
        | AdminFailure::BadRequest
        | AdminFailure::TooLarge
        | AdminFailure::Internal => RegistryError::Corrupt {
            key: subject,
            reason: detail,
        },
    })
}

/// Registers `address` on the server of `dir` and returns its account profile.
pub fn create_account(dir: &Path, address: &str, name: Option<&str>) -> Result<AccountProfile> {
    let req = AdminRequest::AccountCreate {
        address: address.to_string(),
        name: name.map(str::to_string),
    };
    match admin(dir, req)? {
        AdminReply::Created { profile } => Ok(profile),
        AdminReply::Failed {
            code,
            subject,
            detail,
        } => Err(failure(code, subject, detail)),
        other => Err(unexpected(dir, other)),
    }
}

/// Lets `a` and `b` (addresses or domains) exchange mail, on the server of `dir`.
pub fn add_partner(dir: &Path, a: &str, b: &str) -> Result<()> {
    let req = AdminRequest::PartnerAdd {
        a: a.to_string(),
        b: b.to_string(),
    };
    match admin(dir, req)? {
        AdminReply::PartnerAdded { .. } => Ok(()),
        AdminReply::Failed {
            code,
            subject,
            detail,
        } => Err(failure(code, subject, detail)),
        other => Err(unexpected(dir, other)),
    }
}

fn unexpected(dir: &Path, reply: AdminReply) -> ServiceError {
    ServiceError::Admin {
        path: DataDir::new(dir).admin_socket(),
        reason: format!("unexpected reply {reply:?}"),
    }
}
