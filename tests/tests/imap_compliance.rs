//! Cases from Dovecot's imaptest suite the node once failed, kept as the project's own:
//! subscriptions and LSUB, LIST-EXTENDED, CONDSTORE enabling and ESEARCH MODSEQ, body line
//! counts, ENVELOPE groups and routes, address search, NULs in BODY, ID before login;
//! and the extensions MULTIAPPEND, UTF8=ACCEPT and COMPRESS=DEFLATE.

use wims_tests::Node;

#[test]
fn imaptest_cases() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    node.python(
        "imap_compliance.py",
        &[
            "subscribe",
            "listext",
            "condstore",
            "structure",
            "envelope",
            "addresses",
            "binary",
            "id",
            "multiappend",
            "utf8",
            "compress",
        ],
    );
}
