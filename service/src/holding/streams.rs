//! The data streams of store-only holding: deposits from senders' nodes and fetches by
//! recipients' nodes, each checked before anything is written or sent.

use std::sync::Arc;

use chrono::Utc;
use overlay::{DataStream, OverlayError, PeerId};
use wire::chunk_dir;
use wire::proto::{DataFrame, DataReply, Refusal, RefusalCode, Request};
use wire::{DirectoryRecord, MessageId, NetworkSigned, SignedManifest};

use super::{Holding, NOTIFY_TIMEOUT, internal, refuse};
use crate::registry::HeldEntry;

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
            fetch(&h, &mut stream, &record, message_id, None).await
        }
        Some(DataFrame::FetchFrom {
            record,
            message_id,
            sender,
        }) => fetch(&h, &mut stream, &record, message_id, Some(&sender)).await,
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
    match records::blocking::run(f).await {
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
    let sender_addr = sender.address.to_ascii_lowercase();
    let entry = match h
        .registry
        .held(&recipient_addr, &id, &sender_addr)
        .map_err(internal)?
    {
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
                sender: sender_addr.clone(),
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
    let dir = h.dir(&recipient_addr, &id, &sender_addr);
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

/// Sends what is held of `message_id` (of `sender`; an older node does not say whose, and gets
/// the first one held under the id).
async fn fetch(
    h: &Arc<Holding>,
    stream: &mut DataStream,
    record: &NetworkSigned,
    message_id: MessageId,
    sender: Option<&str>,
) -> Flow {
    let peer = stream.peer().to_string();
    let record = h.own_record(&peer, record)?;
    let id = message_id.to_hex();
    let entry = match sender {
        Some(s) => h.registry.held(&record.address, &id, s),
        None => h
            .registry
            .held_by_id(&record.address, &id)
            .map(|all| all.into_iter().next()),
    }
    .map_err(internal)?
    .ok_or_else(|| refuse(RefusalCode::UnknownAccount, "nothing held for this message"))?;
    let dir = h.dir(&record.address, &id, &entry.sender);
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
