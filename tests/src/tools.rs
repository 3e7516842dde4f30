//! What the tests share besides the daemons: the binaries under test (built once), external
//! tools (skipped, or failed under CI, when missing), and checks of command output and files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

pub(crate) fn test_log_level() -> String {
    std::env::var("WIMS_TEST_LOG_LEVEL").unwrap_or_else(|_| "3".into())
}

/// Overlay listen addresses on free ports (QUIC and TCP), for nodes and service servers.
pub const OVERLAY_PORT_ZERO: [&str; 2] = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"];

pub(crate) fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The `address` of an account profile (TOML written by `wims-service account create`).
pub fn profile_address(profile: &Path) -> String {
    let text = fs::read_to_string(profile)
        .unwrap_or_else(|e| panic!("cannot read profile {}: {e}", profile.display()));
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "address").then(|| v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("profile {} has no address:\n{text}", profile.display()))
}

pub(crate) fn check_output(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "`{what}` failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

/// Every regular file under `dir` (recursively, symlinks not followed) whose bytes contain
/// `needle`: for checking that plaintext never lands where it must not. Files vanishing
/// while the walk runs are skipped; sockets and other special files are not read.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    assert!(!needle.is_empty(), "empty needle");
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file()
                && let Ok(bytes) = fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// True when running under CI, where missing tools are failures rather than skips.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Finds an executable on PATH.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether an external client is installed. Under CI a missing one fails the test; elsewhere
/// the test is skipped with a note, so a developer without it can still run the rest.
pub fn require_tool(tool: &str, debian_package: &str) -> bool {
    if find_tool(tool).is_some() {
        return true;
    }
    let msg = format!(
        "`{tool}` is not installed (Debian package `{debian_package}`); scripts/test installs it"
    );
    if in_ci() {
        panic!("{msg}; CI must run this test");
    }
    // Written past the test harness's output capture so the skip shows in a normal run.
    let _ = writeln!(std::io::stderr(), "note: skipping this test: {msg}");
    false
}

/// The `wims` binary under test: `WIMS_BIN`, or `target/<profile>/wims` next to the running test
/// executable, built (or brought up to date) by cargo on first use. `cargo test` builds other
/// packages' binaries only when it tests them, so the harness makes sure it is current.
pub fn wims_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| binary("WIMS_BIN", "wims")).clone()
}

/// The `wims-service` binary under test: `WIMS_SERVICE_BIN`, or
/// `target/<profile>/wims-service`, built like [`wims_bin`].
pub fn service_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| binary("WIMS_SERVICE_BIN", "wims-service"))
        .clone()
}

fn binary(env: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let dir = profile_dir();
    build_binaries(&dir);
    let bin = dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing after building it",
        bin.display()
    );
    bin
}

/// `target/<profile>`, where the running test executable lives.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("test executable folder").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    dir
}

/// Builds both binaries in one cargo run, once per test process, whichever is asked for first
/// (one build keeps cargo's lock and the shared dependencies to a single pass). A binary
/// given through its environment variable is not built.
fn build_binaries(profile_dir: &Path) {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut targets: Vec<&str> = Vec::new();
        if std::env::var_os("WIMS_BIN").is_none() {
            targets.extend(["-p", "node", "--bin", "wims"]);
        }
        if std::env::var_os("WIMS_SERVICE_BIN").is_none() {
            targets.extend(["-p", "service", "--bin", "wims-service"]);
        }
        if targets.is_empty() {
            return;
        }
        let cargo = std::env::var("CARGO")
            .ok()
            .or_else(|| option_env!("CARGO").map(String::from))
            .unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut cmd = Command::new(&cargo);
        cmd.args(["build", "--quiet"])
            .args(&targets)
            .arg("--manifest-path")
            .arg(&manifest);
        if let Some(target) = profile_dir.parent() {
            cmd.arg("--target-dir").arg(target);
        }
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cargo} to build wims: {e}"));
        assert!(
            out.status.success(),
            "building {} failed ({}):\n{}{}",
            targets.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Asserts a CLI user error: non-zero exit and one clear line on stderr, without a panic or a
/// backtrace.
pub fn assert_user_error(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "`{what}` should fail but exited {}; stderr: {stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "`{what}` panicked instead of reporting an error:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() == 1,
        "`{what}` should print exactly one error line on stderr, got {}:\n{stderr}",
        lines.len()
    );
}

/// Runs a command that is expected to exit by itself, killing it if it is still running after
/// `limit` (a liveness bound, so a command that wrongly keeps running fails instead of hanging).
pub fn output_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{cmd:?} was still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("wait")
}
