//! Broken clients: malformed commands and connections that vanish mid-upload.

use wims_tests::Node;

fn node() -> Node {
    Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .start()
}

#[test]
fn malformed_commands_get_bad_and_the_connection_goes_on() {
    let node = node();
    node.python("robustness.py", &["malformed"]);
}

#[test]
fn floods_do_not_take_the_node_down() {
    let mut node = node();
    node.python("robustness.py", &["flood"]);
    // Still answering, and still stopping cleanly.
    node.stop();
}

#[test]
fn dropped_uploads_leave_no_half_message_even_after_restart() {
    let mut node = node();
    node.python("robustness.py", &["drop-append", "drop-submit"]);
    node.restart();
    node.python("robustness.py", &["verify"]);
    // A crash right after the drops must not resurrect anything either.
    node.crash_restart();
    node.python("robustness.py", &["verify"]);
    node.stop();
}
