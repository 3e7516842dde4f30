//! Submission checked with swaks: STARTTLS + AUTH, PIPELINING, BDAT where swaks has it,
//! 552 for oversize messages, foreign senders and recipients refused.

use wims_tests::{Node, require_tool};

const LIMIT: u64 = 1024 * 1024;

#[test]
fn swaks_submission() {
    if !require_tool("swaks", "swaks") {
        return;
    }
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .max_message_size(LIMIT)
        .start();
    node.python("swaks.py", &[&LIMIT.to_string()]);
}
