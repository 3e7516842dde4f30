//! The one submission pipeline. Every way a message leaves an account — SMTP submission,
//! `wims send`, the drop folder — resolves its recipients, checks who its header says sent it,
//! files the copies and queues delivery to other nodes here, so each rule lives in one place.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mailbox::{Account, StagedMessage, Store};

use crate::{Network, RemoteCheck};

/// Where mail leaves an account: the store its copies are filed in and the network its
/// delivery jobs go out on.
pub struct Outbox {
    pub store: Store,
    /// The node on the wims network; `None` only in tests of the client endpoints alone.
    pub network: Option<Arc<Network>>,
    /// The node's host name, in the message ids it makes.
    pub hostname: String,
}

/// Where a recipient's mail goes.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// An account on this node.
    Local(Account),
    /// An account elsewhere on the sender's network.
    Remote(String),
}

/// Why a recipient is refused.
#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    /// Neither of the sender's domain nor a partner of it.
    #[error("{0} is not a partner")]
    NotPartner(String),
    /// Not on this node, and not known to the sender's network (or the sender has none).
    #[error("{0} is unknown")]
    Unknown(String),
    /// The network could not be asked just now.
    #[error("network unavailable for {0}")]
    Unavailable(String),
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
}

/// Resolves `address` for `sender`. An account hosted on a wims network follows the network's
/// rules, even for a recipient that shares this node; a standalone account reaches only the
/// accounts of this node.
pub async fn resolve(
    outbox: &Outbox,
    sender: &str,
    address: &str,
) -> Result<Resolved, RecipientError> {
    let store = outbox.store.clone();
    let a = address.to_string();
    let here = mailbox::blocking::run(move || store.account(&a))
        .await
        .map_err(mailbox::Error::from)??;
    let network = outbox
        .network
        .as_ref()
        .filter(|net| net.hosted(sender).is_some());
    let ask = match (&here, network) {
        (Some(a), Some(net)) if net.hosted(&a.address).is_some() => Some(net),
        (None, Some(net)) => Some(net),
        _ => None,
    };
    if let Some(net) = ask {
        match net.check_recipient(sender, address).await {
            RemoteCheck::Allowed => {}
            RemoteCheck::NotAllowed => return Err(RecipientError::NotPartner(address.into())),
            RemoteCheck::Unknown => return Err(RecipientError::Unknown(address.into())),
            RemoteCheck::Unavailable => return Err(RecipientError::Unavailable(address.into())),
        }
    }
    match here {
        Some(a) => Ok(Resolved::Local(a)),
        None if ask.is_some() => Ok(Resolved::Remote(address.to_string())),
        None => Err(RecipientError::Unknown(address.into())),
    }
}

/// Why a message was not filed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The header names another sender than the account submitting it.
    #[error("header {field} names {claimed}, not the sending account")]
    ForgedSender {
        field: &'static str,
        claimed: String,
    },
    /// A resumed job's Sent copy is not where its journal says; try again later.
    #[error("the Sent copy of job {0} is not found yet")]
    SentCopyMissing(String),
    /// Remote recipients, but no network to queue them on.
    #[error("no network for remote recipients")]
    NoNetwork,
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
}

/// The header's `From:` and `Sender:` must name `account` and nothing else: a user may not make
/// mail look as if another had sent it. A message without a `From:` is left as it is (the
/// receiving node states the verified sender anyway); one whose `From:` cannot be read as
/// addresses is refused.
pub fn check_header_sender(staged: &StagedMessage, account: &str) -> Result<(), SubmitError> {
    // Only a receiving node writes the line naming the verified sender; one in a submission
    // could only mislead a local recipient.
    if staged.has_header(crate::TRUST_HEADER) {
        return Err(SubmitError::ForgedSender {
            field: crate::TRUST_HEADER,
            claimed: String::new(),
        });
    }
    let env = &staged.envelope;
    for (field, list) in [("From", &env.from), ("Sender", &env.sender)] {
        if list.is_empty() && field == "From" && staged.has_header("from") {
            return Err(SubmitError::ForgedSender {
                field,
                claimed: String::new(),
            });
        }
        for a in list.iter() {
            let claimed = match (&a.mailbox, &a.host) {
                (Some(m), Some(h)) => format!("{m}@{h}"),
                (Some(m), None) => m.clone(),
                _ => a.name.clone().unwrap_or_default(),
            };
            if !claimed.eq_ignore_ascii_case(account) {
                return Err(SubmitError::ForgedSender { field, claimed });
            }
        }
    }
    Ok(())
}

/// One message on its way out.
pub struct Outgoing<'a> {
    /// The sending account's address and id.
    pub sender: &'a str,
    pub sender_id: u64,
    /// The recipients' accounts on this node: id and address.
    pub local: &'a [(u64, String)],
    /// Recipients on other nodes.
    pub remote: &'a [String],
    /// The message type (`message` when none was declared).
    pub message_type: &'a str,
    /// The network message id; random when `None`.
    pub message_id: Option<wire::MessageId>,
    /// A resumable job files each copy once under this id (see [`Store::deliver_once`]).
    pub job: Option<&'a str>,
    /// The copies' INTERNALDATE; now when `None`.
    pub date: Option<DateTime<Utc>>,
}

/// Checks the header's sender, files `staged` for every local recipient (as the recipient's
/// rules decide, else into the INBOX: `filing`) and into the sender's Sent folder (marked
/// read), and queues it for the remote recipients. Every copy and
/// the delivery job are durable when it returns. Blocking.
pub fn file(
    store: &Store,
    network: Option<&Network>,
    staged: &StagedMessage,
    out: &Outgoing<'_>,
) -> Result<(), SubmitError> {
    check_header_sender(staged, out.sender)?;
    // A declared message type shows to IMAP clients as a keyword.
    let keyword = mailbox::type_keyword(out.message_type);
    let mut flags: Vec<&str> = keyword.iter().map(String::as_str).collect();
    let deliver = |account: u64, folder: &str, flags: &[&str]| match out.job {
        Some(job) => store
            .deliver_once_at(job, staged, account, folder, flags, out.date)
            .map(|d| d.map(|d| d.uid)),
        None => store
            .deliver(staged, account, folder, flags, out.date)
            .map(|d| Some(d.uid)),
    };
    let rules = network.and_then(|n| n.rules());
    for (id, address) in out.local {
        let arrival = crate::filing::Arrival {
            account: *id,
            address,
            from: out.sender,
            flags: &flags,
            job: out.job,
            date: out.date,
        };
        crate::filing::file_for(store, rules, staged, &arrival)?;
    }
    let sent = store
        .special_folder(out.sender_id, mailbox::SpecialUse::Sent)?
        .map(|f| f.name)
        .unwrap_or_else(|| mailbox::SpecialUse::Sent.default_name().to_string());
    flags.push("\\Seen");
    let filed = deliver(out.sender_id, &sent, &flags)?;
    if out.remote.is_empty() {
        return Ok(());
    }
    // The Sent copy is what the delivery jobs seal from; both are durable before the
    // submitter hears that the message was taken. A resumed job finds its copy in the journal.
    let net = network.ok_or(SubmitError::NoNetwork)?;
    let copy = match (filed, out.job) {
        (Some(uid), _) => store.folder(out.sender_id, &sent)?.map(|f| (f.id, uid)),
        (None, Some(job)) => store.journaled_copy(job, out.sender_id, &sent)?,
        (None, None) => None,
    };
    let Some((folder, uid)) = copy else {
        return Err(SubmitError::SentCopyMissing(out.job.unwrap_or("").into()));
    };
    net.queue(crate::Submission {
        sender: out.sender,
        account: out.sender_id,
        folder,
        uid,
        size: staged.size,
        message_type: out.message_type.to_string(),
        recipients: out.remote,
        message_id: out.message_id,
    })?;
    Ok(())
}
