//! One account never sees another's mail, and passwords never cross the wire in clear.

use wims_tests::{Node, NodeBuilder};

fn two_accounts() -> NodeBuilder {
    Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
}

#[test]
fn alice_cannot_reach_bobs_mail() {
    let node = two_accounts().start();
    node.python("isolation.py", &["seed", "cross"]);
}

#[test]
fn no_login_before_tls() {
    let node = two_accounts().start();
    node.python("isolation.py", &["plaintext"]);
}

#[test]
fn plaintext_login_only_when_configured() {
    let node = two_accounts().allow_plaintext_auth(true).start();
    node.python("isolation.py", &["plaintext-allowed"]);
}

#[test]
fn wrong_passwords_are_refused() {
    let node = two_accounts().start();
    node.python("isolation.py", &["passwords"]);
}
