//! A message put together from its parts (addresses, subject, body, attachment files) by the
//! running node — for `wims send` and the webmail's compose form — filed in Sent and handed to
//! local recipients and to the delivery queue like a submitted one. Attachments are streamed
//! from where they lie, so their size does not matter to memory.

use std::path::PathBuf;

use mailbox::StagedMessage;
use serde::{Deserialize, Serialize};

use crate::pipe::WriteBehind;
use crate::submit::Outbox;
use crate::submit::{Outgoing, RecipientError, Resolved};
use drop_folder::compose::{self, ComposeError, Envelope};
use drop_folder::format::{Attachment, DropMessage, Mailbox};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendRequest {
    pub from: String,
    /// The sender's name, shown beside the address (the webmail's identity setting).
    #[serde(default)]
    pub from_name: Option<String>,
    /// The message id (without `<>`) of the message this one answers.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub message_type: String,
    /// Absolute paths.
    pub attachments: Vec<PathBuf>,
}

/// What was sent: the network message id (hex) of the remote deliveries, and who got it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sent {
    pub message_id: String,
    pub local: Vec<String>,
    pub remote: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no account {0}")]
    NoAccount(String),
    #[error("not an address: {0}")]
    BadAddress(String),
    #[error("no recipients")]
    NoRecipients,
    #[error("unknown message type {0}")]
    UnknownType(String),
    #[error("{0} is not a partner")]
    NotPartner(String),
    #[error("{0} is unknown")]
    UnknownRecipient(String),
    #[error("network unavailable for {0}")]
    Unavailable(String),
    #[error("attachment {0}: {1}")]
    Attachment(String, String),
    #[error("store: {0}")]
    Store(String),
}

impl SendError {
    /// What the CLI shows after the subject its failure code names: the cause alone.
    pub fn detail(&self) -> String {
        match self {
            SendError::Attachment(_, why) => why.clone(),
            other => other.to_string(),
        }
    }
}

impl From<mailbox::Error> for SendError {
    fn from(e: mailbox::Error) -> Self {
        SendError::Store(e.to_string())
    }
}

fn mailbox_of(address: &str) -> Result<Mailbox, SendError> {
    let a = mailbox::normalize_address(address)
        .map_err(|_| SendError::BadAddress(address.to_string()))?;
    Ok(Mailbox {
        name: None,
        address: a,
    })
}

/// The message a request describes, checked: the sending account, the message type, and the
/// parts (attachments are looked at, not read).
fn build(
    outbox: &Outbox,
    types: &[String],
    req: SendRequest,
) -> Result<(mailbox::Account, String, DropMessage), SendError> {
    let store = &outbox.store;
    let mut from = mailbox_of(&req.from)?;
    from.name = req
        .from_name
        .as_deref()
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect::<String>()
        })
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let account = store
        .account(&from.address)?
        .ok_or_else(|| SendError::NoAccount(from.address.clone()))?;
    let kind = if req.message_type.is_empty() {
        "message".to_string()
    } else {
        req.message_type.to_ascii_lowercase()
    };
    let known = mailbox::MESSAGE_TYPES.contains(&kind.as_str()) || types.contains(&kind);
    if !known {
        return Err(SendError::UnknownType(kind));
    }
    let to = req
        .to
        .iter()
        .map(|a| mailbox_of(a))
        .collect::<Result<Vec<_>, _>>()?;
    let cc = req
        .cc
        .iter()
        .map(|a| mailbox_of(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut attachments = Vec::new();
    for p in &req.attachments {
        let shown = p.display().to_string();
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(SendError::Attachment(shown, String::new())),
            Err(e) => return Err(SendError::Attachment(shown, e.to_string())),
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        attachments.push(Attachment {
            path: p.clone(),
            name,
        });
    }
    let m = DropMessage {
        passphrase: String::new(),
        from,
        to,
        cc,
        bcc: Vec::new(),
        subject: req.subject,
        kind: kind.clone(),
        send_at: None,
        text: req.body,
        html: None,
        attachments,
    };
    Ok((account, kind, m))
}

/// Writes the message to the store's staging area, attachments read from disk as they are
/// encoded; blocking work on the storage side.
async fn stage(
    store: &mailbox::Store,
    m: &DropMessage,
    header_id: String,
    in_reply_to: Option<String>,
) -> Result<StagedMessage, SendError> {
    let (st, msg) = (store.clone(), m.clone());
    mailbox::blocking::run(move || {
        let env = Envelope {
            message_id: &header_id,
            date: chrono::Local::now().fixed_offset(),
            in_reply_to: in_reply_to.as_deref(),
        };
        // Encoding and storing run on two cores.
        let writer = st.new_message()?;
        let mut writer = WriteBehind::new(writer).map_err(|e| SendError::Store(e.to_string()))?;
        let anywhere = compose::Source::Anywhere;
        compose::write_message(&mut writer, &msg, &env, anywhere, u64::MAX).map_err(
            |e| match e {
                ComposeError::Attachment { path, error } => {
                    SendError::Attachment(path.display().to_string(), error.to_string())
                }
                ComposeError::Outside { path } => {
                    SendError::Attachment(path.display().to_string(), String::new())
                }
                ComposeError::AttachmentTooLarge { path, .. } => {
                    SendError::Attachment(path.display().to_string(), String::new())
                }
                ComposeError::Write(e) => SendError::Store(e.to_string()),
            },
        )?;
        let writer = writer
            .finish()
            .map_err(|e| SendError::Store(e.to_string()))?;
        Ok::<_, SendError>(writer.finish()?)
    })
    .await
    .map_err(|e| SendError::Store(e.to_string()))?
}

/// Composes, files and queues the message; returns once every copy and delivery job is on
/// disk.
/// `types`: the message types the node knows beyond the built-in ones (`[drop] types`).
pub async fn send(outbox: &Outbox, types: &[String], req: SendRequest) -> Result<Sent, SendError> {
    let store = &outbox.store;
    let in_reply_to = req.in_reply_to.clone();
    let (account, kind, m) = build(outbox, types, req)?;
    let recipients: Vec<String> = m.recipients().iter().map(|r| r.address.clone()).collect();
    if recipients.is_empty() {
        return Err(SendError::NoRecipients);
    }

    let (mut local, mut remote) = (Vec::new(), Vec::new());
    for r in &recipients {
        match crate::submit::resolve(outbox, &account.address, r).await {
            Ok(Resolved::Local(a)) => local.push(a),
            Ok(Resolved::Remote(a)) => remote.push(a),
            Err(RecipientError::NotPartner(a)) => return Err(SendError::NotPartner(a)),
            Err(RecipientError::Unknown(a)) => return Err(SendError::UnknownRecipient(a)),
            Err(RecipientError::Unavailable(a)) => return Err(SendError::Unavailable(a)),
            Err(RecipientError::Store(e)) => return Err(e.into()),
        }
    }

    let message_id = wire::MessageId::random();
    let id = message_id.to_hex();
    let header_id = format!("{id}.send@{}", outbox.hostname);
    let staged = stage(store, &m, header_id, in_reply_to).await?;
    let (st, network) = (store.clone(), outbox.network.clone());
    let (sender, sender_id, remote_ids) = (account.address.clone(), account.id, remote.clone());
    let kind_ = kind.clone();
    let local_accounts: Vec<(u64, String)> =
        local.iter().map(|a| (a.id, a.address.clone())).collect();
    mailbox::blocking::run(move || {
        let out = Outgoing {
            sender: &sender,
            sender_id,
            local: &local_accounts,
            remote: &remote_ids,
            message_type: &kind_,
            message_id: Some(message_id),
            job: None,
            date: None,
        };
        crate::submit::file(&st, network.as_deref(), &staged, &out)
    })
    .await
    .map_err(|e| SendError::Store(e.to_string()))?
    .map_err(|e| SendError::Store(e.to_string()))?;
    tracing::info!(
        from = account.address,
        local = local.len(),
        remote = remote.len(),
        message_id = id,
        "message sent from its parts"
    );
    Ok(Sent {
        message_id: id,
        local: local.into_iter().map(|a| a.address).collect(),
        remote,
    })
}

/// Files the message in the account's Drafts folder (marked `\Draft`, read) instead of sending
/// it: nothing is resolved or queued, and it may have no recipient yet. Returns the folder's
/// id and the draft's UID.
pub async fn save_draft(
    outbox: &Outbox,
    types: &[String],
    req: SendRequest,
) -> Result<(u64, u32), SendError> {
    let in_reply_to = req.in_reply_to.clone();
    let (account, _, m) = build(outbox, types, req)?;
    let id = wire::MessageId::random().to_hex();
    let header_id = format!("{id}.draft@{}", outbox.hostname);
    let staged = stage(&outbox.store, &m, header_id, in_reply_to).await?;
    let st = outbox.store.clone();
    mailbox::blocking::run(move || {
        let drafts = st
            .special_folder(account.id, mailbox::SpecialUse::Drafts)?
            .map(|f| f.name)
            .unwrap_or_else(|| mailbox::SpecialUse::Drafts.default_name().to_string());
        let filed = st.deliver(&staged, account.id, &drafts, &["\\Draft", "\\Seen"], None)?;
        let folder = st
            .folder(account.id, &drafts)?
            .ok_or(mailbox::Error::NoFolder)?;
        Ok::<_, mailbox::Error>((folder.id, filed.uid))
    })
    .await
    .map_err(|e| SendError::Store(e.to_string()))?
    .map_err(SendError::from)
}
