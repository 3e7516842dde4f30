//! How `wims-monitor` talks to a node's monitor endpoint (`docs/monitor-api.md`), without a
//! GUI: a TLS connection that trusts the node's self-signed certificate on first use as SSH
//! does ([`known_hosts`]), the hello with an account's password or an operator token, the
//! frames the node sends ([`session`]), and a loop that reconnects by itself with the
//! backoff of [`monitor_model::Connection`] and hands every frame to the caller ([`run`]).
//!
//! Every way a connection can be turned down is a [`ClientError`] with one localised line
//! for the person ([`ClientError::text`]).

pub mod error;
pub mod known_hosts;
pub mod run;
pub mod session;
pub mod target;
mod tls;

pub use error::ClientError;
pub use known_hosts::{Fingerprint, KnownHosts};
pub use run::{ConnState, Handle, Update, spawn};
pub use session::{Session, Settings, dial};
pub use target::Target;
pub use tls::pinned_config;
