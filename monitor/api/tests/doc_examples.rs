//! Every JSON example of `docs/monitor-api.md` decodes as the frame it shows, and every kind
//! of frame and event has an example.

use std::collections::BTreeSet;

use monitor_api::{ClientFrame, Event, Refusal, ServerFrame, decode};

const DOC: &str = include_str!("../../../docs/monitor-api.md");

/// The bodies of the ```json blocks.
fn examples() -> Vec<&'static str> {
    DOC.split("```json\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .collect()
}

fn server_type(f: &ServerFrame) -> &'static str {
    match f {
        ServerFrame::Accepted(_) => "accepted",
        ServerFrame::Refused { .. } => "refused",
        ServerFrame::SnapshotStart { .. } => "snapshot-start",
        ServerFrame::SnapshotJob { .. } => "snapshot-job",
        ServerFrame::SnapshotEnd => "snapshot-end",
        ServerFrame::Event { .. } => "event",
        ServerFrame::Heartbeat { .. } => "heartbeat",
    }
}

fn event_kind(e: &Event) -> &'static str {
    match e {
        Event::JobAdded { .. } => "job-added",
        Event::JobProgress { .. } => "job-progress",
        Event::ChunksPlaced { .. } => "chunks-placed",
        Event::ChunkMap { .. } => "chunk-map",
        Event::JobFinished { .. } => "job-finished",
        Event::JobFailed { .. } => "job-failed",
        Event::JobRemoved { .. } => "job-removed",
        Event::Status { .. } => "status",
    }
}

#[test]
fn every_example_decodes_and_every_frame_has_one() {
    let mut seen = BTreeSet::new();
    let mut refusals = BTreeSet::new();
    let mut decoded = 0;
    for text in examples() {
        // The frame shape with `…` in it only shows the envelope.
        if text.contains('…') {
            continue;
        }
        if text.contains("\"hello\"") {
            let f: ClientFrame = decode(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
            let ClientFrame::Hello { .. } = f;
            seen.insert("hello");
            decoded += 1;
            continue;
        }
        let f: ServerFrame = decode(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
        seen.insert(server_type(&f));
        decoded += 1;
        match &f {
            ServerFrame::Event { event, .. } => {
                seen.insert(event_kind(event));
            }
            ServerFrame::Refused { refusal } => {
                refusals.insert(match refusal {
                    Refusal::BadCredentials => "bad-credentials",
                    Refusal::UnknownAccount => "unknown-account",
                    Refusal::UnsupportedVersion { .. } => "unsupported-version",
                    Refusal::TooManyAttempts { .. } => "too-many-attempts",
                });
            }
            _ => {}
        }
    }
    let all = [
        "hello",
        "accepted",
        "refused",
        "snapshot-start",
        "snapshot-job",
        "snapshot-end",
        "event",
        "heartbeat",
        "job-added",
        "job-progress",
        "chunks-placed",
        "chunk-map",
        "job-finished",
        "job-failed",
        "job-removed",
        "status",
    ];
    let missing: Vec<&&str> = all.iter().filter(|k| !seen.contains(**k)).collect();
    assert!(missing.is_empty(), "no example of {missing:?}");
    assert_eq!(refusals.len(), 4, "{refusals:?}");
    // All but the envelope sketch.
    assert_eq!(decoded, examples().len() - 1);
    assert!(decoded >= 20, "{decoded}");
}

#[test]
fn the_error_table_lists_every_id() {
    for id in monitor_api::error_ids::ALL {
        assert!(
            DOC.contains(&format!("| `{id}` |")),
            "{id} missing from the table"
        );
    }
}

#[test]
fn the_documented_limits_are_the_code_s() {
    use monitor_api::limits::*;
    assert_eq!(MAX_FRAME_BYTES, 256 * 1024);
    assert!(DOC.contains("| one frame, newline included | 256 KiB |"));
    assert!(DOC.contains(&format!("| chunks of one message | {} |", "65,536")));
    assert_eq!((MAX_JOBS, MAX_CHUNKS, MAX_RUNS), (10_000, 65_536, 2_048));
    assert_eq!((MAX_SERVERS, MAX_STAGES, MAX_TEXT_ARGS), (16, 48, 16));
    assert_eq!(
        (MAX_NAME_BYTES, MAX_TEXT_BYTES, MAX_SECRET_BYTES),
        (320, 1_000, 1_024)
    );
    assert_eq!((HEARTBEAT_SECS, SILENCE_LIMIT_SECS), (15, 45));
}
