//! Every way a connection to the node can be turned down, each with one line for the person
//! in their language.

use std::io;

use i18n::I18n;
use monitor_api::Refusal;

use crate::known_hosts::Fingerprint;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// Not `host` or `host:port`.
    #[error("not a node address: {0}")]
    BadAddress(String),
    /// Nothing listens there.
    #[error("connection to {target} refused")]
    ConnectionRefused { target: String },
    /// The name did not resolve, the network is down, the connection broke.
    #[error("{target} cannot be reached: {detail}")]
    Unreachable { target: String, detail: String },
    #[error("{target} did not answer in time")]
    Timeout { target: String },
    /// The node's certificate is not known yet: the person compares the fingerprint and
    /// decides.
    #[error("the certificate of {target} is not known (SHA-256 {fingerprint})")]
    UnknownCertificate {
        target: String,
        fingerprint: Fingerprint,
    },
    /// The node presents another certificate than the one kept for it.
    #[error("the certificate of {target} changed (known {known}, presented {presented})")]
    ChangedCertificate {
        target: String,
        known: Fingerprint,
        presented: Fingerprint,
        /// The known-hosts file, where the old entry can be removed.
        path: String,
    },
    #[error("TLS with {target} failed: {detail}")]
    Tls { target: String, detail: String },
    /// The node answered the hello with a refusal.
    #[error("refused by the node: {0:?}")]
    Refused(Refusal),
    #[error("{target} closed the connection without answering")]
    Closed { target: String },
    #[error("{target} answered something unreadable: {detail}")]
    Protocol { target: String, detail: String },
    #[error("known-hosts file {path}: {detail}")]
    KnownHosts { path: String, detail: String },
}

impl ClientError {
    pub(crate) fn from_connect(target: &str, e: io::Error) -> ClientError {
        if e.kind() == io::ErrorKind::ConnectionRefused {
            ClientError::ConnectionRefused {
                target: target.to_string(),
            }
        } else {
            ClientError::Unreachable {
                target: target.to_string(),
                detail: e.to_string(),
            }
        }
    }

    /// Whether trying again unchanged cannot help: the person must act (other credentials,
    /// a decision about the certificate, another address). A throttle ends by itself and a
    /// node that is down may come back, so those are retried.
    pub fn needs_person(&self) -> bool {
        match self {
            ClientError::Refused(r) => r.retry_after().is_none(),
            ClientError::BadAddress(_)
            | ClientError::UnknownCertificate { .. }
            | ClientError::ChangedCertificate { .. }
            | ClientError::KnownHosts { .. } => true,
            ClientError::ConnectionRefused { .. }
            | ClientError::Unreachable { .. }
            | ClientError::Timeout { .. }
            | ClientError::Tls { .. }
            | ClientError::Closed { .. }
            | ClientError::Protocol { .. } => false,
        }
    }

    /// One line for the person.
    pub fn text(&self, t: &I18n) -> String {
        match self {
            ClientError::BadAddress(address) => {
                t.text("monitor-client-bad-address", &[("address", address)])
            }
            ClientError::ConnectionRefused { target } => {
                t.text("monitor-client-connection-refused", &[("target", target)])
            }
            ClientError::Unreachable { target, detail } => t.text(
                "monitor-client-unreachable",
                &[("target", target), ("detail", detail)],
            ),
            ClientError::Timeout { target } => {
                t.text("monitor-client-timeout", &[("target", target)])
            }
            ClientError::UnknownCertificate {
                target,
                fingerprint,
            } => t.text(
                "monitor-client-unknown-certificate",
                &[
                    ("target", target),
                    ("fingerprint", &fingerprint.to_string()),
                ],
            ),
            ClientError::ChangedCertificate {
                target,
                known,
                presented,
                path,
            } => t.text(
                "monitor-client-changed-certificate",
                &[
                    ("target", target),
                    ("known", &known.to_string()),
                    ("presented", &presented.to_string()),
                    ("path", path),
                ],
            ),
            ClientError::Tls { target, detail } => t.text(
                "monitor-client-tls",
                &[("target", target), ("detail", detail)],
            ),
            ClientError::Refused(refusal) => {
                monitor_model::reconnect::refusal_text(t, refusal, None)
            }
            ClientError::Closed { target } => {
                t.text("monitor-client-closed", &[("target", target)])
            }
            ClientError::Protocol { target, detail } => t.text(
                "monitor-client-protocol",
                &[("target", target), ("detail", detail)],
            ),
            ClientError::KnownHosts { path, detail } => t.text(
                "monitor-client-known-hosts",
                &[("path", path), ("detail", detail)],
            ),
        }
    }
}
