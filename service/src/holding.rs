//! Store-only holding: a service server keeps parts of messages whose recipient's node could
//! not take them, until that node collects them, and receipts whose sender's node was away.
//!
//! It only ever holds OpenPGP ciphertext, and only with proof: a part is taken for a
//! manifest signed by its sender (whose CA-certified record comes with the deposit) and
//! carrying a CA token for its recipient; parts go out only to the node the recipient's
//! current directory record names. Each part is on disk (synced) before it is acknowledged.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use overlay::OverlayHandle;
use wire::chunk_dir;
use wire::proto::{HeldMessage, MAX_WAITING, Refusal, RefusalCode, Request, Response, Waiting};
use wire::{Cert, DirectoryRecord, MessageId, NetworkSigned};

use crate::registry::{AccountState, HeldEntry, HeldReceipt, Registry, RegistryError};

mod streams;
pub use streams::serve;

/// How often expired parts and receipts are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long a best-effort notification to a node may take.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes a [`Waiting`] answer's entries may take: a control frame less room for the rest of
/// the response.
const WAITING_BUDGET: usize = wire::proto::MAX_CONTROL_BYTES - 4096;

fn encoded_len<T: serde::Serialize>(v: &T) -> usize {
    wire::proto::encode(v).map_or(usize::MAX, |b| b.len())
}

/// As many of `messages`, then of `receipts`, as fit one control frame, in order. An answer
/// that did not fit would fail as a whole, and its account could never collect anything
/// (receipts carry signatures of up to 4 KiB, whose unhashed parts a sender may pad); the
/// rest comes in later answers, once these are collected.
pub fn fit_waiting(messages: Vec<HeldMessage>, receipts: Vec<wire::SignedReceipt>) -> Waiting {
    let mut budget = WAITING_BUDGET;
    let mut fits = |n: usize| {
        let ok = n <= budget;
        budget = budget.saturating_sub(n);
        ok
    };
    let messages = messages
        .into_iter()
        .take_while(|m| fits(encoded_len(m)))
        .collect();
    let receipts = receipts
        .into_iter()
        .take_while(|r| fits(encoded_len(r)))
        .collect();
    Waiting { messages, receipts }
}

#[derive(Clone, Debug)]
pub struct HoldSettings {
    /// Most sealed bytes held for one recipient.
    pub quota: u64,
    /// How long parts and receipts are kept uncollected.
    pub expiry: chrono::Duration,
    /// Most receipts kept for one sender at once.
    pub receipts_per_sender: usize,
}

pub struct Holding {
    registry: Registry,
    root: PathBuf,
    ca_cert: Cert,
    settings: HoldSettings,
    overlay: OverlayHandle,
}

type Answer<T> = Result<T, Refusal>;

fn refuse(code: RefusalCode, detail: impl Into<String>) -> Refusal {
    Refusal::new(code, detail)
}

fn internal(e: impl std::fmt::Display) -> Refusal {
    tracing::warn!(error = %e, "holding store failure");
    refuse(RefusalCode::TryLater, "server error")
}

impl Holding {
    pub fn new(
        registry: Registry,
        root: PathBuf,
        ca_cert: Cert,
        settings: HoldSettings,
        overlay: OverlayHandle,
    ) -> Holding {
        Holding {
            registry,
            root,
            ca_cert,
            settings,
            overlay,
        }
    }

    fn dir(&self, recipient: &str, message_id: &str, sender: &str) -> PathBuf {
        self.root.join(chunk_dir::dir_name(&format!(
            "{recipient}/{message_id}/{}",
            sender.to_ascii_lowercase()
        )))
    }

    /// Moves what an older server held under recipient and id alone to its place with the
    /// sender: the parts' folder first, then the index entry (see [`Registry::rekey_held`]).
    pub fn migrate(&self) -> Result<usize, RegistryError> {
        let legacy = self.registry.legacy_held()?;
        for e in &legacy {
            let old = self.root.join(chunk_dir::dir_name(&format!(
                "{}/{}",
                e.recipient, e.message_id
            )));
            let new = self.dir(&e.recipient, &e.message_id, &e.sender);
            if old.exists()
                && !new.exists()
                && let Err(e) = std::fs::rename(&old, &new)
            {
                tracing::warn!(error = %e, "held parts not moved; they are fetched again");
            }
            self.registry.rekey_held(e)?;
        }
        Ok(legacy.len())
    }

    fn record(&self, signed: &NetworkSigned) -> Answer<(DirectoryRecord, Cert)> {
        wire::verify_record(signed, &self.ca_cert)
            .map_err(|e| refuse(RefusalCode::BadSignature, format!("record: {e}")))
    }

    /// The account of `signed` when `peer` is its hosting node: the record names it, and
    /// where this server registers the account, the registry agrees (a record from before
    /// the account moved to another node is of no use).
    fn own_record(&self, peer: &str, signed: &NetworkSigned) -> Answer<DirectoryRecord> {
        let (record, _) = self.record(signed)?;
        let address = record.address.to_ascii_lowercase();
        let registered = self.registry.account(&address).map_err(internal)?;
        let consistent = match registered {
            Some(a) => a.state == AccountState::Hosted && a.node.as_deref() == Some(peer),
            None => true,
        };
        if record.node != peer || !consistent {
            return Err(refuse(
                RefusalCode::NotHostingNode,
                format!("{address} is not hosted by the requesting node"),
            ));
        }
        Ok(DirectoryRecord { address, ..record })
    }

    /// Answers the holding requests (the others are the handler's).
    pub fn control(&self, peer: &str, request: Request, now: DateTime<Utc>) -> Response {
        let answer = match request {
            Request::Waiting { record } => self.waiting(peer, &record),
            Request::Collected { record, message_id } => {
                self.collected(peer, &record, &message_id, None)
            }
            Request::CollectedFrom {
                record,
                message_id,
                sender,
            } => self.collected(peer, &record, &message_id, Some(&sender)),
            Request::HoldReceipt {
                sender,
                receipt,
                recipient_record,
            } => self.hold_receipt(peer, &sender, receipt, &recipient_record, now),
            _ => Err(refuse(RefusalCode::BadRequest, "not a holding request")),
        };
        answer.unwrap_or_else(|r| {
            tracing::info!(%peer, code = ?r.code, detail = %r.detail, "holding request refused");
            Response::Refused(r)
        })
    }

    /// What is held for the account (see [`fit_waiting`]).
    fn waiting(&self, peer: &str, signed: &NetworkSigned) -> Answer<Response> {
        let record = self.own_record(peer, signed)?;
        let messages = self
            .registry
            .held_for(&record.address, MAX_WAITING)
            .map_err(internal)?
            .into_iter()
            .filter_map(|e| {
                Some(HeldMessage {
                    message_id: MessageId::from_hex(&e.message_id)?,
                    sender: e.sender,
                    held_chunks: e.held_chunks,
                    chunk_count: e.chunk_count,
                })
            })
            .collect();
        let receipts = self
            .registry
            .held_receipts_for(&record.address, MAX_WAITING)
            .map_err(internal)?
            .into_iter()
            .map(|r| r.receipt)
            .collect();
        Ok(Response::Waiting(fit_waiting(messages, receipts)))
    }

    /// The account has the message (as recipient: `sender`'s, or every one under the id when
    /// an older node does not say whose) or its receipts (as sender).
    fn collected(
        &self,
        peer: &str,
        signed: &NetworkSigned,
        message_id: &MessageId,
        sender: Option<&str>,
    ) -> Answer<Response> {
        let record = self.own_record(peer, signed)?;
        let id = message_id.to_hex();
        let held = self
            .registry
            .held_by_id(&record.address, &id)
            .map_err(internal)?;
        for e in held
            .iter()
            .filter(|e| sender.is_none_or(|s| s.eq_ignore_ascii_case(&e.sender)))
        {
            self.drop_message(e).map_err(internal)?;
        }
        let receipts = self
            .registry
            .remove_held_receipts(&record.address, &id)
            .map_err(internal)?;
        tracing::debug!(address = %record.address, message_id = %id, receipts, "collected");
        Ok(Response::Done)
    }

    /// Removes a held message, files first: a crash in between leaves an entry without
    /// parts (nothing to fetch; it expires), never parts that no entry knows of.
    fn drop_message(&self, e: &HeldEntry) -> Result<(), RegistryError> {
        let dir = self.dir(&e.recipient, &e.message_id, &e.sender);
        if let Err(e) = chunk_dir::remove_dir(&dir) {
            tracing::warn!(error = %e, "held parts not removed");
        }
        self.registry
            .remove_held(&e.recipient, &e.message_id, &e.sender)?;
        Ok(())
    }

    fn hold_receipt(
        &self,
        peer: &str,
        sender: &str,
        receipt: wire::SignedReceipt,
        recipient_record: &NetworkSigned,
        now: DateTime<Utc>,
    ) -> Answer<Response> {
        let (record, cert) = self.record(recipient_record)?;
        if record.node != peer {
            return Err(refuse(
                RefusalCode::NotHostingNode,
                "receipts come from the recipient's node",
            ));
        }
        let r = wire::verify_receipt(&receipt, &cert)
            .map_err(|e| refuse(RefusalCode::BadSignature, format!("receipt: {e}")))?;
        // The record's certificate verified it, so its account must be the one who received.
        if !r.recipient.eq_ignore_ascii_case(&record.address) {
            return Err(refuse(
                RefusalCode::BadRequest,
                "receipt is not from the record's account",
            ));
        }
        let Some(sender) = crate::address::normalize_address(sender) else {
            return Err(refuse(RefusalCode::BadRequest, "sender is not an address"));
        };
        let id = r.message_id.to_hex();
        let replaces = self
            .registry
            .has_held_receipt(&sender, &id, &r.recipient)
            .map_err(internal)?;
        let cap = self.settings.receipts_per_sender;
        if !replaces
            && self
                .registry
                .held_receipt_count(&sender, cap)
                .map_err(internal)?
                >= cap
        {
            return Err(refuse(
                RefusalCode::OverQuota,
                format!("{cap} receipts are held for this sender already"),
            ));
        }
        let held = HeldReceipt {
            receipt,
            expires_at: now + self.settings.expiry,
        };
        self.registry
            .put_held_receipt(&sender, &r.message_id.to_hex(), &r.recipient, &held)
            .map_err(internal)?;
        tracing::info!(%sender, recipient = %r.recipient, message_id = %r.message_id.to_hex(), "receipt held for its sender");
        Ok(Response::Done)
    }

    /// Drops what expired; returns how many messages and receipts went.
    pub fn sweep(&self, now: DateTime<Utc>) -> Result<(usize, usize), RegistryError> {
        let expired = self.registry.held_expired(now)?;
        for e in &expired {
            tracing::info!(recipient = %e.recipient, message_id = %e.message_id, "held parts expired uncollected");
            self.drop_message(e)?;
        }
        let receipts = self.registry.expire_held_receipts(now)?;
        Ok((expired.len(), receipts))
    }
}

/// Sweeps expired parts and receipts now and then.
pub async fn sweep_forever(h: Arc<Holding>) {
    loop {
        let h2 = h.clone();
        match records::blocking::run(move || h2.sweep(Utc::now())).await {
            Ok(Ok((0, 0))) => {}
            Ok(Ok((m, r))) => {
                tracing::info!(messages = m, receipts = r, "expired holdings removed")
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "holding sweep failed"),
            Err(e) => tracing::warn!(error = %e, "holding sweep failed"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_answer_always_fits_one_control_frame() {
        let messages: Vec<HeldMessage> = (0..MAX_WAITING)
            .map(|_| HeldMessage {
                message_id: MessageId::random(),
                sender: format!("{}@alpha.h", "s".repeat(200)),
                held_chunks: 1,
                chunk_count: 1,
            })
            .collect();
        // Receipts as large as a receipt and its signature may be.
        let receipts: Vec<wire::SignedReceipt> = (0..MAX_WAITING)
            .map(|_| wire::SignedReceipt {
                receipt: vec![7; 4096],
                signature: vec![9; 4096],
            })
            .collect();
        let whole = Response::Waiting(Waiting {
            messages: messages.clone(),
            receipts: receipts.clone(),
        });
        assert!(wire::proto::encode(&whole).unwrap().len() > wire::proto::MAX_CONTROL_BYTES);
        let w = fit_waiting(messages, receipts);
        assert_eq!(w.messages.len(), MAX_WAITING);
        assert!(!w.receipts.is_empty() && w.receipts.len() < MAX_WAITING);
        let answer = wire::proto::encode(&Response::Waiting(w)).unwrap();
        assert!(
            answer.len() <= wire::proto::MAX_CONTROL_BYTES,
            "{}",
            answer.len()
        );
    }
}
