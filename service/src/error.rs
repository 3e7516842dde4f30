//! The library's error, with the Fluent id that describes it to a person.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::registry::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// `init` on a folder that already holds something.
    #[error("{0} already exists and is not empty")]
    AlreadyInitialised(PathBuf),
    #[error("{0} is not a wims-service data folder")]
    NotInitialised(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The CA key file is missing its secret parts or is not an OpenPGP key at all.
    #[error("CA key {path}: {reason}")]
    Ca { path: PathBuf, reason: String },
    #[error("server key {0} is not 32 bytes")]
    ServerKey(PathBuf),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("overlay: {0}")]
    Overlay(#[from] overlay::OverlayError),
    /// The running server's admin socket answered something unreadable.
    #[error("admin socket {path}: {reason}")]
    Admin { path: PathBuf, reason: String },
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl ServiceError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ServiceError {
        let path = path.into();
        move |source| ServiceError::Io { path, source }
    }

    /// The Fluent id and arguments describing the error (see `locales/*/service.ftl`).
    pub fn text_id(&self) -> (&'static str, Vec<(&'static str, String)>) {
        let shown = |p: &PathBuf| p.display().to_string();
        match self {
            ServiceError::AlreadyInitialised(d) => {
                ("error-already-initialised", vec![("dir", shown(d))])
            }
            ServiceError::NotInitialised(d) => ("error-not-initialised", vec![("dir", shown(d))]),
            ServiceError::Io { path, source } => (
                "error-io",
                vec![("path", shown(path)), ("reason", source.to_string())],
            ),
            // Its text needs the language at hand: see [`ServiceError::text`].
            ServiceError::Config(e) => {
                let (ConfigError::Read { path, .. } | ConfigError::Parse { path, .. }) = e;
                let message = match e {
                    ConfigError::Read { source, .. } => source.to_string(),
                    ConfigError::Parse { problem, .. } => problem.to_string(),
                };
                (
                    "config-invalid",
                    vec![("path", shown(path)), ("message", message)],
                )
            }
            ServiceError::Ca { path, reason } => (
                "error-ca",
                vec![("path", shown(path)), ("reason", reason.clone())],
            ),
            ServiceError::ServerKey(p) => ("error-server-key", vec![("path", shown(p))]),
            ServiceError::Registry(RegistryError::Exists(a)) => {
                ("error-account-exists", vec![("address", a.clone())])
            }
            ServiceError::Registry(RegistryError::NoAccount(a)) => {
                ("error-no-account", vec![("address", a.clone())])
            }
            ServiceError::Registry(RegistryError::InvalidAddress(a)) => {
                ("error-invalid-address", vec![("address", a.clone())])
            }
            ServiceError::Registry(e) => ("error-registry", vec![("reason", e.to_string())]),
            ServiceError::Overlay(e) => match e.port_in_use() {
                Some(args) => ("error-port-in-use", args.to_vec()),
                None => ("error-overlay", vec![("reason", e.to_string())]),
            },
            ServiceError::Admin { path, reason } => (
                "error-admin",
                vec![("path", shown(path)), ("reason", reason.clone())],
            ),
        }
    }

    /// The error in `i18n`'s language.
    pub fn text(&self, i18n: &::i18n::I18n) -> String {
        if let ServiceError::Config(e) = self {
            return e.text(i18n, "");
        }
        let (id, args) = self.text_id();
        i18n.text_owned(id, &args)
    }
}
