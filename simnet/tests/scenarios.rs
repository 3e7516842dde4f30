//! simnet end to end (root and the lab's programs only: it builds network namespaces): a subset of the NAT matrix
//! delivers every message by a direct path, and nothing of a run is left afterwards, whether
//! it passed, failed or was interrupted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Liveness bound for one `simnet run`; not a speed check.
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// Each test checks that no lab is left on the machine, so they run one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LABS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LABS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Skips (with a note naming what is missing) when the machine cannot build labs (not root,
/// or a program of the lab missing), except under CI, where it is a failure.
fn need_root() -> bool {
    let Err(unmet) = simnet::prereq::check(&simnet::prereq::RUN_TOOLS) else {
        return true;
    };
    assert!(!wims_tests::in_ci(), "simnet tests cannot run: {unmet}");
    eprintln!("note: simnet scenario tests skipped: {unmet}");
    false
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// `simnet run …` with the harness's wims and wims-service builds.
fn simnet(args: &[&str]) -> Command {
    let bins = wims_tests::wims_bin();
    let service = wims_tests::service_bin();
    assert_eq!(bins.parent(), service.parent(), "one build folder");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simnet"));
    cmd.args(args)
        .arg("--bin-dir")
        .arg(bins.parent().expect("binary folder"));
    cmd
}

fn run(cmd: &mut Command) -> Output {
    wims_tests::output_bounded(cmd, RUN_LIMIT)
}

/// Namespaces and links of any simnet lab still on the machine.
fn leftovers() -> Vec<String> {
    simnet::net::leftovers().expect("list leftovers")
}

#[test]
fn nat_subset_delivers_directly_and_leaves_nothing() {
    if !need_root() {
        return;
    }
    let _labs = one_at_a_time();
    let json = tempfile::NamedTempFile::new().expect("temp file");
    let json_path = json.path().display().to_string();
    let out = run(simnet(&[
        "run",
        scenario("nat-matrix.toml").to_str().expect("UTF-8 path"),
        "--only",
        "a=none b=none",
        "--only",
        "a=port-restricted b=port-restricted",
        "--only",
        "a=symmetric b=full-cone",
        "--only",
        "a=port-restricted b=symmetric",
        "--json",
        &json_path,
    ])
    .stdin(Stdio::null()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "simnet failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    let reports: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json.path()).expect("read JSON"))
            .expect("JSON report");
    let reports = reports.as_array().expect("a list of reports");
    assert_eq!(reports.len(), 4, "four cells ran:\n{stdout}");
    for r in reports {
        assert_eq!(r["ok"], true, "cell failed: {r}");
        let messages = r["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2, "{r}");
        for m in messages {
            let path = m["path"].as_str().unwrap_or("-");
            assert!(
                path == "direct" || path == "hole-punched",
                "message went by {path:?}, not a direct path: {r}"
            );
        }
    }
    // The table has the matrix.
    assert!(stdout.contains("a \\ b"), "{stdout}");
    let left = leftovers();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!lab_process_runs(), "a process of the lab still runs");
}

#[test]
fn a_failed_run_leaves_nothing() {
    if !need_root() {
        return;
    }
    let _labs = one_at_a_time();
    let dir = tempfile::tempdir().expect("temp dir");
    // Bob never becomes reachable and the wait is too short: the run fails mid-way.
    let file = dir.path().join("fails.toml");
    std::fs::write(
        &file,
        r#"
name = "fails"
partners = [["alpha.h", "beta.h"]]
[[server]]
name = "s1"
[[node]]
name = "a"
nat = "symmetric"
accounts = ["alice@alpha.h"]
[[node]]
name = "b"
accounts = ["bob@beta.h"]
[[step]]
kill = "b"
[[step]]
send = { from = "alice@alpha.h", to = "bob@beta.h", bytes = 1000 }
[[step]]
wait_delivered = 1
"#,
    )
    .expect("write scenario");
    let out = run(simnet(&["run", file.to_str().expect("UTF-8 path")]).stdin(Stdio::null()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the run should fail:\n{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    let left = leftovers();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!lab_process_runs(), "a process of the lab still runs");
}

#[test]
fn an_interrupted_run_leaves_nothing() {
    if !need_root() {
        return;
    }
    let _labs = one_at_a_time();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("long.toml");
    std::fs::write(
        &file,
        r#"
name = "long"
[[server]]
name = "s1"
[[node]]
name = "a"
nat = "port-restricted"
accounts = ["alice@alpha.h"]
[[step]]
sleep = 600.0
"#,
    )
    .expect("write scenario");
    let mut child = simnet(&["run", file.to_str().expect("UTF-8 path")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start simnet");
    // Interrupted once the node runs inside the lab.
    let t = Instant::now();
    while !lab_process_runs() {
        assert!(t.elapsed() < RUN_LIMIT, "the lab never came up");
        assert!(
            child.try_wait().expect("wait").is_none(),
            "simnet ended early"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(t.elapsed() < RUN_LIMIT, "simnet ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!status.success(), "an interrupted run is not a success");
    let left = leftovers();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!lab_process_runs(), "a process of the lab still runs");
}

/// A `wims … run` or `wims-service … run` started by simnet (its data folder is under a
/// simnet run folder).
fn lab_process_runs() -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        std::fs::read(p.path().join("cmdline")).is_ok_and(|c| {
            let c = String::from_utf8_lossy(&c);
            c.contains("/simnet-") && c.contains("\0run") && !c.contains("simnet\0run")
        })
    })
}
