//! The WIMS node: configuration, client endpoints (IMAP, SMTP submission) and their wiring.
//! The `wims` binary is a thin command line over this library.

pub mod admin;
pub mod auth;
pub mod branding;
pub mod config;
pub mod ctx;
pub mod demo;
pub mod i18n;
pub mod imap;
pub mod limits;
pub mod monitor;
pub mod net;
pub mod paths;
pub mod send;
pub mod server;
pub mod smtp;
pub mod tls;
