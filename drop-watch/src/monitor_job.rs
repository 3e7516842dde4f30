//! A drop-folder file as a job monitors see: listed once the file names its sender, done when
//! its message is filed and queued, failed with the drop folder's own reason.

use std::path::Path;

use monitor_api::{Activity, Direction, Stage, UserText, error_ids};

use super::DropCtx;
use crate::outcome::{Fail, Outcome};
use drop_folder::format::DropMessage;
use jobs::{JobHandle, JobSpec};

/// The job of the file at `path` in `processing/` (`<job id>.<name>`), `len` bytes long.
pub(super) fn start(ctx: &DropCtx, path: &Path, m: &DropMessage, len: u64) -> Option<JobHandle> {
    let net = ctx.outbox.network.as_ref()?;
    let file = path.file_name()?.to_string_lossy();
    // The name the person gave the file, without the job id the take put in front.
    let name = file.split_once('.').map_or(&*file, |(_, n)| n);
    let job = net.jobs.start(JobSpec {
        id: &format!("drop/{file}"),
        account: &m.from.address,
        activity: Activity::DropFile,
        direction: Direction::Up,
        message_type: &m.kind,
        peer: m.recipients().first().map(|r| r.address.as_str()),
        size: len,
    });
    job.subject(name);
    job.begin(Stage::DropProcessing, len);
    job.progress(0, len);
    Some(job)
}

/// How processing the file ended; a file tried again is looked at after `poll_interval`
/// seconds.
pub(super) fn outcome(job: &JobHandle, outcome: &Result<Outcome, Fail>, poll_interval: u64) {
    match outcome {
        Ok(Outcome::Sent) => job.finish(),
        // Read and checked; it waits for its send time.
        Ok(Outcome::Scheduled(_)) => job.end_active(monitor_api::StageState::Done),
        Err(Fail::Reject(reason)) => {
            let mut text = UserText::new(reason.id());
            for (name, value) in reason.args() {
                let value = monitor_api::limits::clip(&value, monitor_api::limits::MAX_TEXT_BYTES);
                text = text.arg(name, value);
            }
            job.fail(text, None);
        }
        Err(Fail::Retry(_)) => {
            let at = jobs::now() + poll_interval as i64;
            job.fail(UserText::new(error_ids::SERVICE_UNREACHABLE), Some(at));
        }
    }
}
