//! What the node's client endpoints (IMAP, submission, monitors) share: the accept loop with
//! its connection caps (`net`, `limits`), TLS in place (`net::Stream`), and the throttled
//! password check (`auth`), bundled as [`Clients`].

pub mod auth;
pub mod limits;
pub mod net;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{AuthError, AuthLimiter};
use crate::limits::ConnLimiter;

/// The password check, throttled after failures for the address and the account alike.
pub struct Login {
    store: mailbox::Store,
    limiter: AuthLimiter,
}

impl Login {
    pub fn new(store: mailbox::Store, limiter: AuthLimiter) -> Self {
        Login { store, limiter }
    }

    pub async fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> Result<mailbox::Account, AuthError> {
        self.limiter
            .authenticate(&self.store, user, password, peer)
            .await
    }

    /// Whether `address` has an account here (for the monitor's loopback-only hint).
    pub fn exists(&self, address: &str) -> bool {
        self.store.account(address).ok().flatten().is_some()
    }
}

/// What every client endpoint shares.
pub struct Clients {
    pub tls: tokio_rustls::TlsAcceptor,
    /// Client connections open now, IMAP and submission together.
    pub connections: Arc<ConnLimiter>,
    pub login: Login,
    /// How long a client may take to accept what it is sent.
    pub write_timeout: Duration,
}
