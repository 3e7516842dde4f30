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
use overlay::{DataStream, OverlayError, OverlayHandle, PeerId};
use wire::chunk_dir;
use wire::proto::{
    DataFrame, DataReply, HeldMessage, MAX_WAITING, Refusal, RefusalCode, Request, Response,
    Waiting,
};
use wire::{Cert, DirectoryRecord, MessageId, NetworkSigned, SignedManifest};

use crate::registry::{AccountState, HeldEntry, HeldReceipt, Registry, RegistryError};

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

    fn dir(&self, recipient: &str, message_id: &str) -> PathBuf {
        self.root
            .join(chunk_dir::dir_name(&format!("{recipient}/{message_id}")))
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
            Request::Collected { record, message_id } => self.collected(peer, &record, &message_id),
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

    fn collected(
        &self,
        peer: &str,
        signed: &NetworkSigned,
        message_id: &MessageId,
    ) -> Answer<Response> {
        let record = self.own_record(peer, signed)?;
        let id = message_id.to_hex();
        self.drop_message(&record.address, &id).map_err(internal)?;
        let receipts = self
            .registry
            .remove_held_receipts(&record.address, &id)
            .map_err(internal)?;
        tracing::debug!(address = %record.address, message_id = %id, receipts, "collected");
        Ok(Response::Done)
    }

    /// Removes a held message, files first: a crash in between leaves an entry without
    /// parts (nothing to fetch; it expires), never parts that no entry knows of.
    fn drop_message(&self, recipient: &str, id: &str) -> Result<(), RegistryError> {
        if let Err(e) = chunk_dir::remove_dir(&self.dir(recipient, id)) {
            tracing::warn!(error = %e, "held parts not removed");
        }
        self.registry.remove_held(recipient, id)?;
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
            self.drop_message(&e.recipient, &e.message_id)?;
        }
        let receipts = self.registry.expire_held_receipts(now)?;
        Ok((expired.len(), receipts))
    }
}

/// Sweeps expired parts and receipts now and then.
pub async fn sweep_forever(h: Arc<Holding>) {
    loop {
        let h2 = h.clone();
        match tokio::task::spawn_blocking(move || h2.sweep(Utc::now())).await {
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

/// One data stream to this server: a deposit or a fetch.
pub async fn serve(h: Arc<Holding>, mut stream: DataStream) -> Result<(), OverlayError> {
    let peer = stream.peer();
    let outcome = match stream.recv_data().await? {
        Some(DataFrame::Deposit {
            manifest,
            sender_record,
            recipient_record,
        }) => deposit(&h, &mut stream, manifest, &sender_record, &recipient_record).await,
        Some(DataFrame::Fetch { record, message_id }) => {
            fetch(&h, &mut stream, &record, message_id).await
        }
        _ => Err(Some(refuse(
            RefusalCode::BadRequest,
            "expected a deposit or a fetch",
        ))),
    };
    match outcome {
        Ok(()) => stream.close().await,
        Err(Some(r)) => {
            tracing::warn!(%peer, code = ?r.code, detail = %r.detail, "data stream refused");
            stream.send(&DataReply::Refused(r)).await?;
            stream.close().await
        }
        // The peer went away; what arrived stays.
        Err(None) => Ok(()),
    }
}

/// `Err(None)`: the stream broke, nothing to answer.
type Flow = Result<(), Option<Refusal>>;

fn broken(e: OverlayError) -> Option<Refusal> {
    tracing::debug!(error = %e, "data stream ended early");
    None
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, Option<Refusal>> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Some(internal(e))),
        Err(e) => Err(Some(internal(e))),
    }
}

async fn deposit(
    h: &Arc<Holding>,
    stream: &mut DataStream,
    signed: SignedManifest,
    sender_record: &NetworkSigned,
    recipient_record: &NetworkSigned,
) -> Flow {
    let now = Utc::now();
    let (sender, sender_cert) = h.record(sender_record)?;
    let (recipient, _) = h.record(recipient_record)?;
    let manifest = wire::verify_manifest(&signed, &sender_cert)
        .map_err(|e| refuse(RefusalCode::BadSignature, format!("manifest: {e}")))?;
    let recipient_addr = recipient.address.to_ascii_lowercase();
    let one_recipient = matches!(manifest.recipients.as_slice(),
        [r] if r.eq_ignore_ascii_case(&recipient_addr));
    if !manifest.sender.eq_ignore_ascii_case(&sender.address) || !one_recipient {
        return Err(Some(refuse(
            RefusalCode::BadRequest,
            "manifest does not name these records' accounts",
        )));
    }
    wire::check_token_for(&manifest, &recipient_addr, &h.ca_cert, now)
        .map_err(|e| refuse(RefusalCode::BadSignature, format!("token: {e}")))?;

    let id = manifest.message_id.to_hex();
    let entry = match h.registry.held(&recipient_addr, &id).map_err(internal)? {
        Some(e) if e.manifest_hash != signed.hash() => {
            return Err(Some(refuse(
                RefusalCode::BadRequest,
                "another manifest is held under this message id",
            )));
        }
        Some(e) => e,
        None => {
            let used = h.registry.held_bytes(&recipient_addr).map_err(internal)?;
            if used.saturating_add(manifest.total_size) > h.settings.quota {
                return Err(Some(refuse(
                    RefusalCode::OverQuota,
                    format!("quota for {recipient_addr} used up"),
                )));
            }
            let e = HeldEntry {
                recipient: recipient_addr.clone(),
                message_id: id.clone(),
                sender: sender.address.to_ascii_lowercase(),
                manifest_hash: signed.hash(),
                chunk_count: manifest.chunk_hashes.len() as u32,
                total_size: manifest.total_size,
                held_chunks: 0,
                stored_at: now,
                expires_at: now + h.settings.expiry,
            };
            // The entry goes first: parts on disk are always known to the index.
            h.registry.put_held(&e).map_err(internal)?;
            e
        }
    };
    let dir = h.dir(&recipient_addr, &id);
    let need = {
        let (dir, signed, manifest) = (dir.clone(), signed.clone(), manifest.clone());
        blocking(move || {
            chunk_dir::put_manifest(&dir, &signed)?;
            Ok(chunk_dir::missing(&dir, &manifest))
        })
        .await?
    };
    let mut held = entry.chunk_count - need.len() as u32;
    if held != entry.held_chunks {
        let e = HeldEntry {
            held_chunks: held,
            ..entry.clone()
        };
        h.registry.put_held(&e).map_err(internal)?;
    }
    stream
        .send(&DataReply::Need(need.clone()))
        .await
        .map_err(broken)?;
    let mut stored = 0u32;
    let result = loop {
        let frame = match stream.recv_data().await {
            Ok(Some(f)) => f,
            Ok(None) => break Ok(()),
            Err(e) => break Err(broken(e)),
        };
        let DataFrame::Chunk { index, data } = frame else {
            break Err(Some(refuse(RefusalCode::BadRequest, "expected a chunk")));
        };
        let fits = manifest.chunk_len(index) == Some(data.len())
            && wire::hash_chunk(&data) == manifest.chunk_hashes[index as usize];
        if !fits {
            break Err(Some(refuse(
                RefusalCode::BadSignature,
                format!("chunk {index} does not match the manifest"),
            )));
        }
        let d = dir.clone();
        let new = !chunk_dir::has_chunk(&dir, index);
        if let Err(e) = blocking(move || chunk_dir::put_chunk(&d, index, &data)).await {
            break Err(e);
        }
        if new {
            held += 1;
            stored += 1;
            let e = HeldEntry {
                held_chunks: held,
                ..entry.clone()
            };
            if let Err(e) = h.registry.put_held(&e) {
                break Err(Some(internal(e)));
            }
        }
        if let Err(e) = stream.send(&DataReply::Got(index)).await {
            break Err(broken(e));
        }
    };
    if stored > 0 {
        tracing::info!(recipient = %recipient_addr, message_id = %id, stored, held, of = entry.chunk_count, "parts held");
        notify(h, &recipient);
    }
    result
}

/// Tells the recipient's node that parts wait for it; it collects on its own schedule when
/// this does not reach it.
fn notify(h: &Arc<Holding>, record: &DirectoryRecord) {
    let Ok(node) = record.node.parse::<PeerId>() else {
        return;
    };
    let addrs = record
        .node_addrs
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    let (overlay, address) = (h.overlay.clone(), record.address.clone());
    tokio::spawn(async move {
        overlay.add_peer_addrs(node, addrs).await;
        let asked = overlay.request(node, Request::Notify { address });
        match tokio::time::timeout(NOTIFY_TIMEOUT, asked).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::debug!(%node, error = %e, "node not notified"),
            Err(_) => tracing::debug!(%node, "node not notified in time"),
        }
    });
}

async fn fetch(
    h: &Arc<Holding>,
    stream: &mut DataStream,
    record: &NetworkSigned,
    message_id: MessageId,
) -> Flow {
    let peer = stream.peer().to_string();
    let record = h.own_record(&peer, record)?;
    let id = message_id.to_hex();
    let entry = h
        .registry
        .held(&record.address, &id)
        .map_err(internal)?
        .ok_or_else(|| refuse(RefusalCode::UnknownAccount, "nothing held for this message"))?;
    let dir = h.dir(&record.address, &id);
    let (signed, holding) = {
        let (dir, count) = (dir.clone(), entry.chunk_count);
        blocking(move || {
            let signed = chunk_dir::read_manifest(&dir)?;
            Ok((signed, chunk_dir::present(&dir, count)))
        })
        .await?
    };
    let signed = signed.ok_or_else(|| refuse(RefusalCode::TryLater, "manifest not on disk"))?;
    stream
        .send(&DataFrame::Offer(signed))
        .await
        .map_err(broken)?;
    stream
        .send(&DataFrame::Holding(holding.clone()))
        .await
        .map_err(broken)?;
    let want = match stream.recv::<DataReply>().await.map_err(broken)? {
        Some(DataReply::Need(want)) => want,
        _ => {
            return Err(Some(refuse(
                RefusalCode::BadRequest,
                "expected a need list",
            )));
        }
    };
    for index in want {
        if holding.binary_search(&index).is_err() {
            continue;
        }
        let d = dir.clone();
        let data = blocking(move || chunk_dir::read_chunk(&d, index)).await?;
        stream
            .send(&DataFrame::Chunk { index, data })
            .await
            .map_err(broken)?;
    }
    tracing::debug!(recipient = %record.address, message_id = %id, "held parts sent");
    Ok(())
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
