//! The command line: where to connect and as whom, and the show/hide remote control.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "wims-monitor",
    version,
    about = "Shows a wims node's jobs live"
)]
pub struct Cli {
    /// The node's monitor endpoint, host or host:port (port 7070 when left out).
    #[arg(long)]
    pub address: Option<String>,
    /// The account to watch; its password comes with --password-stdin.
    #[arg(long, requires = "password_stdin")]
    pub account: Option<String>,
    /// Reads the account's password from standard input (first line).
    #[arg(long, conflicts_with = "token_file")]
    pub password_stdin: bool,
    /// Reads an operator token (made with `wims monitor-token`) from this file.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Trusts the node's certificate if its SHA-256 fingerprint is this, without asking,
    /// and keeps it in the known-hosts file.
    #[arg(long, value_name = "SHA256")]
    pub accept_certificate: Option<String>,
    /// The known-hosts file (default: known_hosts in the monitor's config folder).
    #[arg(long, value_name = "PATH")]
    pub known_hosts: Option<PathBuf>,
    /// Shows the window of the running monitor (or starts one shown).
    #[arg(long, conflicts_with = "hide")]
    pub show: bool,
    /// Hides the window of the running monitor (or starts one hidden).
    #[arg(long)]
    pub hide: bool,
    /// The language of the texts (en-US, de-DE); the system's by default.
    #[arg(long, default_value = "")]
    pub lang: String,
}
