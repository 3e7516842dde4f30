//! Cases from Dovecot's imaptest suite the node once failed, kept as the project's own:
//! subscriptions and LSUB, LIST-EXTENDED, CONDSTORE enabling and ESEARCH MODSEQ, body line
//! counts, ENVELOPE groups and routes, address search, NULs in BODY, ID before login;
//! and the extensions MULTIAPPEND, UTF8=ACCEPT, COMPRESS=DEFLATE, QRESYNC, CONTEXT=SEARCH/SORT,
//! CATENATE, URLAUTH and NOTIFY.

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
            "qresync",
            "context",
            "catenate",
            "urlauth",
            "notify",
        ],
    );
}

/// `wims account quota` sets and clears an account's limit; IMAP reports and enforces it.
#[test]
fn quota_set_by_the_operator() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    let out = node.wims(&["account", "quota", "alice@kapur.h", "1"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("1 MiB"), "{out:?}");
    node.python("imap_compliance.py", &["quota"]);
    let bad = node.wims(&["account", "quota", "alice@kapur.h", "lots"], None);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("lots"), "{bad:?}");
    let out = node.wims(&["account", "quota", "alice@kapur.h", "none"], None);
    assert!(out.status.success(), "{out:?}");
    node.python("imap_compliance.py", &["noquota"]);
}
