//! `wims-service`: the registry, directory and authorization server of a wims network.
//!
//! The `wims-service` binary is a thin CLI over this library; a node's demo mode runs a
//! server in-process with the same calls:
//!
//! - [`ServiceServer::init`]`(dir, network, join)` makes a data folder;
//! - [`ServiceServer::start`]`(dir)` (or [`ServiceServer::start_with`] and a [`Config`])
//!   runs it until [`ServiceServer::stop`]; [`ServiceServer::endpoints`] gives its PeerId and
//!   actual listen addresses; [`run`] is start + wait + stop;
//! - [`admin()`] runs an [`AdminRequest`] on a data folder, through the running server's
//!   admin socket or on the database; [`create_account`] and [`add_partner`] wrap the two
//!   commands a demo needs; [`ServiceServer::admin`] does the same inside the server's
//!   process.
//!
//! The request rules (hosting, login, lookup, authorization) are in [`handler`]; the
//! database in [`registry`]. Operator guide: `docs/operator.md`.

pub mod address;
pub mod admin;
pub mod config;
mod error;
pub mod handler;
pub mod holding;
pub mod i18n;
pub mod keys;
pub mod paths;
pub mod registry;
mod server;

pub use admin::{AccountInfo, AdminFailure, AdminReply, AdminRequest};
pub use config::Config;
pub use error::{Result, ServiceError};
pub use registry::AccountState;
pub use server::{
    DEFAULT_NETWORK, InitInfo, ServiceServer, add_partner, admin, create_account, run,
};
