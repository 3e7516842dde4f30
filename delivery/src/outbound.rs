//! Durable delivery jobs: one per (message, remote recipient). A job is sealed once, then
//! offered to the recipient's node until a receipt that verifies comes back; every step is
//! recorded before the next, so a node killed at any moment carries on where it was. This is
//! the queue worker and the driver of each attempt: what to do next is decided in
//! `delivery.rs`, chunks move in `transfer.rs`, receipts are kept in `sent_receipts.rs`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relay_client::ClientError;
use tokio::sync::Semaphore;
use wire::proto::RefusalCode;
use wire::{MessageId, SealOptions, SignedManifest, SignedReceipt, Token};

use super::delivery_watch as watch;
use super::job::{
    self, Action, Attempt, Backoff, Event, Failure, Job, Outcome, Settle, job_key, retry,
};
use super::progress::{self, Phase};
use super::sent_receipts::complete;
use super::transfer::{Deposit, Placed, direct, to_servers};
use super::{Network, spool};
use monitor_api::{Stage, StageState};

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

/// The queue worker: starts every due job, sleeps until the next is due or new work comes.
pub(super) async fn run(net: Arc<Network>) {
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let slots = Arc::new(Semaphore::new(PARALLEL));
    loop {
        let now = net.clock.now_ms();
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
            if let Some(until) = job::until_due(&job, now) {
                wait = wait.min(until);
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
    let outcome = deliver(net, key, &job, &dir, &view).await;
    let backoff = Backoff {
        min: net.config.retry_min,
        max: net.config.retry_max,
    };
    let wait = job::retry_wait(job.attempts, backoff);
    watch::outcome(&view.job, &outcome, &job.recipient, wait);
    progress::update(&view.board, |p| {
        p.phase = match &outcome {
            Outcome::Delivered => Phase::Delivered,
            Outcome::HandedOff => Phase::HandedOff,
            Outcome::Dropped(_) => Phase::Dropped,
            Outcome::Retry(_) => Phase::Queued,
        }
    });
    match &outcome {
        Outcome::Delivered => {}
        Outcome::Dropped(why) => tracing::warn!(
            job = key,
            from = job.sender,
            to = job.recipient,
            reason = why,
            "delivery refused for good; job dropped"
        ),
        Outcome::HandedOff => tracing::info!(
            job = key,
            to = job.recipient,
            "handed off to the recipient's servers; waiting for the receipt"
        ),
        Outcome::Retry(why) => tracing::info!(
            job = key,
            to = job.recipient,
            attempt = job.attempts + 1,
            retry_in_s = wait.as_secs(),
            reason = why,
            "delivery attempt failed"
        ),
    }
    match job::settle(&mut job, &outcome, net.clock.now_ms(), backoff) {
        Settle::Delivered => spool::remove(&dir),
        Settle::Remove => {
            if let Err(e) = net.records.jobs.remove(key) {
                tracing::error!(job = key, error = %e, "delivery job not removed");
            }
            if let Err(e) = net.records.placed.remove(key) {
                tracing::warn!(job = key, error = %e, "placement record not removed");
            }
            spool::remove(&dir);
        }
        Settle::Keep => {
            if let Err(e) = net.records.jobs.put(key, &job) {
                tracing::error!(job = key, error = %e, "delivery job not updated");
            }
        }
    }
}

/// What an attempt learnt so far: where the recipient is, and the sealed message with the
/// record of which of its chunks are stored somewhere (once sealed).
struct Run {
    located: relay_client::Located,
    /// The spool's manifest as the attempt found it at its start, until it is loaded.
    manifest: Option<SignedManifest>,
    sealed: Option<(SignedManifest, Placed)>,
    receipt: Option<SignedReceipt>,
}

/// One attempt: the steps [`job::Attempt`] asks for, each reported back to it.
async fn deliver(
    net: &Network,
    key: &str,
    job: &Job,
    dir: &Path,
    view: &progress::Views,
) -> Outcome {
    let begin = async {
        let hosted = net
            .hosted(&job.sender)
            .ok_or_else(|| Failure::Permanent("sender is not hosted here".into()))?;
        let located = hosted.client.lookup(&job.sender, &job.recipient).await?;
        // The manifest is written after the last chunk, so its presence means a whole sealing.
        let manifest = spool::read_manifest(dir).map_err(retry)?;
        Ok::<_, Failure>((hosted, located, manifest))
    };
    let (hosted, located, manifest) = match begin.await {
        Ok(b) => b,
        Err(f) => return job::failed(f),
    };
    let (mut attempt, mut action) = Attempt::start(manifest.is_some());
    let mut run = Run {
        located,
        manifest,
        sealed: None,
        receipt: None,
    };
    loop {
        let event = match action {
            Action::Seal => match seal(net, key, job, dir, view, &hosted, &run.located).await {
                Ok(()) => Event::Sealed,
                Err(f) => Event::Failed(f),
            },
            Action::OfferDirect | Action::OfferDirectAgain => {
                if action == Action::OfferDirectAgain {
                    // The connection broke mid-way: a blip is resumed on a new stream at once,
                    // at the addresses the directory has now (a node that restarted listens
                    // elsewhere).
                    if let Ok(fresh) = hosted.client.lookup(&job.sender, &job.recipient).await {
                        run.located = fresh;
                    }
                }
                match offer(net, key, job, dir, view, &mut run).await {
                    Ok(event) => event,
                    Err(f) => Event::Failed(f),
                }
            }
            Action::DepositOnServers => {
                let Some((signed, placed)) = run.sealed.as_mut() else {
                    return job::failed(retry("not sealed"));
                };
                view.job.end_active(StageState::Failed);
                tracing::debug!(
                    job = key,
                    "recipient's node not reached; trying its servers"
                );
                progress::update(&view.board, |p| p.phase = Phase::ToServers);
                let deposit = Deposit {
                    key,
                    sender: &job.sender,
                    located: &run.located,
                    signed,
                    dir,
                };
                to_servers(net, &deposit, placed, view).await;
                Event::Deposited {
                    all_placed: placed.all(),
                }
            }
            Action::CheckReceipt => {
                let (Some((signed, placed)), Some(receipt)) = (&run.sealed, run.receipt.take())
                else {
                    return job::failed(retry("no receipt"));
                };
                let checked = net
                    .records
                    .placed
                    .put(key, placed)
                    .map_err(retry)
                    .and_then(|()| complete(net, key, job, signed, receipt, &run.located.cert));
                Event::ReceiptChecked(checked.map_err(|f| match f {
                    Failure::Retry(why) | Failure::Permanent(why) => why,
                }))
            }
            Action::Finish(outcome) => {
                // What is stored where counts for the next attempt; a job that ends keeps
                // no record of it.
                let goes_on = matches!(outcome, Outcome::HandedOff | Outcome::Retry(_));
                if goes_on
                    && let Some((_, placed)) = &run.sealed
                    && let Err(e) = net.records.placed.put(key, placed)
                {
                    tracing::warn!(job = key, error = %e, "placement not recorded");
                }
                return outcome;
            }
        };
        action = attempt.on(event);
    }
}

/// Authorizes the message and seals the Sent copy into the job's spool, chunk by chunk.
async fn seal(
    net: &Network,
    key: &str,
    job: &Job,
    dir: &Path,
    view: &progress::Views,
    hosted: &super::Hosted,
    located: &relay_client::Located,
) -> Result<(), Failure> {
    let client = &hosted.client;
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
        created: Some(net.clock.now()),
        authorization: Some(Token::encode_signed(&token)),
        ..SealOptions::default()
    };
    let (sender_key, cert, out) = (hosted.key.clone(), located.cert.clone(), dir.to_path_buf());
    progress::update(&view.board, |p| p.phase = Phase::Sealing);
    view.job.begin(Stage::Sealing, job.size);
    let seal_view = view.clone();
    let sealed = mailbox::blocking::run(move || {
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
    Ok(())
}

/// The sealed message from the spool, and which of its chunks are stored somewhere.
/// `manifest`: the spool's, when the attempt read it already.
fn load_sealed(
    net: &Network,
    key: &str,
    dir: &Path,
    view: &progress::Views,
    manifest: Option<SignedManifest>,
) -> Result<(SignedManifest, Placed), Failure> {
    let signed = match manifest {
        Some(m) => m,
        None => spool::read_manifest(dir)
            .map_err(retry)?
            .ok_or_else(|| retry("manifest missing"))?,
    };
    // Sealed here and read back from our own spool: its signature is ours.
    let (count, total) = signed
        .unverified()
        .map(|m| (m.chunk_hashes.len() as u32, m.total_size))
        .map_err(retry)?;
    let placed = net
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
    Ok((signed, placed))
}

/// One offer straight to the recipient's node, as the event it ends in.
async fn offer(
    net: &Network,
    key: &str,
    job: &Job,
    dir: &Path,
    view: &progress::Views,
    run: &mut Run,
) -> Result<Event, Failure> {
    if run.sealed.is_none() {
        let manifest = run.manifest.take();
        run.sealed = Some(load_sealed(net, key, dir, view, manifest)?);
    }
    let Some((signed, placed)) = run.sealed.as_mut() else {
        return Err(retry("not sealed"));
    };
    let before = placed.stored();
    let result = direct(net, job, &run.located, signed, dir, placed, view).await;
    let (progressed, all_placed) = (placed.stored() > before, placed.all());
    let result = result.map(|receipt| run.receipt = Some(receipt));
    Ok(Event::Direct {
        result,
        progressed,
        all_placed,
    })
}
