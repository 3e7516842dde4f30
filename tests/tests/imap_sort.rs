//! SORT, THREAD and ESORT on the wire against a running node: every sort key, base subjects,
//! both threading algorithms, ESEARCH answers in sort order, and hostile inputs.

use wims_tests::Node;

#[test]
fn sort_and_thread() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    node.python(
        "imap_sort.py",
        &["caps", "sort", "esort", "thread", "hostile"],
    );
}
