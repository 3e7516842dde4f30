//! The Python client scripts under `tests/py/` (imaplib, smtplib and the protocol probes),
//! run against one node or several.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::node::Node;

pub(crate) fn accounts_json(accounts: &[(String, String)]) -> String {
    let list: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(a, p)| serde_json::json!({ "address": a, "password": p }))
        .collect();
    serde_json::Value::from(list).to_string()
}

/// Runs `tests/py/SCRIPT ARGS...` against several nodes at once and asserts it exits 0.
/// Besides what [`Node::python`] sets (`WIMS_DATA` is the first node's folder,
/// `WIMS_ACCOUNTS` every node's accounts), the script gets `WIMS_NODES`: a JSON object from
/// each node's name to `{"data": folder, "accounts": [{"address", "password"}...]}`, so
/// `wimstest` can reach each account on the node that hosts it. `work` is the scratch folder
/// (`WIMS_WORK`), kept by the caller across calls. Returns the script's stdout.
pub fn python_nodes(script: &str, args: &[&str], nodes: &[(&str, &Node)], work: &Path) -> String {
    assert!(!nodes.is_empty(), "python_nodes needs at least one node");
    let mut all: Vec<(String, String)> = Vec::new();
    let mut map = serde_json::Map::new();
    for (name, node) in nodes {
        for acc in &node.accounts {
            if !all.iter().any(|(a, _)| *a == acc.0) {
                all.push(acc.clone());
            }
        }
        let accounts: serde_json::Value =
            serde_json::from_str(&accounts_json(&node.accounts)).expect("accounts JSON");
        map.insert(
            (*name).to_string(),
            serde_json::json!({ "data": node.data, "accounts": accounts }),
        );
    }
    let env = vec![
        (
            "WIMS_DATA".to_string(),
            nodes[0].1.data.clone().into_os_string(),
        ),
        ("WIMS_ACCOUNTS".to_string(), accounts_json(&all).into()),
        (
            "WIMS_NODES".to_string(),
            serde_json::Value::Object(map).to_string().into(),
        ),
    ];
    run_python(script, args, work, &env)
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

fn python() -> String {
    std::env::var("WIMS_PYTHON").unwrap_or_else(|_| "python3".into())
}
