//! The command line. Help texts come from Fluent (`cli-help-*` ids): clap's derive gives the
//! structure, [`command`] fills in the words in the user's language. The structure carries no
//! prose of its own (no doc comments, no `help = …`), so nothing English can leak into a
//! German help page; `tests/user_text_lint.rs` holds the code to that.

use std::ffi::OsString;
use std::path::PathBuf;

use ::i18n::raw_option;
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches, Parser, Subcommand};
use node::config::Config;
use node::i18n::{self, I18n};
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

/// The path of the top-level command in the ids.
const ROOT: &str = "wims";

/// Places on a help page: the global options (propagated into every command) after a
/// command's own, help and version last.
const GLOBAL_ORDER: usize = 100;
const BUILTIN_ORDER: usize = 200;

/// The Fluent id of a command's help (`path` is e.g. `account-add`).
fn about_id(path: &str) -> String {
    format!("cli-help-{path}")
}

/// The Fluent id of a command's longer help for `--help`; optional, `about` serves otherwise.
fn long_about_id(path: &str) -> String {
    format!("cli-help-{path}-long")
}

/// The Fluent id of an argument's help.
fn arg_id(path: &str, arg: &str) -> String {
    format!("cli-help-{path}-{}", arg.replace('_', "-"))
}

fn child_path(path: &str, name: &str) -> String {
    if path == ROOT {
        name.to_string()
    } else {
        format!("{path}-{name}")
    }
}

/// Arguments clap adds by itself; they get texts of their own, not per command.
fn is_builtin(id: &str) -> bool {
    id == "help" || id == "version"
}

/// `cmd` with every text from `t`, recursively; `path` names it in the ids.
fn localize(mut cmd: Command, path: &str, t: &I18n) -> Command {
    cmd = cmd.about(t.text(&about_id(path), &[]));
    let long = long_about_id(path);
    let has_long = t.has(&long);
    if has_long {
        cmd = cmd.long_about(t.text(&long, &[]));
    }
    let args: Vec<(String, bool, bool)> = cmd
        .get_arguments()
        .filter(|a| !is_builtin(a.get_id().as_str()))
        .map(|a| (a.get_id().to_string(), a.is_positional(), a.is_global_set()))
        .collect();
    let arguments = t.text("cli-clap-arguments", &[]);
    let options = t.text("cli-clap-options", &[]);
    for (n, (a, positional, global)) in args.into_iter().enumerate() {
        let text = t.text(&arg_id(path, &a), &[]);
        let heading = if positional { &arguments } else { &options };
        // A command's own options first, then those every command shares, then help.
        let order = if global { GLOBAL_ORDER + n } else { n };
        cmd = cmd.mut_arg(a, |arg| {
            arg.help(text)
                .help_heading(heading.clone())
                .display_order(order)
        });
    }
    // clap's own help flag says "Print help"; this one says it in the user's language.
    let mut help = Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .help_heading(options.clone())
        .display_order(BUILTIN_ORDER);
    help = if has_long {
        help.help(t.text("cli-clap-help-more", &[]))
            .long_help(t.text("cli-clap-help-summary", &[]))
    } else {
        help.help(t.text("cli-clap-help", &[]))
    };
    cmd = cmd.disable_help_flag(true).arg(help);
    if path == ROOT {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(t.text("cli-clap-version", &[]))
                .help_heading(options)
                .display_order(BUILTIN_ORDER + 1),
        );
    }
    let usage = t.text("cli-clap-usage", &[]);
    cmd = cmd
        .subcommand_help_heading(t.text("cli-clap-commands", &[]))
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{usage} {{usage}}\n\n{{all-args}}{{after-help}}"
        ));
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for s in subs {
        let child = child_path(path, &s);
        cmd = cmd.mut_subcommand(&s, |sc| localize(sc, &child, t));
    }
    cmd
}

/// Gives the `help` commands clap adds while building their text, in the whole tree.
fn localize_help_commands(mut cmd: Command, t: &I18n) -> Command {
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for s in subs {
        cmd = if s == "help" {
            let about = t.text("cli-clap-help-command", &[]);
            cmd.mut_subcommand(&s, |sc| sc.about(about))
        } else {
            cmd.mut_subcommand(&s, |sc| localize_help_commands(sc, t))
        };
    }
    cmd
}

/// The whole command tree with its texts in `t`'s language.
pub fn command(t: &I18n) -> Command {
    let mut cmd = localize(Cli::command(), ROOT, t);
    // Building adds the `help` commands, which only then can be given their text.
    cmd.build();
    localize_help_commands(cmd, t)
}

/// Parses `args`; prints help or a usage error and exits as clap does.
pub fn parse(args: Vec<OsString>, t: &I18n) -> Cli {
    let matches = command(t).get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The language to speak: `--lang`, else the data folder's `node.language`, else en-US.
pub fn language(args: &[OsString]) -> String {
    if let Some(l) = raw_option(args, "lang") {
        return l;
    }
    let root = raw_option(args, "data")
        .map(PathBuf::from)
        .unwrap_or_else(DataDir::default_root);
    Config::load(&DataDir::new(root).config())
        .map(|c| c.node.language)
        .unwrap_or_else(|_| i18n::FALLBACK.to_string())
}

/// Every help id the command tree uses, for the completeness test.
#[cfg(test)]
fn help_ids() -> Vec<String> {
    /// The ids of the pieces clap makes itself: its help and version flags, its `help` command,
    /// and the headings of a help page.
    const CLAP_IDS: &[&str] = &[
        "cli-clap-help",
        "cli-clap-help-more",
        "cli-clap-help-summary",
        "cli-clap-version",
        "cli-clap-help-command",
        "cli-clap-usage",
        "cli-clap-commands",
        "cli-clap-arguments",
        "cli-clap-options",
    ];
    fn walk(cmd: &Command, path: &str, out: &mut Vec<String>) {
        out.push(about_id(path));
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if !is_builtin(id) {
                out.push(arg_id(path, id));
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, &child_path(path, s.get_name()), out);
        }
    }
    let mut ids: Vec<String> = CLAP_IDS.iter().map(|s| s.to_string()).collect();
    walk(&Cli::command(), ROOT, &mut ids);
    ids
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
        let t = I18n::new(i18n::FALLBACK).unwrap();
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
            i18n::FALLBACK
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
