//! The Python client scripts under `tests/py/` (imaplib, smtplib and the protocol probes),
//! run against one node or several.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) fn accounts_json(accounts: &[(String, String)]) -> String {
    let list: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(a, p)| serde_json::json!({ "address": a, "password": p }))
        .collect();
    serde_json::Value::from(list).to_string()
}

/// Runs a client script with `env` set, in `work` (also `WIMS_WORK`), asserting it exits 0.
pub fn run_python(
    script: &str,
    args: &[&str],
    work: &Path,
    env: &[(String, std::ffi::OsString)],
) -> String {
    let path = py_dir().join(script);
    let mut cmd = Command::new(python());
    cmd.arg("-u")
        .arg(&path)
        .args(args)
        .current_dir(work)
        .env("WIMS_WORK", work)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONPATH", py_dir())
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", python(), path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("--- {script} {}\n{stdout}{stderr}", args.join(" "));
    if !out.status.success() {
        // The whole output is above; the failure message keeps only its end.
        let all = format!("{stdout}{stderr}");
        let lines: Vec<&str> = all.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        panic!(
            "{script} {} failed ({}); last lines of its output:\n{tail}",
            args.join(" "),
            out.status
        );
    }
    stdout
}

/// The folder of the Python client scripts.
pub fn py_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("py")
}

/// Whether the Python the scripts run on can import `module`. Under CI a missing one fails the
/// test; elsewhere the test is skipped with a note, as with a missing tool.
pub fn require_python_module(module: &str, pip_spec: &str) -> bool {
    let found = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    let msg = format!(
        "the Python module `{module}` is not installed (pip `{pip_spec}`); scripts/test installs it"
    );
    if crate::in_ci() {
        panic!("{msg}; CI must run this test");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: skipping this test: {msg}");
    false
}

fn python() -> String {
    std::env::var("WIMS_PYTHON").unwrap_or_else(|_| "python3".into())
}
