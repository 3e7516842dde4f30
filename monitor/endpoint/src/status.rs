//! The node's status line for monitors, looked at every few seconds: monitors hear of it only
//! when it changed.

use std::sync::Arc;
use std::time::Duration;

use monitor_api::NodeStatus;

use super::Monitors;
use jobs::Registry;

/// How often the status is looked at.
const EVERY: Duration = Duration::from_secs(5);

pub(super) async fn run(ctx: Arc<Monitors>, registry: Arc<Registry>) {
    loop {
        registry.set_status(current(&ctx).await);
        tokio::time::sleep(EVERY).await;
    }
}

async fn current(ctx: &Monitors) -> NodeStatus {
    let mut status = NodeStatus {
        node_version: env!("CARGO_PKG_VERSION").to_string(),
        ..NodeStatus::default()
    };
    let Some(net) = &ctx.network else {
        return status;
    };
    status.online = !net.node_addrs().await.is_empty();
    status.service_reachable = net.service_reachable();
    status.clock_offset_ms = net.clock_offset_ms();
    status.update_available = net
        .newer_release()
        .map(|v| monitor_api::limits::clip(&v, monitor_api::limits::MAX_NAME_BYTES).to_string());
    status
}
