//! Local administration. A running node holds the store's lock, so the CLI's account commands
//! go through the node's admin socket (`daemon::admin`) when the node is up, and straight to
//! the store when it is not. Both paths run the same [`execute`]. In the running node every
//! request, from the socket or from the web interface's operator pages, goes through
//! [`answer`].

mod execute;
mod failure;
mod rules_requests;
pub mod texts;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use execute::{Admin, answer, execute, host, serve, update_check};
pub use failure::Failure;

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
    Send(delivery::send::SendRequest),
    /// Where the delivery jobs of a sent message stand.
    Progress {
        message_id: String,
    },
    /// The account's rules (Sieve scripts, docs/rules.md).
    RulesList {
        address: String,
    },
    RulesGet {
        address: String,
        name: String,
    },
    /// Keeps a script once it checks, and makes it the active one with `activate`.
    RulesPut {
        address: String,
        name: String,
        text: String,
        activate: bool,
    },
    /// Makes a script the active one; `None` turns the account's rules off.
    RulesActivate {
        address: String,
        name: Option<String>,
    },
    RulesRemove {
        address: String,
        name: String,
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
        status: delivery::UpdateStatus,
    },
    Sent(delivery::send::Sent),
    Progress {
        jobs: Vec<delivery::JobProgress>,
    },
    Rules {
        scripts: Vec<ScriptLine>,
    },
    Script {
        name: String,
        text: String,
    },
    /// A script that does not check, and where (line and column from 1; 0 when unknown).
    Invalid {
        line: usize,
        column: usize,
        problem: rules::Problem,
    },
    /// `code` names the failure; the CLI turns it into text in the user's language.
    Failed {
        code: Failure,
        address: String,
        detail: String,
    },
}

impl Reply {
    pub fn failed(code: Failure, address: impl Into<String>, detail: impl Into<String>) -> Reply {
        Reply::Failed {
            code,
            address: address.into(),
            detail: detail.into(),
        }
    }
}

impl daemon::admin::Reply for Reply {
    fn bad_request(detail: String) -> Self {
        Reply::failed(Failure::BadRequest, "", detail)
    }
    fn too_large() -> Self {
        Reply::failed(Failure::TooLarge, "", "")
    }
}

/// One script as `wims rules list` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScriptLine {
    pub name: String,
    pub size: usize,
    pub active: bool,
}

/// One receipt as `wims receipts` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub message_id: String,
    pub recipient: String,
    /// Milliseconds since the epoch.
    pub received_at: i64,
}

impl From<delivery::StoredReceipt> for ReceiptLine {
    fn from(r: delivery::StoredReceipt) -> Self {
        ReceiptLine {
            message_id: r.message_id,
            recipient: r.recipient,
            received_at: r.received_at,
        }
    }
}

/// Sends one request to a running node; `None` when no node answers on `path`.
pub fn call(path: &Path, req: &Request) -> Option<std::io::Result<Reply>> {
    daemon::admin::call(path, req, None)
}
