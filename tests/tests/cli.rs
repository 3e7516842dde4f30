//! The `wims` command line: init, accounts (also while the node runs), clean shutdown, and
//! user errors that read as one clear line instead of a panic.

use std::fs;

use wims_tests::{Node, assert_user_error};

fn list(node: &Node) -> String {
    let out = node.wims(&["account", "list"], None);
    assert!(
        out.status.success(),
        "wims account list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn init_writes_config_key_and_certificate() {
    let node = Node::start();
    let data = node.data_dir();
    for file in ["tls/cert.pem", "tls/key.pem"] {
        let text = fs::read_to_string(data.join(file)).unwrap_or_default();
        assert!(text.contains("-----BEGIN "), "{file} is not PEM after init");
    }
    let key = fs::read_to_string(data.join("tls/key.pem")).unwrap_or_default();
    assert!(
        key.contains("PRIVATE KEY"),
        "tls/key.pem holds no private key"
    );
    // The harness overwrote wims.toml; a second folder shows what init writes.
    let fresh = tempfile::tempdir().unwrap();
    let dir = fresh.path().join("node");
    let out = std::process::Command::new(wims_tests::wims_bin())
        .arg("--data")
        .arg(&dir)
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success(), "wims init: {out:?}");
    let toml = fs::read_to_string(dir.join("wims.toml")).expect("init writes wims.toml");
    assert!(
        toml.contains('#'),
        "wims.toml should explain its settings in comments"
    );
    for key in [
        "[imap]",
        "[submission]",
        "listen",
        "tls_listen",
        "allow_plaintext_auth",
        "max_message_size",
        "max_recipients",
        "level",
    ] {
        assert!(
            toml.contains(key),
            "wims.toml written by init lacks `{key}`:\n{toml}"
        );
    }
    let again = std::process::Command::new(wims_tests::wims_bin())
        .arg("--data")
        .arg(&dir)
        .arg("init")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        !stderr.contains("panicked"),
        "a second init panicked:\n{stderr}"
    );
    let cert_after = fs::read_to_string(dir.join("tls/cert.pem")).unwrap();
    assert!(
        cert_after.contains("-----BEGIN "),
        "a second init must not destroy the certificate"
    );
}

#[test]
fn accounts_are_managed_while_the_node_runs() {
    let mut node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    assert!(
        list(&node).contains("alice@kapur.h"),
        "account list lacks alice"
    );

    // Added while running: usable at once, without a restart.
    node.add_account("carol@kapur.h", "carol-first-pass");
    assert!(
        list(&node).contains("carol@kapur.h"),
        "account list lacks carol"
    );
    node.python("login.py", &["carol@kapur.h", "carol-first-pass", "ok"]);

    let out = node.wims(
        &["account", "passwd", "carol@kapur.h", "--password-stdin"],
        Some("carol-second-pass\n"),
    );
    assert!(
        out.status.success(),
        "account passwd: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.set_known_password("carol@kapur.h", "carol-second-pass");
    node.python("login.py", &["carol@kapur.h", "carol-second-pass", "ok"]);
    node.python(
        "login.py",
        &["carol@kapur.h", "carol-first-pass", "refused"],
    );

    let out = node.wims(&["account", "remove", "carol@kapur.h", "--yes"], None);
    assert!(
        out.status.success(),
        "account remove: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !list(&node).contains("carol@kapur.h"),
        "carol still listed after remove"
    );
    node.python(
        "login.py",
        &["carol@kapur.h", "carol-second-pass", "refused"],
    );

    // Everything above outlives a restart, and SIGTERM is a clean exit.
    node.restart();
    node.python("login.py", &["alice@kapur.h", "alice-correct-horse", "ok"]);
    node.python(
        "login.py",
        &["carol@kapur.h", "carol-second-pass", "refused"],
    );
    node.stop();
}

#[test]
fn user_errors_are_one_clear_line() {
    let mut node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .start();
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (
            vec!["account", "add", "alice@kapur.h", "--password-stdin"],
            Some("again\n"),
        ),
        (
            vec!["account", "add", "not-an-address", "--password-stdin"],
            Some("pw-pw-pw-pw\n"),
        ),
        (
            vec!["account", "add", "two@@kapur.h", "--password-stdin"],
            Some("pw-pw-pw-pw\n"),
        ),
        (
            vec!["account", "passwd", "nobody@kapur.h", "--password-stdin"],
            Some("pw-pw-pw-pw\n"),
        ),
        (vec!["account", "remove", "nobody@kapur.h", "--yes"], None),
    ];
    for (args, stdin) in &cases {
        let out = node.wims(args, *stdin);
        assert_user_error(&out, &format!("wims {}", args.join(" ")));
    }
    // A data folder that cannot exist.
    let out = std::process::Command::new(wims_tests::wims_bin())
        .args(["--data", "/proc/version/impossible", "account", "list"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_user_error(&out, "wims --data /proc/version/impossible account list");
    node.stop();
    // A broken config is reported, not panicked on.
    fs::write(node.data_dir().join("wims.toml"), "[imap\nlisten = 5\n").unwrap();
    let mut cmd = std::process::Command::new(wims_tests::wims_bin());
    cmd.arg("--data").arg(node.data_dir()).arg("run");
    let out = wims_tests::output_bounded(&mut cmd, std::time::Duration::from_secs(120));
    assert_user_error(&out, "wims run with a broken wims.toml");
}
