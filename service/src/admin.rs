//! Administration: account, partnership and release announcement commands.
//!
//! A running server holds the database, so the CLI then sends its command as one JSON line
//! to `run/admin.sock` (owner-only) and reads one JSON line back; when no server runs it opens
//! the database itself. Both paths run the same [`execute`].

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::net::UnixListener;
use wire::{AccountProfile, CaKey, PROFILE_VERSION, RELEASE_VERSION, Release, ServerAddr};

use crate::address::normalize_party;
use crate::registry::{AccountState, HostingSecret, Registry, RegistryError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum AdminRequest {
    /// Registers an account and returns its profile (with the one-time hosting secret).
    AccountCreate {
        address: String,
        name: Option<String>,
    },
    AccountList,
    AccountDisable {
        address: String,
    },
    /// `a` and `b` are addresses or whole domains.
    PartnerAdd {
        a: String,
        b: String,
    },
    PartnerRemove {
        a: String,
        b: String,
    },
    PartnerList,
    /// Signs and stores the release nodes are told about, replacing the previous one.
    ReleaseAnnounce {
        version: String,
        notes: String,
        url: String,
    },
    ReleaseShow,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub address: String,
    pub display_name: String,
    pub state: AccountState,
    /// PeerId of the hosting node, once hosted.
    pub node: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum AdminReply {
    Created {
        profile: AccountProfile,
    },
    Accounts {
        accounts: Vec<AccountInfo>,
    },
    Disabled {
        address: String,
    },
    /// `new` is false when the partnership already existed.
    PartnerAdded {
        a: String,
        b: String,
        new: bool,
    },
    /// `existed` is false when there was no such entry.
    PartnerRemoved {
        a: String,
        b: String,
        existed: bool,
    },
    Partners {
        pairs: Vec<(String, String)>,
    },
    /// The announced release (after `release-announce`: the new one); none yet if `None`.
    Release {
        release: Option<Release>,
    },
    /// The CLI turns `code` into text in the user's language; `detail` is for logs.
    Failed {
        code: AdminFailure,
        subject: String,
        detail: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdminFailure {
    Exists,
    NoAccount,
    InvalidAddress,
    /// A release version that is not dotted numbers (nodes could not compare it).
    InvalidVersion,
    /// The request line did not parse.
    BadRequest,
    /// The request line was longer than the socket takes.
    TooLarge,
    Internal,
}

/// What [`execute`] needs besides the registry: what goes into profiles.
#[derive(Clone, Debug)]
pub struct AdminContext {
    pub registry: Registry,
    /// The CA certificate, ASCII-armored.
    pub ca_cert: String,
    /// Signs release announcements.
    pub ca: CaKey,
    /// This server first, then the network's other servers.
    pub servers: Vec<ServerAddr>,
}

fn failed(subject: &str, e: RegistryError) -> AdminReply {
    let code = match &e {
        RegistryError::Exists(_) => AdminFailure::Exists,
        RegistryError::NoAccount(_) => AdminFailure::NoAccount,
        RegistryError::InvalidAddress(_) => AdminFailure::InvalidAddress,
        _ => AdminFailure::Internal,
    };
    let subject = match e {
        RegistryError::Exists(a)
        | RegistryError::NoAccount(a)
        | RegistryError::InvalidAddress(a) => a,
        _ => subject.to_string(),
    };
    AdminReply::Failed {
        code,
        subject,
        detail: String::new(),
    }
}

/// A partnership side as stored (the registry has accepted it, so it normalises).
fn canonical(party: &str) -> String {
    normalize_party(party).unwrap_or_else(|| party.to_string())
}

/// Whether `v` is what nodes compare: dotted decimal numbers, like "0.2.0".
pub fn is_release_version(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn announce(ctx: &AdminContext, version: String, notes: String, url: String) -> AdminReply {
    if !is_release_version(&version) {
        return AdminReply::Failed {
            code: AdminFailure::InvalidVersion,
            subject: version,
            detail: String::new(),
        };
    }
    let release = Release {
        version: RELEASE_VERSION,
        product_version: version,
        notes,
        url,
        // Milliseconds are what the signed document keeps; the reply shows the same.
        published: DateTime::from_timestamp_millis(Utc::now().timestamp_millis())
            .unwrap_or_else(Utc::now),
    };
    let stored = ctx
        .ca
        .sign_release(&release)
        .map_err(|e| e.to_string())
        .and_then(|signed| ctx.registry.set_release(&signed).map_err(|e| e.to_string()));
    match stored {
        Ok(()) => {
            tracing::info!(version = %release.product_version, "release announced");
            AdminReply::Release {
                release: Some(release),
            }
        }
        Err(detail) => AdminReply::Failed {
            code: AdminFailure::Internal,
            subject: release.product_version,
            detail,
        },
    }
}

/// The stored announcement, checked against the CA like a node would.
fn show_release(ctx: &AdminContext) -> AdminReply {
    let opened = ctx
        .registry
        .release()
        .map_err(|e| e.to_string())
        .and_then(|s| {
            s.map(|s| wire::verify_release(&s, &ctx.ca.cert()))
                .transpose()
                .map_err(|e| e.to_string())
        });
    match opened {
        Ok(release) => AdminReply::Release { release },
        Err(detail) => AdminReply::Failed {
            code: AdminFailure::Internal,
            subject: String::new(),
            detail,
        },
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs one admin command. Every change is on disk when this returns.
pub fn execute(ctx: &AdminContext, req: AdminRequest) -> AdminReply {
    let r = &ctx.registry;
    match req {
        AdminRequest::AccountCreate { address, name } => {
            let mut secret = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
            // Only the verifier is kept: the secret leaves in the profile and nowhere else.
            let verifier = HostingSecret::Verifier(wire::proto::hosting_verifier(&secret));
            let name = name.unwrap_or_default();
            match r.create_account(&address, &name, verifier, Utc::now()) {
                Ok(account) => {
                    tracing::info!(address = %account.address, "account created");
                    AdminReply::Created {
                        profile: AccountProfile {
                            version: PROFILE_VERSION,
                            address: account.address,
                            display_name: account.display_name,
                            hosting_secret: hex(&secret),
                            ca_cert: ctx.ca_cert.clone(),
                            servers: ctx.servers.clone(),
                        },
                    }
                }
                Err(e) => failed(&address, e),
            }
        }
        AdminRequest::AccountList => match r.accounts() {
            Ok(list) => AdminReply::Accounts {
                accounts: list
                    .into_iter()
                    .map(|a| AccountInfo {
                        address: a.address,
                        display_name: a.display_name,
                        state: a.state,
                        node: a.node,
                    })
                    .collect(),
            },
            Err(e) => failed("", e),
        },
        AdminRequest::AccountDisable { address } => match r.disable(&address) {
            Ok(a) => {
                tracing::info!(address = %a.address, "account disabled");
                AdminReply::Disabled { address: a.address }
            }
            Err(e) => failed(&address, e),
        },
        AdminRequest::PartnerAdd { a, b } => match r.add_partner(&a, &b) {
            Ok(new) => {
                tracing::info!(%a, %b, "partnership added");
                AdminReply::PartnerAdded {
                    a: canonical(&a),
                    b: canonical(&b),
                    new,
                }
            }
            Err(e) => failed(&a, e),
        },
        AdminRequest::PartnerRemove { a, b } => match r.remove_partner(&a, &b) {
            Ok(existed) => {
                tracing::info!(%a, %b, existed, "partnership removed");
                AdminReply::PartnerRemoved {
                    a: canonical(&a),
                    b: canonical(&b),
                    existed,
                }
            }
            Err(e) => failed(&a, e),
        },
        AdminRequest::PartnerList => match r.partners() {
            Ok(pairs) => AdminReply::Partners { pairs },
            Err(e) => failed("", e),
        },
        AdminRequest::ReleaseAnnounce {
            version,
            notes,
            url,
        } => announce(ctx, version, notes, url),
        AdminRequest::ReleaseShow => show_release(ctx),
    }
}

impl daemon::admin::Reply for AdminReply {
    fn bad_request(detail: String) -> Self {
        AdminReply::Failed {
            code: AdminFailure::BadRequest,
            subject: String::new(),
            detail,
        }
    }
    fn too_large() -> Self {
        AdminReply::Failed {
            code: AdminFailure::TooLarge,
            subject: String::new(),
            detail: String::new(),
        }
    }
}

pub use daemon::admin::bind;

/// Serves the admin socket until the task is dropped.
pub async fn serve(listener: UnixListener, ctx: Arc<AdminContext>) -> std::io::Result<()> {
    daemon::admin::serve(listener, move |req: AdminRequest| {
        let ctx = ctx.clone();
        async move {
            records::blocking::run(move || execute(&ctx, req))
                .await
                .unwrap_or_else(|e| AdminReply::Failed {
                    code: AdminFailure::Internal,
                    subject: String::new(),
                    detail: e.to_string(),
                })
        }
    })
    .await
}

/// Sends one command to the server running on `path`; `None` when none answers there (not
/// running, or a stale socket of a crashed one).
pub fn call(path: &Path, req: &AdminRequest) -> Option<std::io::Result<AdminReply>> {
    daemon::admin::call(path, req, Some(std::time::Duration::from_secs(60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> (tempfile::TempDir, AdminContext) {
        let dir = tempfile::tempdir().unwrap();
        let ca = wire::CaKey::generate("t").unwrap();
        let ctx = AdminContext {
            registry: Registry::in_memory(),
            ca_cert: String::from_utf8(wire::cert_to_armored(&ca.cert()).unwrap()).unwrap(),
            ca,
            servers: vec![ServerAddr {
                peer_id: "12D3KooWserver".into(),
                addrs: vec!["/ip4/127.0.0.1/tcp/4100".into()],
            }],
        };
        (dir, ctx)
    }

    #[test]
    fn create_returns_a_profile_whose_secret_matches_the_stored_key() {
        let (_d, ctx) = ctx();
        let reply = execute(
            &ctx,
            AdminRequest::AccountCreate {
                address: "Bob@Kapur.h".into(),
                name: Some("Bob".into()),
            },
        );
        let AdminReply::Created { profile } = reply else {
            panic!("{reply:?}")
        };
        let back = AccountProfile::from_toml(&profile.to_toml().unwrap()).unwrap();
        assert_eq!(back.address, "bob@kapur.h");
        assert_eq!(back.servers, ctx.servers);
        let stored = ctx.registry.account("bob@kapur.h").unwrap().unwrap();
        assert_eq!(
            stored.hosting_verifier,
            Some(wire::proto::hosting_verifier(&back.secret().unwrap()))
        );
        assert_eq!(stored.hosting_key, None);
        let again = execute(
            &ctx,
            AdminRequest::AccountCreate {
                address: "bob@kapur.h".into(),
                name: None,
            },
        );
        assert!(matches!(
            again,
            AdminReply::Failed {
                code: AdminFailure::Exists,
                ..
            }
        ));
    }

    #[test]
    fn list_disable_and_partners() {
        let (_d, ctx) = ctx();
        execute(
            &ctx,
            AdminRequest::AccountCreate {
                address: "bob@kapur.h".into(),
                name: None,
            },
        );
        assert_eq!(
            execute(
                &ctx,
                AdminRequest::AccountDisable {
                    address: "BOB@kapur.h".into()
                }
            ),
            AdminReply::Disabled {
                address: "bob@kapur.h".into()
            }
        );
        let AdminReply::Accounts { accounts } = execute(&ctx, AdminRequest::AccountList) else {
            panic!()
        };
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].state, AccountState::Disabled);
        assert!(matches!(
            execute(
                &ctx,
                AdminRequest::AccountDisable {
                    address: "x@kapur.h".into()
                }
            ),
            AdminReply::Failed {
                code: AdminFailure::NoAccount,
                ..
            }
        ));
        let add = AdminRequest::PartnerAdd {
            a: "Kapur.h".into(),
            b: "x@beta.h".into(),
        };
        assert!(matches!(
            execute(&ctx, add.clone()),
            AdminReply::PartnerAdded { new: true, .. }
        ));
        assert!(matches!(
            execute(&ctx, add),
            AdminReply::PartnerAdded { new: false, .. }
        ));
        assert_eq!(
            execute(&ctx, AdminRequest::PartnerList),
            AdminReply::Partners {
                pairs: vec![("kapur.h".into(), "x@beta.h".into())]
            }
        );
        assert!(matches!(
            execute(
                &ctx,
                AdminRequest::PartnerRemove {
                    a: "x@beta.h".into(),
                    b: "kapur.h".into()
                }
            ),
            AdminReply::PartnerRemoved { existed: true, .. }
        ));
        assert!(matches!(
            execute(
                &ctx,
                AdminRequest::PartnerAdd {
                    a: "no way".into(),
                    b: "kapur.h".into()
                }
            ),
            AdminReply::Failed {
                code: AdminFailure::InvalidAddress,
                ..
            }
        ));
    }

    #[test]
    fn requests_and_replies_are_json_lines() {
        let req = AdminRequest::PartnerAdd {
            a: "a.h".into(),
            b: "b.h".into(),
        };
        let text = serde_json::to_string(&req).unwrap();
        assert_eq!(text, r#"{"cmd":"partner-add","a":"a.h","b":"b.h"}"#);
        assert_eq!(serde_json::from_str::<AdminRequest>(&text).unwrap(), req);
    }

    #[test]
    fn release_announce_signs_stores_and_shows() {
        let (_d, ctx) = ctx();
        assert_eq!(
            execute(&ctx, AdminRequest::ReleaseShow),
            AdminReply::Release { release: None }
        );
        let bad = AdminRequest::ReleaseAnnounce {
            version: "1.x".into(),
            notes: String::new(),
            url: String::new(),
        };
        assert!(matches!(
            execute(&ctx, bad),
            AdminReply::Failed {
                code: AdminFailure::InvalidVersion,
                ..
            }
        ));
        let req = AdminRequest::ReleaseAnnounce {
            version: "0.3.1".into(),
            notes: "fixes".into(),
            url: "https://example.invalid/r".into(),
        };
        let AdminReply::Release {
            release: Some(announced),
        } = execute(&ctx, req)
        else {
            panic!()
        };
        // What nodes receive is signed by this network's CA.
        let signed = ctx.registry.release().unwrap().unwrap();
        let opened = wire::verify_release(&signed, &ctx.ca.cert()).unwrap();
        assert_eq!(opened, announced);
        assert_eq!(opened.product_version, "0.3.1");
        assert_eq!(
            execute(&ctx, AdminRequest::ReleaseShow),
            AdminReply::Release {
                release: Some(announced)
            }
        );
    }

    #[test]
    fn release_versions_are_dotted_numbers() {
        assert!(is_release_version("0.2.0"));
        assert!(is_release_version("10"));
        for v in ["", "1..2", "1.2.", "v1.2", "1.2.3-rc1", "1234567890"] {
            assert!(!is_release_version(v), "{v}");
        }
    }
}
