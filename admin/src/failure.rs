//! Why an admin command failed, as the socket names it and the CLI and the operator pages say it; and which
//! failure each of the node's errors is. The errors stay where they arise; only this module
//! knows the admin protocol's names for them.

use relay_client::ClientError;
use serde::{Deserialize, Serialize};
use wire::proto::RefusalCode;

use delivery::send::SendError;
use delivery::{HostError, UpdateError};

/// Why a command failed. On the socket it is its kebab-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    Exists,
    NoAccount,
    InvalidAddress,
    BadProfile,
    HostRefused,
    HostRefusedProof,
    HostRefusedUnknown,
    NetworkUnreachable,
    UpdateUnverified,
    SendNoAccount,
    SendBadAddress,
    SendNoRecipients,
    SendUnknownType,
    SendNotPartner,
    SendUnknownRecipient,
    SendNetworkUnavailable,
    SendAttachment,
    SendAttachmentUnusable,
    /// A script name that is empty, too long, or has a control character or `/`.
    RulesBadName,
    RulesTooLarge,
    RulesTooMany,
    RulesNoScript,
    /// The active script cannot be removed; another must be made active first.
    RulesActive,
    RulesExists,
    /// The command needs the running node (a log level, a send).
    NotRunning,
    BadRequest,
    /// The request was longer than the socket takes (`daemon::admin::MAX_REQUEST_BYTES`).
    TooLarge,
    Internal,
}

impl Failure {
    /// The failure in the user's language: `address` is its subject (an address, or the
    /// attachment's path), `detail` the cause, shown where the user cannot act on the code
    /// alone.
    pub fn text(self, t: &::i18n::I18n, address: &str, detail: &str) -> String {
        let id = match self {
            Failure::Exists => "admin-account-exists",
            Failure::NoAccount => "admin-no-account",
            Failure::InvalidAddress => "admin-invalid-address",
            Failure::BadProfile => "admin-bad-profile",
            Failure::HostRefused => "admin-host-refused",
            Failure::HostRefusedProof => "admin-host-refused-proof",
            Failure::HostRefusedUnknown => "admin-host-refused-unknown",
            Failure::NetworkUnreachable => "admin-network-unreachable",
            Failure::UpdateUnverified => "admin-update-unverified",
            Failure::SendNoAccount => "admin-send-no-account",
            Failure::SendBadAddress => "admin-send-bad-address",
            Failure::SendNoRecipients => "admin-send-no-recipients",
            Failure::SendUnknownType => "admin-send-unknown-type",
            Failure::SendNotPartner => "admin-send-not-partner",
            Failure::SendUnknownRecipient => "admin-send-unknown-recipient",
            Failure::SendNetworkUnavailable => "admin-send-network-unavailable",
            Failure::SendAttachment => "admin-send-attachment",
            Failure::SendAttachmentUnusable => "admin-send-attachment-unusable",
            Failure::RulesBadName => "admin-rules-bad-name",
            Failure::RulesTooLarge => "admin-rules-too-large",
            Failure::RulesTooMany => "admin-rules-too-many",
            Failure::RulesNoScript => "admin-rules-no-script",
            Failure::RulesActive => "admin-rules-active",
            Failure::RulesExists => "admin-rules-exists",
            Failure::NotRunning => "admin-not-running",
            Failure::BadRequest | Failure::Internal => "admin-failed",
            Failure::TooLarge => "admin-request-too-large",
        };
        let limit = (daemon::admin::MAX_REQUEST_BYTES >> 20).to_string();
        t.text(
            id,
            &[
                ("address", address),
                ("reason", detail),
                ("path", address),
                ("mib", &limit),
                ("name", detail),
            ],
        )
    }
}

/// The failure of hosting an account.
pub(super) fn of_host(e: &HostError) -> Failure {
    match e {
        HostError::Profile(_) => Failure::BadProfile,
        HostError::Exists => Failure::Exists,
        HostError::Network(ClientError::Refused(r)) => match r.code {
            RefusalCode::BadProof => Failure::HostRefusedProof,
            RefusalCode::UnknownAccount => Failure::HostRefusedUnknown,
            _ => Failure::HostRefused,
        },
        HostError::Network(_) => Failure::NetworkUnreachable,
        HostError::Store(_) | HostError::Key(_) => Failure::Internal,
    }
}

/// The failure of an update check.
pub(super) fn of_update(e: &UpdateError) -> Failure {
    match e {
        UpdateError::Unverified(_) => Failure::UpdateUnverified,
        UpdateError::Network(_) => Failure::NetworkUnreachable,
        UpdateError::Store(_) => Failure::Internal,
    }
}

/// The failure of `wims send`, and the subject it names (an address, a type, a path).
pub(super) fn of_send(e: &SendError) -> (Failure, String) {
    match e {
        SendError::NoAccount(a) => (Failure::SendNoAccount, a.clone()),
        SendError::BadAddress(a) => (Failure::SendBadAddress, a.clone()),
        SendError::NoRecipients => (Failure::SendNoRecipients, String::new()),
        SendError::UnknownType(t) => (Failure::SendUnknownType, t.clone()),
        SendError::NotPartner(a) => (Failure::SendNotPartner, a.clone()),
        SendError::UnknownRecipient(a) => (Failure::SendUnknownRecipient, a.clone()),
        SendError::Unavailable(a) => (Failure::SendNetworkUnavailable, a.clone()),
        SendError::Attachment(p, why) if why.is_empty() => {
            (Failure::SendAttachmentUnusable, p.clone())
        }
        SendError::Attachment(p, _) => (Failure::SendAttachment, p.clone()),
        SendError::Store(_) => (Failure::Internal, String::new()),
    }
}
