//! What an arriving message shows monitors: a reception (straight from the sender's node) or
//! a collection (from the account's servers), its chunks filling in, unsealing and filing.

use monitor_api::{Activity, Direction, Place, Stage, UserText, error_ids};
use wire::Manifest;

use super::Network;
use super::unsealing::UnsealFailure;
use jobs::{JobHandle, JobSpec};

/// The job of the inbound message `key` (`<recipient>/<sender>/<message id>`), arriving by
/// `activity`. `missing` are the chunks the spool still lacks.
pub(super) fn start(
    net: &Network,
    key: &str,
    activity: Activity,
    manifest: &Manifest,
    missing: &[u32],
) -> JobHandle {
    let prefix = match activity {
        Activity::Collection => "collect",
        _ => "receive",
    };
    let recipient = key.split('/').next().unwrap_or(key);
    let job = net.jobs.start(JobSpec {
        id: &format!("{prefix}/{key}"),
        account: recipient,
        activity,
        direction: Direction::Down,
        message_type: &manifest.message_type,
        peer: Some(&manifest.sender),
        size: manifest.total_size,
    });
    let count = manifest.chunk_hashes.len() as u32;
    job.chunks(count);
    job.place_where(Place::Here, |i| missing.binary_search(&i).is_err());
    let lacking = bytes_of(manifest, missing);
    job.progress(
        manifest.total_size.saturating_sub(lacking),
        manifest.total_size,
    );
    job
}

/// Bytes of chunks `indices`.
pub(super) fn bytes_of(manifest: &Manifest, indices: &[u32]) -> u64 {
    indices
        .iter()
        .filter_map(|&i| manifest.chunk_len(i))
        .map(|n| n as u64)
        .sum()
}

/// Chunk `index` of `len` bytes is in the spool.
pub(super) fn arrived(job: &JobHandle, index: u32, len: usize) {
    job.place(index, Place::Here);
    job.advance(len as u64);
    job.progress_add(len as u64);
}

/// Unsealing failed; the text for the monitor.
pub(super) fn unseal_failed(job: &JobHandle, failure: &UnsealFailure) {
    let text = match failure {
        UnsealFailure::Message(_) => UserText::new(error_ids::UNSEAL_FAILED),
        UnsealFailure::ForgedFrom => UserText::new(error_ids::FORGED_FROM),
        UnsealFailure::Local(why) => local(why),
    };
    job.fail(text, None);
}

/// This node's store or spool failed.
pub(super) fn local(why: &str) -> UserText {
    let detail = monitor_api::limits::clip(why, monitor_api::limits::MAX_TEXT_BYTES);
    UserText::new(error_ids::LOCAL_STORAGE).arg("detail", detail)
}

/// Filed into INBOX; `subject` is the unsealed copy's, never the network's.
pub(super) fn filed(job: &JobHandle, subject: Option<&str>) {
    if let Some(s) = subject {
        job.subject(s);
    }
    job.begin(Stage::Receipt, 0);
    job.finish();
}
