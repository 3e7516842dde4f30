//! Message rules (docs/rules.md): `wims rules` keeps, checks, lists and activates an account's
//! Sieve scripts (through the running node, and on the stopped node's store), and the active
//! script decides where a message submitted over SMTP is filed (`tests/py/rules.py`).

use wims_tests::Node;

const SCRIPT: &str = r#"require ["fileinto", "imap4flags", "mailbox", "ihave"];
if header :is "X-Wims-Type" "invoice" {
    fileinto :create :flags "\\Flagged" "Invoices";
    stop;
}
if header :contains "Subject" "explode" {
    fileinto :create "Exploded";
    frobnicate;
}
"#;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn rules_are_kept_checked_and_file_mail_at_delivery() {
    let mut node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .start();
    let good = node.work_dir().join("main.sieve");
    std::fs::write(&good, SCRIPT).unwrap();
    let bad = node.work_dir().join("bad.sieve");
    std::fs::write(
        &bad,
        "require \"fileinto\";\nif true {\n  fileinto \"A\";\n",
    )
    .unwrap();
    let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());

    // Checked without keeping: the bad one says where.
    let o = node.wims(&["rules", "check", good], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = node.wims(&["rules", "check", bad], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Line 2, column"), "{}", stderr(&o));

    // Kept through the running node; a bad script is not kept.
    let o = node.wims(&["rules", "put", "bob@kapur.h", "broken", bad], None);
    assert!(
        !o.status.success() && stderr(&o).contains("not closed"),
        "{}",
        stderr(&o)
    );
    let o = node.wims(
        &["rules", "put", "bob@kapur.h", "main", good, "--activate"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = node.wims(&["rules", "list", "bob@kapur.h"], None);
    assert!(stdout(&o).contains("* main ("), "{}", stdout(&o));
    let o = node.wims(&["rules", "show", "bob@kapur.h", "main"], None);
    assert_eq!(stdout(&o), SCRIPT);
    let o = node.wims(&["rules", "remove", "bob@kapur.h", "main"], None);
    assert!(
        !o.status.success() && stderr(&o).contains("active"),
        "{}",
        stderr(&o)
    );

    node.python("rules.py", &[]);

    // The stopped node's store answers the same; turning the rules off leaves the script.
    node.stop();
    let o = node.wims(&["rules", "off", "bob@kapur.h"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = node.wims(&["rules", "list", "bob@kapur.h"], None);
    assert!(stdout(&o).contains("  main ("), "{}", stdout(&o));
    let o = node.wims(&["rules", "list", "nobody@kapur.h"], None);
    assert!(!o.status.success());
}
