//! The command line. Help texts come from Fluent (`cli-help-*` ids): clap's derive gives the
//! structure, [`command`] fills in the words in the user's language. The structure carries no
//! prose of its own (no doc comments, no `help = …`), so nothing English can leak into a
//! German help page; `tests/user_text_lint.rs` holds the code to that.

use std::ffi::OsString;
use std::path::PathBuf;

use ::i18n::clap_help::Ids;
use clap::{Parser, Subcommand};
use daemon::program::Program;
use node::config::Config;
use node::paths::DataDir;

#[derive(Parser)]
#[command(name = "wims", version)]
pub struct Cli {
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[arg(long, global = true, value_name = "0-5", value_parser = clap::value_parser!(u8).range(0..=5))]
    pub log_level: Option<u8>,
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    Init,
    Run,
    #[command(subcommand)]
    Account(AccountCmd),
    Receipts {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    Demo,
    LogLevel {
        #[arg(value_name = "0-5", value_parser = clap::value_parser!(u8).range(0..=5))]
        level: u8,
    },
    #[command(subcommand)]
    Update(UpdateCmd),
    #[command(subcommand)]
    Rules(RulesCmd),
    Send(SendArgs),
    MonitorToken {
        #[arg(long)]
        replace: bool,
        #[arg(long, conflicts_with = "replace")]
        revoke_all: bool,
    },
}

#[derive(clap::Args)]
pub struct SendArgs {
    #[arg(long, value_name = "ADDRESS")]
    pub from: String,
    #[arg(long, value_name = "ADDRESS", required = true)]
    pub to: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub subject: String,
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    #[arg(long = "type", value_name = "TYPE", default_value = "message")]
    pub message_type: String,
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Subcommand)]
pub enum RulesCmd {
    List {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    Show {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(value_name = "NAME")]
        name: String,
    },
    Put {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long)]
        activate: bool,
    },
    Activate {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(value_name = "NAME")]
        name: String,
    },
    Off {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    Remove {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(value_name = "NAME")]
        name: String,
    },
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UpdateCmd {
    Check,
}

#[derive(Subcommand)]
pub enum AccountCmd {
    Add {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(long)]
        password_stdin: bool,
    },
    List,
    Host {
        #[arg(value_name = "PROFILE")]
        profile: PathBuf,
        #[arg(long)]
        password_stdin: bool,
    },
    Passwd {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(long)]
        password_stdin: bool,
    },
    Remove {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(long)]
        yes: bool,
    },
    Quota {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(value_name = "MIB")]
        mib: String,
    },
    #[command(subcommand)]
    Drop(DropCmd),
}

#[derive(Subcommand)]
pub enum DropCmd {
    Enable {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(long)]
        passphrase_stdin: bool,
        #[arg(long, value_name = "N")]
        rate_per_hour: Option<u32>,
    },
    Disable {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
}

/// The node's name, texts and help ids (`cli-help-…`, `cli-clap-…`).
pub const PROGRAM: Program = Program {
    name: "wims",
    ids: Ids {
        prefix: "cli-",
        root: "wims",
    },
    locales: node::i18n::LOCALES,
};

/// The language to speak: `--lang`, else the data folder's `node.language`, else empty (the
/// system's).
pub fn language(args: &[OsString]) -> String {
    daemon::program::early_language(
        args,
        |data| DataDir::new(data.unwrap_or_else(DataDir::default_root)).config(),
        |file| Config::load(file).ok().map(|c| c.node.language),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use daemon::program::args as os;

    /// Every command and argument has its help text in every language, and the German page
    /// shows German texts for them, clap's own pieces included.
    #[test]
    fn every_help_text_exists() {
        use clap::CommandFactory;
        let ids = PROGRAM.ids.all(&Cli::command());
        assert!(ids.contains(&"cli-help-account-drop-enable-rate-per-hour".to_string()));
        let shown = [
            "cli-help-wims-long",
            "cli-help-wims-data",
            "cli-help-account",
            "cli-clap-help-summary",
            "cli-clap-version",
            "cli-clap-help-command",
            "cli-clap-usage",
            "cli-clap-commands",
            "cli-clap-options",
        ];
        assert_eq!(PROGRAM.help_problems::<Cli>("de-DE", &shown), vec![]);
        let de = node::i18n::load("de-DE").unwrap();
        let mut cmd = PROGRAM.command::<Cli>(&de);
        let flat = |s: String| daemon::program::one_line(&s);
        let sub = flat(
            cmd.find_subcommand_mut("account")
                .and_then(|c| c.find_subcommand_mut("add"))
                .unwrap()
                .render_help()
                .to_string(),
        );
        for id in [
            "cli-help-account-add",
            "cli-help-account-add-address",
            "cli-help-account-add-password-stdin",
            "cli-help-wims-lang",
            "cli-clap-arguments",
            "cli-clap-help",
        ] {
            let text = flat(de.text(id, &[]));
            assert!(sub.contains(&text), "{id}: {text:?} not in\n{sub}");
        }
    }

    #[test]
    fn parses_commands_and_global_flags() {
        let t = node::i18n::load(node::i18n::FALLBACK).unwrap();
        let cli: Cli = PROGRAM.parse(
            os(&[
                "wims",
                "account",
                "drop",
                "enable",
                "a@b.h",
                "--data",
                "/x",
                "--rate-per-hour",
                "7",
            ]),
            &t,
        );
        assert_eq!(cli.data, Some(PathBuf::from("/x")));
        assert!(matches!(
            cli.command,
            Cmd::Account(AccountCmd::Drop(DropCmd::Enable { ref address, rate_per_hour: Some(7), .. }))
                if address == "a@b.h"
        ));
        let cli: Cli = PROGRAM.parse(os(&["wims", "--log-level", "3", "log-level", "0"]), &t);
        assert_eq!(cli.log_level, Some(3));
        assert!(matches!(cli.command, Cmd::LogLevel { level: 0 }));
        for bad in [
            &["wims", "--log-level", "9", "run"][..],
            &["wims", "log-level", "6"],
        ] {
            assert!(
                PROGRAM
                    .command::<Cli>(&t)
                    .try_get_matches_from(os(bad))
                    .is_err()
            );
        }
    }

    #[test]
    fn the_configured_language_is_spoken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("wims.toml"),
            "[node]\nlanguage = \"de-DE\"\n",
        )
        .unwrap();
        let data = dir.path().display().to_string();
        assert_eq!(language(&os(&["x", "--data", &data, "--help"])), "de-DE");
        assert_eq!(language(&os(&["x", "--data", &data, "--lang", "en"])), "en");
    }
}
