//! `wims demo`: a whole wims network on loopback in one command — a service server (in this
//! process), two nodes (child processes of this binary) and three hosted accounts — so a user
//! can point a real mail client at it, and scripts can drive it through `demo.json`.

mod child;
mod welcome;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};

use crate::i18n::I18n;
use child::NodeChild;

/// A node that exits is started again, unless it has done so this often within
/// [`RESTART_WINDOW`]: then it fails at start and the demo stops as a whole.
const MAX_RESTARTS: usize = 3;
const RESTART_WINDOW: Duration = Duration::from_secs(300);
/// How often the demo looks whether its nodes still run.
const WATCH_EVERY: Duration = Duration::from_millis(500);

struct DemoAccount {
    address: &'static str,
    name: &'static str,
    node: &'static str,
}

const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        address: "alice@alpha.h",
        name: "Alice",
        node: "node-a",
    },
    DemoAccount {
        address: "bob@beta.h",
        name: "Bob",
        node: "node-b",
    },
    DemoAccount {
        address: "carol@gamma.h",
        name: "Carol",
        node: "node-b",
    },
];

const PARTNERS: &[(&str, &str)] = &[("alice@alpha.h", "bob@beta.h")];

/// What `demo.json` holds: enough for a script to use every account.
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoFile {
    pub service: DemoService,
    pub accounts: Vec<DemoEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DemoService {
    pub peer_id: String,
    pub port: u16,
    pub addrs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoEntry {
    pub address: String,
    pub password: String,
    pub node: String,
    pub imap: String,
    pub imaps: String,
    pub submission: String,
    pub submissions: String,
    /// The webmail's address (host:port, HTTPS); empty in a demo folder made before it.
    #[serde(default)]
    pub web: String,
}

/// A demo node's client ports: picked by the system at the first start, then kept.
struct Ports {
    imap: String,
    imaps: String,
    submission: String,
    submissions: String,
    web: String,
}

impl Ports {
    fn any() -> Ports {
        let any = || ANY_PORT.to_string();
        Ports {
            imap: any(),
            imaps: any(),
            submission: any(),
            submissions: any(),
            web: any(),
        }
    }
}

/// Node settings for the demo, all on loopback. The client ports are picked by the system at
/// the first start and then written here, so a mail client or a browser set up once keeps
/// working across runs.
fn node_toml(p: &Ports) -> String {
    format!(
        r#"[imap]
listen = "{}"
tls_listen = "{}"

[submission]
listen = "{}"
tls_listen = "{}"

[overlay]
listen = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]

[delivery]
retry_min = 1
retry_max = 10

[drop]
folder = ""

[monitor]
listen = "127.0.0.1:0"

[web]
listen = "{}"
"#,
        p.imap, p.imaps, p.submission, p.submissions, p.web
    )
}

const ANY_PORT: &str = "127.0.0.1:0";

/// Keeps the client ports a node got at its first start in its configuration.
fn pin_ports(dir: &Path, endpoints: &serde_json::Value) -> Result<()> {
    let ports = Ports {
        imap: field(endpoints, "imap"),
        imaps: field(endpoints, "imaps"),
        submission: field(endpoints, "submission"),
        submissions: field(endpoints, "submissions"),
        web: field(endpoints, "web"),
    };
    let p = &ports;
    if [&p.imap, &p.imaps, &p.submission, &p.submissions, &p.web]
        .iter()
        .any(|a| a.is_empty())
    {
        return Ok(());
    }
    let path = dir.join("wims.toml");
    let text = node_toml(p);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

/// Runs the demo in `root`; a `temporary` root is removed when the demo ends.
pub fn run(root: &Path, temporary: bool, i18n: &I18n, log_level: Option<u8>) -> Result<()> {
    let result = run_in(root, i18n, log_level);
    if temporary {
        let _ = std::fs::remove_dir_all(root);
    }
    result
}

fn run_in(root: &Path, i18n: &I18n, log_level: Option<u8>) -> Result<()> {
    std::fs::create_dir_all(root)?;
    let level = log_level.unwrap_or(3);
    let _guard = daemon::logging::init(
        level,
        Some(&root.join("log/demo.log")),
        overlay::quiet_log_directives,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(demo(root, i18n, level))
}

fn random_password() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| {
            const SET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
            SET[rng.gen_range(0..SET.len())] as char
        })
        .collect()
}

/// A port free for both QUIC (UDP) and TCP on loopback, so the service server keeps one
/// address for both across demo runs.
fn free_port() -> Option<u16> {
    for _ in 0..50 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
        let port = udp.local_addr().ok()?.port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Some(port);
        }
    }
    None
}

async fn demo(root: &Path, i18n: &I18n, level: u8) -> Result<()> {
    let state_path = root.join("demo.json");
    let previous: Option<DemoFile> = std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let fresh = previous.is_none();
    let service_dir = root.join("service");
    if fresh {
        // A half-made folder from an interrupted first run is started over.
        for d in ["service", "node-a", "node-b"] {
            let _ = std::fs::remove_dir_all(root.join(d));
        }
        service::ServiceServer::init(&service_dir, Some("demo"), None)
            .map_err(|e| anyhow!("{e}"))?;
    }
    let port = match &previous {
        Some(p) => p.service.port,
        None => free_port().ok_or_else(|| anyhow!(i18n.text("demo-no-port", &[])))?,
    };
    let mut config = service::Config::load(&service_dir.join("wims-service.toml"))
        .map_err(|e| anyhow!("{e}"))?;
    config.overlay.listen = vec![
        format!("/ip4/127.0.0.1/udp/{port}/quic-v1"),
        format!("/ip4/127.0.0.1/tcp/{port}"),
    ];
    let server = service::ServiceServer::start_with(&service_dir, config)
        .await
        .map_err(|e| anyhow!("{e}"))?;

    let exe = std::env::current_exe()?;
    let mut passwords: Vec<(String, String)> = previous
        .as_ref()
        .map(|p| {
            p.accounts
                .iter()
                .map(|a| (a.address.clone(), a.password.clone()))
                .collect()
        })
        .unwrap_or_default();
    if fresh {
        for node in ["node-a", "node-b"] {
            let dir = root.join(node);
            wims(&exe, &dir, &["init"], None, level)?;
            std::fs::write(dir.join("wims.toml"), node_toml(&Ports::any()))?;
        }
        for (a, b) in PARTNERS {
            server.admin(service::AdminRequest::PartnerAdd {
                a: a.to_string(),
                b: b.to_string(),
            });
        }
        for acc in ACCOUNTS {
            let reply = server.admin(service::AdminRequest::AccountCreate {
                address: acc.address.into(),
                name: Some(acc.name.into()),
            });
            let service::AdminReply::Created { profile } = reply else {
                return Err(anyhow!("{reply:?}"));
            };
            let dir = root.join(acc.node);
            let file = dir.join(format!("{}.profile", acc.address));
            std::fs::write(&file, profile.to_toml()?)?;
            let password = random_password();
            let file_arg = file.display().to_string();
            let exe2 = exe.clone();
            let pw = password.clone();
            tokio::task::spawn_blocking(move || {
                wims(
                    &exe2,
                    &dir,
                    &["account", "host", &file_arg, "--password-stdin"],
                    Some(&pw),
                    level,
                )
            })
            .await??;
            let _ = std::fs::remove_file(&file);
            passwords.push((acc.address.into(), password));
        }
    }

    let mut children = Vec::new();
    for node in ["node-a", "node-b"] {
        let child = NodeChild::spawn(&exe, &root.join(node), level).map_err(|e| {
            anyhow!(i18n.text(
                "demo-node-failed",
                &[("node", node), ("reason", &e.to_string())]
            ))
        })?;
        pin_ports(&root.join(node), &child.endpoints)?;
        children.push(child);
    }
    let mut entries = Vec::new();
    for acc in ACCOUNTS {
        let child = children
            .iter()
            .find(|c| c.name == acc.node)
            .ok_or_else(|| anyhow!("node"))?;
        let password = passwords
            .iter()
            .find(|(a, _)| a == acc.address)
            .map(|(_, p)| p.clone())
            .unwrap_or_default();
        let e = &child.endpoints;
        entries.push(DemoEntry {
            address: acc.address.into(),
            password,
            node: acc.node.into(),
            imap: field(e, "imap"),
            imaps: field(e, "imaps"),
            submission: field(e, "submission"),
            submissions: field(e, "submissions"),
            web: field(e, "web"),
        });
    }
    let file = DemoFile {
        service: DemoService {
            peer_id: server.endpoints().peer_id.clone(),
            port,
            addrs: server.endpoints().addrs.clone(),
        },
        accounts: entries.clone(),
    };
    let tmp = state_path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&file)?)?;
    std::fs::rename(&tmp, &state_path)?;

    println!(
        "{}",
        i18n.text(
            "demo-ready",
            &[
                ("dir", &root.display().to_string()),
                ("service", &server.endpoints().peer_id)
            ]
        )
    );
    for e in &entries {
        println!(
            "{}",
            i18n.text(
                "demo-account",
                &[
                    ("address", &e.address),
                    ("password", &e.password),
                    ("imap", &e.imap),
                    ("imaps", &e.imaps),
                    ("submission", &e.submission),
                    ("submissions", &e.submissions),
                    ("web", &e.web),
                ]
            )
        );
    }
    println!("{}", i18n.text("demo-partners", &[]));
    for node in ["node-a", "node-b"] {
        let cert = root.join(node).join("tls/cert.pem");
        if let Some(line) = crate::tls::fingerprint_line(&cert, i18n) {
            println!("{node}: {line}");
        }
    }

    if fresh {
        let node_a = root.join("node-a");
        match welcome::send_welcome(&node_a, &entries[0], &entries[1], i18n).await {
            Ok(()) => {
                println!(
                    "{}",
                    i18n.text("demo-welcome-sent", &[("to", &entries[1].address)])
                );
                if welcome::wait_for_receipt(&node_a, &entries[0].address).await {
                    println!(
                        "{}",
                        i18n.text("demo-welcome-receipt", &[("to", &entries[1].address)])
                    );
                } else {
                    println!("{}", i18n.text("demo-welcome-no-receipt", &[]));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "welcome message not sent");
                println!(
                    "{}",
                    i18n.text("demo-welcome-failed", &[("reason", &e.to_string())])
                );
            }
        }
    }
    println!("{}", i18n.text("demo-stop-hint", &[]));
    let outcome = supervise(&mut children, i18n).await;
    println!("{}", i18n.text("cli-stopping", &[]));
    for c in &mut children {
        c.stop();
    }
    server.stop().await;
    println!("{}", i18n.text("cli-stopped", &[]));
    outcome
}

/// Runs until Ctrl-C or SIGTERM, starting a node again when it exits; fails (after saying
/// why) when a node cannot be kept running.
async fn supervise(children: &mut [NodeChild], i18n: &I18n) -> Result<()> {
    let shutdown = wait_for_shutdown();
    tokio::pin!(shutdown);
    let mut restarts: Vec<(String, Instant)> = Vec::new();
    let mut tick = tokio::time::interval(WATCH_EVERY);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tick.tick() => {}
        }
        for child in children.iter_mut() {
            let Some((status, line)) = child.exited() else {
                continue;
            };
            let status = status.to_string();
            let node = child.name.clone();
            tracing::warn!(node, status, "demo node exited");
            let id = if line.is_empty() {
                "demo-node-exited-silent"
            } else {
                "demo-node-exited"
            };
            let args = [
                ("node", node.as_str()),
                ("status", &status),
                ("reason", &line),
            ];
            eprintln!("{}", i18n.text(id, &args));
            restarts.retain(|(_, at)| at.elapsed() < RESTART_WINDOW);
            let recent = restarts.iter().filter(|(n, _)| *n == node).count();
            let again = if recent < MAX_RESTARTS {
                // Waits for the node's readiness file, up to two minutes.
                tokio::task::block_in_place(|| child.respawn())
            } else {
                // This exit and the ones that were restarted.
                let count = (recent + 1).to_string();
                Err(anyhow!(
                    i18n.text("demo-node-restarts", &[("count", &count)])
                ))
            };
            match again {
                Ok(fresh) => {
                    restarts.push((node.clone(), Instant::now()));
                    *child = fresh;
                    eprintln!("{}", i18n.text("demo-node-restarted", &[("node", &node)]));
                }
                Err(e) => {
                    return Err(anyhow!(i18n.text(
                        "demo-node-failed",
                        &[("node", &node), ("reason", &e.to_string())]
                    )));
                }
            }
        }
    }
}

fn field(v: &serde_json::Value, k: &str) -> String {
    v.get(k)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Runs one `wims` command for a demo node and fails with its error line.
fn wims(exe: &Path, dir: &Path, args: &[&str], stdin: Option<&str>, level: u8) -> Result<()> {
    let mut cmd = Command::new(exe);
    cmd.arg("--data")
        .arg(dir)
        .arg("--log-level")
        .arg(level.to_string())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        writeln!(input, "{text}")?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(anyhow!(
            String::from_utf8_lossy(&out.stderr).trim().to_string()
        ))
    }
}

async fn wait_for_shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
