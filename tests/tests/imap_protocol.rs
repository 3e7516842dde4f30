//! IMAP protocol details on the wire: \Recent, multi-session updates, sequence errors,
//! CONDSTORE, LIST-EXTENDED and IMAP4rev2.

use wims_tests::Node;

/// Each phase of `tests/py/imap_protocol.py` on a node of its own, so a failure names it.
fn phase(name: &str) {
    Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start()
        .python("imap_protocol.py", &[name]);
}

#[test]
fn recent_is_given_to_one_session() {
    phase("recent");
}

#[test]
fn sessions_see_each_others_changes() {
    phase("sessions");
}

#[test]
fn sequence_errors() {
    phase("errors");
}

#[test]
fn condstore() {
    phase("condstore");
}

#[test]
fn rfc822_fetch_items() {
    phase("rfc822");
}

#[test]
fn list_extended() {
    phase("listext");
}

#[test]
fn imap4rev2() {
    phase("rev2");
}
