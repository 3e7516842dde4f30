//! The decisions of a delivery job, free of I/O: what an attempt does next given what the
//! previous step found, and what the job's record becomes once the attempt ends. The driver
//! (`outbound.rs`) performs each [`Action`] (sealing, offers, deposits, the receipt check)
//! and reports back an [`Event`]; time comes in as an argument, from the network clock. Every
//! transition is a unit test below, and docs/protocol.md ("Delivery jobs") lists them.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use wire::MessageId;

/// The key of a job's record: the message and the recipient it goes to.
pub(super) fn job_key(id: &MessageId, recipient: &str) -> String {
    format!("{}/{}", id.to_hex(), recipient)
}

/// One job's durable record: a message to one remote recipient.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Job {
    pub sender: String,
    pub account: u64,
    /// The Sent copy the job seals from, and marks `$Delivered`.
    pub folder: u64,
    pub uid: u32,
    pub recipient: String,
    pub message_id: MessageId,
    pub size: u64,
    pub message_type: String,
    pub attempts: u32,
    /// Milliseconds since the epoch (network time); not before this.
    pub next_at: i64,
}

/// Why a step did not get the message further.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// Try again later.
    Retry(String),
    /// Trying again cannot help: the job is dropped.
    Permanent(String),
}

/// A step that failed in a way a later attempt may not.
pub(super) fn retry<E: std::fmt::Display>(e: E) -> Failure {
    Failure::Retry(e.to_string())
}

/// What the driver does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Action {
    /// Authorize and seal the message into the job's spool.
    Seal,
    /// Offer the sealed message to the recipient's node.
    OfferDirect,
    /// The offer broke after it moved chunks: look the recipient up again (a node that
    /// restarted listens elsewhere) and offer once more at once.
    OfferDirectAgain,
    /// Put the chunks stored nowhere yet on the recipient's servers, in their order.
    DepositOnServers,
    /// Verify the receipt the node answered with, keep it and end the job.
    CheckReceipt,
    /// The attempt is over.
    Finish(Outcome),
}

/// What the driver found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// The message is sealed in the spool.
    Sealed,
    /// The direct offer ended: with a receipt (`Ok`), or not. `progressed`: more chunks are
    /// known stored than before it; `all_placed`: every chunk is stored somewhere now.
    Direct {
        result: Result<(), Failure>,
        progressed: bool,
        all_placed: bool,
    },
    /// The servers took what they would; `all_placed` as above.
    Deposited { all_placed: bool },
    /// The receipt verified and was kept (`Ok`), or not.
    ReceiptChecked(Result<(), String>),
    /// A step failed before it could report anything else (a look-up, the spool, the store).
    Failed(Failure),
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The receipt verified: the job is done.
    Delivered,
    /// Every chunk is stored on the recipient's node or its servers; the receipt comes when
    /// the node collects. The node is still offered the message now and then.
    HandedOff,
    /// Try again after a back-off.
    Retry(String),
    /// Refused for good: the job is dropped.
    Dropped(String),
}

/// One attempt's state between its steps.
#[derive(Debug, Default)]
pub(super) struct Attempt {
    /// The direct offer was already repeated once.
    offered_again: bool,
    /// Why the recipient's node was not reached, for the retry after a partial deposit.
    direct_failure: Option<String>,
}

impl Attempt {
    /// The first action of an attempt: seal, unless a whole sealing is in the spool already.
    pub(super) fn start(sealed: bool) -> (Attempt, Action) {
        let first = if sealed {
            Action::OfferDirect
        } else {
            Action::Seal
        };
        (Attempt::default(), first)
    }

    pub(super) fn on(&mut self, event: Event) -> Action {
        match event {
            Event::Sealed => Action::OfferDirect,
            Event::Failed(f) => Action::Finish(failed(f)),
            Event::ReceiptChecked(Ok(())) => Action::Finish(Outcome::Delivered),
            // A receipt that does not verify (or is for another message) proves nothing.
            Event::ReceiptChecked(Err(why)) => Action::Finish(Outcome::Retry(why)),
            Event::Direct { result: Ok(()), .. } => Action::CheckReceipt,
            Event::Direct {
                result: Err(Failure::Permanent(why)),
                ..
            } => Action::Finish(Outcome::Dropped(why)),
            Event::Direct {
                result: Err(Failure::Retry(why)),
                progressed,
                all_placed,
            } => {
                if all_placed {
                    return Action::Finish(Outcome::HandedOff);
                }
                // A blip mid-transfer is resumed at once, once; a node that moved nothing
                // is not offered again now but left for the servers.
                if progressed && !self.offered_again {
                    self.offered_again = true;
                    return Action::OfferDirectAgain;
                }
                self.direct_failure = Some(why);
                Action::DepositOnServers
            }
            Event::Deposited { all_placed: true } => Action::Finish(Outcome::HandedOff),
            Event::Deposited { all_placed: false } => Action::Finish(Outcome::Retry(
                self.direct_failure.take().unwrap_or_default(),
            )),
        }
    }
}

/// How an attempt ends that failed before its first action.
pub(super) fn failed(f: Failure) -> Outcome {
    match f {
        Failure::Retry(why) => Outcome::Retry(why),
        Failure::Permanent(why) => Outcome::Dropped(why),
    }
}

/// Bounds of the back-off between attempts (`[delivery] retry_min`, `retry_max`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Backoff {
    pub min: Duration,
    pub max: Duration,
}

/// What becomes of the job's record once an attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Settle {
    /// Delivered: the receipt check already removed the job's records; only its spool goes.
    Delivered,
    /// Dropped: remove its record, its placement record and its spool.
    Remove,
    /// Keep the job, due again at `job.next_at`.
    Keep,
}

/// Updates `job` for `outcome` at `now_ms` (network time).
pub(super) fn settle(job: &mut Job, outcome: &Outcome, now_ms: i64, backoff: Backoff) -> Settle {
    match outcome {
        Outcome::Delivered => Settle::Delivered,
        Outcome::Dropped(_) => Settle::Remove,
        Outcome::HandedOff => {
            // Waiting for the receipt: the node is offered the message now and then, which
            // repairs parts a server lost and brings a stored receipt back at once.
            job.next_at = now_ms + millis(backoff.max);
            Settle::Keep
        }
        Outcome::Retry(_) => {
            let wait = retry_wait(job.attempts, backoff);
            job.attempts += 1;
            job.next_at = now_ms + millis(wait);
            Settle::Keep
        }
    }
}

/// The back-off after the `failed`-th failed attempt (0 for the first): `min` doubling up to
/// `max`.
pub(super) fn retry_wait(failed: u32, backoff: Backoff) -> Duration {
    relay_client::backoff(failed, backoff.min, backoff.max)
}

/// How long until `job` is due at `now_ms`; `None` when it is due now.
pub(super) fn until_due(job: &Job, now_ms: i64) -> Option<Duration> {
    (job.next_at > now_ms).then(|| Duration::from_millis((job.next_at - now_ms) as u64))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
