//! `wims update check` and `wims receipts`; and, for commands that need the network while the
//! node is stopped, the overlay run in this process for as long as they take.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use node::i18n::I18n;
use node::paths::DataDir;
use node::{admin, branding};

use crate::run_cli::{network_config, overlay_failed};
use crate::{load_config, open_store, read_node_key};

/// `wims update check`: through the running node, else with the overlay in this process.
pub(crate) fn update_check(data: &DataDir, i18n: &I18n) -> Result<()> {
    let req = admin::Request::UpdateCheck;
    let reply = match admin::call(&data.admin_socket(), &req) {
        Some(r) => r?,
        None => with_network(
            data,
            i18n,
            |net| async move { admin::update_check(&net).await },
        )?,
    };
    match reply {
        admin::Reply::Update { status } => {
            let text = admin::texts::update_status(i18n, &status);
            println!("{text}");
            Ok(())
        }
        admin::Reply::Failed { code, detail, .. } => Err(anyhow!(code.text(i18n, "", &detail))),
        _ => Err(anyhow!(i18n.text("cli-store-failed", &[("reason", "")]))),
    }
}

/// Runs `work` with the node's network started in this process (the node is stopped), then
/// shuts it down again.
pub(crate) fn with_network<F, Fut>(data: &DataDir, i18n: &I18n, work: F) -> Result<admin::Reply>
where
    F: FnOnce(Arc<delivery::Network>) -> Fut,
    Fut: std::future::Future<Output = admin::Reply>,
{
    let config = load_config(data, i18n)?;
    let store = open_store(data, i18n)?;
    config.limit_store(&store);
    let node_key = read_node_key(data, i18n)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (net, _inbound) =
            delivery::Network::start(store.clone(), &data.root, node_key, network_config(&config))
                .await
                .map_err(|e| overlay_failed(i18n, data, e))?;
        let reply = work(net.clone()).await;
        net.overlay.shutdown().await;
        store.flush()?;
        Ok(reply)
    })
}

pub(crate) fn receipts(
    data: &DataDir,
    i18n: &I18n,
    branding: &branding::Branding,
    address: String,
) -> Result<()> {
    let req = admin::Request::Receipts {
        address: address.clone(),
    };
    let reply = match admin::call(&data.admin_socket(), &req) {
        Some(r) => r?,
        // Receipts touch no rules: the limits do not matter here.
        None => admin::execute(&open_store(data, i18n)?, &rules::Settings::default(), req),
    };
    match reply {
        admin::Reply::Receipts { receipts } => {
            // The deployment's own word for its receipts heads the list.
            let title = branding
                .receipt_title(i18n.language())
                .map(str::to_string)
                .unwrap_or_else(|| {
                    i18n.text("cli-receipts-default-title", &[("product", &branding.name)])
                });
            println!(
                "{}",
                i18n.text(
                    "cli-receipts-heading",
                    &[("title", &title), ("address", &address)]
                )
            );
            if receipts.is_empty() {
                println!("{}", i18n.text("cli-no-receipts", &[]));
            }
            for r in receipts {
                let time = chrono::DateTime::from_timestamp_millis(r.received_at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default();
                println!(
                    "{}",
                    i18n.text(
                        "cli-receipt-line",
                        &[
                            ("time", &time),
                            ("recipient", &r.recipient),
                            ("id", &r.message_id)
                        ]
                    )
                );
            }
            Ok(())
        }
        admin::Reply::Failed { detail, .. } => Err(anyhow!(
            i18n.text("cli-store-failed", &[("reason", &detail)])
        )),
        _ => Ok(()),
    }
}
