//! Cases from Dovecot's imaptest suite the node once failed, kept as the project's own:
//! subscriptions and LSUB, LIST-EXTENDED, CONDSTORE enabling and ESEARCH MODSEQ, body line
//! counts, ENVELOPE groups and routes, address search, NULs in BODY, ID before login;
//! and the extensions MULTIAPPEND, UTF8=ACCEPT, COMPRESS=DEFLATE, QRESYNC, CONTEXT=SEARCH/SORT,
//! CATENATE, URLAUTH and NOTIFY.

use wims_tests::Node;

/// Each phase of `tests/py/imap_compliance.py` on a node of its own, so a failure names it.
fn phase(name: &str) {
    Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start()
        .python("imap_compliance.py", &[name]);
}

#[test]
fn subscriptions_and_lsub() {
    phase("subscribe");
}

#[test]
fn list_extended() {
    phase("listext");
}

#[test]
fn condstore_enable_and_esearch_modseq() {
    phase("condstore");
}

#[test]
fn body_line_counts() {
    phase("structure");
}

#[test]
fn envelope_groups_and_routes() {
    phase("envelope");
}

#[test]
fn address_search() {
    phase("addresses");
}

#[test]
fn nuls_in_body() {
    phase("binary");
}

#[test]
fn id_before_login() {
    phase("id");
}

#[test]
fn multiappend() {
    phase("multiappend");
}

#[test]
fn utf8_accept() {
    phase("utf8");
}

#[test]
fn compress_deflate() {
    phase("compress");
}

#[test]
fn qresync() {
    phase("qresync");
}

#[test]
fn context_search_and_sort() {
    phase("context");
}

#[test]
fn catenate() {
    phase("catenate");
}

#[test]
fn urlauth() {
    phase("urlauth");
}

#[test]
fn notify() {
    phase("notify");
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
