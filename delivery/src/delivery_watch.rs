//! What a delivery job shows monitors: the outbound code paths call these at their steps, so
//! that the steps themselves stay readable.

use std::time::Duration;

use monitor_api::{Activity, Direction, Place, Stage, UserText, error_ids};
use wire::SignedManifest;

use super::Network;
use super::job::Outcome;
use jobs::{JobHandle, JobSpec};

/// The delivery job `key` (`<message id>/<recipient>`), another attempt when it is listed.
pub(super) fn start(
    net: &Network,
    key: &str,
    sender: &str,
    recipient: &str,
    message_type: &str,
    size: u64,
) -> JobHandle {
    net.jobs.start(JobSpec {
        id: key,
        account: sender,
        activity: Activity::Delivery,
        direction: Direction::Up,
        message_type,
        peer: Some(recipient),
        size,
    })
}

/// A job in the durable queue that this process has not worked on yet (the node restarted
/// while it waited for its next attempt, at `next_at` milliseconds): listed as retrying, so
/// that monitors see every delivery still open.
pub(super) fn waiting_in_queue(
    net: &Network,
    key: &str,
    (sender, recipient, message_type): (&str, &str, &str),
    size: u64,
    next_at: i64,
) {
    if net.jobs.get(key).is_some() {
        return;
    }
    let job = start(net, key, sender, recipient, message_type, size);
    job.retrying(next_at / 1000);
}

/// The subject of the Sent copy the job seals from: the local copy, never the network's.
pub(super) fn subject(net: &Network, job: &JobHandle, folder: u64, uid: u32) {
    if job.has_subject() {
        return;
    }
    if let Ok(Some(meta)) = net.store.message_meta(folder, uid)
        && let Some(subject) = &meta.envelope.subject
    {
        job.subject(subject);
    }
}

/// Sealed bytes of chunks `indices`.
pub(super) fn bytes_of(signed: &SignedManifest, indices: &[u32]) -> u64 {
    let Ok(m) = signed.unverified() else {
        return 0;
    };
    indices
        .iter()
        .filter_map(|&i| m.chunk_len(i))
        .map(|n| n as u64)
        .sum()
}

/// The message is sealed: its chunks are in the spool, those `stored` says are stored
/// already (an earlier attempt) at the peer's node or, `via_servers`, at a server.
pub(super) fn sealed(
    job: &JobHandle,
    signed: &SignedManifest,
    stored: impl Fn(u32) -> bool,
    via_servers: bool,
) {
    let Ok(m) = signed.unverified() else {
        return;
    };
    let count = m.chunk_hashes.len() as u32;
    job.end(Stage::Sealing, monitor_api::StageState::Done);
    job.chunks(count);
    job.place_all(Place::Here);
    let way = if via_servers {
        Place::Server(0)
    } else {
        Place::Peer
    };
    job.place_where(way, &stored);
    let done: u64 = (0..count)
        .filter(|&i| stored(i))
        .filter_map(|i| m.chunk_len(i))
        .map(|n| n as u64)
        .sum();
    job.progress(done, m.total_size);
}

/// How an attempt ended, as monitors see it; `wait` is the time to the next attempt after a
/// failure.
pub(super) fn outcome(job: &JobHandle, outcome: &Outcome, recipient: &str, wait: Duration) {
    match outcome {
        Outcome::Delivered => {}
        Outcome::HandedOff => job.waiting(),
        Outcome::Dropped(why) => job.fail(text(job, why, recipient, false), None),
        Outcome::Retry(why) => {
            let at = jobs::now() + wait.as_secs() as i64;
            job.fail(text(job, why, recipient, true), Some(at));
        }
    }
}

/// The error a monitor shows for a failed attempt, from the stage it failed in and, for the
/// service network's refusals, the refusal's code (`why` is the failure's log detail).
fn text(job: &JobHandle, why: &str, recipient: &str, retry: bool) -> UserText {
    // The service client writes a refusal as `refused (Code): …`, the outbound code paths
    // as `Code: …`.
    let refused =
        |code: &str| why.contains(&format!("({code})")) || why.starts_with(&format!("{code}:"));
    if refused("NotPartners") {
        return UserText::new(error_ids::NOT_PARTNERS).arg("address", recipient);
    }
    if refused("UnknownAccount") {
        return UserText::new(error_ids::UNKNOWN_RECIPIENT).arg("address", recipient);
    }
    if refused("OverQuota") {
        return UserText::new(error_ids::SERVER_FULL);
    }
    let id = match (job.active_stage(), retry) {
        (None, false) => error_ids::SENDER_NOT_HOSTED,
        (None | Some(Stage::Authorization), _) => error_ids::SERVICE_UNREACHABLE,
        (Some(Stage::Sealing), false) => error_ids::SENT_COPY_GONE,
        (Some(Stage::Sealing), true) => {
            let detail = monitor_api::limits::clip(why, monitor_api::limits::MAX_TEXT_BYTES);
            return UserText::new(error_ids::LOCAL_STORAGE).arg("detail", detail);
        }
        (Some(Stage::UploadDirect | Stage::UploadHolePunched), true) if refused("TryLater") => {
            error_ids::PEER_BUSY
        }
        (Some(Stage::UploadToServer(_)), _) => error_ids::SERVERS_INCOMPLETE,
        (Some(Stage::Receipt), _) => error_ids::RECEIPT_INVALID,
        (_, true) => error_ids::PEER_UNREACHABLE,
        (_, false) => error_ids::PEER_REFUSED,
    };
    UserText::new(id)
}

/// The receipt came and verified: the job is done.
pub(super) fn delivered(
    net: &Network,
    key: &str,
    (sender, recipient, message_type): (&str, &str, &str),
    size: u64,
) {
    let job = net
        .jobs
        .get(key)
        .unwrap_or_else(|| start(net, key, sender, recipient, message_type, size));
    job.begin(Stage::Receipt, 0);
    job.finish();
}
