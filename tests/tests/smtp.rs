//! SMTP submission with Python's smtplib and a hand-rolled pipelining/BDAT client.

use wims_tests::{Node, NodeBuilder};

const LIMIT: u64 = 1024 * 1024;
const MAX_RCPT: u32 = 5;

fn node() -> NodeBuilder {
    Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .max_message_size(LIMIT)
        .max_recipients(MAX_RCPT)
}

fn smtp(node: &Node, phases: &[&str]) {
    let (limit, max) = (LIMIT.to_string(), MAX_RCPT.to_string());
    let mut args = vec![limit.as_str(), max.as_str()];
    args.extend_from_slice(phases);
    node.python("smtp.py", &args);
}

#[test]
fn extensions_and_local_delivery() {
    smtp(&node().start(), &["ehlo", "deliver", "utf8", "msgtype"]);
}

#[test]
fn foreign_recipients_and_senders_are_refused() {
    smtp(&node().start(), &["refuse", "recipients", "forged"]);
}

#[test]
fn pipelining_and_chunking() {
    smtp(&node().start(), &["pipelining", "chunking"]);
}

#[test]
fn oversize_messages_get_552() {
    smtp(&node().start(), &["oversize"]);
}
