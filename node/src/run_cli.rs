//! `wims run`: the node with its client endpoints and its network, until Ctrl-C or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};
use endpoints::{auth, limits};
use node::config::Config;
use node::i18n::I18n;
use node::paths::DataDir;
use node::{server, tls};

use crate::{language, load_branding, open_store, read_node_key};

pub(crate) fn run(data: DataDir, config: Config) -> Result<()> {
    let i18n = language(&config, None, &data.config())?;
    let log_file = (!config.log.file.is_empty()).then(|| data.resolve(config.log.file.as_ref()));
    let _guard = daemon::logging::init(
        config.log.level,
        log_file.as_deref(),
        overlay::quiet_log_directives,
    );
    // A folder made by an older version, or by hand, may be open to other users.
    daemon::files::make_private(&data.root).map_err(|e| {
        let path = data.root.display().to_string();
        anyhow!(i18n.text(
            "cli-io-failed",
            &[("path", &path), ("reason", &e.to_string())]
        ))
    })?;
    let branding = load_branding(&data, &config, &i18n)?;
    let tls = tls::server_config(
        &data.resolve(&config.tls.cert),
        &data.resolve(&config.tls.key),
    )
    .map_err(|e| anyhow!(i18n.text("cli-tls-failed", &[("reason", &e.to_string())])))?;
    let store = open_store(&data, &i18n)?;
    config.limit_store(&store);
    let mut net_config = network_config(&config);
    let rules = rules::Rules::new(&store, config.rules.clone(), &[delivery::TRUST_HEADER])
        .map_err(|e| anyhow!(i18n.text("cli-store-failed", &[("reason", &e.to_string())])))?;
    net_config.rules = Some(Arc::new(rules));
    let node_key = read_node_key(&data, &i18n)?;
    let i18n = Arc::new(i18n);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (net, inbound) =
            delivery::Network::start(store.clone(), &data.root, node_key, net_config)
                .await
                .map_err(|e| overlay_failed(&i18n, &data, e))?;
        net.spawn_tasks(inbound);
        let clients = Arc::new(endpoints::Clients {
            tls: tokio_rustls::TlsAcceptor::from(tls),
            connections: limits::ConnLimiter::new(limits::ConnCaps {
                total: config.limits.max_connections,
                per_ip: config.limits.max_connections_per_ip,
            }),
            login: endpoints::Login::new(
                store.clone(),
                auth::AuthLimiter::new(config.limits.password_checks),
            ),
            write_timeout: Duration::from_secs(config.limits.write_timeout),
        });
        let outbox = Arc::new(delivery::submit::Outbox {
            store,
            network: Some(net),
            hostname: config.node.hostname.clone(),
        });
        let node = server::Node {
            config,
            i18n,
            branding,
            clients,
            outbox,
        };
        server::run(node, &data).await
    })
}

/// The overlay's start failure in the user's words: a port another program holds is named.
pub(crate) fn overlay_failed(
    i18n: &I18n,
    data: &DataDir,
    e: delivery::StartError,
) -> anyhow::Error {
    let in_use = match &e {
        delivery::StartError::Overlay(o) => o.port_in_use(),
        delivery::StartError::Store(_) => None,
    };
    if let Some([port, (_, what), addr]) = in_use {
        let args = [
            port,
            ("what", format!("overlay {what}")),
            addr,
            ("config", data.config().display().to_string()),
        ];
        return anyhow!(i18n.text_owned("cli-port-in-use", &args));
    }
    anyhow!(i18n.text("cli-overlay-failed", &[("reason", &e.to_string())]))
}

pub(crate) fn network_config(config: &Config) -> delivery::NetworkConfig {
    delivery::NetworkConfig {
        // Checked when the configuration was read.
        listen: config
            .overlay
            .listen
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect(),
        retry_min: std::time::Duration::from_secs(config.delivery.retry_min),
        retry_max: std::time::Duration::from_secs(config.delivery.retry_max),
        collect_interval: std::time::Duration::from_secs(config.delivery.collect_interval.max(1)),
        streams: config.overlay.stream_limits(),
        punch_private_targets: config.overlay.punch_private_targets,
        jobs: jobs::RegistryConfig {
            queue_events: config.monitor.queue_events,
            keep_finished: std::time::Duration::from_secs(config.monitor.keep_finished),
        },
        rules: None,
    }
}
