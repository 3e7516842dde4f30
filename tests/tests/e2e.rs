//! A user's day with real clients: a 50 MiB attachment from alice to bob over STARTTLS
//! submission and IMAPS, flags that survive a restart, and IDLE notification of new mail.

use wims_tests::Node;

#[test]
fn large_attachment_flags_survive_restart_and_idle_hears_new_mail() {
    let mut node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .start();
    node.python("e2e.py", &["tls", "send"]);
    node.restart();
    node.python("e2e.py", &["after-restart", "idle"]);
    node.stop();
}
