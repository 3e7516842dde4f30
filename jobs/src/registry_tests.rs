use std::sync::Arc;
use std::time::Duration;

use monitor_api::{
    Activity, Direction, Event, JobState, Place, Stage, StageState, UserText, error_ids,
};
use tokio::sync::broadcast::error::TryRecvError;

use super::*;
use crate::subject_text;

fn spec<'a>(id: &'a str, account: &'a str) -> JobSpec<'a> {
    JobSpec {
        id,
        account,
        activity: Activity::Delivery,
        direction: Direction::Up,
        message_type: "invoice",
        peer: Some("Bob@Beta.h"),
        size: 1000,
    }
}

fn events(
    rx: &mut tokio::sync::broadcast::Receiver<Arc<Published>>,
) -> Vec<(Option<String>, Event)> {
    let mut out = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(p) => out.push((
                p.account.as_deref().map(str::to_string),
                serde_json::from_slice(&p.json).unwrap(),
            )),
            Err(TryRecvError::Empty) => return out,
            Err(e) => panic!("{e:?}"),
        }
    }
}

#[test]
fn per_chunk_calls_send_nothing_until_the_tick_and_then_one_event_each() {
    let reg = Registry::new(RegistryConfig::default());
    let mut rx = reg.subscribe();
    let job = reg.start(spec("m1/bob@beta.h", "Ann@Alpha.h"));
    job.begin(Stage::UploadDirect, 400);
    job.chunks(4);
    job.progress(0, 400);
    let first = events(&mut rx);
    assert!(
        matches!(&first[0].1, Event::JobAdded { job } if job.account == "ann@alpha.h"
        && job.peer.as_deref() == Some("bob@beta.h"))
    );
    assert_eq!(first[0].0.as_deref(), Some("ann@alpha.h"));
    for i in 0..4 {
        job.place(i, Place::Peer);
        job.advance(100);
        job.progress_add(100);
    }
    assert!(events(&mut rx).is_empty(), "per-chunk calls must not send");
    reg.tick();
    let ticked = events(&mut rx);
    assert_eq!(ticked.len(), 2, "{ticked:?}");
    assert!(
        matches!(&ticked[0].1, Event::JobProgress { progress, stage: Some(s), .. }
        if progress.done == 400 && s.bytes.done == 400 && s.stage == Stage::UploadDirect)
    );
    assert!(
        matches!(&ticked[1].1, Event::ChunkMap { map, .. } if map.counts() == vec![(Place::Peer, 4)])
    );
    // Nothing moved: nothing more to say (but a rate falling to 0).
    reg.tick();
    assert!(
        events(&mut rx)
            .iter()
            .all(|(_, e)| matches!(e, Event::JobProgress { .. })),
    );
    job.finish();
    let done = events(&mut rx);
    assert!(matches!(done.last().unwrap().1, Event::JobFinished { .. }));
    let snap = reg.snapshot(Some("ann@alpha.h"));
    assert_eq!(snap.len(), 1);
    assert_eq!(snap[0].state, JobState::Done);
    assert_eq!(snap[0].stages[0].state, StageState::Done);
    assert!(reg.snapshot(Some("carl@alpha.h")).is_empty());
    assert_eq!(reg.snapshot(None).len(), 1);
}

#[test]
fn attempts_failures_and_retries_keep_one_job() {
    let reg = Registry::new(RegistryConfig::default());
    let job = reg.start(spec("m2/bob@beta.h", "ann@alpha.h"));
    job.begin(Stage::Authorization, 0);
    assert_eq!(job.active_stage(), Some(Stage::Authorization));
    job.fail(
        UserText::new(error_ids::SERVICE_UNREACHABLE),
        Some(now() + 60),
    );
    let snap = reg.snapshot(None);
    assert_eq!(snap[0].state, JobState::Retrying);
    assert_eq!(snap[0].stages[0].state, StageState::Failed);
    let again = reg.start(spec("m2/bob@beta.h", "ann@alpha.h"));
    assert_eq!(again.id(), job.id());
    let snap = reg.snapshot(None);
    assert_eq!((snap.len(), snap[0].attempts), (1, 2));
    assert_eq!(snap[0].state, JobState::Running);
    again.fail(UserText::new(error_ids::PEER_REFUSED), None);
    assert_eq!(reg.snapshot(None)[0].state, JobState::Failed);
}

#[test]
fn finished_jobs_are_removed_after_their_time() {
    let reg = Registry::new(RegistryConfig {
        queue_events: 64,
        keep_finished: Duration::ZERO,
    });
    let mut rx = reg.subscribe();
    let job = reg.start(spec("m3/bob@beta.h", "ann@alpha.h"));
    job.finish();
    let _ = events(&mut rx);
    reg.tick();
    assert!(reg.is_empty());
    assert!(
        matches!(&events(&mut rx)[..], [(None, Event::JobRemoved { id })] if id == "m3/bob@beta.h")
    );
}

#[test]
fn a_slow_subscriber_is_told_it_lagged_instead_of_holding_a_backlog() {
    let reg = Registry::new(RegistryConfig {
        queue_events: 16,
        keep_finished: Duration::from_secs(60),
    });
    let mut rx = reg.subscribe();
    for i in 0..100 {
        reg.start(spec(&format!("m{i}/bob@beta.h"), "ann@alpha.h"));
    }
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Lagged(_))));
    assert_eq!(reg.snapshot(None).len(), 100);
}

#[test]
fn subjects_are_decoded_and_bounded() {
    assert_eq!(subject_text("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?="), "Grüße");
    assert_eq!(subject_text("plain"), "plain");
    assert_eq!(subject_text(&"x".repeat(5000)).len(), 1000);
}
