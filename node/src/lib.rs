//! The WIMS node: configuration, client endpoints (IMAP, SMTP submission) and their wiring.
//! The `wims` binary is a thin command line over this library.

pub use ::admin;
pub mod branding;
pub mod config;
pub mod demo;
pub mod i18n;
pub mod imap;
pub mod paths;
pub mod server;
pub mod smtp;
pub mod tls;
