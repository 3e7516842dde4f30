//! Every transition of a delivery job, without sockets, store or clock.

use super::*;

fn job() -> Job {
    Job {
        sender: "alice@alpha.h".into(),
        account: 1,
        folder: 2,
        uid: 3,
        recipient: "bob@beta.h".into(),
        message_id: MessageId::random(),
        size: 1000,
        message_type: "message".into(),
        attempts: 0,
        next_at: 0,
    }
}

const BACKOFF: Backoff = Backoff {
    min: Duration::from_secs(10),
    max: Duration::from_secs(600),
};

fn retry(why: &str) -> Result<(), Failure> {
    Err(Failure::Retry(why.into()))
}

fn direct(result: Result<(), Failure>, progressed: bool, all_placed: bool) -> Event {
    Event::Direct {
        result,
        progressed,
        all_placed,
    }
}

#[test]
fn an_attempt_seals_once_then_offers_to_the_node() {
    assert_eq!(Attempt::start(false).1, Action::Seal);
    assert_eq!(Attempt::start(true).1, Action::OfferDirect);
    let (mut a, _) = Attempt::start(false);
    assert_eq!(a.on(Event::Sealed), Action::OfferDirect);
}

#[test]
fn a_receipt_that_verifies_delivers_and_one_that_does_not_retries() {
    let (mut a, _) = Attempt::start(true);
    assert_eq!(a.on(direct(Ok(()), true, true)), Action::CheckReceipt);
    assert_eq!(
        a.on(Event::ReceiptChecked(Ok(()))),
        Action::Finish(Outcome::Delivered)
    );
    let (mut a, _) = Attempt::start(true);
    a.on(direct(Ok(()), false, true));
    assert_eq!(
        a.on(Event::ReceiptChecked(Err("for another message".into()))),
        Action::Finish(Outcome::Retry("for another message".into()))
    );
}

#[test]
fn a_refusal_for_good_drops_the_job() {
    let (mut a, _) = Attempt::start(true);
    let refused = Err(Failure::Permanent("NotPartners".into()));
    assert_eq!(
        a.on(direct(refused, false, false)),
        Action::Finish(Outcome::Dropped("NotPartners".into()))
    );
    // So does one found before any offer (the Sent copy is gone, the sender not hosted).
    let (mut a, _) = Attempt::start(false);
    assert_eq!(
        a.on(Event::Failed(Failure::Permanent("gone".into()))),
        Action::Finish(Outcome::Dropped("gone".into()))
    );
}

#[test]
fn a_transfer_cut_mid_way_resumes_at_once_but_only_once() {
    let (mut a, _) = Attempt::start(true);
    assert_eq!(
        a.on(direct(retry("stream closed"), true, false)),
        Action::OfferDirectAgain
    );
    // Cut again, even after more progress: the servers take the rest.
    assert_eq!(
        a.on(direct(retry("stream closed"), true, false)),
        Action::DepositOnServers
    );
}

#[test]
fn an_unreachable_node_falls_back_to_the_servers() {
    let (mut a, _) = Attempt::start(true);
    assert_eq!(
        a.on(direct(retry("no route"), false, false)),
        Action::DepositOnServers
    );
    assert_eq!(
        a.on(Event::Deposited { all_placed: true }),
        Action::Finish(Outcome::HandedOff)
    );
}

#[test]
fn servers_that_take_only_part_leave_a_retry_with_the_nodes_reason() {
    let (mut a, _) = Attempt::start(true);
    a.on(direct(retry("no route"), false, false));
    assert_eq!(
        a.on(Event::Deposited { all_placed: false }),
        Action::Finish(Outcome::Retry("no route".into()))
    );
}

#[test]
fn a_node_that_holds_every_chunk_but_did_not_answer_is_handed_off() {
    let (mut a, _) = Attempt::start(true);
    assert_eq!(
        a.on(direct(retry("closed before the receipt"), true, true)),
        Action::Finish(Outcome::HandedOff)
    );
}

#[test]
fn a_failed_step_retries_the_attempt_later() {
    for start in [false, true] {
        let (mut a, _) = Attempt::start(start);
        assert_eq!(
            a.on(Event::Failed(Failure::Retry(
                "directory unreachable".into()
            ))),
            Action::Finish(Outcome::Retry("directory unreachable".into()))
        );
    }
}

#[test]
fn a_retry_backs_off_doubling_up_to_the_maximum() {
    let mut j = job();
    let mut waits = Vec::new();
    for _ in 0..8 {
        let now = 1_000_000;
        assert_eq!(
            settle(&mut j, &Outcome::Retry("x".into()), now, BACKOFF),
            Settle::Keep
        );
        waits.push((j.next_at - now) / 1000);
    }
    assert_eq!(j.attempts, 8);
    assert_eq!(waits[0], 10);
    assert!(waits.windows(2).all(|w| w[1] >= w[0]), "{waits:?}");
    assert_eq!(*waits.last().unwrap(), 600);
}

#[test]
fn a_handed_off_job_waits_the_longest_back_off_without_counting_an_attempt() {
    let mut j = job();
    j.attempts = 2;
    assert_eq!(
        settle(&mut j, &Outcome::HandedOff, 5_000, BACKOFF),
        Settle::Keep
    );
    assert_eq!((j.attempts, j.next_at), (2, 5_000 + 600_000));
}

#[test]
fn delivered_and_dropped_jobs_are_removed() {
    let mut j = job();
    assert_eq!(
        settle(&mut j, &Outcome::Delivered, 0, BACKOFF),
        Settle::Delivered
    );
    assert_eq!(
        settle(&mut j, &Outcome::Dropped("refused".into()), 0, BACKOFF),
        Settle::Remove
    );
}

#[test]
fn a_job_is_due_once_its_time_has_come() {
    let mut j = job();
    j.next_at = 10_000;
    assert_eq!(until_due(&j, 4_000), Some(Duration::from_secs(6)));
    assert_eq!(until_due(&j, 10_000), None);
    assert_eq!(until_due(&j, 20_000), None);
}
