//! The IMAP that mail clients rely on, checked with Python's imaplib.

use wims_tests::Node;

fn node() -> Node {
    Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start()
}

#[test]
fn capabilities_id_namespace_enable() {
    node().python("imap_basics.py", &["capability"]);
}

#[test]
fn folders_special_use_nested_create_rename_delete_status() {
    node().python("imap_basics.py", &["folders"]);
}

#[test]
fn append_fetch_search_store_copy_move_expunge() {
    node().python("imap_basics.py", &["messages"]);
}

#[test]
fn two_connections_see_each_others_changes() {
    node().python("imap_basics.py", &["connections"]);
}
