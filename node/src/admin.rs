//! Local administration. A running node holds the store's lock, so the CLI's account commands
//! go through the node's admin socket (owner-only permissions) when the node is up, and straight
//! to the store when it is not. Both paths run the same [`execute`].

use std::path::Path;

use mailbox::Store;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum Request {
    AccountAdd {
        address: String,
        password: String,
    },
    AccountList,
    AccountPasswd {
        address: String,
        password: String,
    },
    AccountRemove {
        address: String,
    },
    /// The account's own storage limit in bytes; `None` leaves it to the node's default.
    AccountQuota {
        address: String,
        limit: Option<u64>,
    },
    DropEnable {
        address: String,
        passphrase: String,
        rate_per_hour: Option<u32>,
    },
    DropDisable {
        address: String,
    },
    /// Only a running node has a level to change.
    LogLevel {
        level: u8,
    },
    /// Host an account from a service network's account profile (needs the network).
    Host {
        profile: String,
        password: String,
    },
    /// Receipts kept for an account's sent messages.
    Receipts {
        address: String,
    },
    /// Ask the service network for its latest release (needs the network).
    UpdateCheck,
    /// Compose a message from parts and send it (`wims send`; needs the running node).
    Send(crate::send::SendRequest),
    /// Where the delivery jobs of a sent message stand.
    Progress {
        message_id: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Reply {
    Done {
        address: String,
    },
    Accounts {
        addresses: Vec<String>,
    },
    LogLevel {
        level: u8,
    },
    Receipts {
        receipts: Vec<ReceiptLine>,
    },
    Update {
        status: crate::network::UpdateStatus,
    },
    Sent(crate::send::Sent),
    Progress {
        jobs: Vec<crate::network::JobProgress>,
    },
    /// `code` names the failure; the CLI turns it into text in the user's language.
    Failed {
        code: String,
        address: String,
        detail: String,
    },
}

/// One receipt as `wims receipts` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub message_id: String,
    pub recipient: String,
    /// Milliseconds since the epoch.
    pub received_at: i64,
}

impl From<crate::network::StoredReceipt> for ReceiptLine {
    fn from(r: crate::network::StoredReceipt) -> Self {
        ReceiptLine {
            message_id: r.message_id,
            recipient: r.recipient,
            received_at: r.received_at,
        }
    }
}

/// Hosting needs the overlay, so it is not a store-only [`execute`] request.
pub async fn host(net: &crate::network::Network, profile: &str, password: &str) -> Reply {
    match net.host(profile, password).await {
        Ok(address) => Reply::Done { address },
        Err(e) => {
            tracing::warn!(error = %e, "hosting failed");
            let address = wire::AccountProfile::from_toml(profile)
                .map(|p| p.address)
                .unwrap_or_default();
            Reply::Failed {
                code: e.code().into(),
                address,
                detail: e.detail(),
            }
        }
    }
}

/// The update check needs the overlay too; without the network it reports the last
/// announcement the node verified.
pub async fn update_check(net: &crate::network::Network) -> Reply {
    match net.update_status().await {
        Ok(status) => Reply::Update { status },
        Err(e) => Reply::Failed {
            code: e.code().into(),
            address: String::new(),
            detail: e.to_string(),
        },
    }
}

pub fn execute(store: &Store, req: Request) -> Reply {
    let (addr, r) = match req {
        Request::AccountAdd { address, password } => {
            let r = store.add_account(&address, &password).map(|a| a.address);
            (address, r)
        }
        Request::AccountPasswd { address, password } => {
            let r = store
                .set_password(&address, &password)
                .map(|_| address.clone());
            (address, r)
        }
        Request::AccountRemove { address } => {
            let r = store.remove_account(&address).map(|_| address.clone());
            (address, r)
        }
        Request::AccountQuota { address, limit } => {
            let r = store.set_quota(&address, limit).map(|_| address.clone());
            (address, r)
        }
        Request::DropEnable {
            address,
            passphrase,
            rate_per_hour,
        } => {
            let r = store
                .set_drop_passphrase(&address, Some(&passphrase), rate_per_hour)
                .map(|_| address.clone());
            (address, r)
        }
        Request::DropDisable { address } => {
            let r = store
                .set_drop_passphrase(&address, None, None)
                .map(|_| address.clone());
            (address, r)
        }
        Request::AccountList => {
            return match store.accounts() {
                Ok(a) => Reply::Accounts {
                    addresses: a.into_iter().map(|a| a.address).collect(),
                },
                Err(e) => failed(String::new(), e),
            };
        }
        Request::Receipts { address } => {
            return match crate::network::list_receipts(store, &address) {
                Ok(r) => Reply::Receipts {
                    receipts: r.into_iter().map(ReceiptLine::from).collect(),
                },
                Err(e) => failed(address, e),
            };
        }
        Request::LogLevel { .. }
        | Request::Host { .. }
        | Request::UpdateCheck
        | Request::Send(_)
        | Request::Progress { .. } => {
            return Reply::Failed {
                code: "not-running".into(),
                address: String::new(),
                detail: String::new(),
            };
        }
    };
    match r {
        Ok(address) => Reply::Done { address },
        Err(e) => failed(addr, e),
    }
}

fn failed(address: String, e: mailbox::Error) -> Reply {
    let code = match e {
        mailbox::Error::AccountExists => "exists",
        mailbox::Error::NoAccount => "no-account",
        mailbox::Error::InvalidAddress => "invalid-address",
        _ => "internal",
    };
    Reply::Failed {
        code: code.into(),
        address,
        detail: e.to_string(),
    }
}

/// Serves the admin socket until the task is dropped.
pub async fn serve(path: &Path, ctx: std::sync::Arc<crate::ctx::NodeCtx>) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    loop {
        let (stream, _) = listener.accept().await?;
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let (store, network) = (&ctx.store, &ctx.network);
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply = match serde_json::from_str::<Request>(&line) {
                    Ok(Request::LogLevel { level }) => {
                        if crate::logging::set_level(level) {
                            tracing::info!(level, "log level changed");
                            Reply::LogLevel { level }
                        } else {
                            Reply::Failed {
                                code: "internal".into(),
                                address: String::new(),
                                detail: String::new(),
                            }
                        }
                    }
                    Ok(Request::Host { profile, password }) => match &network {
                        Some(net) => host(net, &profile, &password).await,
                        None => Reply::Failed {
                            code: "internal".into(),
                            address: String::new(),
                            detail: String::new(),
                        },
                    },
                    Ok(Request::UpdateCheck) => match &network {
                        Some(net) => update_check(net).await,
                        None => Reply::Failed {
                            code: "internal".into(),
                            address: String::new(),
                            detail: String::new(),
                        },
                    },
                    Ok(Request::Send(req)) => match crate::send::send(&ctx, req).await {
                        Ok(sent) => Reply::Sent(sent),
                        Err(e) => {
                            let (code, address) = e.code();
                            Reply::Failed {
                                code: code.into(),
                                address,
                                detail: e.detail(),
                            }
                        }
                    },
                    Ok(Request::Progress { message_id }) => Reply::Progress {
                        jobs: network
                            .as_ref()
                            .map(|n| n.progress(&message_id))
                            .unwrap_or_default(),
                    },
                    Ok(req) => {
                        let s = store.clone();
                        tokio::task::spawn_blocking(move || execute(&s, req))
                            .await
                            .unwrap_or_else(|e| Reply::Failed {
                                code: "internal".into(),
                                address: String::new(),
                                detail: e.to_string(),
                            })
                    }
                    Err(e) => Reply::Failed {
                        code: "bad-request".into(),
                        address: String::new(),
                        detail: e.to_string(),
                    },
                };
                let mut out = serde_json::to_vec(&reply).unwrap_or_default();
                out.push(b'\n');
                if w.write_all(&out).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Sends one request to a running node; `None` when no node answers on `path`.
pub fn call(path: &Path, req: &Request) -> Option<std::io::Result<Reply>> {
    use std::io::{BufRead, Write};
    let mut s = std::os::unix::net::UnixStream::connect(path).ok()?;
    let mut run = || -> std::io::Result<Reply> {
        let mut line = serde_json::to_vec(req)?;
        line.push(b'\n');
        s.write_all(&line)?;
        let mut reply = String::new();
        std::io::BufReader::new(&s).read_line(&mut reply)?;
        serde_json::from_str(&reply).map_err(std::io::Error::other)
    };
    Some(run())
}
