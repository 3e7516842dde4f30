//! The one bounded broadcast ring every monitor reads its events from.

use std::sync::Arc;

use monitor_api::Event;
use tokio::sync::broadcast;

/// One event and whose it is: monitors of an account see only its own; `None` (node status,
/// removals) goes to everyone. The event is encoded once, here, however many monitors send it.
#[derive(Debug)]
pub struct Published {
    pub account: Option<Arc<str>>,
    /// The event as JSON, checked against the protocol's limits.
    pub json: Vec<u8>,
}

/// Where the jobs' events go out.
pub(crate) struct Feed {
    events: broadcast::Sender<Arc<Published>>,
}

impl Feed {
    /// A ring of `capacity` events (at least 16).
    pub fn new(capacity: usize) -> Feed {
        let (events, _) = broadcast::channel(capacity.max(16));
        Feed { events }
    }

    /// Sends `event` to the monitors that may see it.
    pub fn publish(&self, account: Option<Arc<str>>, event: Event) {
        if self.events.receiver_count() == 0 {
            // No monitor connected: nobody to tell.
            return;
        }
        if let Err(e) = monitor_api::Validate::validate(&event) {
            tracing::warn!(error = %e, job = event.job_id(), "monitor event beyond the protocol's limits; not sent");
            return;
        }
        match serde_json::to_vec(&event) {
            Ok(json) => {
                let _ = self.events.send(Arc::new(Published { account, json }));
            }
            Err(e) => tracing::warn!(error = %e, "monitor event not encoded"),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.events.subscribe()
    }
}
