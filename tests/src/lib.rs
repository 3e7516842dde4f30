//! Harness for end-to-end tests: each test starts the real `wims` binary on 127.0.0.1 with
//! ephemeral ports in its own temporary data folder, and drives it with real clients (Python's
//! imaplib/smtplib scripts under `tests/py/`, mbsync, swaks).
//!
//! Environment knobs:
//! - `WIMS_BIN`: use this binary instead of building `target/<profile>/wims`.
//! - `WIMS_TEST_LOG_LEVEL`: node log level 0..5 (default 3).
//! - `WIMS_TEST_KEEP`: keep the temporary folder of a failed test and print where it is.
//! - `CI`: tests whose external tool is missing fail instead of being skipped.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Readiness bounds. They only keep a broken node from hanging the suite forever; no test
/// asserts how fast anything is.
const START_WAIT: Duration = Duration::from_secs(180);
const STOP_WAIT: Duration = Duration::from_secs(120);

/// How much of the node log to show when a test fails.
const LOG_TAIL_BYTES: u64 = 48 * 1024;

/// The listeners the node actually bound, as it reports them in `run/endpoints.json`.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    /// IMAP with STARTTLS.
    pub imap: SocketAddr,
    /// IMAP over implicit TLS.
    pub imaps: SocketAddr,
    /// SMTP submission with STARTTLS.
    pub submission: SocketAddr,
    /// SMTP submission over implicit TLS.
    pub submissions: SocketAddr,
}

impl Endpoints {
    fn parse(text: &str) -> Option<Endpoints> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let addr = |k: &str| v.get(k)?.as_str()?.parse::<SocketAddr>().ok();
        Some(Endpoints {
            imap: addr("imap")?,
            imaps: addr("imaps")?,
            submission: addr("submission")?,
            submissions: addr("submissions")?,
        })
    }
}

/// Settings written into the node's `wims.toml`; everything else keeps the node's default.
#[derive(Debug, Clone, Default)]
pub struct NodeBuilder {
    accounts: Vec<(String, String)>,
    max_message_size: Option<u64>,
    max_recipients: Option<u32>,
    allow_plaintext_auth: Option<bool>,
    extra_toml: String,
}

impl NodeBuilder {
    /// An account created with the CLI after `init`, before the node first runs.
    pub fn account(mut self, address: &str, password: &str) -> Self {
        self.accounts.push((address.into(), password.into()));
        self
    }

    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = Some(bytes);
        self
    }

    pub fn max_recipients(mut self, n: u32) -> Self {
        self.max_recipients = Some(n);
        self
    }

    pub fn allow_plaintext_auth(mut self, yes: bool) -> Self {
        self.allow_plaintext_auth = Some(yes);
        self
    }

    /// Raw TOML appended to the generated config, for sections the builder has no setter for.
    pub fn extra_toml(mut self, toml: &str) -> Self {
        self.extra_toml.push_str(toml);
        self.extra_toml.push('\n');
        self
    }

    fn config_toml(&self) -> String {
        let level = std::env::var("WIMS_TEST_LOG_LEVEL").unwrap_or_else(|_| "3".into());
        let mut t = String::from("# written by the wims end-to-end test harness\n\n");
        t.push_str("[imap]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n");
        if let Some(yes) = self.allow_plaintext_auth {
            let _ = writeln!(t, "allow_plaintext_auth = {yes}");
        }
        t.push_str("\n[submission]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n");
        if let Some(n) = self.max_message_size {
            let _ = writeln!(t, "max_message_size = {n}");
        }
        if let Some(n) = self.max_recipients {
            let _ = writeln!(t, "max_recipients = {n}");
        }
        let _ = writeln!(t, "\n[log]\nlevel = {level}\n");
        t.push_str(&self.extra_toml);
        t
    }

    /// Initialises a fresh data folder, writes the config, creates the accounts and starts
    /// `wims run`, returning once the node has published its endpoints.
    pub fn start(self) -> Node {
        let root = tempfile::Builder::new()
            .prefix("wims-e2e-")
            .tempdir()
            .expect("create temporary folder");
        let data = root.path().join("data");
        let work = root.path().join("work");
        fs::create_dir_all(&work).expect("create work folder");
        let mut node = Node {
            data,
            work,
            log: root.path().join("node.log"),
            root: Some(root),
            child: None,
            endpoints: None,
            accounts: Vec::new(),
            starts: 0,
        };
        let out = node.wims(&["init"], None);
        node.check_cli(&out, "wims init");
        fs::write(node.data.join("wims.toml"), self.config_toml()).expect("write wims.toml");
        for (address, password) in &self.accounts {
            node.add_account(address, password);
        }
        node.spawn();
        node
    }
}

/// A running `wims` node in its own temporary data folder. Dropping it kills the process; when
/// the test is failing, the tail of the node's log is printed first.
pub struct Node {
    root: Option<tempfile::TempDir>,
    data: PathBuf,
    work: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    endpoints: Option<Endpoints>,
    accounts: Vec<(String, String)>,
    starts: u32,
}

impl Node {
    pub fn builder() -> NodeBuilder {
        NodeBuilder::default()
    }

    /// A node with default settings (apart from port-0 listeners) and no accounts.
    pub fn start() -> Node {
        NodeBuilder::default().start()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Scratch folder for clients (Maildirs, client configs, script state).
    pub fn work_dir(&self) -> &Path {
        &self.work
    }

    pub fn cert_path(&self) -> PathBuf {
        self.data.join("tls").join("cert.pem")
    }

    pub fn endpoints(&self) -> Endpoints {
        self.endpoints.expect("node is not running")
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Runs the `wims` CLI against this node's data folder (`wims --data DIR ARGS...`).
    pub fn wims(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(wims_bin());
        cmd.arg("--data")
            .arg(&self.data)
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", wims_bin().display()));
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            // A CLI that rejects its arguments may exit before reading; that shows in its
            // exit status, not as a broken pipe here.
            let _ = pipe.write_all(input.as_bytes());
        }
        child.wait_with_output().expect("wait for wims CLI")
    }

    fn check_cli(&self, out: &Output, what: &str) {
        assert!(
            out.status.success(),
            "`{what}` failed ({}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
    }

    /// `wims account add ADDRESS --password-stdin`, while the node runs or before it starts.
    pub fn add_account(&mut self, address: &str, password: &str) {
        let out = self.wims(
            &["account", "add", address, "--password-stdin"],
            Some(&format!("{password}\n")),
        );
        self.check_cli(
            &out,
            &format!("wims account add {address} --password-stdin"),
        );
        self.accounts.retain(|(a, _)| a != address);
        self.accounts.push((address.into(), password.into()));
    }

    /// Records a password change made through the CLI so scripts get the current one.
    pub fn set_known_password(&mut self, address: &str, password: &str) {
        for (a, p) in &mut self.accounts {
            if a == address {
                *p = password.into();
            }
        }
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "node is already running");
        let endpoints_file = self.data.join("run").join("endpoints.json");
        // A file left by the previous run names ports that are no longer ours.
        match fs::remove_file(&endpoints_file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot remove stale {}: {e}", endpoints_file.display()),
        }
        self.starts += 1;
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open node log");
        let _ = writeln!(log, "===== wims run (start #{}) =====", self.starts);
        let log_err = log.try_clone().expect("clone log handle");
        let child = Command::new(wims_bin())
            .arg("--data")
            .arg(&self.data)
            .arg("run")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", wims_bin().display()));
        self.child = Some(child);

        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!(
                    "wims run exited ({status}) before publishing its endpoints; log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(text) = fs::read_to_string(&endpoints_file)
                && let Some(ep) = Endpoints::parse(&text)
            {
                self.endpoints = Some(ep);
                return;
            }
            if started.elapsed() > START_WAIT {
                panic!(
                    "wims run did not write {} within {START_WAIT:?}; log:\n{}",
                    endpoints_file.display(),
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for the node to exit; a clean stop exits 0.
    pub fn stop(&mut self) {
        let status = self.terminate();
        if let Some(status) = status {
            assert!(
                status.success(),
                "wims run did not exit cleanly on SIGTERM ({status}); log:\n{}",
                self.log_tail()
            );
        }
    }

    fn terminate(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        self.endpoints = None;
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        // SAFETY: plain kill(2) on our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let asked = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if asked.elapsed() > STOP_WAIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "wims run was still running {STOP_WAIT:?} after SIGTERM; log:\n{}",
                        self.log_tail()
                    );
                }
                Ok(None) => sleep(Duration::from_millis(50)),
                Err(e) => panic!("waiting for wims run: {e}"),
            }
        }
    }

    /// Stops the node cleanly and starts it again on the same data folder (new ports).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Kills the node with SIGKILL, as a crash or power cut would, and starts it again.
    pub fn crash_restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.endpoints = None;
        self.spawn();
    }

    /// The whole node log so far (all runs).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        let Ok(mut f) = File::open(&self.log) else {
            return "(no log)".into();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let from = len.saturating_sub(LOG_TAIL_BYTES);
        let _ = f.seek(SeekFrom::Start(from));
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if from > 0 {
            format!(
                "[... {from} earlier bytes of {} ...]\n{text}",
                self.log.display()
            )
        } else {
            text
        }
    }

    /// Runs `tests/py/SCRIPT ARGS...` against this node and asserts it exits 0. The script
    /// finds the node through `WIMS_DATA` (endpoints.json, tls/cert.pem), the accounts through
    /// `WIMS_ACCOUNTS` and a scratch folder through `WIMS_WORK`. Returns its stdout.
    pub fn python(&self, script: &str, args: &[&str]) -> String {
        let path = py_dir().join(script);
        let accounts: Vec<serde_json::Value> = self
            .accounts
            .iter()
            .map(|(a, p)| serde_json::json!({ "address": a, "password": p }))
            .collect();
        let out = Command::new(python())
            .arg("-u")
            .arg(&path)
            .args(args)
            .current_dir(&self.work)
            .env("WIMS_DATA", &self.data)
            .env("WIMS_WORK", &self.work)
            .env(
                "WIMS_ACCOUNTS",
                serde_json::Value::from(accounts).to_string(),
            )
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONPATH", py_dir())
            .stdin(Stdio::null())
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
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "===== node log tail ({}) =====\n{}\n===== end of node log =====",
                self.log.display(),
                self.log_tail()
            );
            if std::env::var_os("WIMS_TEST_KEEP").is_some()
                && let Some(root) = self.root.take()
            {
                eprintln!("kept test folder {}", root.keep().display());
            }
        }
    }
}

/// The folder of the Python client scripts.
pub fn py_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("py")
}

fn python() -> String {
    std::env::var("WIMS_PYTHON").unwrap_or_else(|_| "python3".into())
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
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("WIMS_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("current_exe");
        let mut dir = exe.parent().expect("test executable folder").to_path_buf();
        if dir.file_name().is_some_and(|n| n == "deps") {
            dir.pop();
        }
        build_wims(&dir);
        let bin = dir.join("wims");
        assert!(
            bin.is_file(),
            "{} is missing after building it",
            bin.display()
        );
        bin
    })
    .clone()
}

fn build_wims(profile_dir: &Path) {
    let cargo = std::env::var("CARGO")
        .ok()
        .or_else(|| option_env!("CARGO").map(String::from))
        .unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "node",
        "--bin",
        "wims",
        "--manifest-path",
    ])
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
        "building wims failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
