//! Passwords and operator tokens kept in the system's secret store through the `keyring` crate
//! (on Linux the desktop's Secret Service: GNOME Keyring, KWallet, KeePassXC), never in the
//! monitor's own files. Where there is no store, nothing is saved and the dialog asks again.
//!
//! Every call may wait on D-Bus (or on the desktop asking the person to unlock the store), so
//! none runs on the window's thread: each runs on a short-lived thread of its own and the
//! window hears of the result as a command.

use druid::{ExtEventSink, Selector, SingleUse, Target};

use crate::profiles::Profile;

/// The service name the entries are filed under (`secret-tool search service wims-monitor`).
pub const SERVICE: &str = "wims-monitor";

/// What the store had for a profile, and what the window should do with it.
pub struct Found {
    pub profile: Profile,
    pub secret: Option<String>,
    /// Connect with it at once (the command line named the node and the account).
    pub connect: bool,
}

pub const FOUND: Selector<SingleUse<Found>> = Selector::new("wims-monitor.secret-found");

/// The entry's user name: who logs in where. An operator token is kept per node.
pub fn user(p: &Profile) -> String {
    let who = if p.account.is_empty() {
        "operator"
    } else {
        p.account.as_str()
    };
    // One entry per node however its address was written ("node.h" is "node.h:7070").
    let node = monitor_client::Target::parse(&p.address)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| p.address.trim().to_string());
    format!("{who} at {node}")
}

fn entry(p: &Profile) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &user(p))
}

/// The saved secret, if the store has one; `None` also when there is no store.
pub fn load(p: &Profile) -> Option<String> {
    match entry(p).and_then(|e| e.get_password()) {
        Ok(s) => usable(s),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => {
            tracing::info!(error = %e, "no secret store");
            None
        }
    }
}

/// The store is the person's own, but what another program put there under our name is read
/// like any input: a secret longer than the node would take is ignored, not sent.
fn usable(secret: String) -> Option<String> {
    if secret.len() <= monitor_api::limits::MAX_SECRET_BYTES {
        Some(secret)
    } else {
        tracing::warn!(bytes = secret.len(), "saved secret too long; ignored");
        None
    }
}

/// Saves `secret` for `p`, replacing an older one.
pub fn save(p: &Profile, secret: &str) -> keyring::Result<()> {
    entry(p)?.set_password(secret)
}

/// Removes what is saved for `p` (nothing saved is no error).
pub fn forget(p: &Profile) -> keyring::Result<()> {
    match entry(p)?.delete_credential() {
        Err(keyring::Error::NoEntry) => Ok(()),
        r => r,
    }
}

/// Looks `p` up away from the window; the answer comes back as [`FOUND`].
pub fn load_in_background(sink: ExtEventSink, profile: Profile, connect: bool) {
    let spawned = std::thread::Builder::new()
        .name("monitor-secret".into())
        .spawn(move || {
            let secret = load(&profile);
            let found = Found {
                profile,
                secret,
                connect,
            };
            let _ = sink.submit_command(FOUND, SingleUse::new(found), Target::Auto);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "secret lookup not started");
    }
}

/// Saves (`Some`) or forgets (`None`) the secret of `p` away from the window.
pub fn store_in_background(profile: Profile, secret: Option<String>) {
    let spawned = std::thread::Builder::new()
        .name("monitor-secret".into())
        .spawn(move || {
            let r = match &secret {
                Some(s) => save(&profile, s),
                None => forget(&profile),
            };
            match r {
                Ok(()) => tracing::debug!(saved = secret.is_some(), "secret store updated"),
                Err(e) => tracing::warn!(error = %e, "secret store not updated"),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "secret store not updated");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_longer_than_the_protocol_takes_is_ignored() {
        let max = monitor_api::limits::MAX_SECRET_BYTES;
        assert_eq!(usable("x".repeat(max)).map(|s| s.len()), Some(max));
        assert_eq!(usable("x".repeat(max + 1)), None);
        assert_eq!(usable("x".repeat(50 << 20)), None);
    }

    #[test]
    fn entries_are_per_account_and_node() {
        let a = Profile {
            address: "node.h:7070".into(),
            account: "ann@alpha.h".into(),
        };
        let op = Profile {
            address: "node.h:7070".into(),
            account: String::new(),
        };
        assert_eq!(user(&a), "ann@alpha.h at node.h:7070");
        assert_eq!(user(&op), "operator at node.h:7070");
        let short = Profile {
            address: "node.h".into(),
            ..a.clone()
        };
        assert_eq!(user(&short), user(&a));
    }
}
