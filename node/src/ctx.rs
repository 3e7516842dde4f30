//! What every connection handler shares.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::auth::{AuthError, AuthLimiter};
use crate::branding::Branding;
use crate::config::Config;
use crate::i18n::I18n;

pub struct NodeCtx {
    pub store: mailbox::Store,
    pub config: Config,
    pub tls: tokio_rustls::TlsAcceptor,
    pub i18n: std::sync::Arc<I18n>,
    pub branding: Branding,
    pub auth: AuthLimiter,
    /// Client connections open now, IMAP and submission together.
    pub connections: std::sync::Arc<crate::limits::ConnLimiter>,
    pub data_dir: PathBuf,
    /// What the node's IMAP sessions share.
    pub imap: std::sync::Arc<::imap::Env>,
    /// The node on the wims network; `None` only in tests of the client endpoints alone.
    pub network: Option<std::sync::Arc<delivery::Network>>,
}

impl NodeCtx {
    pub async fn authenticate(
        &self,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> Result<mailbox::Account, AuthError> {
        self.auth
            .authenticate(&self.store, user, password, peer)
            .await
    }
}
