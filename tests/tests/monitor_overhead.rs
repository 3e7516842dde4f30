//! What monitors cost a transfer: the same large message sent from node A to node B with no
//! monitor connected, then with ten operator monitors on A reading every event, in turns.
//! Each send is timed from `wims send` to its receipt. Ignored by default: it moves hundreds
//! of MiB and measures time, so it belongs on a quiet machine (`cargo test -p wims-tests
//! --release --test monitor_overhead -- --ignored --nocapture`; `WIMS_MONITOR_BENCH_MIB`
//! sets the size, 256 by default, 1024 for the 1 GiB of the acceptance).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use monitor_api::ServerFrame;
use wims_tests::monitor::{Monitor, hello, operator};
use wims_tests::{Node, Service};

const ALICE_PW: &str = "alice-bench-horse";
const BOB_PW: &str = "bob-bench-staple";
const MONITORS: usize = 10;
/// Throughput the monitors may take, as a fraction.
const MAX_LOSS: f64 = 0.05;

fn send(a: &Node, file: &str, n: usize) -> Duration {
    let started = Instant::now();
    let subject = format!("bench {n}");
    let out = a.send_alice_to_bob(&subject, "bench", &["--attach", file]);
    assert!(out.status.success(), "wims send: {out:?}");
    started.elapsed()
}

#[test]
#[ignore = "moves hundreds of MiB and measures time; run on a quiet machine"]
fn ten_monitors_cost_a_large_transfer_less_than_five_percent() {
    let mib: usize = std::env::var("WIMS_MONITOR_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let service = Service::start();
    let alice = service.create_account("alice@alpha.h", "Alice Alpha");
    let bob = service.create_account("bob@beta.h", "Bob Beta");
    service.partner("alpha.h", "beta.h");
    let a = Node::builder()
        .max_message_size(4 << 30)
        .extra_toml(
            "[monitor]\nlisten = \"127.0.0.1:0\"\nmax_connections = 64\nmax_connections_per_ip = 32\n",
        )
        .host(&alice, ALICE_PW)
        .start();
    let mut b = Node::start();
    b.host(&bob, BOB_PW);
    let out = a.wims(&["monitor-token"], None);
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();

    let file = a.pattern_file("bench.bin", mib << 20);
    let file = file.to_str().unwrap().to_string();

    let addr = a.endpoints().monitor.expect("monitor endpoint");
    // One send with ten operator monitors reading every event; how many frames they read.
    let watched_send = |n: usize| -> (Duration, u64) {
        let stop = Arc::new(AtomicBool::new(false));
        let frames = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..MONITORS)
            .map(|_| {
                let (first, mut m) =
                    Monitor::open(addr, &a.cert_path(), &hello(operator(&token))).unwrap();
                assert!(matches!(first, ServerFrame::Accepted(_)), "{first:?}");
                let (stop, frames) = (stop.clone(), frames.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match m.next_frame() {
                            Ok(Some(_)) => {
                                frames.fetch_add(1, Ordering::Relaxed);
                                // Only the count matters; keep the memory flat.
                                m.frames.clear();
                            }
                            Ok(None) => break,
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) => {}
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        let took = send(&a, &file, n);
        stop.store(true, Ordering::Relaxed);
        drop(readers);
        (took, frames.load(Ordering::Relaxed))
    };
    let (mut plain, mut watched) = (Vec::new(), Vec::new());
    let mut n = 0;
    // The order alternates between rounds, so that neither kind of send always has the
    // warmer caches of going second.
    for round in 0..2 {
        let mut seen = 0;
        for watch in [round % 2 == 1, round % 2 == 0] {
            n += 1;
            if watch {
                let (took, frames) = watched_send(n);
                watched.push(took);
                seen = frames;
            } else {
                plain.push(send(&a, &file, n));
            }
        }
        eprintln!(
            "round {round}: {mib} MiB without monitors {:?}, with {MONITORS} {:?} ({seen} frames)",
            plain[round], watched[round]
        );
        assert!(seen > 0, "the monitors saw nothing");
    }
    let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default().as_secs_f64();
    let (p, w) = (best(&plain), best(&watched));
    let loss = 1.0 - p / w;
    eprintln!(
        "{mib} MiB: {:.1} MiB/s without monitors, {:.1} MiB/s with {MONITORS}: {:.1} % lost",
        mib as f64 / p,
        mib as f64 / w,
        loss * 100.0
    );
    assert!(
        loss < MAX_LOSS,
        "monitors cost {:.1} % of the throughput",
        loss * 100.0
    );
}
