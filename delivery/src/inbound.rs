//! Messages arriving for accounts hosted here: check who sent them and that the network
//! authorized them, take the chunks (resuming what an earlier connection left), unseal,
//! file into INBOX exactly once, and answer with a signed receipt.

use std::sync::Arc;

use overlay::{DataStream, Inbound, PeerId};
use relay_client::ClientError;
use tokio::sync::mpsc;
use wire::proto::{DataFrame, DataReply, Refusal, RefusalCode, Request, Response};
use wire::{Manifest, SignedManifest, SignedReceipt};

use mailbox::StagedMessage;

use super::inbound_watch as watch;
use super::unsealing::{self, Parts, UnsealFailure, Unsealing};
use super::{Hosted, Network, spool};
use jobs::JobHandle;
use monitor_api::{Activity, Stage, UserText, error_ids};

pub(super) async fn serve(net: Arc<Network>, mut inbound: mpsc::Receiver<Inbound>) {
    while let Some(event) = inbound.recv().await {
        match event {
            Inbound::Request {
                peer,
                request,
                reply,
            } => {
                let net = net.clone();
                tokio::spawn(async move {
                    let _ = reply.send(control(&net, peer, request).await);
                });
            }
            Inbound::Data { peer, stream } => {
                let net = net.clone();
                tokio::spawn(async move {
                    if let Err(e) = transfer(&net, stream).await {
                        tracing::debug!(%peer, error = %e, "inbound transfer ended early");
                    }
                });
            }
        }
    }
}

async fn control(net: &Network, peer: PeerId, request: Request) -> Response {
    match request {
        // Only a hint to look now (what is collected is checked on its own), and only
        // taken from the hosted accounts' servers, so nobody else can make the node poll.
        Request::Notify { address } if net.is_account_server(&peer) => {
            tracing::debug!(%peer, address, "service server says parts arrived");
            net.collect_wake.notify_one();
            Response::Done
        }
        Request::Receipt(receipt) => {
            match super::sent_receipts::receipt_request(net, receipt).await {
                Ok(()) => Response::Done,
                Err(why) => {
                    tracing::info!(%peer, reason = why, "receipt refused");
                    Response::Refused(Refusal::new(RefusalCode::BadRequest, why))
                }
            }
        }
        // Service requests are for service servers.
        _ => Response::Refused(Refusal::new(
            RefusalCode::BadRequest,
            "not a service server",
        )),
    }
}

fn refuse(code: RefusalCode, detail: impl Into<String>) -> DataReply {
    DataReply::Refused(Refusal::new(code, detail))
}

/// What a peer is told of an offer refused before its signature verified: one answer for an
/// account not hosted here, a sender the network refuses and a bad signature alike, so that
/// offers cannot probe which accounts this node hosts. (The log keeps the reason.) A
/// try-later stays one: it says nothing of the accounts.
fn uniform(reply: DataReply) -> DataReply {
    match reply {
        DataReply::Refused(r)
            if matches!(
                r.code,
                RefusalCode::UnknownAccount
                    | RefusalCode::NotPartners
                    | RefusalCode::NotHostingNode
                    | RefusalCode::BadSignature
            ) =>
        {
            refuse(RefusalCode::BadSignature, "offer not accepted")
        }
        other => other,
    }
}

/// The sender's connection ended before every chunk arrived; the rest comes later.
fn cut(job: &JobHandle) {
    job.fail(UserText::new(error_ids::TRANSFER_CUT), None);
}

/// One inbound data stream: an offer, then the chunks asked for.
async fn transfer(net: &Arc<Network>, mut stream: DataStream) -> Result<(), overlay::OverlayError> {
    let peer = stream.peer();
    let Some(DataFrame::Offer(signed)) = stream.recv_data().await? else {
        let reply = refuse(RefusalCode::BadRequest, "expected an offer");
        return stream.send(&reply).await;
    };
    if !net.offers.allow(&peer) {
        tracing::info!(%peer, "inbound offer refused: too many from this peer");
        stream
            .send(&refuse(RefusalCode::TryLater, "too many offers"))
            .await?;
        return stream.close().await;
    }
    let checked = match check_offer(net, &signed).await {
        Ok(c) => c,
        Err(reply) => {
            if let DataReply::Refused(r) = &reply {
                tracing::warn!(%peer, code = ?r.code, reason = r.detail, "inbound message refused");
            }
            stream.send(&uniform(reply)).await?;
            return stream.close().await;
        }
    };
    let Checked {
        hosted,
        manifest,
        sender_cert,
        key,
    } = checked;
    let Some(_claim) = net.claim_inbound(&key) else {
        // Being collected from a service server right now; the sender comes back later.
        let reply = refuse(RefusalCode::TryLater, "message is being collected");
        stream.send(&reply).await?;
        return stream.close().await;
    };
    let dir = net.spool.dir("in", &key);
    let mut need = {
        let (dir, manifest) = (dir.clone(), manifest.clone());
        mailbox::blocking::run(move || spool::missing(&dir, &manifest))
            .await
            .unwrap_or_default()
    };
    let mon = watch::start(net, &key, Activity::Reception, &manifest, &need);
    let mut unsealing = None;
    if !need.is_empty() {
        mon.begin(Stage::Receiving, watch::bytes_of(&manifest, &need));
        unsealing = Some(Unsealing::start(
            Parts {
                store: &net.store,
                manifest: &manifest,
                recipient: &hosted.key,
                sender_cert: &sender_cert,
                dir: &dir,
            },
            &need,
        ));
        stream.send(&DataReply::Need(need.clone())).await?;
        while !need.is_empty() {
            let Some(frame) = stream.recv_data().await.inspect_err(|_| cut(&mon))? else {
                // Keep what arrived; the sender resumes from there.
                cut(&mon);
                return Ok(());
            };
            let DataFrame::Chunk { index, data } = frame else {
                cut(&mon);
                let reply = refuse(RefusalCode::BadRequest, "expected a chunk");
                return stream.send(&reply).await;
            };
            let fits = manifest.chunk_len(index) == Some(data.len())
                && wire::hash_chunk(&data) == manifest.chunk_hashes[index as usize];
            if !fits {
                tracing::warn!(%peer, index, "chunk does not match the manifest; refused");
                mon.fail(UserText::new(error_ids::CHUNK_MISMATCH), None);
                let reply = refuse(
                    RefusalCode::BadSignature,
                    format!("chunk {index} does not match"),
                );
                stream.send(&reply).await?;
                return stream.close().await;
            }
            let (d, len) = (dir.clone(), data.len());
            mailbox::blocking::run(move || spool::put_chunk(&d, index, &data))
                .await
                .map_err(std::io::Error::other)?
                .inspect_err(|e| mon.fail(watch::local(&e.to_string()), None))?;
            need.retain(|&i| i != index);
            watch::arrived(&mon, index, len);
            if let Some(u) = &unsealing {
                u.arrived(index);
            }
            stream.send(&DataReply::Got(index)).await?;
        }
    }
    mon.begin(Stage::Unsealing, 0);
    let filed = match unsealing {
        Some(u) => match u.finish().await {
            Ok(staged) => {
                let m = (&signed, &manifest);
                file_staged(net, &hosted, m, &dir, &key, staged, &mon).await
            }
            Err(e) => {
                mon.fail(watch::local(&e.to_string()), None);
                Err(refuse(RefusalCode::TryLater, e.to_string()))
            }
        },
        None => {
            let m = (&signed, &manifest);
            file(net, &hosted, m, &sender_cert, &dir, &key, &mon).await
        }
    };
    let reply = match filed {
        Ok(receipt) => DataReply::Delivered(receipt),
        Err(reply) => reply,
    };
    if let DataReply::Refused(r) = &reply {
        tracing::warn!(%peer, code = ?r.code, reason = r.detail, "inbound message refused");
    }
    stream.send(&reply).await?;
    stream.close().await
}

pub(super) struct Checked {
    pub hosted: Arc<Hosted>,
    pub manifest: Manifest,
    pub sender_cert: wire::Cert,
    /// `<recipient>/<sender>/<message id>`: the dedupe and spool key (see [`inbound_key`]).
    pub key: String,
}

/// What identifies one received message: its recipient, its sender and its id. The sender is
/// part of it because message ids are shared by all recipients of a message: a co-recipient
/// who reused an id it saw must not make the genuine message look filed already.
pub(super) fn inbound_key(recipient: &str, sender: &str, id: &wire::MessageId) -> String {
    format!(
        "{}/{}/{}",
        recipient.to_ascii_lowercase(),
        sender.to_ascii_lowercase(),
        id.to_hex()
    )
}

/// Everything about an offer that can be checked before taking any chunk: a recipient
/// hosted here, the sender's certificate from the directory, the manifest's signature by it,
/// and the network's authorization token. A message already filed is answered at once.
pub(super) async fn check_offer(
    net: &Network,
    signed: &SignedManifest,
) -> Result<Checked, DataReply> {
    let claimed = signed
        .unverified()
        .map_err(|e| refuse(RefusalCode::BadRequest, e.to_string()))?;
    let [recipient] = claimed.recipients.as_slice() else {
        return Err(refuse(
            RefusalCode::BadRequest,
            "one recipient per transfer",
        ));
    };
    let recipient = recipient.to_ascii_lowercase();
    let hosted = net
        .hosted(&recipient)
        .ok_or_else(|| refuse(RefusalCode::UnknownAccount, "recipient not hosted here"))?;
    let key = inbound_key(&recipient, &claimed.sender, &claimed.message_id);
    let located = hosted
        .client
        .lookup(&recipient, &claimed.sender)
        .await
        .map_err(|e| match e {
            ClientError::Refused(r) => DataReply::Refused(r),
            e => refuse(RefusalCode::TryLater, e.to_string()),
        })?;
    let manifest = wire::verify_manifest(signed, &located.cert)
        .map_err(|e| refuse(RefusalCode::BadSignature, e.to_string()))?;
    // Only the sender of the very message learns that it arrived (a retry after a lost
    // answer); the receipt names the manifest, so it must be the same one. Another manifest
    // under an id this sender used already is refused: one id, one message. (Messages filed
    // before the key named the sender are found under `<recipient>/<id>`.)
    let legacy = format!("{recipient}/{}", manifest.message_id.to_hex());
    for k in [&key, &legacy] {
        let Ok(Some(receipt)) = net.records.received.get::<SignedReceipt>(k) else {
            continue;
        };
        let same = wire::proto::decode::<wire::Receipt>(&receipt.receipt)
            .is_ok_and(|r| r.manifest_hash == signed.hash());
        if same {
            return Err(DataReply::Delivered(receipt));
        }
        if *k == key {
            return Err(refuse(
                RefusalCode::BadRequest,
                "this sender used this message id for another message",
            ));
        }
    }
    wire::check_token_for(
        &manifest,
        &recipient,
        hosted.client.ca(),
        hosted.client.now(),
    )
    .map_err(|e| refuse(RefusalCode::BadSignature, e.to_string()))?;
    Ok(Checked {
        hosted,
        manifest,
        sender_cert: located.cert,
        key,
    })
}

/// Unseals into a staged message and files it; nothing reaches INBOX unless the whole
/// message decrypted and its signature verified.
pub(super) async fn file(
    net: &Network,
    hosted: &Arc<Hosted>,
    (signed, manifest): (&SignedManifest, &Manifest),
    sender_cert: &wire::Cert,
    dir: &std::path::Path,
    key: &str,
    mon: &JobHandle,
) -> Result<SignedReceipt, DataReply> {
    let (store, m, k, c, d) = (
        net.store.clone(),
        manifest.clone(),
        hosted.key.clone(),
        sender_cert.clone(),
        dir.to_path_buf(),
    );
    let staged = mailbox::blocking::run(move || {
        let count = m.chunk_hashes.len() as u32;
        unsealing::unseal_into(&store, &m, &k, &c, spool::chunks(&d, count))
    })
    .await
    .map_err(|e| refuse(RefusalCode::TryLater, e.to_string()))?;
    file_staged(net, hosted, (signed, manifest), dir, key, staged, mon).await
}

/// Files an unsealed message into INBOX exactly once and signs the receipt for it. A message
/// that did not unseal is refused, and its chunks are not taken again from the spool.
async fn file_staged(
    net: &Network,
    hosted: &Arc<Hosted>,
    (signed, manifest): (&SignedManifest, &Manifest),
    dir: &std::path::Path,
    key: &str,
    staged: Result<StagedMessage, UnsealFailure>,
    mon: &JobHandle,
) -> Result<SignedReceipt, DataReply> {
    if let Err(failure) = &staged {
        watch::unseal_failed(mon, failure);
    }
    let staged = match staged {
        Ok(staged) => staged,
        Err(UnsealFailure::Message(why)) => {
            spool::remove(dir);
            return Err(refuse(RefusalCode::BadSignature, why.to_string()));
        }
        // The chunks stay in the spool: the sender's retry finds them there.
        Err(UnsealFailure::Local(why)) => return Err(refuse(RefusalCode::TryLater, why)),
        // Signed, but passed off as another's: refused like a bad signature, for good.
        Err(UnsealFailure::ForgedFrom) => {
            spool::remove(dir);
            return Err(refuse(
                RefusalCode::BadSignature,
                UnsealFailure::ForgedFrom.to_string(),
            ));
        }
    };
    let subject = staged.envelope.subject.clone();
    let filed = file_unsealed(net, hosted, (signed, manifest), dir, key, staged).await;
    match &filed {
        Ok(_) => watch::filed(mon, subject.as_deref()),
        Err(DataReply::Refused(r)) => mon.fail(watch::local(&r.detail), None),
        Err(_) => mon.fail(watch::local(""), None),
    }
    filed
}

/// Files an unsealed message and signs its receipt.
async fn file_unsealed(
    net: &Network,
    hosted: &Arc<Hosted>,
    (signed, manifest): (&SignedManifest, &Manifest),
    dir: &std::path::Path,
    key: &str,
    staged: StagedMessage,
) -> Result<SignedReceipt, DataReply> {
    let store = net.store.clone();
    let account = store
        .account(&hosted.address)
        .ok()
        .flatten()
        .ok_or_else(|| refuse(RefusalCode::UnknownAccount, "account removed"))?;
    let journal = format!("in:{key}");
    let keyword = mailbox::type_keyword(&manifest.message_type);
    let now = hosted.client.now();
    let (rules, sender) = (net.config.rules.clone(), manifest.sender.clone());
    mailbox::blocking::run(move || {
        let flags: Vec<&str> = keyword.iter().map(String::as_str).collect();
        let arrival = crate::filing::Arrival {
            account: account.id,
            address: &account.address,
            from: &sender,
            flags: &flags,
            job: Some(&journal),
            date: Some(now),
        };
        crate::filing::file_for(&store, rules.as_deref(), &staged, &arrival)
    })
    .await
    .map_err(|e| refuse(RefusalCode::TryLater, e.to_string()))?
    // Filing failed on our side (the store); the message is fine and its chunks stay.
    .map_err(|e| refuse(RefusalCode::TryLater, e.to_string()))?;
    let receipt = wire::sign_receipt(
        &hosted.key,
        manifest.message_id,
        signed,
        hosted.client.now(),
    )
    .map_err(|e| refuse(RefusalCode::TryLater, e.to_string()))?;
    net.records
        .received
        .put(key, &receipt)
        .map_err(|e| refuse(RefusalCode::TryLater, e.to_string()))?;
    spool::remove(dir);
    tracing::info!(to = hosted.address, from = manifest.sender, message_id = %manifest.message_id.to_hex(), "message received");
    Ok(receipt)
}
