//! The real programs in the lab: service servers and nodes, each in its host's namespace,
//! set up through their own command lines (init, accounts, partners, hosting) the way an
//! operator does, each logging to `<run dir>/<host>.log`.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::interrupt;
use crate::net::Lab;
use crate::scenario::Scenario;

/// Overlay port of every server and node: each has an address of its own.
const SERVER_PORT: u16 = 4100;
const NODE_PORT: u16 = 4001;
/// Liveness bound for a process to publish its endpoints; not a speed check.
const START_WAIT: Duration = Duration::from_secs(60);

/// Where the `wims` and `wims-service` binaries are.
#[derive(Clone, Debug)]
pub struct Bins {
    pub wims: PathBuf,
    pub service: PathBuf,
}

impl Bins {
    /// Beside this executable (cargo puts every binary of a build in one folder), or in `dir`.
    pub fn find(dir: Option<&Path>) -> Result<Bins> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => std::env::current_exe()?
                .parent()
                .ok_or_else(|| anyhow!("executable has no folder"))?
                .to_path_buf(),
        };
        let bins = Bins {
            wims: dir.join("wims"),
            service: dir.join("wims-service"),
        };
        for b in [&bins.wims, &bins.service] {
            if !b.is_file() {
                bail!(
                    "{} not found (build with `cargo build --bin wims --bin wims-service`, or pass --bin-dir)",
                    b.display()
                );
            }
        }
        Ok(bins)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Server,
    Node,
}

/// One program on one host: its data folder, log and (while running) process.
pub struct Proc {
    pub host: String,
    pub kind: Kind,
    pub data: PathBuf,
    pub log: PathBuf,
    child: Option<Child>,
    /// PeerId, once it ran.
    pub peer_id: Option<String>,
}

impl Proc {
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

pub struct Cluster<'l> {
    lab: &'l Lab,
    bins: Bins,
    pub dir: PathBuf,
    pub procs: Vec<Proc>,
    /// account address (lower case) -> node host
    pub homes: BTreeMap<String, String>,
}

impl<'l> Cluster<'l> {
    /// Sets up and starts every server and node of `s` in `lab`, state under `dir`.
    pub fn start(lab: &'l Lab, bins: Bins, dir: &Path, s: &Scenario) -> Result<Cluster<'l>> {
        let mut c = Cluster {
            lab,
            bins,
            dir: dir.to_path_buf(),
            procs: Vec::new(),
            homes: BTreeMap::new(),
        };
        c.start_servers(s)?;
        c.create_accounts(s)?;
        for n in &s.nodes {
            c.start_node(s, &n.name, &n.accounts)?;
        }
        c.wait_reachable()?;
        Ok(c)
    }

    /// Until every node holds its relay circuit: before that, a node behind a NAT cannot be
    /// reached at all, and a scenario would measure its start-up rather than the network.
    fn wait_reachable(&self) -> Result<()> {
        let t = Instant::now();
        for p in self.nodes() {
            while !p.log_text().contains("relay reservation accepted") {
                if t.elapsed() > START_WAIT || interrupt::requested() {
                    bail!("{} got no relay circuit; see {}", p.host, p.log.display());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    fn start_servers(&mut self, s: &Scenario) -> Result<()> {
        let first_ca = self.dir.join(&s.servers[0].name).join("ca.key");
        for (i, spec) in s.servers.iter().enumerate() {
            let data = self.dir.join(&spec.name);
            let mut args = vec!["init".to_string(), "--network".into(), "simnet".into()];
            if i > 0 {
                args.extend(["--join".into(), first_ca.display().to_string()]);
            }
            let mut p = self.proc(&spec.name, Kind::Server, data);
            let out = self.run_cli(&p, &args, None)?;
            check(&out, &format!("wims-service {}", args.join(" ")))?;
            let addr = self.addr(&spec.name)?;
            let mut cfg = read_toml(&p.data.join("wims-service.toml"))?;
            set(
                &mut cfg,
                "overlay",
                "listen",
                listen_addrs("0.0.0.0", SERVER_PORT),
            );
            set(
                &mut cfg,
                "overlay",
                "announce",
                listen_addrs(&addr, SERVER_PORT),
            );
            set(
                &mut cfg,
                "log",
                "level",
                toml::Value::Integer(s.log_level.into()),
            );
            write_toml(&p.data.join("wims-service.toml"), &cfg)?;
            self.spawn(&mut p)?;
            self.procs.push(p);
        }
        if s.servers.len() > 1 {
            // Servers name each other as peers: known once each has run (its PeerId).
            let peers: Vec<(String, String)> = self
                .servers()
                .map(|p| Ok((p.peer_id.clone().unwrap_or_default(), self.addr(&p.host)?)))
                .collect::<Result<_>>()?;
            for i in 0..self.procs.len() {
                if self.procs[i].kind != Kind::Server {
                    continue;
                }
                self.kill_at(i);
                let own = self.procs[i].peer_id.clone().unwrap_or_default();
                let list: Vec<toml::Value> = peers
                    .iter()
                    .filter(|(id, _)| *id != own)
                    .map(|(id, addr)| {
                        let mut t = toml::Table::new();
                        t.insert("peer_id".into(), toml::Value::String(id.clone()));
                        t.insert("addrs".into(), listen_addrs(addr, SERVER_PORT));
                        toml::Value::Table(t)
                    })
                    .collect();
                let path = self.procs[i].data.join("wims-service.toml");
                let mut cfg = read_toml(&path)?;
                set(&mut cfg, "network", "peers", toml::Value::Array(list));
                write_toml(&path, &cfg)?;
                self.restart_at(i)?;
            }
        }
        Ok(())
    }

    fn create_accounts(&mut self, s: &Scenario) -> Result<()> {
        let first = self
            .procs
            .iter()
            .position(|p| p.kind == Kind::Server)
            .ok_or_else(|| anyhow!("no server"))?;
        let profiles = self.dir.join("profiles");
        fs::create_dir_all(&profiles)?;
        for n in &s.nodes {
            for a in &n.accounts {
                let out_file = profiles.join(format!("{a}.profile"));
                let args = [
                    "account".to_string(),
                    "create".into(),
                    a.clone(),
                    "--name".into(),
                    a.split('@').next().unwrap_or(a).to_string(),
                    "--out".into(),
                    out_file.display().to_string(),
                ];
                let out = self.run_cli(&self.procs[first], &args, None)?;
                check(&out, &format!("wims-service account create {a}"))?;
                self.homes.insert(a.to_ascii_lowercase(), n.name.clone());
            }
        }
        for [a, b] in &s.partners {
            let args = ["partner".to_string(), "add".into(), a.clone(), b.clone()];
            let out = self.run_cli(&self.procs[first], &args, None)?;
            check(&out, &format!("wims-service partner add {a} {b}"))?;
        }
        Ok(())
    }

    fn start_node(&mut self, s: &Scenario, host: &str, accounts: &[String]) -> Result<()> {
        let mut p = self.proc(host, Kind::Node, self.dir.join(host));
        let out = self.run_cli(&p, &["init".to_string()], None)?;
        check(&out, &format!("wims init ({host})"))?;
        let d = &s.delivery;
        let config = format!(
            "# written by simnet\n\n\
             [imap]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n\n\
             [submission]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\n\
             max_message_size = {max}\n\n\
             [overlay]\nlisten = {listen}\n\
             # The simulated internet is 10.200.0.0/16.\n\
             punch_private_targets = true\n\n\
             [delivery]\nretry_min = {}\nretry_max = {}\ncollect_interval = {}\n\n\
             [log]\nlevel = {}\n",
            d.retry_min,
            d.retry_max,
            d.collect_interval,
            s.log_level,
            max = 1u64 << 36,
            listen = listen_addrs("0.0.0.0", NODE_PORT),
        );
        fs::write(p.data.join("wims.toml"), config)?;
        for a in accounts {
            let profile = self.dir.join("profiles").join(format!("{a}.profile"));
            let args = [
                "account".to_string(),
                "host".into(),
                profile.display().to_string(),
                "--password-stdin".into(),
            ];
            let out = self.run_cli(&p, &args, Some(&format!("simnet-{a}\n")))?;
            check(&out, &format!("wims account host {a}"))?;
        }
        self.spawn(&mut p)?;
        self.procs.push(p);
        Ok(())
    }

    fn proc(&self, host: &str, kind: Kind, data: PathBuf) -> Proc {
        Proc {
            host: host.to_string(),
            kind,
            data,
            log: self.dir.join(format!("{host}.log")),
            child: None,
            peer_id: None,
        }
    }

    fn bin(&self, kind: Kind) -> &Path {
        match kind {
            Kind::Server => &self.bins.service,
            Kind::Node => &self.bins.wims,
        }
    }

    fn addr(&self, host: &str) -> Result<String> {
        self.lab
            .addr(host)
            .map(|a| a.to_string())
            .ok_or_else(|| anyhow!("host {host} is not in the lab"))
    }

    /// A command line of `p`'s program on its host, e.g. `account create …`.
    pub fn run_cli(&self, p: &Proc, args: &[String], stdin: Option<&str>) -> Result<Output> {
        let mut cmd = self.lab.command(&p.host, self.bin(p.kind))?;
        cmd.arg("--data").arg(&p.data).args(args);
        run(cmd, stdin)
    }

    /// `wims send …` on the node that hosts `from`.
    pub fn send(&self, from: &str, args: &[String]) -> Result<Output> {
        let p = self.home(from)?;
        let mut all = vec!["send".to_string()];
        all.extend_from_slice(args);
        self.run_cli(p, &all, None)
    }

    pub fn home(&self, account: &str) -> Result<&Proc> {
        let host = self
            .homes
            .get(&account.to_ascii_lowercase())
            .ok_or_else(|| anyhow!("{account} is hosted nowhere"))?;
        self.get(host)
    }

    pub fn get(&self, host: &str) -> Result<&Proc> {
        self.procs
            .iter()
            .find(|p| p.host == host)
            .ok_or_else(|| anyhow!("no process on host {host}"))
    }

    pub fn servers(&self) -> impl Iterator<Item = &Proc> {
        self.procs.iter().filter(|p| p.kind == Kind::Server)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Proc> {
        self.procs.iter().filter(|p| p.kind == Kind::Node)
    }

    fn index(&self, host: &str) -> Result<usize> {
        self.procs
            .iter()
            .position(|p| p.host == host)
            .ok_or_else(|| anyhow!("no process on host {host}"))
    }

    /// SIGKILL, like a power cut.
    pub fn kill(&mut self, host: &str) -> Result<()> {
        let i = self.index(host)?;
        self.kill_at(i);
        Ok(())
    }

    pub fn restart(&mut self, host: &str) -> Result<()> {
        let i = self.index(host)?;
        self.restart_at(i)
    }

    fn kill_at(&mut self, i: usize) {
        if let Some(mut child) = self.procs[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart_at(&mut self, i: usize) -> Result<()> {
        let mut p = std::mem::replace(
            &mut self.procs[i],
            Proc {
                host: String::new(),
                kind: Kind::Node,
                data: PathBuf::new(),
                log: PathBuf::new(),
                child: None,
                peer_id: None,
            },
        );
        let r = if p.child.is_some() {
            Ok(())
        } else {
            self.spawn(&mut p)
        };
        self.procs[i] = p;
        r
    }

    /// `… run` in the host's namespace; returns once `run/endpoints.json` names its PeerId.
    fn spawn(&self, p: &mut Proc) -> Result<()> {
        let endpoints = p.data.join("run").join("endpoints.json");
        match fs::remove_file(&endpoints) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context(endpoints.display().to_string()),
        }
        let mut log = OpenOptions::new().create(true).append(true).open(&p.log)?;
        writeln!(log, "===== simnet: {} starts =====", p.host)?;
        let mut cmd = self.lab.command(&p.host, self.bin(p.kind))?;
        cmd.arg("--data")
            .arg(&p.data)
            .arg("run")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start {} on {}", self.bin(p.kind).display(), p.host))?;
        let t = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "{} exited ({status}) while starting; see {}",
                    p.host,
                    p.log.display()
                );
            }
            if let Ok(text) = fs::read_to_string(&endpoints)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                && let Some(id) = v.get("peer_id").and_then(|x| x.as_str())
            {
                p.peer_id = Some(id.to_string());
                p.child = Some(child);
                return Ok(());
            }
            if t.elapsed() > START_WAIT || interrupt::requested() {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{} did not start; see {}", p.host, p.log.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cluster<'_> {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill_at(i);
        }
    }
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Result<Output> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().with_context(|| format!("{cmd:?}"))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    Ok(child.wait_with_output()?)
}

fn check(out: &Output, what: &str) -> Result<()> {
    if out.status.success() {
        return Ok(());
    }
    bail!(
        "{what}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn listen_addrs(ip: &str, port: u16) -> toml::Value {
    toml::Value::Array(vec![
        toml::Value::String(format!("/ip4/{ip}/udp/{port}/quic-v1")),
        toml::Value::String(format!("/ip4/{ip}/tcp/{port}")),
    ])
}

fn read_toml(path: &Path) -> Result<toml::Table> {
    let text = fs::read_to_string(path).with_context(|| path.display().to_string())?;
    toml::from_str(&text).with_context(|| path.display().to_string())
}

fn write_toml(path: &Path, t: &toml::Table) -> Result<()> {
    fs::write(path, toml::to_string(t)?).with_context(|| path.display().to_string())
}

fn set(t: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    let s = t
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(s) = s {
        s.insert(key.to_string(), value);
    }
}
