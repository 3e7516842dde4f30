//! Durable delivery jobs: one per (message, remote recipient). A job is sealed once, then
//! offered to the recipient's node until a receipt that verifies comes back; every step is
//! recorded before the next, so a node killed at any moment carries on where it was.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use relay_client::{ClientError, backoff};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use wire::proto::{DataFrame, DataReply, RefusalCode};
use wire::{MessageId, SealOptions, SignedManifest, SignedReceipt, Token};

use overlay::DataStream;

use super::delivery_watch as watch;
use super::progress::{self, Phase};
use super::{Network, spool};
use monitor_api::{Link, Place, Stage, StageState};

/// Transfers running at once; more jobs wait for a slot.
const PARALLEL: usize = 8;
/// A worker looks at the queue at least this often, even without a wake-up.
const IDLE_LOOK: Duration = Duration::from_secs(30);

/// The message a client submitted, as the queue needs it.
pub struct Submission<'a> {
    pub sender: &'a str,
    pub account: u64,
    pub folder: u64,
    pub uid: u32,
    pub size: u64,
    pub message_type: String,
    pub recipients: &'a [String],
    /// The message id, when a resumable job submits (the same id each time, so the
    /// recipient files it once); random otherwise.
    pub message_id: Option<MessageId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Job {
    sender: String,
    account: u64,
    /// The Sent copy the job seals from, and marks `$Delivered`.
    folder: u64,
    uid: u32,
    recipient: String,
    message_id: MessageId,
    size: u64,
    message_type: String,
    attempts: u32,
    /// Milliseconds since the epoch; not before this.
    next_at: i64,
}

/// A receipt as the sender keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredReceipt {
    pub message_id: String,
    pub recipient: String,
    /// Milliseconds since the epoch, as the recipient signed it.
    pub received_at: i64,
    pub receipt: SignedReceipt,
}

fn job_key(id: &MessageId, recipient: &str) -> String {
    format!("{}/{}", id.to_hex(), recipient)
}

pub(super) fn queue(jobs: &mailbox::Records, s: Submission<'_>) -> mailbox::Result<()> {
    let message_id = s.message_id.unwrap_or_else(MessageId::random);
    for r in s.recipients {
        let job = Job {
            sender: s.sender.to_string(),
            account: s.account,
            folder: s.folder,
            uid: s.uid,
            recipient: r.clone(),
            message_id,
            size: s.size,
            message_type: s.message_type.clone(),
            attempts: 0,
            next_at: 0,
        };
        jobs.put(&job_key(&message_id, r), &job)?;
    }
    tracing::info!(message_id = %message_id.to_hex(), from = s.sender, recipients = s.recipients.len(), "delivery queued");
    Ok(())
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

/// Why one attempt did not finish the job.
pub(super) enum Failure {
    /// Try again later.
    Retry(String),
    /// Every chunk is stored on the recipient's node or its servers: the receipt comes when
    /// the node collects; until then the node is tried now and then.
    HandedOff,
    /// Trying again cannot help: the job is dropped.
    Permanent(String),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        match &e {
            ClientError::Refused(r)
                if matches!(
                    r.code,
                    RefusalCode::NotPartners
                        | RefusalCode::UnknownAccount
                        | RefusalCode::BadRequest
                ) =>
            {
                Failure::Permanent(e.to_string())
            }
            _ => Failure::Retry(e.to_string()),
        }
    }
}

/// A protocol detail for the peer's log.
fn detail(s: &str) -> String {
    s.to_string()
}

fn retry<E: std::fmt::Display>(e: E) -> Failure {
    Failure::Retry(e.to_string())
}

/// The queue worker: starts every due job, sleeps until the next is due or new work comes.
pub(super) async fn run(net: Arc<Network>) {
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let slots = Arc::new(Semaphore::new(PARALLEL));
    loop {
        let now = Utc::now().timestamp_millis();
        let mut wait = IDLE_LOOK;
        let keys = match net.records.jobs.keys("") {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(error = %e, "delivery queue unreadable");
                Vec::new()
            }
        };
        for key in keys {
            if running.lock().expect("running set").contains(&key) {
                continue;
            }
            let Ok(Some(job)) = net.records.jobs.get::<Job>(&key) else {
                continue;
            };
            if job.next_at > now {
                wait = wait.min(Duration::from_millis((job.next_at - now) as u64));
                let who = (
                    job.sender.as_str(),
                    job.recipient.as_str(),
                    job.message_type.as_str(),
                );
                watch::waiting_in_queue(&net, &key, who, job.size, job.next_at);
                continue;
            }
            running.lock().expect("running set").insert(key.clone());
            let (net, running, slots) = (net.clone(), running.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire().await;
                attempt(&net, &key, job).await;
                running.lock().expect("running set").remove(&key);
                net.wake.notify_one();
            });
        }
        tokio::select! {
            _ = net.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn attempt(net: &Network, key: &str, mut job: Job) {
    let dir = net.spool.dir("out", key);
    let view = progress::Views {
        board: net.progress.job(key, &job.recipient, job.size),
        job: watch::start(
            net,
            key,
            &job.sender,
            &job.recipient,
            &job.message_type,
            job.size,
        ),
    };
    view.job.attempts(job.attempts + 1);
    watch::subject(net, &view.job, job.folder, job.uid);
    progress::update(&view.board, |p| p.attempts = job.attempts + 1);
    let outcome = deliver(net, key, &mut job, &dir, &view).await;
    let wait = backoff(job.attempts, net.config.retry_min, net.config.retry_max);
    watch::outcome(&view.job, &outcome, &job.recipient, wait);
    progress::update(&view.board, |p| {
        p.phase = match &outcome {
            Ok(()) => Phase::Delivered,
            Err(Failure::HandedOff) => Phase::HandedOff,
            Err(Failure::Permanent(_)) => Phase::Dropped,
            Err(Failure::Retry(_)) => Phase::Queued,
        }
    });
    match outcome {
        Ok(()) => {}
        Err(Failure::Permanent(why)) => {
            tracing::warn!(
                job = key,
                from = job.sender,
                to = job.recipient,
                reason = why,
                "delivery refused for good; job dropped"
            );
            let _ = net.records.jobs.remove(key);
            spool::remove(&dir);
        }
        Err(Failure::HandedOff) => {
            job.next_at = Utc::now().timestamp_millis() + net.config.retry_max.as_millis() as i64;
            tracing::info!(
                job = key,
                to = job.recipient,
                "handed off to the recipient's servers; waiting for the receipt"
            );
            if let Err(e) = net.records.jobs.put(key, &job) {
                tracing::error!(job = key, error = %e, "delivery job not updated");
            }
        }
        Err(Failure::Retry(why)) => {
            job.attempts += 1;
            let wait = backoff(job.attempts - 1, net.config.retry_min, net.config.retry_max);
            job.next_at = Utc::now().timestamp_millis() + wait.as_millis() as i64;
            tracing::info!(
                job = key,
                to = job.recipient,
                attempt = job.attempts,
                retry_in_s = wait.as_secs(),
                reason = why,
                "delivery attempt failed"
            );
            if let Err(e) = net.records.jobs.put(key, &job) {
                tracing::error!(job = key, error = %e, "delivery job not updated");
            }
        }
    }
}

async fn deliver(
    net: &Network,
    key: &str,
    job: &mut Job,
    dir: &Path,
    view: &progress::Views,
) -> Result<(), Failure> {
    let hosted = net
        .hosted(&job.sender)
        .ok_or_else(|| Failure::Permanent("sender is not hosted here".into()))?;
    let client = &hosted.client;
    let located = client.lookup(&job.sender, &job.recipient).await?;

    // The manifest is written after the last chunk, so its presence means a whole sealing.
    if spool::read_manifest(dir).map_err(retry)?.is_none() {
        view.job.begin(Stage::Authorization, 0);
        let token = client
            .authorize(
                &job.sender,
                vec![job.recipient.clone()],
                job.message_id,
                job.size,
            )
            .await?;
        let meta = net
            .store
            .message_meta(job.folder, job.uid)
            .map_err(retry)?
            .ok_or_else(|| Failure::Permanent("the Sent copy is gone".into()))?;
        // Reading and decrypting the stored copy runs on a core of its own beside sealing.
        let body = net.store.open_body(&meta).map_err(retry)?;
        let body = crate::pipe::ReadAhead::new(body).map_err(retry)?;
        let options = SealOptions {
            message_type: job.message_type.clone(),
            message_id: Some(job.message_id),
            created: Some(client.now()),
            authorization: Some(Token::encode_signed(&token)),
            ..SealOptions::default()
        };
        let (sender_key, cert, out) = (hosted.key.clone(), located.cert.clone(), dir.to_path_buf());
        progress::update(&view.board, |p| p.phase = Phase::Sealing);
        view.job.begin(Stage::Sealing, job.size);
        let seal_view = view.clone();
        let sealed = tokio::task::spawn_blocking(move || {
            let mut behind = spool::SyncBehind::new(&out)?;
            let sink = |i: u32, data: &[u8], _h: &wire::ChunkHash| {
                behind.put_chunk(i, data)?;
                progress::update(&seal_view.board, |p| p.sealed += data.len() as u64);
                seal_view.job.advance(data.len() as u64);
                Ok(())
            };
            let sealed = wire::seal(body, &sender_key, &[cert], &options, sink)?;
            behind.finish()?;
            spool::put_manifest(&out, &sealed.signed)?;
            Ok::<_, wire::WireError>(sealed)
        })
        .await
        .map_err(retry)?
        .map_err(retry)?;
        tracing::debug!(
            job = key,
            chunks = sealed.manifest.chunk_hashes.len(),
            size = sealed.manifest.total_size,
            "message sealed"
        );
    }
    let signed = spool::read_manifest(dir)
        .map_err(retry)?
        .ok_or_else(|| retry("manifest missing"))?;
    // Sealed here and read back from our own spool: its signature is ours.
    let (count, total) = signed
        .unverified()
        .map(|m| (m.chunk_hashes.len() as u32, m.total_size))
        .map_err(retry)?;
    let mut placed = net
        .records
        .placed
        .get::<Placed>(key)
        .or_else(|e| match e {
            // A record of an older layout: start the bookkeeping afresh. The receivers still
            // say what they hold, so nothing is sent twice; only the byte counts restart.
            mailbox::Error::Encoding(e) => {
                tracing::warn!(job = key, error = %e, "placement record unreadable; starting it over");
                Ok(None)
            }
            other => Err(other),
        })
        .map_err(retry)?
        .unwrap_or_else(|| Placed::new(count));
    watch::sealed(
        &view.job,
        &signed,
        |i| placed.has(i),
        placed.server_chunks > 0,
    );
    progress::update(&view.board, |p| {
        p.phase = Phase::Direct;
        p.sealed = total;
        p.chunks = count;
        p.stored = placed.stored();
    });

    let before = placed.stored();
    let mut direct = direct(net, job, &located, &signed, dir, &mut placed, view).await;
    if matches!(direct, Err(Failure::Retry(_))) && placed.stored() > before && !placed.all() {
        // The connection broke mid-way: a blip is resumed on a new stream at once, at the
        // addresses the directory has now (a node that restarted listens elsewhere).
        let fresh = client.lookup(&job.sender, &job.recipient).await;
        let again = fresh.as_ref().unwrap_or(&located);
        direct = self::direct(net, job, again, &signed, dir, &mut placed, view).await;
    }
    let why = match direct {
        Ok(receipt) => {
            net.records.placed.put(key, &placed).map_err(retry)?;
            complete(net, key, job, &signed, receipt, &located.cert)?;
            spool::remove(dir);
            return Ok(());
        }
        Err(Failure::Retry(why)) => why,
        Err(other) => return Err(other),
    };
    view.job.end_active(StageState::Failed);
    tracing::debug!(
        job = key,
        reason = why,
        "recipient's node not reached; trying its servers"
    );
    if !placed.all() {
        progress::update(&view.board, |p| p.phase = Phase::ToServers);
        let deposit = Deposit {
            key,
            sender: &job.sender,
            located: &located,
            signed: &signed,
            dir,
        };
        to_servers(net, &deposit, &mut placed, view).await;
    }
    net.records.placed.put(key, &placed).map_err(retry)?;
    if placed.all() {
        Err(Failure::HandedOff)
    } else {
        Err(Failure::Retry(why))
    }
}

/// Which chunks of a job are stored somewhere (the recipient's node or a service server),
/// as far as acknowledgements told: a bit per chunk.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Placed {
    count: u32,
    bits: Vec<u8>,
    /// Chunk bytes written to streams over all attempts: beyond the sealed size, this is
    /// what breaks cost.
    sent: u64,
    /// Chunks acknowledged by the recipient's node and by its servers: how the message went.
    node_chunks: u32,
    server_chunks: u32,
    /// Some of it went over a hole-punched connection.
    punched: bool,
}

impl Placed {
    fn new(count: u32) -> Self {
        Placed {
            count,
            bits: vec![0; (count as usize).div_ceil(8)],
            sent: 0,
            node_chunks: 0,
            server_chunks: 0,
            punched: false,
        }
    }

    /// The way the message travelled, for the delivery log: `direct` (a plain dial),
    /// `hole-punched`, `servers`, or a direct way plus `+servers`.
    fn path(&self) -> &'static str {
        let way = if self.punched {
            "hole-punched"
        } else {
            "direct"
        };
        match (self.node_chunks > 0, self.server_chunks > 0) {
            (_, false) => way,
            (false, true) => "servers",
            (true, true) if self.punched => "hole-punched+servers",
            (true, true) => "direct+servers",
        }
    }

    fn stored(&self) -> u32 {
        (0..self.count).filter(|&i| self.has(i)).count() as u32
    }

    fn set(&mut self, i: u32) {
        if i < self.count {
            self.bits[i as usize / 8] |= 1 << (i % 8);
        }
    }

    fn has(&self, i: u32) -> bool {
        i < self.count && self.bits[i as usize / 8] & (1 << (i % 8)) != 0
    }

    fn all(&self) -> bool {
        (0..self.count).all(|i| self.has(i))
    }
}

/// Sends chunks `indices` from `dir`, each acknowledged (`Got`) before the next goes, while
/// the next is read from disk. One chunk in flight at a time is what makes a cut at any byte
/// cost at most that chunk: everything before it is acknowledged, hence known to be stored,
/// whichever place the rest then goes to. Returns a reply other than `Got` that came
/// instead (a refusal); `None` once every chunk is acknowledged.
async fn push_chunks(
    stream: &mut DataStream,
    dir: &Path,
    indices: &[u32],
    placed: &mut Placed,
    view: &progress::Views,
    place: Place,
) -> Result<Option<DataReply>, Failure> {
    let read = |i: u32| {
        let d = dir.to_path_buf();
        tokio::task::spawn_blocking(move || spool::read_chunk(&d, i))
    };
    let Some(&first) = indices.first() else {
        return Ok(None);
    };
    let mut data = read(first).await.map_err(retry)?.map_err(retry)?;
    for (pos, &i) in indices.iter().enumerate() {
        let len = data.len() as u64;
        stream
            .send(&DataFrame::Chunk { index: i, data })
            .await
            .map_err(retry)?;
        placed.sent += len;
        let next = indices.get(pos + 1).map(|&j| read(j));
        match stream.recv::<DataReply>().await.map_err(retry)? {
            Some(DataReply::Got(g)) => {
                placed.set(g);
                let stored = placed.stored();
                progress::update(&view.board, |p| p.stored = stored);
                view.job.place(g, place);
                view.job.advance(len);
                view.job.progress_add(len);
            }
            Some(other) => return Ok(Some(other)),
            None => return Err(retry("receiver closed the stream")),
        }
        data = match next {
            Some(n) => n.await.map_err(retry)?.map_err(retry)?,
            None => Vec::new(),
        };
    }
    Ok(None)
}

/// The message's authorization and the sender's directory record, which show the recipient's
/// node that this node is sending it mail.
fn vouch(net: &Network, signed: &SignedManifest) -> Option<wire::punch::Vouch> {
    let manifest = signed.unverified().ok()?;
    let token = wire::Token::decode_signed(manifest.authorization.as_deref()?).ok()?;
    Some(wire::punch::Vouch {
        token,
        sender_record: net.own_record(&manifest.sender)?,
    })
}

/// One attempt straight to the recipient's node; the receipt when it took the message.
async fn direct(
    net: &Network,
    job: &Job,
    located: &relay_client::Located,
    signed: &SignedManifest,
    dir: &Path,
    placed: &mut Placed,
    view: &progress::Views,
) -> Result<SignedReceipt, Failure> {
    let peer = net
        .record_node(&located.record)
        .await
        .ok_or_else(|| Failure::Permanent("directory names no valid node".into()))?;
    if let Some(vouch) = vouch(net, signed) {
        // Shown if the data stream waits for a port prediction punch: the recipient's node
        // joins one only for a node it should expect mail from.
        net.overlay.vouch_for(peer, vouch).await;
    }
    let mut stream = net.overlay.open_data(peer).await.map_err(retry)?;
    placed.punched |= stream.hole_punched();
    let (link, stage) = match stream.hole_punched() {
        true => (Link::HolePunched, Stage::UploadHolePunched),
        false => (Link::Direct, Stage::UploadDirect),
    };
    view.job.link(link);
    stream
        .send(&DataFrame::Offer(signed.clone()))
        .await
        .map_err(retry)?;
    let mut reply = stream.recv::<DataReply>().await.map_err(retry)?;
    if let Some(DataReply::Need(indices)) = &reply {
        // What the node does not ask for, it has.
        for i in 0..placed.count {
            if indices.binary_search(&i).is_err() {
                placed.set(i);
            }
        }
        view.job
            .place_where(Place::Peer, |i| indices.binary_search(&i).is_err());
        view.job.begin(stage, watch::bytes_of(signed, indices));
        let before = placed.stored();
        let early = push_chunks(&mut stream, dir, indices, placed, view, Place::Peer).await;
        placed.node_chunks += placed.stored() - before;
        reply = match early? {
            Some(r) => Some(r),
            None => stream.recv::<DataReply>().await.map_err(retry)?,
        };
    }
    let _ = stream.close().await;
    match reply {
        Some(DataReply::Delivered(receipt)) => Ok(receipt),
        Some(DataReply::Refused(r)) => {
            let why = format!("{:?}: {}", r.code, r.detail);
            match r.code {
                RefusalCode::TryLater => Err(Failure::Retry(why)),
                _ => Err(Failure::Permanent(why)),
            }
        }
        Some(_) => Err(retry("receiver answered out of turn")),
        None => Err(retry("receiver closed the stream")),
    }
    .inspect(|_| tracing::debug!(job = job.recipient, "delivered directly"))
}

/// What goes to the recipient's servers: the job's sealed message and whom it is between.
struct Deposit<'a> {
    key: &'a str,
    sender: &'a str,
    located: &'a relay_client::Located,
    signed: &'a SignedManifest,
    dir: &'a Path,
}

/// Puts the chunks not yet stored anywhere on the recipient's backup servers, in their
/// order: what one server cannot take (down, full, cut off mid-way) goes to the next.
async fn to_servers(net: &Network, d: &Deposit<'_>, placed: &mut Placed, view: &progress::Views) {
    let Deposit {
        key,
        sender,
        located,
        signed,
        dir,
    } = *d;
    let Some(sender_record) = net.own_record(sender) else {
        tracing::warn!(
            job = key,
            "no directory record of the sender; cannot use servers"
        );
        return;
    };
    let servers = relay_client::parse_servers(&located.record.backups).unwrap_or_default();
    view.job
        .servers(servers.iter().map(|(p, _)| p.to_string()).collect());
    for (n, (server, addrs)) in servers.into_iter().enumerate() {
        if placed.all() {
            break;
        }
        let n = u8::try_from(n).unwrap_or(u8::MAX);
        net.overlay.add_peer_addrs(server, addrs).await;
        let deposit = DataFrame::Deposit {
            manifest: signed.clone(),
            sender_record: sender_record.clone(),
            recipient_record: located.signed.clone(),
        };
        let stage = Stage::UploadToServer(n);
        match to_server(net, server, deposit, dir, placed, (view, n, signed)).await {
            Ok(()) => {
                view.job.end(stage, StageState::Done);
                tracing::info!(job = key, %server, "parts held by the recipient's server")
            }
            Err(Failure::Retry(why) | Failure::Permanent(why)) => {
                view.job.end(stage, StageState::Failed);
                tracing::info!(job = key, %server, reason = why, "recipient's server did not take every part")
            }
            Err(Failure::HandedOff) => {}
        }
        if let Err(e) = net.records.placed.put(key, &*placed) {
            tracing::warn!(job = key, error = %e, "placement not recorded");
        }
    }
}

async fn to_server(
    net: &Network,
    server: overlay::PeerId,
    deposit: DataFrame,
    dir: &Path,
    placed: &mut Placed,
    (view, n, signed): (&progress::Views, u8, &SignedManifest),
) -> Result<(), Failure> {
    let mut stream = net.overlay.open_data(server).await.map_err(retry)?;
    stream.send(&deposit).await.map_err(retry)?;
    let lacks = match stream.recv::<DataReply>().await.map_err(retry)? {
        Some(DataReply::Need(lacks)) => lacks,
        Some(DataReply::Refused(r)) => return Err(retry(format!("{:?}: {}", r.code, r.detail))),
        _ => return Err(retry("server answered out of turn")),
    };
    for i in 0..placed.count {
        if lacks.binary_search(&i).is_err() {
            placed.set(i);
        }
    }
    // What the server holds already counts as stored there.
    view.job
        .place_where(Place::Server(n), |i| lacks.binary_search(&i).is_err());
    let send: Vec<u32> = lacks.into_iter().filter(|&i| !placed.has(i)).collect();
    view.job
        .begin(Stage::UploadToServer(n), watch::bytes_of(signed, &send));
    let before = placed.stored();
    let early = push_chunks(&mut stream, dir, &send, placed, view, Place::Server(n)).await;
    placed.server_chunks += placed.stored() - before;
    let early = early?;
    let _ = stream.close().await;
    match early {
        None => Ok(()),
        Some(DataReply::Refused(r)) => Err(retry(format!("{:?}: {}", r.code, r.detail))),
        Some(_) => Err(retry("server answered out of turn")),
    }
}

/// Checks the receipt, keeps it, ends the job, and marks the Sent copy `$Delivered` once
/// every recipient of the message has a receipt.
fn complete(
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
        Failure::HandedOff => String::new(),
    })?;
    spool::remove(&dir);
    Ok(())
}
