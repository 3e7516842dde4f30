//! Attacks on the client endpoints by strangers and by clients that misbehave on purpose:
//! each is refused or bounded, the node stays small and keeps serving everyone else.

use wims_tests::Node;

/// Peak resident memory a node may reach under these attacks (security.md).
const PEAK_RSS_MIB: &str = "100";

#[test]
fn oversized_commands_and_mime_bombs_leave_memory_small() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    node.python(
        "hostile.py",
        &[
            "literal-chain",
            "prelogin-append",
            "mime-bomb",
            "peak-rss",
            PEAK_RSS_MIB,
        ],
    );
}

#[test]
fn a_burst_of_bad_logins_hashes_a_few_at_a_time() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    node.python("hostile.py", &["login-flood", "peak-rss", PEAK_RSS_MIB]);
}

#[test]
fn connection_caps_timeouts_and_slow_readers() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .imap_setting("login_timeout = 2")
        .extra_toml(
            "[limits]\nmax_connections = 5\nmax_connections_per_ip = 3\nwrite_timeout = 3\n",
        )
        .start();
    node.python("hostile.py", &["conn-cap", "login-timeout", "slow-reader"]);
}
