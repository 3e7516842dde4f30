//! `simnet run` on a machine that cannot build a lab fails at once, before any lab or program
//! is started, with one line naming what is missing (and the Debian package of each missing
//! program). Runs anywhere: as a user (root is missing), as root on a machine that lacks a
//! program, and as root on a complete machine by running simnet as `nobody` (with setpriv).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use simnet::prereq::{self, Missing, Privileges, RUN_TOOLS};

/// Liveness bound; the check itself takes milliseconds.
const LIMIT: Duration = Duration::from_secs(60);

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/node-offline.toml")
}

/// Runs `cmd` (a `simnet run`) and checks it failed promptly with exactly one line on stderr
/// that says what `expected` names; returns that line.
fn fails_with_one_line(cmd: &mut Command, expected: &[Missing]) -> String {
    let started = Instant::now();
    let out = wims_tests::output_bounded(cmd.stdin(Stdio::null()), LIMIT);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "simnet run succeeded on a machine that lacks {expected:?}: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "one line expected on stderr, got:\n{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing was run, so nothing is reported: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let line = lines[0].to_string();
    assert!(
        line.contains("simnet cannot build its lab network here"),
        "{line}"
    );
    for m in expected {
        match m {
            Missing::Tool(t) => assert!(
                line.contains(&format!("`{}`", t.command)) && line.contains(t.package),
                "{} ({}) not named: {line}",
                t.command,
                t.package
            ),
            Missing::Root => assert!(line.contains("root"), "{line}"),
            Missing::Capability(c) => assert!(line.contains(c), "{line}"),
        }
    }
    assert!(
        started.elapsed() < LIMIT,
        "the check took {:?}",
        started.elapsed()
    );
    line
}

#[test]
fn an_unready_machine_is_told_at_once_in_one_line() {
    let simnet = env!("CARGO_BIN_EXE_simnet");
    // A folder without wims binaries: the check comes before simnet looks for them.
    let empty = tempfile::tempdir().expect("temporary folder");
    let here = prereq::missing(&RUN_TOOLS, &prereq::search_dirs(), Privileges::current());
    if !here.is_empty() {
        let mut cmd = Command::new(simnet);
        cmd.arg("run")
            .arg(scenario())
            .arg("--bin-dir")
            .arg(empty.path());
        let line = fails_with_one_line(&mut cmd, &here);
        assert_eq!(
            line,
            format!("Error: {}", prereq::Unmet(here)),
            "the line states what the library finds missing"
        );
        return;
    }
    // Root with every program: run it as nobody, who is not root.
    let Some(setpriv) = prereq::find_in("setpriv", &prereq::search_dirs()) else {
        eprintln!("note: this machine can build labs and has no setpriv; nothing to check");
        return;
    };
    let exe_readable = Command::new(&setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(simnet)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exe_readable {
        eprintln!("note: nobody cannot run {simnet} here; nothing to check");
        return;
    }
    let mut cmd = Command::new(&setpriv);
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(simnet)
        .arg("run")
        .arg(scenario())
        .arg("--bin-dir")
        .arg(empty.path());
    let line = fails_with_one_line(&mut cmd, &[Missing::Root]);
    assert!(line.contains("sudo"), "{line}");
}

#[test]
fn cleanup_names_what_it_lacks_too() {
    let here = prereq::missing(
        &prereq::CLEANUP_TOOLS,
        &prereq::search_dirs(),
        Privileges::current(),
    );
    if here.is_empty() {
        // Running it would sweep the machine's leftover labs; not this test's business.
        return;
    }
    let out = wims_tests::output_bounded(
        Command::new(env!("CARGO_BIN_EXE_simnet"))
            .arg("cleanup")
            .stdin(Stdio::null()),
        LIMIT,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!("Error: {}", prereq::Unmet(here)),
        "{stderr}"
    );
}
