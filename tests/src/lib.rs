//! Harness for end-to-end tests: each test starts the real `wims` binary on 127.0.0.1 with
//! ephemeral ports in its own temporary data folder, and drives it with real clients (Python's
//! imaplib/smtplib scripts under `tests/py/`, mbsync, swaks).
//!
//! Network tests also start `wims-service` ([`Service`]) and several nodes that host accounts
//! of the service network; [`python_nodes`] runs one client script against all of them.
//!
//! Environment knobs:
//! - `WIMS_BIN`: use this binary instead of building `target/<profile>/wims`.
//! - `WIMS_SERVICE_BIN`: likewise for `target/<profile>/wims-service`.
//! - `WIMS_TEST_LOG_LEVEL`: node and service log level 0..5 (default 3).
//! - `WIMS_TEST_KEEP`: keep the temporary folder of a failed test and print where it is.
//! - `CI`: tests whose external tool is missing fail instead of being skipped.
//!
//! The harness by role: `process` runs a daemon binary (node and service server alike),
//! [`Node`] and [`Service`] are the two daemons with their command lines, `clients` runs the
//! Python client scripts, `tools` finds the binaries and external tools.

mod clients;
pub mod demo;
pub mod monitor;
mod node;
mod process;
mod service;
mod tools;

pub use clients::{py_dir, require_python_module, run_python};
pub use node::{Endpoints, Node, NodeBuilder, python_nodes};
pub use service::{Service, ServiceEndpoints};
pub use tools::{
    OVERLAY_PORT_ZERO, assert_user_error, files_containing, find_tool, in_ci, output_bounded,
    profile_address, require_tool, service_bin, wims_bin,
};
