use monitor_api::{
    Activity, ChunkMap, Direction, Event, Job, JobState, Link, NodeStatus, Place, Progress,
    ServerFrame, Stage, StageProgress, StageState, UserText,
};

use super::*;
use crate::sort::Column;

fn job(id: &str) -> Job {
    let mut j = Job::new(id, "ann@kapur.h", Activity::Delivery, Direction::Up);
    j.size = 1000;
    j.progress = Progress {
        done: 0,
        total: 1000,
    };
    j
}

fn start(seq: u64, jobs: u32) -> ServerFrame {
    ServerFrame::SnapshotStart {
        seq,
        now: 100,
        jobs,
        status: NodeStatus {
            node_version: "0.1.0".into(),
            online: true,
            ..NodeStatus::default()
        },
    }
}

fn snap(j: Job) -> ServerFrame {
    ServerFrame::SnapshotJob { job: Box::new(j) }
}

fn ev(seq: u64, event: Event) -> ServerFrame {
    ServerFrame::Event { seq, event }
}

/// A table synced to a snapshot of `jobs` at event number 10.
fn synced(jobs: &[Job]) -> JobTable {
    let mut t = JobTable::new();
    t.apply(start(10, jobs.len() as u32));
    for j in jobs {
        t.apply(snap(j.clone()));
    }
    assert_eq!(t.apply(ServerFrame::SnapshotEnd), Applied::Changed);
    t
}

fn ids(jobs: &[&Job]) -> Vec<String> {
    jobs.iter().map(|j| j.id.clone()).collect()
}

#[test]
fn a_snapshot_fills_the_table_only_when_complete() {
    let mut t = JobTable::new();
    t.apply(start(10, 2));
    t.apply(snap(job("a")));
    assert!(t.is_empty() && !t.is_synced());
    t.apply(snap(job("b")));
    // More jobs than announced are not taken.
    assert_eq!(t.apply(snap(job("c"))), Applied::Ignored(Ignored::Full));
    assert_eq!(t.apply(ServerFrame::SnapshotEnd), Applied::Changed);
    assert!(t.is_synced());
    assert_eq!(ids(&t.jobs()), ["a", "b"]);
    assert!(t.status().online);
    assert_eq!(t.now(), 100);
}

#[test]
fn frames_out_of_turn_are_ignored() {
    let mut t = JobTable::new();
    let added = ev(
        1,
        Event::JobAdded {
            job: Box::new(job("a")),
        },
    );
    assert_eq!(t.apply(added), Applied::Ignored(Ignored::OutOfTurn));
    assert_eq!(
        t.apply(snap(job("a"))),
        Applied::Ignored(Ignored::OutOfTurn)
    );
    assert_eq!(
        t.apply(ServerFrame::SnapshotEnd),
        Applied::Ignored(Ignored::OutOfTurn)
    );
    assert!(t.is_empty());
}

#[test]
fn events_apply_once_in_sequence() {
    let mut t = synced(&[job("a")]);
    let finished = Event::JobFinished {
        id: "a".into(),
        at: 200,
    };
    // Included in the snapshot already.
    assert_eq!(
        t.apply(ev(10, finished.clone())),
        Applied::Ignored(Ignored::Stale)
    );
    assert_eq!(t.job("a").map(|j| j.state), Some(JobState::Queued));
    assert_eq!(t.apply(ev(11, finished.clone())), Applied::Changed);
    let a = t.job("a").unwrap();
    assert_eq!(
        (a.state, a.finished, a.progress.done),
        (JobState::Done, Some(200), 1000)
    );
    // The same event again, and an older one: nothing changes.
    assert_eq!(t.apply(ev(11, finished)), Applied::Ignored(Ignored::Stale));
    let progress = Event::JobProgress {
        id: "a".into(),
        state: JobState::Running,
        progress: Progress {
            done: 5,
            total: 1000,
        },
        stage: None,
        rate: 1,
        eta: None,
        attempts: 1,
        link: None,
    };
    assert_eq!(t.apply(ev(9, progress)), Applied::Ignored(Ignored::Stale));
    assert_eq!(t.job("a").map(|j| j.state), Some(JobState::Done));
    assert!(!t.needs_resync());
}

#[test]
fn a_skipped_event_asks_for_a_resync_and_the_next_snapshot_clears_it() {
    let mut t = synced(&[job("a")]);
    let removed = Event::JobRemoved { id: "a".into() };
    assert_eq!(t.apply(ev(13, removed)), Applied::Changed);
    assert!(t.needs_resync());
    t.apply(start(20, 0));
    t.apply(ServerFrame::SnapshotEnd);
    assert!(!t.needs_resync());
}

#[test]
fn unknown_jobs_are_ignored_without_harm() {
    let mut t = synced(&[job("a")]);
    let placed = Event::ChunksPlaced {
        id: "ghost".into(),
        first: 0,
        count: 3,
        place: Place::Peer,
    };
    assert_eq!(
        t.apply(ev(11, placed)),
        Applied::Ignored(Ignored::UnknownJob)
    );
    let failed = Event::JobFailed {
        id: "ghost".into(),
        at: 1,
        error: UserText::new("monitor-error-peer-unreachable"),
        retry_at: None,
    };
    assert_eq!(
        t.apply(ev(12, failed)),
        Applied::Ignored(Ignored::UnknownJob)
    );
    // Removing what is not there is done already.
    let removed = Event::JobRemoved { id: "ghost".into() };
    assert_eq!(t.apply(ev(13, removed)), Applied::Unchanged);
    assert_eq!(t.len(), 1);
}

#[test]
fn progress_stages_chunks_and_failures_update_the_job() {
    let mut a = job("a");
    a.chunks = Some(ChunkMap::new(10));
    let mut t = synced(&[a]);
    let mut stage = StageProgress::new(Stage::UploadHolePunched, StageState::Active);
    stage.started = Some(150);
    let progress = Event::JobProgress {
        id: "a".into(),
        state: JobState::Running,
        progress: Progress {
            done: 400,
            total: 1000,
        },
        stage: Some(stage),
        rate: 2048,
        eta: Some(3),
        attempts: 1,
        link: Some(Link::HolePunched),
    };
    assert_eq!(t.apply(ev(11, progress)), Applied::Changed);
    let placed = Event::ChunksPlaced {
        id: "a".into(),
        first: 0,
        count: 4,
        place: Place::Peer,
    };
    assert_eq!(t.apply(ev(12, placed)), Applied::Changed);
    let a = t.job("a").unwrap();
    assert_eq!(a.state, JobState::Running);
    assert_eq!(
        (a.rate, a.eta, a.link),
        (2048, Some(3), Some(Link::HolePunched))
    );
    assert_eq!(a.started, Some(150));
    assert_eq!(a.stages[0].stage, Stage::UploadHolePunched);
    let map = a.chunks.as_ref().unwrap();
    assert_eq!(map.counts(), [(Place::Missing, 6), (Place::Peer, 4)]);

    let failed = Event::JobFailed {
        id: "a".into(),
        at: 160,
        error: UserText::new("monitor-error-peer-unreachable"),
        retry_at: Some(220),
    };
    t.apply(ev(13, failed));
    let a = t.job("a").unwrap();
    assert_eq!(
        (a.state, a.next_attempt, a.rate),
        (JobState::Retrying, Some(220), 0)
    );
    assert_eq!(a.finished, None);
    let failed = Event::JobFailed {
        id: "a".into(),
        at: 300,
        error: UserText::new("monitor-error-peer-refused"),
        retry_at: None,
    };
    t.apply(ev(14, failed));
    let a = t.job("a").unwrap();
    assert_eq!((a.state, a.finished), (JobState::Failed, Some(300)));
    assert_eq!(
        a.error.as_ref().map(|e| e.id.as_str()),
        Some("monitor-error-peer-refused")
    );
}

#[test]
fn a_chunk_map_replaces_and_placements_without_one_wait() {
    let mut t = synced(&[job("a")]);
    let placed = Event::ChunksPlaced {
        id: "a".into(),
        first: 0,
        count: 1,
        place: Place::Here,
    };
    assert_eq!(t.apply(ev(11, placed)), Applied::Unchanged);
    let map = Event::ChunkMap {
        id: "a".into(),
        map: ChunkMap::from_places([Place::Server(0), Place::Missing]),
    };
    assert_eq!(t.apply(ev(12, map)), Applied::Changed);
    assert_eq!(
        t.job("a")
            .and_then(|j| j.chunks.as_ref())
            .map(|m| m.place(0)),
        Some(Some(Place::Server(0)))
    );
}

#[test]
fn adding_a_job_twice_keeps_one_and_its_place() {
    let mut t = synced(&[job("a"), job("b")]);
    let again = Event::JobAdded {
        job: Box::new(job("a")),
    };
    assert_eq!(t.apply(ev(11, again)), Applied::Unchanged);
    let mut changed = job("a");
    changed.size = 5;
    let again = Event::JobAdded {
        job: Box::new(changed),
    };
    assert_eq!(t.apply(ev(12, again)), Applied::Changed);
    assert_eq!(ids(&t.jobs()), ["a", "b"]);
    assert_eq!(t.job("a").map(|j| j.size), Some(5));
}

#[test]
fn a_new_snapshot_replaces_the_table_and_keeps_known_jobs_in_place() {
    let mut t = synced(&[job("a"), job("b")]);
    t.apply(start(30, 2));
    t.apply(snap(job("c")));
    t.apply(snap(job("a")));
    t.apply(ServerFrame::SnapshotEnd);
    // "a" was seen first, so it stays ahead of the new "c".
    assert_eq!(ids(&t.jobs()), ["a", "c"]);
    let late = ev(29, Event::JobRemoved { id: "a".into() });
    assert_eq!(t.apply(late), Applied::Ignored(Ignored::Stale));
}

#[test]
fn a_full_table_drops_the_oldest_finished_job_first() {
    let mut t = JobTable::new();
    t.apply(start(0, MAX_JOBS));
    for n in 0..MAX_JOBS {
        let mut j = job(&format!("j{n}"));
        if n == 5 || n == 7 {
            j.state = JobState::Done;
        }
        t.apply(snap(j));
    }
    t.apply(ServerFrame::SnapshotEnd);
    let add = |seq: u64, id: &str| {
        ev(
            seq,
            Event::JobAdded {
                job: Box::new(job(id)),
            },
        )
    };
    assert_eq!(t.apply(add(1, "new1")), Applied::Changed);
    assert!(t.job("j5").is_none() && t.job("j7").is_some());
    assert_eq!(t.apply(add(2, "new2")), Applied::Changed);
    assert!(t.job("j7").is_none());
    assert_eq!(t.apply(add(3, "new3")), Applied::Ignored(Ignored::Full));
    assert_eq!(t.len(), MAX_JOBS as usize);
}

#[test]
fn views_filter_and_sort_stably_both_ways() {
    let mut jobs = Vec::new();
    for (id, size, subject, account) in [
        ("a", 300, Some("Invoice"), "ann@kapur.h"),
        ("b", 100, None, "bob@kapur.h"),
        ("c", 300, Some("apples"), "ann@kapur.h"),
        ("d", 200, Some("Zebra"), "ann@kapur.h"),
    ] {
        let mut j = job(id);
        j.size = size;
        j.subject = subject.map(str::to_string);
        j.account = account.into();
        jobs.push(j);
    }
    jobs[1].peer = Some("carl@kapur.h".into());
    jobs[3].state = JobState::Done;
    let t = synced(&jobs);
    let all = Filter::default();
    let by = |column, descending| Sort { column, descending };

    // Equal sizes (a, c) keep the table's order in both directions.
    assert_eq!(
        ids(&t.view(&all, by(Column::Size, false))),
        ["b", "d", "a", "c"]
    );
    assert_eq!(
        ids(&t.view(&all, by(Column::Size, true))),
        ["a", "c", "d", "b"]
    );
    // Names without regard to case; a job without subject goes by its peer.
    assert_eq!(
        ids(&t.view(&all, by(Column::Name, false))),
        ["c", "b", "a", "d"]
    );
    assert_eq!(ids(&t.view(&all, by(Column::State, false)))[3], "d");

    let ann_unfinished = Filter {
        account: Some("ann@kapur.h".into()),
        hide_finished: true,
        ..Filter::default()
    };
    assert_eq!(
        ids(&t.view(&ann_unfinished, by(Column::Size, true))),
        ["a", "c"]
    );
    assert_eq!(t.accounts(), ["ann@kapur.h", "bob@kapur.h"]);
}

#[test]
fn unknown_eta_and_start_sort_last_either_way() {
    let mut a = job("a");
    a.eta = Some(50);
    a.started = Some(10);
    let b = job("b");
    let mut c = job("c");
    c.eta = Some(5);
    c.started = Some(20);
    let t = synced(&[a, b, c]);
    let all = Filter::default();
    for descending in [false, true] {
        let eta = ids(&t.view(
            &all,
            Sort {
                column: Column::Eta,
                descending,
            },
        ));
        assert_eq!(eta[2], "b", "{descending}");
        let started = ids(&t.view(
            &all,
            Sort {
                column: Column::Started,
                descending,
            },
        ));
        assert_eq!(started[2], "b", "{descending}");
    }
    let newest = ids(&t.view(&all, Sort::default()));
    assert_eq!(newest, ["c", "a", "b"]);
    assert_eq!(
        Sort::default().clicked(Column::Started),
        Sort {
            column: Column::Started,
            descending: false
        }
    );
    assert_eq!(
        Sort::default().clicked(Column::Rate),
        Sort {
            column: Column::Rate,
            descending: false
        }
    );
}

#[test]
fn every_column_sorts_without_panic() {
    let mut a = job("a");
    a.progress = Progress { done: 1, total: 0 };
    let mut b = job("b");
    b.activity = Activity::Update;
    let t = synced(&[a, b, job("c")]);
    for column in Column::ALL {
        for descending in [false, true] {
            assert_eq!(
                t.view(&Filter::default(), Sort { column, descending })
                    .len(),
                3
            );
        }
    }
}
