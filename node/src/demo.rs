//! `wims demo`: a whole wims network on loopback in one command — a service server (in this
//! process), two nodes (child processes of this binary) and three hosted accounts — so a user
//! can point a real mail client at it, and scripts can drive it through `demo.json`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::i18n::I18n;

/// Readiness bounds: only so a broken start cannot hang the demo forever.
const START_WAIT: Duration = Duration::from_secs(120);
const RECEIPT_WAIT: Duration = Duration::from_secs(120);

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
}

/// Node settings for the demo: every port picked by the system, all on loopback.
const NODE_TOML: &str = r#"[imap]
listen = "127.0.0.1:0"
tls_listen = "127.0.0.1:0"

[submission]
listen = "127.0.0.1:0"
tls_listen = "127.0.0.1:0"

[overlay]
listen = ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]

[delivery]
retry_min = 1
retry_max = 10

[drop]
folder = ""
"#;

pub fn run(root: &Path, i18n: &I18n, log_level: Option<u8>) -> Result<()> {
    std::fs::create_dir_all(root)?;
    let level = log_level.unwrap_or(3);
    let _guard = crate::logging::init(level, Some(&root.join("log/demo.log")));
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
            std::fs::write(dir.join("wims.toml"), NODE_TOML)?;
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
                ]
            )
        );
    }
    println!("{}", i18n.text("demo-partners", &[]));

    if fresh {
        let node_a = root.join("node-a");
        match send_welcome(&node_a, &entries[0], &entries[1], i18n).await {
            Ok(()) => {
                println!(
                    "{}",
                    i18n.text("demo-welcome-sent", &[("to", &entries[1].address)])
                );
                if wait_for_receipt(&node_a, &entries[0].address).await {
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
    wait_for_shutdown().await;
    println!("{}", i18n.text("cli-stopping", &[]));
    for c in &mut children {
        c.stop();
    }
    server.stop().await;
    println!("{}", i18n.text("cli-stopped", &[]));
    Ok(())
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

struct NodeChild {
    name: String,
    child: Child,
    endpoints: serde_json::Value,
}

impl NodeChild {
    fn spawn(exe: &Path, dir: &Path, level: u8) -> Result<NodeChild> {
        let ep = dir.join("run/endpoints.json");
        let _ = std::fs::remove_file(&ep);
        let mut child = Command::new(exe)
            .arg("--data")
            .arg(dir)
            .arg("--log-level")
            .arg(level.to_string())
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let started = Instant::now();
        loop {
            if let Some(v) = std::fs::read(&ep)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            {
                return Ok(NodeChild {
                    name: dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    child,
                    endpoints: v,
                });
            }
            if let Ok(Some(_)) = child.try_wait() {
                let mut err = String::new();
                if let Some(s) = child.stderr.take() {
                    for line in BufReader::new(s).lines().map_while(|l| l.ok()) {
                        err = line;
                    }
                }
                return Err(anyhow!(err));
            }
            if started.elapsed() > START_WAIT {
                let _ = child.kill();
                return Err(anyhow!(dir.display().to_string()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asks the node to stop as Ctrl-C would, so it flushes and removes its run files.
    fn stop(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: plain kill(2) on our own child's pid; no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Submits the welcome message from `from` to `to` through node A's SMTP submission port,
/// over implicit TLS and AUTH PLAIN, exactly as a mail client would.
async fn send_welcome(node: &Path, from: &DemoEntry, to: &DemoEntry, i18n: &I18n) -> Result<()> {
    use base64::Engine;
    let pem = std::fs::read(node.join("tls/cert.pem"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&from.submissions).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let tls = connector.connect(name, tcp).await?;
    let (r, mut w) = tokio::io::split(tls);
    let mut r = tokio::io::BufReader::new(r);

    async fn expect(r: &mut (impl tokio::io::AsyncBufRead + Unpin), code: &str) -> Result<()> {
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
            if !line.starts_with(code) {
                return Err(anyhow!(line.trim().to_string()));
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }
    let plain = base64::engine::general_purpose::STANDARD
        .encode(format!("\0{}\0{}", from.address, from.password));
    let subject = i18n.text("demo-welcome-subject", &[]);
    let body = i18n.text(
        "demo-welcome-body",
        &[("from", &from.address), ("to", &to.address)],
    );
    let date = chrono::Utc::now().to_rfc2822();
    let message = format!(
        "From: <{f}>\r\nTo: <{t}>\r\nSubject: {subject}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        f = from.address,
        t = to.address,
        body = body.replace('\n', "\r\n").replace("\r\n.", "\r\n..")
    );
    expect(&mut r, "220").await?;
    for (cmd, code) in [
        ("EHLO demo".to_string(), "250"),
        (format!("AUTH PLAIN {plain}"), "235"),
        (format!("MAIL FROM:<{}> SMTPUTF8", from.address), "250"),
        (format!("RCPT TO:<{}>", to.address), "250"),
        ("DATA".to_string(), "354"),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).await?;
        expect(&mut r, code).await?;
    }
    w.write_all(message.as_bytes()).await?;
    w.write_all(b".\r\n").await?;
    expect(&mut r, "250").await?;
    w.write_all(b"QUIT\r\n").await?;
    let _ = expect(&mut r, "221").await;
    Ok(())
}

async fn wait_for_receipt(node: &Path, address: &str) -> bool {
    let started = Instant::now();
    let path: PathBuf = node.join("run/admin.sock");
    let req = crate::admin::Request::Receipts {
        address: address.to_string(),
    };
    while started.elapsed() < RECEIPT_WAIT {
        if let Some(Ok(crate::admin::Reply::Receipts { receipts })) =
            crate::admin::call(&path, &req)
            && !receipts.is_empty()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
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
