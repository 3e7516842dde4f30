//! The first exchange of a connection: the monitor's versions and credentials, the node's
//! acceptance or typed refusal.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Protocol versions from `min` to `max`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRange {
    pub min: u16,
    pub max: u16,
}

impl VersionRange {
    pub fn contains(&self, version: u16) -> bool {
        (self.min..=self.max).contains(&version)
    }
}

/// The version both sides speak: the highest in both ranges, `None` when they do not meet.
pub fn negotiate(ours: VersionRange, theirs: VersionRange) -> Option<u16> {
    let high = ours.max.min(theirs.max);
    let low = ours.min.max(theirs.min);
    (low <= high).then_some(high)
}

/// Who the monitor says it is.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Credentials {
    /// A mailbox account's address and password: the monitor sees that account's jobs.
    Account { address: String, password: String },
    /// A token the node's operator made: the monitor sees every account's jobs.
    Operator { token: String },
}

/// Secrets never reach a log through `{:?}`.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Account { address, .. } => f
                .debug_struct("Account")
                .field("address", address)
                .field("password", &"…")
                .finish(),
            Credentials::Operator { .. } => {
                f.debug_struct("Operator").field("token", &"…").finish()
            }
        }
    }
}

/// Whose jobs an accepted connection sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Scope {
    Account { address: String },
    Operator,
}

/// The node took the hello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The version the rest of the connection speaks.
    pub version: u16,
    /// The node's program version, for the monitor's about box.
    pub node_version: String,
    pub scope: Scope,
}

/// Why the node closed the connection after the hello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Refusal {
    /// The password or token is wrong.
    BadCredentials,
    /// The node hosts no account of that address.
    UnknownAccount,
    /// No version in common; the node speaks `min` to `max`.
    UnsupportedVersion { min: u16, max: u16 },
    /// Too many failed hellos from this address lately; try again after `retry_after`
    /// seconds.
    TooManyAttempts { retry_after: u64 },
}

impl Refusal {
    /// Whether trying again unchanged can succeed: only after waiting out a throttle. A wrong
    /// password stays wrong; a monitor asks the person instead of retrying.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Refusal::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(min: u16, max: u16) -> VersionRange {
        VersionRange { min, max }
    }

    #[test]
    fn negotiation_picks_the_highest_common_version() {
        assert_eq!(negotiate(r(1, 3), r(2, 5)), Some(3));
        assert_eq!(negotiate(r(1, 1), r(1, 1)), Some(1));
        assert_eq!(negotiate(r(2, 4), r(1, 2)), Some(2));
        assert_eq!(negotiate(r(1, 1), r(2, 3)), None);
        assert_eq!(negotiate(r(4, 5), r(1, 3)), None);
        // A range upside down meets nothing.
        assert_eq!(negotiate(r(1, 5), r(4, 2)), None);
        assert!(r(1, 3).contains(3) && !r(1, 3).contains(4));
    }

    #[test]
    fn debug_hides_secrets() {
        let a = Credentials::Account {
            address: "bob@kapur.h".into(),
            password: "hunter2".into(),
        };
        let o = Credentials::Operator {
            token: "op-secret".into(),
        };
        let shown = format!("{a:?} {o:?}");
        assert!(shown.contains("bob@kapur.h"));
        assert!(!shown.contains("hunter2") && !shown.contains("op-secret"));
    }

    #[test]
    fn only_a_throttle_invites_a_retry() {
        assert_eq!(Refusal::BadCredentials.retry_after(), None);
        assert_eq!(
            Refusal::TooManyAttempts { retry_after: 30 }.retry_after(),
            Some(30)
        );
    }
}
