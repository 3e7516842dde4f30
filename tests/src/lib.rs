//! Harness for end-to-end tests: each test starts the real `wims` binary on 127.0.0.1 with
//! ephemeral ports in its own temporary data folder, and drives it with real clients (Python's
//! imaplib/smtplib scripts under `tests/py/`, mbsync, swaks).
//!
//! Network tests also start `wims-service` ([`Service`]) and several nodes that host accounts
//! of the service network; [`python_nodes`] runs one client script against all of them.
//!
//! Environment knobs:
//! - `WIMS_BIN`: use this binary instead of building `target/<profile>/wims`.
//! - `WIMS_SERVICE_BIN`: likewise for `target/<profile>/wims-service`.
//! - `WIMS_TEST_LOG_LEVEL`: node and service log level 0..5 (default 3).
//! - `WIMS_TEST_KEEP`: keep the temporary folder of a failed test and print where it is.
//! - `CI`: tests whose external tool is missing fail instead of being skipped.

pub mod monitor;

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
    /// The monitor endpoint, when the node has one.
    pub monitor: Option<SocketAddr>,
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
            monitor: addr("monitor"),
        })
    }
}

/// Settings written into the node's `wims.toml`; everything else keeps the node's default.
#[derive(Debug, Clone, Default)]
pub struct NodeBuilder {
    accounts: Vec<(String, String)>,
    hosted: Vec<(PathBuf, String)>,
    delivery_retry: Option<(u64, u64)>,
    max_message_size: Option<u64>,
    max_recipients: Option<u32>,
    allow_plaintext_auth: Option<bool>,
    imap_settings: String,
    extra_toml: String,
}

impl NodeBuilder {
    /// An account created with the CLI after `init`, before the node first runs.
    pub fn account(mut self, address: &str, password: &str) -> Self {
        self.accounts.push((address.into(), password.into()));
        self
    }

    /// An account of a service network, hosted with `wims account host PROFILE
    /// --password-stdin` after `init`, while the node is still stopped (the offline path).
    /// [`Node::host`] hosts one on the running node.
    pub fn host(mut self, profile: &Path, password: &str) -> Self {
        self.hosted.push((profile.to_path_buf(), password.into()));
        self
    }

    /// `[delivery] retry_min` / `retry_max`: back-off bounds of delivery retries, in seconds.
    pub fn delivery_retry(mut self, min_secs: u64, max_secs: u64) -> Self {
        self.delivery_retry = Some((min_secs, max_secs));
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

    /// A `key = value` line for the generated `[imap]` section.
    pub fn imap_setting(mut self, line: &str) -> Self {
        self.imap_settings.push_str(line);
        self.imap_settings.push('\n');
        self
    }

    /// Raw TOML appended to the generated config, for sections the builder has no setter for.
    pub fn extra_toml(mut self, toml: &str) -> Self {
        self.extra_toml.push_str(toml);
        self.extra_toml.push('\n');
        self
    }

    /// The node's `wims.toml`. `overlay`: the node has an `[overlay]` section (its `init`
    /// wrote one), which then listens on port 0 too, so nodes run side by side.
    fn config_toml(&self, overlay: bool) -> String {
        let level = test_log_level();
        let mut t = String::from("# written by the wims end-to-end test harness\n\n");
        t.push_str("[imap]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n");
        if let Some(yes) = self.allow_plaintext_auth {
            let _ = writeln!(t, "allow_plaintext_auth = {yes}");
        }
        t.push_str(&self.imap_settings);
        t.push_str("\n[submission]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n");
        if let Some(n) = self.max_message_size {
            let _ = writeln!(t, "max_message_size = {n}");
        }
        if let Some(n) = self.max_recipients {
            let _ = writeln!(t, "max_recipients = {n}");
        }
        // The monitor endpoint on a free port too (nodes of one test run side by side), unless
        // the test sets it itself.
        if !self.extra_toml.contains("[monitor]") {
            t.push_str("\n[monitor]\nlisten = \"127.0.0.1:0\"\n");
        }
        if overlay && !self.extra_toml.contains("[overlay]") {
            t.push_str("\n[overlay]\n");
            let _ = writeln!(t, "listen = {}", toml_list(&OVERLAY_PORT_ZERO));
        }
        if let Some((min, max)) = self.delivery_retry {
            let _ = writeln!(t, "\n[delivery]\nretry_min = {min}\nretry_max = {max}");
        }
        let _ = writeln!(t, "\n[log]\nlevel = {level}\n");
        t.push_str(&self.extra_toml);
        t
    }

    /// Initialises a fresh data folder, writes the config, creates and hosts the accounts and
    /// starts `wims run`, returning once the node has published its endpoints.
    pub fn start(self) -> Node {
        let mut node = self.init();
        node.spawn();
        node
    }

    /// Like [`NodeBuilder::start`] without the final `wims run`: for tests that act on a
    /// stopped node first. [`Node::start_again`] runs it.
    pub fn init(self) -> Node {
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
            endpoints_json: None,
        };
        let out = node.wims(&["init"], None);
        node.check_cli(&out, "wims init");
        // Only a node that knows the overlay gets an [overlay] section: the config refuses
        // unknown sections, and port 0 keeps parallel tests off the default port.
        let written = fs::read_to_string(node.data.join("wims.toml")).unwrap_or_default();
        let overlay = written.lines().any(|l| l.trim() == "[overlay]");
        fs::write(node.data.join("wims.toml"), self.config_toml(overlay)).expect("write wims.toml");
        for (address, password) in &self.accounts {
            node.add_account(address, password);
        }
        for (profile, password) in &self.hosted {
            node.host(profile, password);
        }
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
    /// The whole `run/endpoints.json` of the current run (PeerId, overlay addresses).
    endpoints_json: Option<serde_json::Value>,
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

    /// Writes `bytes` bytes of a fixed pattern that does not compress to `name` in the work
    /// folder, a MiB at a time; returns its path. Attachments for transfers that must move
    /// real chunks.
    pub fn pattern_file(&self, name: &str, bytes: usize) -> PathBuf {
        let path = self.work.join(name);
        let mut f = File::create(&path).expect("create pattern file");
        let mut block = vec![0u8; 1 << 20];
        let mut at = 0usize;
        while at < bytes {
            let n = block.len().min(bytes - at);
            for (j, b) in block[..n].iter_mut().enumerate() {
                *b = (((at + j) as u32).wrapping_mul(2_654_435_761) >> 13) as u8;
            }
            f.write_all(&block[..n]).expect("write pattern file");
            at += n;
        }
        path
    }

    /// `wims send` of a message from alice@alpha.h to bob@beta.h (the accounts the network
    /// tests host), with `extra` arguments after the subject and body (`--type`, `--attach`).
    pub fn send_alice_to_bob(&self, subject: &str, body: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "send",
            "--from",
            "alice@alpha.h",
            "--to",
            "bob@beta.h",
            "--subject",
            subject,
            "--body",
            body,
        ];
        args.extend_from_slice(extra);
        self.wims(&args, None)
    }

    pub fn cert_path(&self) -> PathBuf {
        self.data.join("tls").join("cert.pem")
    }

    pub fn endpoints(&self) -> Endpoints {
        self.endpoints.expect("node is not running")
    }

    /// The node's libp2p PeerId, as published in `run/endpoints.json` (running nodes with
    /// overlay support only).
    pub fn peer_id(&self) -> Option<String> {
        self.endpoints_json
            .as_ref()?
            .get("peer_id")?
            .as_str()
            .map(String::from)
    }

    /// The overlay multiaddrs the running node listens on.
    pub fn overlay_addrs(&self) -> Vec<String> {
        self.endpoints_json
            .as_ref()
            .and_then(|v| v.get("overlay")?.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect()
    }

    /// The accounts the harness knows the passwords of: (address, password).
    pub fn accounts(&self) -> &[(String, String)] {
        &self.accounts
    }

    /// The process id of the running node (for scripts that watch its memory).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
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

    /// `wims account host PROFILE --password-stdin`: hosts the service network's account of
    /// `profile` (made by [`Service::create_account`]) on this node, running or stopped.
    /// Returns the account's address, which the client scripts then know with `password`.
    pub fn host(&mut self, profile: &Path, password: &str) -> String {
        let address = profile_address(profile);
        let shown = profile.display().to_string();
        let out = self.wims(
            &["account", "host", &shown, "--password-stdin"],
            Some(&format!("{password}\n")),
        );
        self.check_cli(&out, &format!("wims account host {shown} --password-stdin"));
        self.accounts.retain(|(a, _)| *a != address);
        self.accounts.push((address.clone(), password.into()));
        address
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
                self.endpoints_json = serde_json::from_str(&text).ok();
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

    /// Starts `wims run` again after [`Node::stop`] (or on a node made with
    /// [`NodeBuilder::init`]); the listeners get new ports.
    pub fn start_again(&mut self) {
        self.spawn();
    }

    fn terminate(&mut self) -> Option<ExitStatus> {
        let child = self.child.take()?;
        self.endpoints = None;
        self.endpoints_json = None;
        Some(terminate_child(child, "wims run", &self.log))
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
        self.endpoints_json = None;
        self.spawn();
    }

    /// The whole node log so far (all runs).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        tail_of(&self.log)
    }

    /// Runs `tests/py/SCRIPT ARGS...` against this node and asserts it exits 0. The script
    /// finds the node through `WIMS_DATA` (endpoints.json, tls/cert.pem), the accounts through
    /// `WIMS_ACCOUNTS` and a scratch folder through `WIMS_WORK`. Returns its stdout.
    pub fn python(&self, script: &str, args: &[&str]) -> String {
        let mut env = vec![
            ("WIMS_DATA".to_string(), self.data.clone().into_os_string()),
            (
                "WIMS_ACCOUNTS".to_string(),
                accounts_json(&self.accounts).into(),
            ),
        ];
        if let Some(pid) = self.pid() {
            env.push(("WIMS_PID".to_string(), pid.to_string().into()));
        }
        run_python(script, args, &self.work, &env)
    }
}

fn accounts_json(accounts: &[(String, String)]) -> String {
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

/// The last [`LOG_TAIL_BYTES`] of a log file.
fn tail_of(log: &Path) -> String {
    let Ok(mut f) = File::open(log) else {
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
            log.display()
        )
    } else {
        text
    }
}

fn test_log_level() -> String {
    std::env::var("WIMS_TEST_LOG_LEVEL").unwrap_or_else(|_| "3".into())
}

/// Overlay listen addresses on free ports (QUIC and TCP), for nodes and service servers.
pub const OVERLAY_PORT_ZERO: [&str; 2] = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"];

fn toml_list(items: &[&str]) -> String {
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

/// SIGTERM to a child, then wait for it (bounded by [`STOP_WAIT`], after which it is killed
/// and the test fails with `log`'s tail).
fn terminate_child(mut child: Child, what: &str, log: &Path) -> ExitStatus {
    if let Ok(Some(status)) = child.try_wait() {
        return status;
    }
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: plain kill(2) on our own child, which has not been reaped yet.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let asked = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if asked.elapsed() > STOP_WAIT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{what} was still running {STOP_WAIT:?} after SIGTERM; log:\n{}",
                    tail_of(log)
                );
            }
            Ok(None) => sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    }
}

/// Where a running service server listens, from its `run/endpoints.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoints {
    pub peer_id: String,
    /// Multiaddrs without the `/p2p/` suffix.
    pub addrs: Vec<String>,
}

impl ServiceEndpoints {
    fn parse(text: &str) -> Option<ServiceEndpoints> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let peer_id = v.get("peer_id")?.as_str()?.to_string();
        let addrs: Vec<String> = v
            .get("addrs")?
            .as_array()?
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        (!peer_id.is_empty() && !addrs.is_empty()).then_some(ServiceEndpoints { peer_id, addrs })
    }
}

/// A `wims-service` server in its own temporary data folder, listening on free loopback
/// ports. Dropping it kills the process; when the test is failing, the tail of its log is
/// printed first.
pub struct Service {
    root: Option<tempfile::TempDir>,
    data: PathBuf,
    profiles: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    endpoints: Option<ServiceEndpoints>,
    starts: u32,
}

impl Service {
    /// `init` in a fresh folder, port-0 listeners, then `run`; returns once the server has
    /// published its endpoints.
    pub fn start() -> Service {
        let mut service = Service::init();
        service.start_again();
        service
    }

    /// `wims-service init --network wimstest` in a fresh folder with port-0 listeners and the
    /// test log level, without running it.
    pub fn init() -> Service {
        Service::init_with(&[])
    }

    /// A second server of `first`'s network (`init --join` with its CA), not running. Name
    /// each other as peers with [`Service::add_peer`] (after [`Service::pin_ports`]).
    pub fn init_joining(first: &Service) -> Service {
        let ca = first.data.join("ca.key");
        Service::init_with(&["--join", ca.to_str().expect("UTF-8 path")])
    }

    fn init_with(extra: &[&str]) -> Service {
        let root = tempfile::Builder::new()
            .prefix("wims-service-e2e-")
            .tempdir()
            .expect("create temporary folder");
        let data = root.path().join("data");
        let profiles = root.path().join("profiles");
        fs::create_dir_all(&profiles).expect("create profiles folder");
        let service = Service {
            data,
            profiles,
            log: root.path().join("service.log"),
            root: Some(root),
            child: None,
            endpoints: None,
            starts: 0,
        };
        let mut args = vec!["init", "--network", "wimstest"];
        args.extend_from_slice(extra);
        let out = service.cli(&args);
        check_output(&out, &format!("wims-service {}", args.join(" ")));
        service.configure_for_tests();
        service
    }

    /// Sets `key` of `[section]` in wims-service.toml to `value` (TOML text); the key must be
    /// in the file (`init` writes every key).
    pub fn set_config(&self, section: &str, key: &str, value: &str) {
        let path = self.data.join("wims-service.toml");
        let text = fs::read_to_string(&path).expect("read wims-service.toml");
        let (mut current, mut done) = (String::new(), false);
        let mut out = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                current = trimmed.to_string();
            }
            if current == format!("[{section}]") && trimmed.starts_with(&format!("{key} ")) {
                let _ = writeln!(out, "{key} = {value}");
                done = true;
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        assert!(done, "wims-service.toml has no {section}.{key}:\n{text}");
        fs::write(&path, out).expect("write wims-service.toml");
    }

    /// Listens, from now on, on the addresses of the running server, so a restart keeps
    /// them (peers and profiles name them).
    pub fn pin_ports(&self) {
        let addrs: Vec<&str> = self.endpoints().addrs.iter().map(String::as_str).collect();
        self.set_config("overlay", "listen", &toml_list(&addrs));
    }

    /// Names the running server `other` as this one's peer (takes effect at the next start).
    pub fn add_peer(&self, other: &Service) {
        let ep = other.endpoints();
        let addrs: Vec<&str> = ep.addrs.iter().map(String::as_str).collect();
        let value = format!(
            "[{{ peer_id = \"{}\", addrs = {} }}]",
            ep.peer_id,
            toml_list(&addrs)
        );
        self.set_config("network", "peers", &value);
    }

    /// Port 0 for both overlay listeners, and the test log level, in the config `init` wrote
    /// (every other key stays as `init` wrote it).
    fn configure_for_tests(&self) {
        let path = self.data.join("wims-service.toml");
        let text = fs::read_to_string(&path).expect("read wims-service.toml");
        let mut section = String::new();
        let (mut listen, mut level) = (false, false);
        let mut out = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                section = trimmed.to_string();
            }
            if section == "[overlay]" && trimmed.starts_with("listen ") {
                let _ = writeln!(out, "listen = {}", toml_list(&OVERLAY_PORT_ZERO));
                listen = true;
            } else if section == "[log]" && trimmed.starts_with("level ") {
                let _ = writeln!(out, "level = {}", test_log_level());
                level = true;
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        assert!(
            listen && level,
            "wims-service.toml has no overlay.listen or log.level to adjust:\n{text}"
        );
        fs::write(&path, out).expect("write wims-service.toml");
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// PeerId and actual listen addresses of the running server.
    pub fn endpoints(&self) -> &ServiceEndpoints {
        self.endpoints.as_ref().expect("service is not running")
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Runs `wims-service --data DIR ARGS...` (admin commands go through the admin socket
    /// while the server runs).
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(service_bin())
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", service_bin().display()))
    }

    /// `account create ADDRESS --name NAME --out FILE`; returns the profile file. Made while
    /// the server runs, the profile names the ports it actually listens on.
    pub fn create_account(&self, address: &str, name: &str) -> PathBuf {
        let file = self.profiles.join(format!("{address}.profile"));
        let shown = file.display().to_string();
        let out = self.cli(&[
            "account", "create", address, "--name", name, "--out", &shown,
        ]);
        check_output(&out, &format!("wims-service account create {address}"));
        file
    }

    /// `partner add A B`: addresses or domains.
    pub fn partner(&self, a: &str, b: &str) {
        let out = self.cli(&["partner", "add", a, b]);
        check_output(&out, &format!("wims-service partner add {a} {b}"));
    }

    /// `account list` output.
    pub fn account_list(&self) -> String {
        let out = self.cli(&["account", "list"]);
        check_output(&out, "wims-service account list");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `wims-service run` (again), returning once `run/endpoints.json` names its
    /// addresses. After a stop the ports are new ones.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "service is already running");
        let endpoints_file = self.data.join("run").join("endpoints.json");
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
            .expect("open service log");
        let _ = writeln!(log, "===== wims-service run (start #{}) =====", self.starts);
        let log_err = log.try_clone().expect("clone log handle");
        let child = Command::new(service_bin())
            .arg("--data")
            .arg(&self.data)
            .arg("run")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", service_bin().display()));
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
                    "wims-service run exited ({status}) before publishing its endpoints; log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(text) = fs::read_to_string(&endpoints_file)
                && let Some(ep) = ServiceEndpoints::parse(&text)
            {
                self.endpoints = Some(ep);
                return;
            }
            if started.elapsed() > START_WAIT {
                panic!(
                    "wims-service run did not write {} within {START_WAIT:?}; log:\n{}",
                    endpoints_file.display(),
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM and wait; a clean stop exits 0.
    pub fn stop(&mut self) {
        let Some(child) = self.child.take() else {
            return;
        };
        self.endpoints = None;
        let status = terminate_child(child, "wims-service run", &self.log);
        assert!(
            status.success(),
            "wims-service run did not exit cleanly on SIGTERM ({status}); log:\n{}",
            self.log_tail()
        );
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.endpoints = None;
    }

    /// The server's stdout and stderr so far (all runs).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        tail_of(&self.log)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "===== service log tail ({}) =====\n{}\n===== end of service log =====",
                self.log.display(),
                self.log_tail()
            );
            if std::env::var_os("WIMS_TEST_KEEP").is_some()
                && let Some(root) = self.root.take()
            {
                eprintln!("kept service folder {}", root.keep().display());
            }
        }
    }
}

fn check_output(out: &Output, what: &str) {
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
