//! A `wims` node under test: [`NodeBuilder`] writes its configuration and accounts,
//! [`Node`] runs it and drives its command line and client scripts.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::process::Daemon;
use crate::tools::{
    OVERLAY_PORT_ZERO, check_output, profile_address, test_log_level, toml_list, wims_bin,
};

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
        // The monitor endpoint and the web interface on free ports too (nodes of one test run
        // side by side), unless the test sets them itself.
        if !self.extra_toml.contains("[monitor]") {
            t.push_str("\n[monitor]\nlisten = \"127.0.0.1:0\"\n");
        }
        if !self.extra_toml.contains("[web]") {
            t.push_str("\n[web]\nlisten = \"127.0.0.1:0\"\n");
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
        let process = Daemon::new("wims run", "node", wims_bin(), root, data.clone());
        let mut node = Node {
            data,
            work,
            process,
            endpoints: None,
            accounts: Vec::new(),
            endpoints_json: None,
        };
        let out = node.wims(&["init"], None);
        check_output(&out, "wims init");
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
    pub(crate) data: PathBuf,
    work: PathBuf,
    process: Daemon,
    endpoints: Option<Endpoints>,
    /// The whole `run/endpoints.json` of the current run (PeerId, overlay addresses).
    endpoints_json: Option<serde_json::Value>,
    pub(crate) accounts: Vec<(String, String)>,
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
        self.process.pid()
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
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

    /// `wims account add ADDRESS --password-stdin`, while the node runs or before it starts.
    pub fn add_account(&mut self, address: &str, password: &str) {
        let out = self.wims(
            &["account", "add", address, "--password-stdin"],
            Some(&format!("{password}\n")),
        );
        check_output(
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
        check_output(&out, &format!("wims account host {shown} --password-stdin"));
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
        let (endpoints, text) = self.process.spawn(Endpoints::parse);
        self.endpoints = Some(endpoints);
        self.endpoints_json = serde_json::from_str(&text).ok();
    }

    /// Sends SIGTERM and waits for the node to exit; a clean stop exits 0.
    pub fn stop(&mut self) {
        self.endpoints = None;
        self.endpoints_json = None;
        self.process.stop();
    }

    /// Starts `wims run` again after [`Node::stop`] (or on a node made with
    /// [`NodeBuilder::init`]); the listeners get new ports.
    pub fn start_again(&mut self) {
        self.spawn();
    }

    /// Stops the node cleanly and starts it again on the same data folder (new ports).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Kills the node with SIGKILL, as a crash or power cut would, and starts it again.
    pub fn crash_restart(&mut self) {
        self.process.kill();
        self.endpoints = None;
        self.endpoints_json = None;
        self.spawn();
    }

    /// The whole node log so far (all runs).
    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// Runs `tests/py/SCRIPT ARGS...` against this node and asserts it exits 0. The script
    /// finds the node through `WIMS_DATA` (endpoints.json, tls/cert.pem), the accounts through
    /// `WIMS_ACCOUNTS` and a scratch folder through `WIMS_WORK`. Returns its stdout.
    pub fn python(&self, script: &str, args: &[&str]) -> String {
        let mut env = vec![
            ("WIMS_DATA".to_string(), self.data.clone().into_os_string()),
            (
                "WIMS_ACCOUNTS".to_string(),
                crate::clients::accounts_json(&self.accounts).into(),
            ),
        ];
        if let Some(pid) = self.pid() {
            env.push(("WIMS_PID".to_string(), pid.to_string().into()));
        }
        crate::clients::run_python(script, args, &self.work, &env)
    }
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
            serde_json::from_str(&crate::clients::accounts_json(&node.accounts))
                .expect("accounts JSON");
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
        (
            "WIMS_ACCOUNTS".to_string(),
            crate::clients::accounts_json(&all).into(),
        ),
        (
            "WIMS_NODES".to_string(),
            serde_json::Value::Object(map).to_string().into(),
        ),
    ];
    crate::clients::run_python(script, args, work, &env)
}
