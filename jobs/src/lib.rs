//! The live list of the node's jobs (deliveries, receptions, collections, drop files, update
//! checks), fed by the code paths that do the work and read by the monitor endpoint. It
//! depends on nothing of the node but the network clock, so every part can report into it.

mod feed;
pub mod registry;
mod tracked;

pub use feed::Published;
pub use registry::{JobSpec, Registry, RegistryConfig};
pub use tracked::JobHandle;

use monitor_api::limits::{MAX_TEXT_BYTES, clip};

/// Unix seconds of the node's network-corrected clock.
pub fn now() -> i64 {
    relay_client::clock::now().timestamp()
}

/// A subject as the monitor may show it: unfolded, decoded (RFC 2047), within its limit.
pub fn subject_text(raw: &str) -> String {
    let header = format!("Subject: {raw}\r\n\r\n");
    let decoded = mail_parser::MessageParser::default()
        .parse(header.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| raw.to_string());
    clip(decoded.trim(), MAX_TEXT_BYTES).to_string()
}
