//! Large messages between nodes, with breaks: an attachment of up to 256 MiB from
//! alice@alpha.h (node A) to bob@beta.h (node B) while connections are cut and processes
//! killed at random points (tests/py/large.py drives the mail clients).
//!
//! Each message lies on disk several times over (the Sent copy, the sealed spool, the
//! receiver's spool and mailbox, held parts), so the tests run one at a time.
//!
//! - a cut transfer resumes where it stopped, re-sending at most the chunk in flight;
//! - node A killed mid-upload resumes its job after a restart;
//! - with node B away, parts go to B's service servers; when the first dies mid-upload the
//!   rest goes to the second, and B collects from both.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::thread::sleep;
use std::time::{Duration, Instant};

use wims_tests::{Node, NodeBuilder, Service, python_nodes};

const ALICE_PW: &str = "alice-large-horse";
const BOB_PW: &str = "bob-large-staple";
/// The cut-and-resume attachment: 64 chunks.
const SIZE: usize = 256 * 1024 * 1024;
/// The attachment of the crash and fallback tests: 24 chunks, enough for a cut to land
/// mid-transfer.
const SMALLER: usize = 96 * 1024 * 1024;
/// The sealing chunk size (wire::DEFAULT_CHUNK_SIZE).
const CHUNK: u64 = 4 * 1024 * 1024;
/// Readiness bound while waiting for progress on disk; not a speed check.
const PROGRESS_WAIT: Duration = Duration::from_secs(900);

/// Held for the whole of a test, so only one of them fills the disk at a time.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static DISK: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next one still runs.
    DISK.lock().unwrap_or_else(|e| e.into_inner())
}

struct Net {
    a: Node,
    b: Node,
}

impl Net {
    /// alice hosted on A, bob on B, alpha.h and beta.h partners, accounts created on
    /// `service` (its profiles list the network's servers).
    fn start(service: &Service, a: NodeBuilder) -> Net {
        let alice = service.create_account("alice@alpha.h", "Alice Alpha");
        let bob = service.create_account("bob@beta.h", "Bob Beta");
        service.partner("alpha.h", "beta.h");
        // SMTP's default size limit (100 MiB) is below the test's message.
        let a = a.max_message_size(1 << 30).host(&alice, ALICE_PW).start();
        let mut b = Node::builder().delivery_retry(1, 2).start();
        b.host(&bob, BOB_PW);
        eprintln!(
            "service: {}\nnode A: {}\nnode B: {}",
            service.data_dir().display(),
            a.data_dir().display(),
            b.data_dir().display()
        );
        Net { a, b }
    }

    fn py(&self, args: &[&str]) -> String {
        python_nodes(
            "large.py",
            args,
            &[("A", &self.a), ("B", &self.b)],
            self.a.work_dir(),
        )
    }
}

/// Chunk files under `dir`, one level of message folders down.
fn chunk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "chunk") {
                out.push(f.path());
            }
        }
    }
    out
}

fn wait_for_chunks(what: &str, dir: &Path, at_least: usize) {
    let t = Instant::now();
    while chunk_files(dir).len() < at_least {
        assert!(
            t.elapsed() < PROGRESS_WAIT,
            "gave up waiting for {at_least} chunks in {what}"
        );
        sleep(Duration::from_millis(10));
    }
}

/// A point to cut at: somewhere among the first three quarters of a `size`-byte
/// attachment's chunks.
fn random_cut(size: usize) -> usize {
    use std::hash::BuildHasher;
    let r = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    let chunks = size as u64 / CHUNK;
    2 + (r % (chunks * 3 / 4 - 2)) as usize
}

/// The `resent_bytes` A logged when bob's receipt came in.
fn resent_bytes(log: &str) -> u64 {
    let line = log
        .lines()
        .rfind(|l| l.contains("delivered; receipt verified"))
        .unwrap_or_else(|| panic!("node A logged no verified receipt"));
    let field = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("resent_bytes="))
        .unwrap_or_else(|| panic!("no resent_bytes in: {line}"));
    field.parse().expect("resent_bytes is a number")
}

fn no_panics(nodes: &[&Node]) {
    for n in nodes {
        assert!(
            !n.log().contains("panicked"),
            "a node panicked:\n{}",
            n.log_tail()
        );
    }
}

#[test]
fn a_cut_transfer_resumes_and_resends_at_most_one_chunk() {
    let _disk = one_at_a_time();
    // No holding on the service: the transfer can only resume node to node.
    let mut service = Service::init();
    service.set_config("holding", "quota_per_account", "0");
    service.start_again();
    let mut net = Net::start(&service, Node::builder().delivery_retry(1, 2));
    let size = SIZE.to_string();
    net.py(&["send", "cut", &size]);
    let cut = random_cut(SIZE);
    wait_for_chunks("B's inbound spool", &net.b.data_dir().join("spool/in"), cut);
    // The connection breaks mid-chunk: B dies and comes back.
    net.b.crash_restart();
    eprintln!("cut after {cut} chunks");
    net.py(&["receive", "cut"]);
    net.py(&["delivered", "cut"]);
    let resent = resent_bytes(&net.a.log());
    eprintln!("bytes re-sent after the cut: {resent} (one chunk is {CHUNK})");
    assert!(
        resent <= CHUNK,
        "{resent} bytes were sent again after the cut, more than one chunk ({CHUNK})"
    );
    no_panics(&[&net.a, &net.b]);
    drop(service);
}

#[test]
fn node_a_killed_mid_upload_resumes_its_job() {
    let _disk = one_at_a_time();
    let service = Service::start();
    let mut net = Net::start(&service, Node::builder().delivery_retry(1, 2));
    let size = SMALLER.to_string();
    net.py(&["send", "kill-a", &size]);
    let cut = random_cut(SMALLER);
    wait_for_chunks("B's inbound spool", &net.b.data_dir().join("spool/in"), cut);
    net.a.crash_restart();
    eprintln!("node A killed after {cut} chunks reached B");
    net.py(&["receive", "kill-a"]);
    net.py(&["delivered", "kill-a"]);
    // The sealed message survived the crash: it was sealed once.
    let sealed = net.a.log().matches("delivery queued").count();
    assert_eq!(sealed, 1, "the message was queued {sealed} times");
    no_panics(&[&net.a, &net.b]);
}

#[test]
fn parts_split_across_two_servers_are_collected_from_both() {
    let _disk = one_at_a_time();
    // Two servers of one network, each naming the other, on ports kept across restarts.
    let mut s1 = Service::start();
    s1.pin_ports();
    let mut s2 = Service::init_joining(&s1);
    s2.add_peer(&s1);
    s2.start_again();
    s2.pin_ports();
    s1.add_peer(&s2);
    s1.stop();
    s1.start_again();

    let mut net = Net::start(&s1, Node::builder().delivery_retry(1, 2));
    net.b.stop();
    let size = SMALLER.to_string();
    net.py(&["send", "split", &size]);
    let cut = random_cut(SMALLER);
    let held1 = s1.data_dir().join("held");
    let held2 = s2.data_dir().join("held");
    wait_for_chunks("the first server's held parts", &held1, cut);
    s1.kill();
    let on_first = chunk_files(&held1).len();
    eprintln!("first server killed holding {on_first} chunks");
    let t = Instant::now();
    while !net
        .a
        .log()
        .contains("handed off to the recipient's servers")
    {
        assert!(
            t.elapsed() < PROGRESS_WAIT,
            "node A never handed the rest to the second server:\n{}",
            net.a.log_tail()
        );
        sleep(Duration::from_millis(100));
    }
    let on_second = chunk_files(&held2).len();
    eprintln!("second server holds {on_second} chunks");
    assert!(
        on_first > 0 && on_second > 0,
        "parts should lie on both servers"
    );

    s1.start_again();
    net.b.start_again();
    net.py(&["receive", "split"]);
    net.py(&["delivered", "split"]);
    assert!(
        net.b
            .log()
            .contains("message collected from service servers"),
        "node B did not collect the message:\n{}",
        net.b.log_tail()
    );
    let t = Instant::now();
    while !(chunk_files(&held1).is_empty() && chunk_files(&held2).is_empty()) {
        assert!(
            t.elapsed() < PROGRESS_WAIT,
            "the servers kept collected parts"
        );
        sleep(Duration::from_millis(200));
    }
    no_panics(&[&net.a, &net.b]);
}
