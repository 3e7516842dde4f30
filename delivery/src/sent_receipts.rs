//! The receipts of sent messages: checked against the job they end, kept for
//! `wims receipts`, and the Sent copy marked `$Delivered` once every recipient has one.

use serde::{Deserialize, Serialize};
use wire::{SignedManifest, SignedReceipt};

use super::delivery_watch as watch;
use super::job::{Failure, Job, job_key, retry};
use super::progress::{self, Phase};
use super::transfer::Placed;
use super::{Network, spool};

/// A receipt as the sender keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredReceipt {
    pub message_id: String,
    pub recipient: String,
    /// Milliseconds since the epoch, as the recipient signed it.
    pub received_at: i64,
    pub receipt: SignedReceipt,
}

pub(super) fn receipts(
    table: &mailbox::Records,
    sender: &str,
) -> mailbox::Result<Vec<StoredReceipt>> {
    let mut out = Vec::new();
    for k in table.keys(&format!("{}/", sender.to_ascii_lowercase()))? {
        if let Some(r) = table.get(&k)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Receipts kept in a store, for `wims receipts` while the node is stopped.
pub fn list_receipts(store: &mailbox::Store, sender: &str) -> mailbox::Result<Vec<StoredReceipt>> {
    receipts(&store.records("receipts")?, sender)
}

/// Checks the receipt, keeps it, ends the job, and marks the Sent copy `$Delivered` once
/// every recipient of the message has a receipt.
pub(super) fn complete(
    net: &Network,
    key: &str,
    job: &Job,
    signed: &SignedManifest,
    receipt: SignedReceipt,
    recipient_cert: &wire::Cert,
) -> Result<(), Failure> {
    let r = wire::verify_receipt(&receipt, recipient_cert)
        .map_err(|e| retry(format!("receipt does not verify: {e}")))?;
    if r.message_id != job.message_id
        || r.manifest_hash != signed.hash()
        || !r.recipient.eq_ignore_ascii_case(&job.recipient)
    {
        return Err(retry("receipt is for another message"));
    }
    let stored = StoredReceipt {
        message_id: job.message_id.to_hex(),
        recipient: r.recipient.clone(),
        received_at: r.received_at.timestamp_millis(),
        receipt,
    };
    let rkey = format!(
        "{}/{}/{}",
        job.sender.to_ascii_lowercase(),
        job.message_id.to_hex(),
        job.recipient
    );
    net.records.receipts.put(&rkey, &stored).map_err(retry)?;
    net.records.jobs.remove(key).map_err(retry)?;
    let placed = net.records.placed.get::<Placed>(key).ok().flatten();
    let sent = placed.as_ref().map_or(0, |p| p.sent);
    let path = placed.as_ref().map_or("direct", Placed::path);
    if let Err(e) = net.records.placed.remove(key) {
        tracing::warn!(job = key, error = %e, "placement record not removed");
    }
    let sealed = signed.unverified().map_or(0, |m| m.total_size);
    let view = net.progress.job(key, &job.recipient, job.size);
    progress::update(&view, |p| {
        p.phase = Phase::Delivered;
        p.stored = p.chunks;
    });
    let who = (
        job.sender.as_str(),
        job.recipient.as_str(),
        job.message_type.as_str(),
    );
    watch::delivered(net, key, who, job.size);
    tracing::info!(
        message_id = %job.message_id.to_hex(),
        to = job.recipient,
        sealed_bytes = sealed,
        sent_bytes = sent,
        resent_bytes = sent.saturating_sub(sealed),
        path,
        "delivered; receipt verified"
    );
    let others = net
        .records
        .jobs
        .keys(&format!("{}/", job.message_id.to_hex()))
        .map_err(retry)?;
    if others.is_empty()
        && let Err(e) = net.store.store_flags(
            job.account,
            job.folder,
            &[job.uid],
            mailbox::FlagOp::Add,
            &["$Delivered"],
            None,
        )
    {
        tracing::warn!(error = %e, "Sent copy not marked delivered");
    }
    Ok(())
}

/// A receipt that came as a control request (a message collected from a service server).
pub(super) async fn receipt_request(net: &Network, receipt: SignedReceipt) -> Result<(), String> {
    // Which job it ends is in the receipt; it is trusted only after it verifies below.
    let claimed: wire::Receipt =
        wire::proto::decode(&receipt.receipt).map_err(|e| e.to_string())?;
    let key = job_key(&claimed.message_id, &claimed.recipient.to_ascii_lowercase());
    let job: Job = net
        .records
        .jobs
        .get(&key)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| detail("no such delivery"))?;
    let hosted = net
        .hosted(&job.sender)
        .ok_or_else(|| detail("sender not hosted"))?;
    let located = hosted
        .client
        .lookup(&job.sender, &job.recipient)
        .await
        .map_err(|e| e.to_string())?;
    let dir = net.spool.dir("out", &key);
    let signed = spool::read_manifest(&dir)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| detail("message not sealed"))?;
    complete(net, &key, &job, &signed, receipt, &located.cert).map_err(|f| match f {
        Failure::Retry(s) | Failure::Permanent(s) => s,
    })?;
    spool::remove(&dir);
    Ok(())
}

/// A protocol detail for the peer's log.
fn detail(s: &str) -> String {
    s.to_string()
}
