//! The update check end to end: a `wims-service` server announces a release, a `wims` node
//! hosting one account reports it, through its admin socket while running and with the
//! network started in-process while stopped; the running node also logs it after a start.
//! With the network gone, the node reports the last announcement it verified, running,
//! stopped and restarted.

use std::process::Output;
use std::thread::sleep;
use std::time::{Duration, Instant};

use wims_tests::{Node, Service};

const ALICE_PW: &str = "alice-update-lantern";

/// Liveness bound for the node's first check after a start; not a speed check.
const LOG_WAIT: Duration = Duration::from_secs(120);

fn stdout_of(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`{what}` failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn node_reports_the_announced_release() {
    let t0 = Instant::now();
    let step = |what: &str| eprintln!("{:>6.1}s {what}", t0.elapsed().as_secs_f64());
    let mut service = Service::start();
    let alice = service.create_account("alice@alpha.h", "Alice Alpha");
    step("service up");
    let mut node = Node::builder().host(&alice, ALICE_PW).start();

    step("started");
    // Nothing announced yet.
    let out = stdout_of(&node.wims(&["update", "check"], None), "update check");
    assert!(out.contains("up to date"), "{out}");
    let shown = stdout_of(&service.cli(&["release", "show"]), "release show");
    assert!(shown.contains("No release announced"), "{shown}");

    let announced = stdout_of(
        &service.cli(&[
            "release",
            "announce",
            "99.0.0",
            "--url",
            "https://example.invalid/r",
            "--notes",
            "big one",
        ]),
        "release announce",
    );
    assert!(announced.contains("99.0.0"), "{announced}");

    step("announced");
    // Running node: through its admin socket.
    let out = stdout_of(&node.wims(&["update", "check"], None), "update check");
    assert!(out.contains("update available: 99.0.0"), "{out}");
    assert!(out.contains("https://example.invalid/r"), "{out}");
    assert!(out.contains("big one"), "{out}");

    step("checked running");
    // Stopped node: the CLI starts the network itself.
    node.stop();
    let out = stdout_of(
        &node.wims(&["update", "check"], None),
        "offline update check",
    );
    assert!(out.contains("update available: 99.0.0"), "{out}");

    step("checked stopped");
    // A started node checks by itself once logged in, and says so in its log.
    node.start_again();
    let deadline = Instant::now() + LOG_WAIT;
    while !node.log().contains("update available") {
        assert!(
            Instant::now() < deadline,
            "no \"update available\" in the node log:\n{}",
            node.log_tail()
        );
        sleep(Duration::from_millis(200));
    }
    assert!(node.log().contains("99.0.0"), "{}", node.log_tail());

    step("logged");
    // A node with no hosted account has no network to ask.
    let lonely = Node::start();
    let out = stdout_of(&lonely.wims(&["update", "check"], None), "update check");
    assert!(out.contains("no service network"), "{out}");

    step("lonely checked");
    // The announcement replaces the previous one, and versions are checked.
    let older = service.cli(&["release", "announce", "0.0.1"]);
    stdout_of(&older, "release announce 0.0.1");
    let out = stdout_of(&node.wims(&["update", "check"], None), "update check");
    assert!(out.contains("up to date"), "{out}");
    let bad = service.cli(&["release", "announce", "soon"]);
    wims_tests::assert_user_error(&bad, "release announce soon");

    step("versions checked");
    let newest = service.cli(&[
        "release",
        "announce",
        "99.1.0",
        "--url",
        "https://example.invalid/r2",
    ]);
    stdout_of(&newest, "release announce 99.1.0");
    let out = stdout_of(&node.wims(&["update", "check"], None), "update check");
    assert!(out.contains("update available: 99.1.0"), "{out}");

    // The network goes away: the running node still knows what it verified last.
    service.stop();
    let remembered = |out: &str| {
        assert!(out.contains("update available: 99.1.0"), "{out}");
        assert!(out.contains("https://example.invalid/r2"), "{out}");
        assert!(out.contains("last verified announcement"), "{out}");
    };
    let out = stdout_of(
        &node.wims(&["update", "check"], None),
        "update check without the network",
    );
    remembered(&out);

    step("remembered running");
    // Stopped: read from the store (and verified again) by the CLI's own process.
    node.stop();
    let out = stdout_of(
        &node.wims(&["update", "check"], None),
        "offline update check without the network",
    );
    remembered(&out);

    step("remembered stopped");
    // Restarted: the node knows it at start, before any check could succeed.
    node.start_again();
    let deadline = Instant::now() + LOG_WAIT;
    let known_at_start = |log: &str| {
        log.lines()
            .any(|l| l.contains("newer release known from the last check") && l.contains("99.1.0"))
    };
    while !known_at_start(&node.log()) {
        assert!(
            Instant::now() < deadline,
            "the restarted node did not say what it knew:\n{}",
            node.log_tail()
        );
        sleep(Duration::from_millis(200));
    }
    let out = stdout_of(
        &node.wims(&["update", "check"], None),
        "update check after a restart without the network",
    );
    remembered(&out);
    step("remembered restarted");
}
