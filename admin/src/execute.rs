//! What each admin request does: the store-only ones in [`execute`] (run by the node, or by
//! the CLI when the node is stopped), the rest only in the running node.

use std::sync::Arc;

use mailbox::Store;

use super::{Failure, ReceiptLine, Reply, Request, failure};
use delivery::submit::Outbox;

/// Hosting needs the overlay, so it is not a store-only [`execute`] request.
pub async fn host(net: &delivery::Network, profile: &str, password: &str) -> Reply {
    match net.host(profile, password).await {
        Ok(address) => Reply::Done { address },
        Err(e) => {
            tracing::warn!(error = %e, "hosting failed");
            let address = wire::AccountProfile::from_toml(profile)
                .map(|p| p.address)
                .unwrap_or_default();
            Reply::failed(failure::of_host(&e), address, e.detail())
        }
    }
}

/// The update check needs the overlay too; without the network it reports the last
/// announcement the node verified.
pub async fn update_check(net: &delivery::Network) -> Reply {
    match net.update_status().await {
        Ok(status) => Reply::Update { status },
        Err(e) => Reply::failed(failure::of_update(&e), "", e.to_string()),
    }
}

/// A request on the store alone; `rules` are the node's rules limits (`[rules]`).
pub fn execute(store: &Store, rules: &rules::Settings, req: Request) -> Reply {
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
            let id = store.account(&address).ok().flatten().map(|a| a.id);
            let r = store.remove_account(&address).map(|_| address.clone());
            // Its rules go with it (they are kept apart from the mail).
            if let (Ok(_), Some(id)) = (&r, id)
                && let Err(e) = rules::Scripts::open(store, rules::Settings::default())
                    .map_err(rules::ScriptError::from)
                    .and_then(|s| s.forget(id))
            {
                tracing::warn!(error = %e, "the removed account's rules could not be forgotten");
            }
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
            return match delivery::list_receipts(store, &address) {
                Ok(r) => Reply::Receipts {
                    receipts: r.into_iter().map(ReceiptLine::from).collect(),
                },
                Err(e) => failed(address, e),
            };
        }
        req @ (Request::RulesList { .. }
        | Request::RulesGet { .. }
        | Request::RulesPut { .. }
        | Request::RulesActivate { .. }
        | Request::RulesRemove { .. }) => {
            return super::rules_requests::execute(store, rules, req);
        }
        Request::LogLevel { .. }
        | Request::Host { .. }
        | Request::UpdateCheck
        | Request::Send(_)
        | Request::Progress { .. } => {
            return Reply::failed(Failure::NotRunning, "", "");
        }
    };
    match r {
        Ok(address) => Reply::Done { address },
        Err(e) => failed(addr, e),
    }
}

fn failed(address: String, e: mailbox::Error) -> Reply {
    let code = match e {
        mailbox::Error::AccountExists => Failure::Exists,
        mailbox::Error::NoAccount => Failure::NoAccount,
        mailbox::Error::InvalidAddress => Failure::InvalidAddress,
        _ => Failure::Internal,
    };
    Reply::failed(code, address, e.to_string())
}

/// What the admin socket serves with: the node's outbox (store and network) and the message
/// types `wims send` may use beyond the built-in ones.
pub struct Admin {
    pub outbox: Arc<Outbox>,
    pub types: Vec<String>,
    /// The node's rules limits (`[rules]`).
    pub rules: rules::Settings,
    /// Characters a new account password must have (`limits.min_password_length`); the CLI
    /// and the operator pages ask for it before they send a request.
    pub min_password: usize,
}

/// Serves the admin socket until the task is dropped.
pub async fn serve(listener: tokio::net::UnixListener, admin: Arc<Admin>) -> std::io::Result<()> {
    daemon::admin::serve(listener, move |req| answer(admin.clone(), req)).await
}

/// One request, in the running node.
pub async fn answer(admin: Arc<Admin>, req: Request) -> Reply {
    let network = &admin.outbox.network;
    match req {
        Request::LogLevel { level } => {
            if daemon::logging::set_level(level) {
                tracing::info!(level, "log level changed");
                Reply::LogLevel { level }
            } else {
                Reply::failed(Failure::Internal, "", "")
            }
        }
        Request::Host { profile, password } => match network {
            Some(net) => host(net, &profile, &password).await,
            None => Reply::failed(Failure::Internal, "", ""),
        },
        Request::UpdateCheck => match network {
            Some(net) => update_check(net).await,
            None => Reply::failed(Failure::Internal, "", ""),
        },
        Request::Send(req) => match delivery::send::send(&admin.outbox, &admin.types, req).await {
            Ok(sent) => Reply::Sent(sent),
            Err(e) => {
                let (code, address) = failure::of_send(&e);
                Reply::failed(code, address, e.detail())
            }
        },
        Request::Progress { message_id } => Reply::Progress {
            jobs: network
                .as_ref()
                .map(|n| n.progress(&message_id))
                .unwrap_or_default(),
        },
        req => {
            let s = admin.outbox.store.clone();
            let rules = admin.rules.clone();
            mailbox::blocking::run(move || execute(&s, &rules, req))
                .await
                .unwrap_or_else(|e| Reply::failed(Failure::Internal, "", e.to_string()))
        }
    }
}
