//! The one error type of the lab network.

use std::io;

/// Why building, changing or cleaning up a lab failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("invalid lab tag {0:?}: expected 1 to 6 characters from [a-z0-9]")]
    InvalidTag(String),
    #[error("invalid host name {0:?}: it must not be empty")]
    InvalidHost(String),
    #[error("host {0:?} is listed more than once")]
    DuplicateHost(String),
    #[error("no host {0:?} in this lab")]
    UnknownHost(String),
    #[error("invalid link for host {host:?}: {reason}")]
    InvalidLink { host: String, reason: String },
    #[error("too many hosts: {0}")]
    TooManyHosts(String),
    #[error(
        "a lab tagged {tag:?} already exists on this machine ({namespaces:?}); \
         if it is left over from a crashed run, sweep it"
    )]
    TagInUse {
        tag: String,
        namespaces: Vec<String>,
    },
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("processes {pids:?} in namespace {netns} are still alive after SIGKILL")]
    Unkillable { netns: String, pids: Vec<i32> },
}
