//! The command line. Help texts come from Fluent (`cli-help-*` ids): clap's derive gives the
//! structure, [`command`] fills in the words in the user's language. The structure carries no
//! prose of its own (no doc comments, no `help = …`), so nothing English can leak into a
//! German help page; `tests/user_text_lint.rs` holds the code to that.

use std::ffi::OsString;
use std::path::PathBuf;

use ::i18n::clap_help::{self, Ids};
use ::i18n::raw_option;
use clap::{Command, CommandFactory, FromArgMatches, Parser, Subcommand};
use node::config::Config;
use node::i18n::I18n;
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

/// How the node names its command-line texts: `cli-help-…`, `cli-clap-…`.
pub const IDS: Ids = Ids {
    prefix: "cli-",
    root: "wims",
};

/// The whole command tree with its texts in `t`'s language.
pub fn command(t: &I18n) -> Command {
    clap_help::command(Cli::command(), t, IDS)
}

/// Parses `args`; prints help, or a usage error in the user's language, and exits as clap
/// does.
pub fn parse(args: Vec<OsString>, t: &I18n) -> Cli {
    let matches = clap_help::matches_or_exit(command(t), args, t, IDS);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| {
        eprintln!("wims: {}", clap_help::error_text(&e, "wims", t, IDS));
        std::process::exit(2)
    })
}

/// The language to speak: `--lang`, else the data folder's `node.language`, else empty (the
/// system's).
pub fn language(args: &[OsString]) -> String {
    if let Some(l) = raw_option(args, "lang") {
        return l;
    }
    let root = raw_option(args, "data")
        .map(PathBuf::from)
        .unwrap_or_else(DataDir::default_root);
    Config::load(&DataDir::new(root).config())
        .map(|c| c.node.language)
        .unwrap_or_default()
}

/// Every help id the command tree uses, for the completeness test.
#[cfg(test)]
fn help_ids() -> Vec<String> {
    IDS.all(&Cli::command())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    /// Every command and argument has its help text in every language, and the German page
    /// shows German texts for them, clap's own pieces included.
    #[test]
    fn every_help_text_exists() {
        let ids = help_ids();
        assert!(ids.contains(&"cli-help-account-drop-enable-rate-per-hour".to_string()));
        for lang in ["en-US", "de-DE"] {
            let t = I18n::new(lang).unwrap();
            for id in &ids {
                assert!(t.has(id), "{lang}: {id}");
            }
        }
        let de = I18n::new("de-DE").unwrap();
        let mut cmd = command(&de);
        // clap wraps long lines; words and their order are what count.
        let flat = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let help = flat(cmd.render_long_help().to_string());
        for id in [
            "cli-help-wims-long",
            "cli-help-wims-data",
            "cli-help-account",
            "cli-clap-help-summary",
            "cli-clap-version",
            "cli-clap-help-command",
            "cli-clap-usage",
            "cli-clap-commands",
            "cli-clap-options",
        ] {
            let text = de.text(id, &[]);
            let first = flat(text.lines().next().unwrap_or_default().to_string());
            assert!(help.contains(&first), "{id}: {first:?} not in\n{help}");
        }
        for english in ["Print help", "Usage:", "Options:", "Commands:"] {
            assert!(!help.contains(english), "{english:?} in\n{help}");
        }
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
        let t = I18n::new(node::i18n::FALLBACK).unwrap();
        let cli = parse(
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
        let cli = parse(os(&["wims", "--log-level", "3", "log-level", "0"]), &t);
        assert_eq!(cli.log_level, Some(3));
        assert!(matches!(cli.command, Cmd::LogLevel { level: 0 }));
        for bad in [
            &["wims", "--log-level", "9", "run"][..],
            &["wims", "log-level", "6"],
        ] {
            assert!(command(&t).try_get_matches_from(os(bad)).is_err());
        }
    }

    #[test]
    fn language_comes_before_parsing() {
        assert_eq!(language(&os(&["x", "--lang", "de-DE", "run"])), "de-DE");
        assert_eq!(language(&os(&["x", "run", "--lang=de-DE"])), "de-DE");
        assert_eq!(
            language(&os(&["x", "--data", "/nonexistent/dir", "run"])),
            ""
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("wims.toml"),
            "[node]\nlanguage = \"de-DE\"\n",
        )
        .unwrap();
        let data = dir.path().display().to_string();
        assert_eq!(language(&os(&["x", "--data", &data, "--help"])), "de-DE");
    }
}
