//! What a hostile or broken peer can send: every input ends in a frame or a typed error, the
//! decoder holds no more than one frame's worth, and the largest valid job still fits.

use monitor_api::limits::{
    MAX_FRAME_BYTES, MAX_NAME_BYTES, MAX_RUNS, MAX_SERVERS, MAX_STAGES, MAX_TEXT_ARGS,
    MAX_TEXT_BYTES,
};
use monitor_api::{
    Activity, ChunkMap, ClientFrame, Direction, Event, FrameDecoder, FrameError, Job, Place,
    ServerFrame, Stage, StageProgress, StageState, UserText, decode, encode,
};

/// A small deterministic generator: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn an_endless_line_is_cut_off_before_it_is_stored() {
    let mut d = FrameDecoder::new();
    let block = vec![b'a'; 4096];
    let mut pushed = 0usize;
    let err = loop {
        match d.push(&block) {
            Ok(()) => {
                pushed += block.len();
                assert!(d.unfinished() < MAX_FRAME_BYTES);
            }
            Err(e) => break e,
        }
    };
    assert!(matches!(err, FrameError::TooLong { limit } if limit == MAX_FRAME_BYTES));
    assert!(err.is_fatal());
    assert!(pushed < MAX_FRAME_BYTES);
    // Spent: a good frame after it is not read.
    assert!(d.push(b"{\"type\":\"snapshot-end\"}\n").is_err());
    assert!(d.next_frame::<ServerFrame>().is_err());
}

#[test]
fn an_over_long_line_that_arrives_whole_is_refused() {
    let mut d = FrameDecoder::with_limit(64);
    let mut line = vec![b' '; 100];
    line.push(b'\n');
    // The newline comes in the same read: the push passes, the frame does not.
    d.push(&line).unwrap();
    assert!(matches!(
        d.next_frame::<ServerFrame>(),
        Err(FrameError::TooLong { limit: 64 })
    ));
    let too_long = vec![b'{'; MAX_FRAME_BYTES + 1];
    assert!(matches!(
        decode::<ServerFrame>(&too_long),
        Err(FrameError::TooLong { .. })
    ));
}

#[test]
fn malformed_frames_are_errors_and_the_stream_goes_on() {
    let bad: &[&[u8]] = &[
        b"not json",
        b"\xff\xfe\x00garbage",
        b"{}",
        b"[]",
        b"null",
        b"{\"type\":\"warp-drive\"}",
        b"{\"type\":\"heartbeat\",\"now\":\"soon\"}",
        b"{\"type\":\"heartbeat\",\"now\":1e400}",
        b"{\"type\":\"snapshot-start\",\"seq\":-1,\"now\":0,\"jobs\":0,\"status\":{}}",
        b"{\"type\":\"snapshot-start\",\"seq\":0,\"now\":0,\"jobs\":99999999999,\"status\":{\"node_version\":\"\",\"online\":true,\"service_reachable\":true}}",
        b"{\"type\":\"event\",\"seq\":1,\"event\":{\"kind\":\"chunks-placed\",\"id\":\"j\",\"first\":0,\"count\":1,\"place\":\"server:99\"}}",
        b"{\"type\":\"event\",\"seq\":1,\"event\":{\"kind\":\"chunk-map\",\"id\":\"j\",\"map\":{\"chunks\":3,\"runs\":[[\"peer\",4294967295],[\"peer\",4294967295]]}}}",
        b"{\"type\":\"event\",\"seq\":1,\"event\":{\"kind\":\"job-removed\",\"id\":\"\"}}",
        b"{\"type\":\"hello\",\"versions\":{\"min\":1,\"max\":1},\"credentials\":{\"kind\":\"operator\",\"token\":\"t\"}}",
        b"{\"type\":\"heartbeat\",\"now\":1",
    ];
    let mut d = FrameDecoder::new();
    for line in bad {
        d.push(line).unwrap();
        d.push(b"\n").unwrap();
        let r = d.next_frame::<ServerFrame>();
        assert!(r.is_err(), "{}", String::from_utf8_lossy(line));
        assert!(!r.err().is_some_and(|e| e.is_fatal()));
    }
    d.push(b"{\"type\":\"heartbeat\",\"now\":7}\n").unwrap();
    assert_eq!(
        d.next_frame::<ServerFrame>().unwrap(),
        Some(ServerFrame::Heartbeat { now: 7 })
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut line = b"{\"type\":\"event\",\"seq\":1,\"event\":".to_vec();
    line.extend(std::iter::repeat_n(b'[', 100_000));
    assert!(matches!(
        decode::<ServerFrame>(&line),
        Err(FrameError::Malformed(_))
    ));
}

#[test]
fn random_and_mangled_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut job = Job::new("j", "ann@kapur.h", Activity::Delivery, Direction::Up);
    job.chunks = Some(ChunkMap::new(40));
    job.put_stage(StageProgress::new(
        Stage::UploadToServer(1),
        StageState::Active,
    ));
    let good = encode(&ServerFrame::SnapshotJob { job: Box::new(job) }).unwrap();
    let mut decoded = 0;
    for round in 0..2_000 {
        let mut bytes = good.clone();
        if round % 2 == 0 {
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
        } else {
            bytes = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
            bytes.push(b'\n');
        }
        let mut d = FrameDecoder::with_limit(1024);
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len());
            if d.push(&rest[..n]).is_err() {
                break;
            }
            rest = &rest[n..];
            loop {
                match d.next_frame::<ServerFrame>() {
                    Ok(Some(_)) => decoded += 1,
                    Ok(None) => break,
                    Err(e) if e.is_fatal() => break,
                    Err(_) => {}
                }
            }
        }
    }
    // Some mangled frames still decode (a changed digit, say); the point is no panic.
    assert!(decoded > 0);
}

fn control_chars(n: usize) -> String {
    // Each escapes to six bytes (`\u0001`), the costliest character in JSON.
    "\u{1}".repeat(n)
}

/// A job with every count and text at its limit, in the characters that cost most.
fn largest_job() -> Job {
    let name = control_chars(MAX_NAME_BYTES);
    let mut job = Job::new(&name, &name, Activity::Delivery, Direction::Up);
    job.subject = Some(control_chars(MAX_TEXT_BYTES));
    job.peer = Some(name.clone());
    job.servers = vec![name.clone(); MAX_SERVERS];
    job.size = u64::MAX;
    job.rate = u64::MAX;
    job.eta = Some(u64::MAX);
    job.attempts = u32::MAX;
    job.next_attempt = Some(i64::MIN);
    job.started = Some(i64::MIN);
    job.finished = Some(i64::MIN);
    for n in 0..MAX_STAGES {
        let mut s = StageProgress::new(
            Stage::CollectFromServer((n % MAX_SERVERS) as u8),
            StageState::Skipped,
        );
        s.bytes.done = u64::MAX;
        s.bytes.total = u64::MAX;
        s.started = Some(i64::MIN);
        s.finished = Some(i64::MIN);
        job.stages.push(s);
    }
    // Alternating places at the highest server number: as many runs as allowed.
    let places = (0..MAX_RUNS as u32 * 32).map(|i| {
        if (i / 32) % 2 == 0 {
            Place::Server(MAX_SERVERS as u8 - 1)
        } else {
            Place::Missing
        }
    });
    let map = ChunkMap::from_places(places);
    assert_eq!(map.runs().len(), MAX_RUNS);
    job.chunks = Some(map);
    let mut error = UserText::new(&control_chars(MAX_NAME_BYTES));
    for n in 0..MAX_TEXT_ARGS {
        let key = format!("a{}", "x".repeat(30)) + &format!("{n:x}");
        error = error.arg(&key[..32], control_chars(MAX_TEXT_BYTES));
    }
    assert_eq!(error.args.len(), MAX_TEXT_ARGS);
    job.error = Some(error);
    job
}

#[test]
fn the_largest_valid_job_fits_a_frame() {
    let frame = ServerFrame::Event {
        seq: u64::MAX,
        event: Event::JobAdded {
            job: Box::new(largest_job()),
        },
    };
    let line = encode(&frame).expect("fits");
    assert!(line.len() < MAX_FRAME_BYTES, "{} bytes", line.len());
    let back: ServerFrame = decode(&line).unwrap();
    assert_eq!(back, frame);
}

#[test]
fn encode_refuses_what_the_peer_would_refuse() {
    let mut job = largest_job();
    job.subject = Some("x".repeat(MAX_TEXT_BYTES + 1));
    let frame = ServerFrame::SnapshotJob { job: Box::new(job) };
    assert!(matches!(encode(&frame), Err(FrameError::Invalid(_))));
    let hello = ClientFrame::Hello {
        versions: monitor_api::VersionRange { min: 3, max: 1 },
        credentials: monitor_api::Credentials::Operator { token: "t".into() },
        client: None,
    };
    assert!(encode(&hello).is_err());
}
