//! `wims run`: opens the store, binds every listener, serves until SIGINT/SIGTERM.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use tokio::net::TcpListener;

use crate::branding::Branding;
use crate::config::Config;
use crate::i18n::I18n;
use crate::paths::DataDir;
use delivery::submit::Outbox;
use endpoints::Clients;

/// What `wims run` starts the node's parts from.
pub struct Node {
    pub config: Config,
    pub i18n: Arc<I18n>,
    pub branding: Branding,
    pub clients: Arc<Clients>,
    pub outbox: Arc<Outbox>,
}

/// Which endpoint a listener serves; the names are the keys of `run/endpoints.json`.
#[derive(Clone, Copy, Debug)]
pub enum Endpoint {
    Imap,
    Imaps,
    Submission,
    Submissions,
    Monitor,
    Web,
}

impl Endpoint {
    pub fn key(self) -> &'static str {
        match self {
            Endpoint::Imap => "imap",
            Endpoint::Imaps => "imaps",
            Endpoint::Submission => "submission",
            Endpoint::Submissions => "submissions",
            Endpoint::Monitor => "monitor",
            Endpoint::Web => "web",
        }
    }
}

async fn bind(
    i18n: &I18n,
    data: &DataDir,
    what: Endpoint,
    spec: &str,
) -> Result<Option<TcpListener>> {
    if spec.trim().is_empty() {
        return Ok(None);
    }
    let addr: SocketAddr = spec.parse().map_err(|_| {
        anyhow!(i18n.text("cli-bad-listen", &[("addr", spec), ("what", what.key())]))
    })?;
    TcpListener::bind(addr).await.map(Some).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            return anyhow!(i18n.text(
                "cli-port-in-use",
                &[
                    ("port", &addr.port().to_string()),
                    ("what", what.key()),
                    ("addr", spec),
                    ("config", &data.config().display().to_string()),
                ],
            ));
        }
        anyhow!(i18n.text(
            "cli-bind-failed",
            &[
                ("addr", spec),
                ("what", what.key()),
                ("reason", &e.to_string())
            ],
        ))
    })
}

pub async fn run(node: Node, data: &DataDir) -> Result<()> {
    let Node {
        config,
        i18n,
        branding,
        clients,
        outbox,
    } = node;
    let c = &config;
    let specs = [
        (Endpoint::Imap, c.imap.listen.clone()),
        (Endpoint::Imaps, c.imap.tls_listen.clone()),
        (Endpoint::Submission, c.submission.listen.clone()),
        (Endpoint::Submissions, c.submission.tls_listen.clone()),
        (Endpoint::Monitor, c.monitor.listen.clone()),
        (Endpoint::Web, c.web.listen_spec()),
    ];
    // Bind everything before serving anything: a port in use fails the start, not half of it.
    let mut bound = Vec::new();
    for (what, spec) in specs {
        if let Some(l) = bind(&i18n, data, what, &spec).await? {
            bound.push((what, l));
        }
    }
    // Each part is given what it uses, nothing more.
    let imap = Arc::new(crate::imap::Imap::new(
        c,
        clients.clone(),
        outbox.store.clone(),
        i18n.clone(),
        branding.name.clone(),
    ));
    let submission = Arc::new(crate::smtp::Submission::new(
        c,
        branding.name.clone(),
        clients.clone(),
        outbox.clone(),
        i18n.clone(),
    ));
    let network = outbox.network.clone();
    let monitors = Arc::new(monitor_endpoint::Monitors {
        clients: clients.clone(),
        settings: monitor_endpoint::Settings {
            handshake_timeout: c.monitor.handshake_timeout,
            max_hello_size: c.monitor.max_hello_size,
            max_connections: c.monitor.max_connections,
            max_connections_per_ip: c.monitor.max_connections_per_ip,
        },
        data_dir: data.root.clone(),
        // Without the network (tests of the client endpoints alone) there are no jobs.
        registry: match &network {
            Some(net) => net.jobs.clone(),
            None => jobs::Registry::new(Default::default()),
        },
        network: network.clone(),
    });
    // One set of admin requests for the admin socket and the web interface's operator pages.
    let admin_requests = Arc::new(crate::admin::Admin {
        outbox: outbox.clone(),
        types: c.drop.types.clone(),
        rules: c.rules.clone(),
        min_password: c.limits.min_password_length,
    });
    let web = web::Web::new(web::Parts {
        admin: admin_requests.clone(),
        outbox: outbox.clone(),
        clients: clients.clone(),
        settings: c.web.settings(),
        product: branding.name.clone(),
        brand: web::Brand {
            short_name: branding.short_name.clone(),
            primary: branding.colours.primary.clone(),
            accent: branding.colours.accent.clone(),
            background: branding.colours.background.clone(),
            logo: branding.logo_file.clone(),
        },
        types: c.drop.types.clone(),
        data_dir: data.root.clone(),
        jobs: monitors.registry.clone(),
    });
    let mut endpoints = BTreeMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (what, listener) in bound {
        let addr = listener.local_addr()?;
        endpoints.insert(what.key(), addr.to_string());
        println!(
            "{}",
            i18n.text(
                "cli-serving",
                &[
                    ("product", &branding.name),
                    ("what", what.key()),
                    ("addr", &addr.to_string())
                ],
            )
        );
        match what {
            Endpoint::Imap => tasks.spawn(crate::imap::serve(listener, imap.clone(), false)),
            Endpoint::Imaps => tasks.spawn(crate::imap::serve(listener, imap.clone(), true)),
            Endpoint::Submission => {
                tasks.spawn(crate::smtp::serve(listener, submission.clone(), false))
            }
            Endpoint::Submissions => {
                tasks.spawn(crate::smtp::serve(listener, submission.clone(), true))
            }
            Endpoint::Monitor => tasks.spawn(monitor_endpoint::endpoint::serve(
                listener,
                monitors.clone(),
            )),
            Endpoint::Web => tasks.spawn(web::serve(listener, web.clone())),
        };
    }
    let admin = data.admin_socket();
    // The socket is created inside a folder only we can enter, so there is no moment in which
    // another user could connect to it.
    daemon::files::create_private_dir(&data.run_dir())?;
    match daemon::admin::bind(&admin) {
        Ok(listener) => {
            let admin = admin_requests.clone();
            tasks.spawn(async move {
                if let Err(e) = crate::admin::serve(listener, admin).await {
                    tracing::error!(error = %e, "admin socket failed");
                }
            });
        }
        Err(e) => tracing::error!(error = %e, "admin socket failed"),
    }
    if !c.drop.folder.trim().is_empty() {
        let root = data.resolve(c.drop.folder.as_ref());
        let d = &c.drop;
        let drop = Arc::new(drop_watch::DropCtx {
            outbox: outbox.clone(),
            settings: drop_watch::Settings {
                poll_interval: d.poll_interval,
                settle: d.settle,
                max_file_size: d.max_file_size,
                max_attachment_size: d.max_attachment_size,
                attachment_folder: d.attachment_folder.clone(),
                rate_per_hour: d.rate_per_hour,
                types: d.types.clone(),
            },
            data_dir: data.root.clone(),
            texts: i18n.clone(),
        });
        tasks.spawn(drop_watch::run(drop, root));
    }
    let mut endpoints: BTreeMap<&str, serde_json::Value> = endpoints
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    if let Some(net) = &network {
        let addrs = net.node_addrs().await;
        for a in &addrs {
            println!(
                "{}",
                i18n.text(
                    "cli-serving",
                    &[
                        ("product", &branding.name),
                        ("what", "overlay"),
                        ("addr", a)
                    ],
                )
            );
        }
        endpoints.insert("peer_id", net.overlay.peer_id().to_string().into());
        endpoints.insert("overlay", addrs.into());
    }
    // Written last and atomically: its presence means the node is ready.
    let ep = data.endpoints();
    daemon::files::write_atomic(&ep, &serde_json::to_vec_pretty(&endpoints)?)?;
    let summary: Vec<String> = endpoints
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            serde_json::Value::Array(a) => {
                let items: Vec<&str> = a.iter().filter_map(|i| i.as_str()).collect();
                format!("{k}={}", items.join(","))
            }
            other => format!("{k}={other}"),
        })
        .collect();
    tracing::info!(endpoints = %summary.join(" "), "node ready");

    wait_for_shutdown().await;
    println!("{}", i18n.text("cli-stopping", &[]));
    tasks.abort_all();
    if let Some(net) = &network {
        net.overlay.shutdown().await;
    }
    let _ = std::fs::remove_file(&ep);
    let _ = std::fs::remove_file(&admin);
    outbox.store.flush()?;
    println!("{}", i18n.text("cli-stopped", &[]));
    Ok(())
}

async fn wait_for_shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
