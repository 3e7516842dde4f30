//! IMAP protocol details on the wire: \Recent, multi-session updates, sequence errors,
//! CONDSTORE, LIST-EXTENDED and IMAP4rev2.

use wims_tests::Node;

#[test]
fn protocol_details() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    node.python(
        "imap_protocol.py",
        &[
            "recent",
            "sessions",
            "errors",
            "condstore",
            "rfc822",
            "listext",
            "rev2",
        ],
    );
}
