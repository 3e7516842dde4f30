//! Collection: messages whose parts lie on service servers (the sender could not reach this
//! node, or lost it mid-way) are fetched from every server holding some, checked chunk by
//! chunk, assembled in the inbound spool, then unsealed and filed like a direct delivery.
//! The receipt goes to the sender's node, or to the sender's servers when it is away; and
//! receipts other nodes left on our servers for our senders are taken in here too.
//!
//! Nothing of this needs its own job record: the servers' lists are the to-do list, the
//! inbound spool holds what arrived, and receipts not yet handed on are in `receipts_out`.

use std::collections::BTreeMap;
use std::sync::Arc;

use overlay::PeerId;
use serde::{Deserialize, Serialize};
use wire::proto::{DataFrame, DataReply, RefusalCode, Request, Response};
use wire::{MessageId, NetworkSigned, SignedReceipt};

use super::inbound::{self, Checked};
use super::inbound_watch as watch;
use super::{Hosted, Network, spool};
use jobs::JobHandle;
use monitor_api::{Activity, Stage, StageState};

/// A receipt for a collected message, kept until its sender's side has it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ReceiptOut {
    sender: String,
    recipient: String,
    receipt: SignedReceipt,
}

pub(super) async fn run(net: Arc<Network>) {
    loop {
        for address in net.hosted_addresses() {
            if let Some(hosted) = net.hosted(&address) {
                collect_for(&net, &hosted).await;
            }
        }
        hand_on_receipts(&net).await;
        tokio::select! {
            _ = net.collect_wake.notified() => {}
            _ = tokio::time::sleep(net.config.collect_interval) => {}
        }
    }
}

/// Asks each of the account's servers what waits, takes receipts in and collects messages.
async fn collect_for(net: &Arc<Network>, hosted: &Arc<Hosted>) {
    let Some(record) = net.own_record(&hosted.address) else {
        return;
    };
    // By id and sender: a co-recipient's deposit under a genuine message's id is another
    // message.
    let mut messages: BTreeMap<(MessageId, String), Vec<PeerId>> = BTreeMap::new();
    for server in hosted.client.server_peers() {
        let asked = Request::Waiting {
            record: record.clone(),
        };
        let waiting = match net.overlay.request(server, asked).await {
            Ok(Response::Waiting(w)) => w,
            Ok(other) => {
                tracing::debug!(%server, ?other, "waiting list not given");
                continue;
            }
            Err(e) => {
                tracing::debug!(%server, error = %e, "service server not asked what waits");
                continue;
            }
        };
        for receipt in waiting.receipts {
            take_receipt(net, server, &record, &hosted.address, receipt).await;
        }
        for m in waiting.messages {
            if m.held_chunks > 0 {
                let sender = m.sender.to_ascii_lowercase();
                messages
                    .entry((m.message_id, sender))
                    .or_default()
                    .push(server);
            }
        }
    }
    for ((id, sender), places) in messages {
        collect_message(net, hosted, &record, id, &sender, &places).await;
    }
}

/// A receipt a recipient's node left on our server: it ends its delivery job when it
/// verifies; the server may drop it once it did, or once no job waits for it.
async fn take_receipt(
    net: &Network,
    server: PeerId,
    record: &NetworkSigned,
    own: &str,
    receipt: SignedReceipt,
) {
    let Ok(claimed) = wire::proto::decode::<wire::Receipt>(&receipt.receipt) else {
        return;
    };
    match super::sent_receipts::receipt_request(net, receipt).await {
        Ok(()) => {}
        Err(why) => {
            tracing::info!(%server, reason = why, "held receipt not taken");
            if net.has_job(&claimed.message_id, &claimed.recipient) {
                return;
            }
        }
    }
    // As the sender: the receipts of the message go; no message of another sender that
    // this account received under the same id.
    collected(net, server, record, claimed.message_id, own).await;
}

/// Tells `server` that the account has `sender`'s message `id` (or its receipts). A server
/// that does not know the request yet (it was added later) is told the older way, which is
/// about every message under the id.
async fn collected(
    net: &Network,
    server: PeerId,
    record: &NetworkSigned,
    id: MessageId,
    sender: &str,
) {
    let done = Request::CollectedFrom {
        record: record.clone(),
        message_id: id,
        sender: sender.to_string(),
    };
    match net.overlay.request(server, done).await {
        Ok(Response::Done) => return,
        Ok(Response::Refused(r)) if r.code != RefusalCode::BadRequest => {
            tracing::debug!(%server, detail = %r.detail, "server not told what was collected");
            return;
        }
        _ => {}
    }
    let older = Request::Collected {
        record: record.clone(),
        message_id: id,
    };
    if let Err(e) = net.overlay.request(server, older).await {
        tracing::debug!(%server, error = %e, "server not told what was collected");
    }
}

/// Fetches what `places` hold of one message until it is whole, then files it.
async fn collect_message(
    net: &Arc<Network>,
    hosted: &Arc<Hosted>,
    record: &NetworkSigned,
    id: MessageId,
    sender: &str,
    places: &[PeerId],
) {
    let key = inbound::inbound_key(&hosted.address, sender, &id);
    if net.records.received.contains(&key).unwrap_or(false) {
        // Filed already (directly, or collected before the servers heard of it).
        for &server in places {
            collected(net, server, record, id, sender).await;
        }
        return;
    }
    let Some(_claim) = net.claim_inbound(&key) else {
        return;
    };
    let dir = net.spool.dir("in", &key);
    let mut whole: Option<(wire::SignedManifest, Checked)> = None;
    let mut gathered = Gathered {
        key: &key,
        servers: hosted.client.server_peers(),
        missing: None,
        job: None,
    };
    for &server in places {
        match fetch_from(net, server, record, id, sender, &dir, &mut gathered).await {
            Ok(Some(done)) => {
                whole = Some(done);
                break;
            }
            Ok(None) => {}
            Err(why) => {
                tracing::info!(%server, message_id = %id.to_hex(), reason = %why, "parts not fetched")
            }
        }
    }
    let Some((signed, checked)) = whole else {
        tracing::info!(message_id = %id.to_hex(), "message not whole yet; waiting for the rest");
        if let Some(job) = &gathered.job {
            job.fail(
                monitor_api::UserText::new(monitor_api::error_ids::TRANSFER_CUT),
                None,
            );
        }
        return;
    };
    let Some(mon) = gathered.job else {
        return;
    };
    mon.begin(Stage::Unsealing, 0);
    let filed = inbound::file(
        net,
        &checked.hosted,
        (&signed, &checked.manifest),
        &checked.sender_cert,
        &dir,
        &key,
        &mon,
    )
    .await;
    let receipt = match filed {
        Ok(r) => {
            tracing::info!(to = hosted.address, message_id = %id.to_hex(), "message collected from service servers");
            r
        }
        Err(reply) => {
            tracing::warn!(message_id = %id.to_hex(), ?reply, "collected message not filed");
            return;
        }
    };
    let out = ReceiptOut {
        sender: checked.manifest.sender.clone(),
        recipient: hosted.address.clone(),
        receipt,
    };
    if let Err(e) = net.records.receipts_out.put(&key, &out) {
        tracing::error!(error = %e, "receipt not queued for its sender");
    }
    for &server in places {
        collected(net, server, record, id, sender).await;
    }
    hand_on_receipts(net).await;
}

/// Why a fetch from one server ended without the message; for the log.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("overlay: {0}")]
    Overlay(#[from] overlay::OverlayError),
    #[error("the server sent no offer")]
    NoOffer,
    #[error("the server offered another message")]
    OtherMessage,
    #[error("the held manifest was refused")]
    ManifestRefused,
    #[error("the server sent no list of held chunks")]
    NoHoldingList,
    #[error("spool: {0}")]
    Spool(#[from] std::io::Error),
    #[error("{0}")]
    Task(#[from] mailbox::blocking::Stopped),
}

/// What a collection learnt so far, kept across the servers it fetches from.
struct Gathered<'a> {
    /// The inbound key of the message.
    key: &'a str,
    /// The account's servers, in their order: `server:N` of the job.
    servers: Vec<PeerId>,
    /// What the spool lacks, learnt once (it hashes every chunk already there) and kept up
    /// to date as chunks arrive, whichever place they come from.
    missing: Option<Vec<u32>>,
    /// The job monitors see, from the first manifest that checked out.
    job: Option<JobHandle>,
}

/// Opens a fetch stream with `ask`; the stream and the manifest the server offers.
async fn offer_for(
    net: &Network,
    server: PeerId,
    ask: DataFrame,
) -> Result<(overlay::DataStream, wire::SignedManifest), FetchError> {
    let mut stream = net.overlay.open_data(server).await?;
    stream.send(&ask).await?;
    match stream.recv_data().await {
        Ok(Some(DataFrame::Offer(signed))) => Ok((stream, signed)),
        _ => Err(FetchError::NoOffer),
    }
}

/// One fetch stream: the server's manifest (verified like a direct offer), then the chunks
/// this node still lacks (`missing`, computed here the first time) of those the server
/// holds, each checked against the manifest. `Some` once the spool holds the whole message.
async fn fetch_from(
    net: &Network,
    server: PeerId,
    record: &NetworkSigned,
    id: MessageId,
    sender: &str,
    dir: &std::path::Path,
    gathered: &mut Gathered<'_>,
) -> Result<Option<(wire::SignedManifest, Checked)>, FetchError> {
    let ask = DataFrame::FetchFrom {
        record: record.clone(),
        message_id: id,
        sender: sender.to_string(),
    };
    let (mut stream, signed) = match offer_for(net, server, ask).await {
        Ok(offered) => offered,
        Err(FetchError::NoOffer) => {
            // A server from before FetchFrom closes the stream on it: ask the older way, for
            // whatever it holds under the id (the sender is checked below).
            let older = DataFrame::Fetch {
                record: record.clone(),
                message_id: id,
            };
            offer_for(net, server, older).await?
        }
        Err(e) => return Err(e),
    };
    let checked = match inbound::check_offer(net, &signed).await {
        Ok(c) if c.manifest.message_id == id && c.manifest.sender.eq_ignore_ascii_case(sender) => c,
        Ok(_) => return Err(FetchError::OtherMessage),
        Err(DataReply::Delivered(_)) => return Ok(None),
        Err(reply) => {
            tracing::warn!(%server, ?reply, "held manifest refused");
            return Err(FetchError::ManifestRefused);
        }
    };
    let holding = match stream.recv_data().await? {
        Some(DataFrame::Holding(h)) => h,
        _ => return Err(FetchError::NoHoldingList),
    };
    let missing = match &mut gathered.missing {
        Some(m) => m,
        None => {
            let (d, m) = (dir.to_path_buf(), checked.manifest.clone());
            let lacking = mailbox::blocking::run(move || spool::missing(&d, &m)).await?;
            gathered.missing.insert(lacking)
        }
    };
    let job = gathered.job.get_or_insert_with(|| {
        let job = watch::start(
            net,
            gathered.key,
            Activity::Collection,
            &checked.manifest,
            missing,
        );
        job.servers(gathered.servers.iter().map(PeerId::to_string).collect());
        job
    });
    let n = gathered
        .servers
        .iter()
        .position(|s| *s == server)
        .unwrap_or(0);
    let stage = Stage::CollectFromServer(u8::try_from(n).unwrap_or(u8::MAX));
    let want: Vec<u32> = missing
        .iter()
        .copied()
        .filter(|i| holding.binary_search(i).is_ok())
        .collect();
    stream.send(&DataReply::Need(want.clone())).await?;
    job.begin(stage, watch::bytes_of(&checked.manifest, &want));
    let mut bad = 0u32;
    for _ in 0..want.len() {
        let Some(DataFrame::Chunk { index, data }) = stream.recv_data().await? else {
            break;
        };
        let m = &checked.manifest;
        let fits = want.binary_search(&index).is_ok()
            && m.chunk_len(index) == Some(data.len())
            && wire::hash_chunk(&data) == m.chunk_hashes[index as usize];
        if !fits {
            // Another place may hold a good copy; this one is not taken.
            tracing::warn!(%server, index, message_id = %id.to_hex(), "held chunk does not match the manifest; refused");
            bad += 1;
            continue;
        }
        let (d, len) = (dir.to_path_buf(), data.len());
        mailbox::blocking::run(move || spool::put_chunk(&d, index, &data)).await??;
        if let Ok(pos) = missing.binary_search(&index) {
            missing.remove(pos);
        }
        watch::arrived(job, index, len);
    }
    let _ = stream.close().await;
    job.end(
        stage,
        if bad == 0 {
            StageState::Done
        } else {
            StageState::Failed
        },
    );
    tracing::debug!(%server, message_id = %id.to_hex(), fetched = want.len() as u32 - bad, bad, left = missing.len(), "fetched held parts");
    Ok(missing.is_empty().then_some((signed, checked)))
}

/// Hands each queued receipt to its sender's node, or else to a server of the sender's.
async fn hand_on_receipts(net: &Network) {
    let keys = net.records.receipts_out.keys("").unwrap_or_default();
    for key in keys {
        let Ok(Some(out)) = net.records.receipts_out.get::<ReceiptOut>(&key) else {
            continue;
        };
        let Some(hosted) = net.hosted(&out.recipient) else {
            continue;
        };
        if hand_on(net, &hosted, &out).await {
            let _ = net.records.receipts_out.remove(&key);
        }
    }
}

async fn hand_on(net: &Network, hosted: &Hosted, out: &ReceiptOut) -> bool {
    let Ok(sender) = hosted.client.lookup(&out.recipient, &out.sender).await else {
        return false;
    };
    if let Some(node) = net.record_node(&sender.record).await
        && let Ok(Response::Done) = net
            .overlay
            .request(node, Request::Receipt(out.receipt.clone()))
            .await
    {
        tracing::info!(to = out.sender, "receipt delivered to the sender's node");
        return true;
    }
    let Some(own) = net.own_record(&out.recipient) else {
        return false;
    };
    for (server, addrs) in relay_client::parse_servers(&sender.record.backups).unwrap_or_default() {
        net.overlay.add_peer_addrs(server, addrs).await;
        let hold = Request::HoldReceipt {
            sender: out.sender.clone(),
            receipt: out.receipt.clone(),
            recipient_record: own.clone(),
        };
        if let Ok(Response::Done) = net.overlay.request(server, hold).await {
            tracing::info!(to = out.sender, %server, "receipt left with the sender's server");
            return true;
        }
    }
    false
}
