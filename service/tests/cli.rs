//! Runs the real `wims-service` binary: init, offline admin, run, admin through the socket
//! while it runs, SIGTERM.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wire::{AccountProfile, ServerAddr};

const BIN: &str = env!("CARGO_BIN_EXE_wims-service");

fn service(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("wims-service runs")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = service(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Fails with exactly one line on stderr.
fn fails(data: &Path, args: &[&str]) -> String {
    let out = service(data, args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn profile(p: &Path) -> AccountProfile {
    AccountProfile::from_toml(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Ephemeral ports, so tests run side by side.
fn use_port_zero(data: &Path) {
    let cfg = data.join("wims-service.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "listen = [\"/ip4/127.0.0.1/udp/4100/quic-v1\", \"/ip4/127.0.0.1/tcp/4100\"]",
        "listen = [\"/ip4/127.0.0.1/udp/0/quic-v1\", \"/ip4/127.0.0.1/tcp/0\"]",
    );
    assert!(text.contains("/udp/0/quic-v1"));
    std::fs::write(&cfg, text).unwrap();
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn init_admin_run_and_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    // init
    let out = ok(&data, &["init", "--network", "testnet"]);
    assert!(out.contains("testnet"), "{out}");
    for f in ["wims-service.toml", "ca.key", "keys/server.key"] {
        assert!(data.join(f).is_file(), "{f}");
    }
    assert!(data.join("db").is_dir());
    assert_eq!(mode(&data.join("ca.key")), 0o600);
    assert_eq!(mode(&data.join("keys/server.key")), 0o600);
    assert_eq!(
        std::fs::read(data.join("keys/server.key")).unwrap().len(),
        32
    );
    assert!(fails(&data, &["init"]).contains("already exists"));
    use_port_zero(&data);

    // Admin while stopped: straight to the database.
    let bob = tmp.path().join("bob.profile");
    let out = ok(
        &data,
        &[
            "account",
            "create",
            "Bob@Kapur.h",
            "--name",
            "Bob",
            "--out",
            bob.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("bob@kapur.h") && out.contains("bob.profile"),
        "{out}"
    );
    assert_eq!(mode(&bob), 0o600);
    let p = profile(&bob);
    assert_eq!(p.address, "bob@kapur.h");
    assert_eq!(p.display_name, "Bob");
    assert!(p.servers[0].peer_id.starts_with("12D3KooW"));
    assert_eq!(
        p.servers[0].addrs,
        ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]
    );
    assert!(
        fails(
            &data,
            &[
                "account",
                "create",
                "bob@kapur.h",
                "--out",
                bob.to_str().unwrap()
            ]
        )
        .contains("already exists")
    );
    let again = tmp.path().join("again.profile");
    assert!(
        fails(
            &data,
            &[
                "account",
                "create",
                "bob@kapur.h",
                "--out",
                again.to_str().unwrap()
            ]
        )
        .contains("bob@kapur.h")
    );
    assert!(!again.exists(), "a refused create leaves no profile file");
    assert!(
        fails(
            &data,
            &[
                "account",
                "create",
                "nobody",
                "--out",
                again.to_str().unwrap()
            ]
        )
        .contains("nobody")
    );
    let out = ok(&data, &["partner", "add", "Kapur.h", "x@Beta.h"]);
    assert!(out.contains("kapur.h") && out.contains("x@beta.h"), "{out}");
    let out = ok(&data, &["partner", "list"]);
    assert!(out.contains("kapur.h <-> x@beta.h"), "{out}");
    let out = ok(&data, &["account", "list"]);
    assert!(
        out.contains("bob@kapur.h") && out.contains("created"),
        "{out}"
    );

    // run
    let child = Command::new(BIN)
        .arg("--data")
        .arg(&data)
        .args(["--log-level", "2", "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let endpoints: ServerAddr =
        serde_json::from_str(&wait_for(&data.join("run/endpoints.json"))).unwrap();
    assert_eq!(endpoints.peer_id, p.servers[0].peer_id);
    assert_eq!(endpoints.addrs.len(), 2, "{endpoints:?}");
    for a in &endpoints.addrs {
        assert!(a.starts_with("/ip4/127.0.0.1/"), "{a}");
        assert!(
            !a.contains("/p2p/") && !a.ends_with("/0") && !a.contains("/0/"),
            "{a}"
        );
    }
    assert!(data.join("run/admin.sock").exists());

    // Admin while running: through the socket (the database is locked by the server).
    let carol = tmp.path().join("carol.profile");
    ok(
        &data,
        &[
            "account",
            "create",
            "carol@kapur.h",
            "--out",
            carol.to_str().unwrap(),
        ],
    );
    assert_eq!(profile(&carol).servers[0].addrs, endpoints.addrs);
    let out = ok(&data, &["account", "disable", "bob@kapur.h"]);
    assert!(out.contains("bob@kapur.h"), "{out}");
    let out = ok(&data, &["account", "list"]);
    assert!(
        out.contains("carol@kapur.h") && out.contains("disabled"),
        "{out}"
    );
    ok(&data, &["partner", "remove", "x@beta.h", "kapur.h"]);
    assert!(fails(&data, &["partner", "remove", "x@beta.h", "kapur.h"]).contains("x@beta.h"));
    assert!(fails(&data, &["run"]).contains("registry"));

    // SIGTERM: clean stop, run/ files gone.
    let pid = running.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = running.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let mut stdout = String::new();
    std::io::Read::read_to_string(running.0.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert!(
        stdout.contains("listening on") && stdout.contains("Stopped cleanly"),
        "{stdout}"
    );
    assert!(!data.join("run/endpoints.json").exists());
    assert!(!data.join("run/admin.sock").exists());

    // Durable: what the running server did is in the database.
    let out = ok(&data, &["account", "list"]);
    assert!(
        out.contains("bob@kapur.h") && out.contains("disabled"),
        "{out}"
    );
    assert!(out.contains("carol@kapur.h"), "{out}");
    assert!(ok(&data, &["partner", "list"]).contains("No partnerships"));
}

#[test]
fn a_second_server_joins_with_the_ca_file() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    ok(&one, &["init", "--network", "kapur"]);
    let out = ok(
        &two,
        &["init", "--join", one.join("ca.key").to_str().unwrap()],
    );
    assert!(out.contains("kapur"), "{out}");
    assert_eq!(
        std::fs::read(one.join("ca.key")).unwrap(),
        std::fs::read(two.join("ca.key")).unwrap()
    );
    assert_ne!(
        std::fs::read(one.join("keys/server.key")).unwrap(),
        std::fs::read(two.join("keys/server.key")).unwrap()
    );
    let bad: PathBuf = tmp.path().join("not-a-key");
    std::fs::write(&bad, "nope").unwrap();
    assert!(
        fails(
            &tmp.path().join("three"),
            &["init", "--join", bad.to_str().unwrap()]
        )
        .contains("not-a-key")
    );
}

#[test]
fn languages_and_missing_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("none");
    assert!(fails(&data, &["account", "list"]).contains("init"));
    assert!(fails(&data, &["--lang", "xx-XX", "account", "list"]).contains("de-DE"));
    let de = fails(&data, &["--lang", "de-DE", "run"]);
    assert!(de.contains("Datenordner"), "{de}");
    let help = ok(&data, &["--lang", "de-DE", "account", "create", "--help"]);
    assert!(help.contains("Anzeigename"), "{help}");
    // The configured language speaks before anything else is read.
    let configured = tmp.path().join("configured");
    std::fs::create_dir(&configured).unwrap();
    std::fs::write(
        configured.join("wims-service.toml"),
        "[service]\nlanguage = \"de-DE\"\n",
    )
    .unwrap();
    let de = fails(&configured, &["account", "list"]);
    assert!(de.contains("Datenordner"), "{de}");
}
