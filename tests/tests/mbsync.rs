//! Two-way sync of a 1000-message mailbox with mbsync (isync) and a local Maildir.

use wims_tests::{Node, require_tool};

#[test]
fn mbsync_two_way_sync_converges() {
    if !require_tool("mbsync", "isync") {
        return;
    }
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    node.python("mbsync.py", &[]);
}
