//! A `wims-service` server under test, in its own temporary data folder on free loopback
//! ports: its network, peers and accounts made with its own command line.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::process::Daemon;
use crate::tools::{OVERLAY_PORT_ZERO, check_output, service_bin, test_log_level, toml_list};

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
    data: PathBuf,
    profiles: PathBuf,
    process: Daemon,
    endpoints: Option<ServiceEndpoints>,
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
        let process = Daemon::new(
            "wims-service run",
            "service",
            service_bin(),
            root,
            data.clone(),
        );
        let service = Service {
            data,
            profiles,
            process,
            endpoints: None,
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
        self.process.is_running()
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
        let (endpoints, _) = self.process.spawn(ServiceEndpoints::parse);
        self.endpoints = Some(endpoints);
    }

    /// SIGTERM and wait; a clean stop exits 0.
    pub fn stop(&mut self) {
        self.endpoints = None;
        self.process.stop();
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        self.process.kill();
        self.endpoints = None;
    }

    /// The server's stdout and stderr so far (all runs).
    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}
