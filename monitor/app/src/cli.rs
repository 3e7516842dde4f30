//! The command line: where to connect and as whom, and the show/hide remote control. clap's
//! derive gives the structure; the help page and usage errors come from Fluent
//! (`monitor-cli-help-*`, `monitor-cli-clap-*` in `locales/*/monitor.ftl`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Command, CommandFactory, FromArgMatches, Parser};
use i18n::clap_help::{self, Ids};
use monitor_model::texts::I18n;

#[derive(Debug, Parser)]
#[command(name = "wims-monitor", version)]
pub struct Cli {
    #[arg(long, value_name = "ADDRESS")]
    pub address: Option<String>,
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    #[arg(long, conflicts_with = "token_file", requires = "account")]
    pub password_stdin: bool,
    #[arg(long, requires = "password_stdin")]
    pub remember: bool,
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    #[arg(long, value_name = "SHA256")]
    pub accept_certificate: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub known_hosts: Option<PathBuf>,
    #[arg(long, conflicts_with = "hide")]
    pub show: bool,
    #[arg(long)]
    pub hide: bool,
    #[arg(long, value_name = "LANG", default_value = "")]
    pub lang: String,
}

pub const IDS: Ids = Ids {
    prefix: "monitor-cli-",
    root: "monitor",
};

/// The command with its texts in `t`'s language.
pub fn command(t: &I18n) -> Command {
    clap_help::command(Cli::command(), t, IDS)
}

/// The language asked for with `--lang`, read before the parser runs (its help speaks it).
pub fn language(args: &[OsString]) -> String {
    i18n::raw_option(args, "lang").unwrap_or_default()
}

/// Parses `args`; prints the help page, or a usage error in the user's language, and exits
/// as clap does.
pub fn parse(args: Vec<OsString>, t: &I18n) -> Cli {
    let matches = clap_help::matches_or_exit(command(t), args, t, IDS);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| {
        eprintln!(
            "wims-monitor: {}",
            clap_help::error_text(&e, "wims-monitor", t, IDS)
        );
        std::process::exit(2)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor_model::texts;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn every_help_text_exists_in_every_language() {
        let ids = IDS.all(&Cli::command());
        assert!(ids.contains(&"monitor-cli-help-monitor-remember".to_string()));
        for (lang, _) in texts::LOCALES {
            let t = texts::load(lang).unwrap();
            for id in &ids {
                assert!(t.has(id), "{lang}: {id}");
            }
        }
    }

    #[test]
    fn the_help_page_speaks_the_language_asked_for() {
        let args = os(&["wims-monitor", "--lang", "de-DE", "--help"]);
        assert_eq!(language(&args), "de-DE");
        let t = texts::load("de-DE").unwrap();
        let help = command(&t).render_long_help().to_string();
        assert!(help.contains("Aufruf:"), "{help}");
        assert!(help.contains("Schlüsselbund"), "{help}");
        assert!(help.contains("--password-stdin"), "{help}");
        assert!(!help.contains("Usage:"), "{help}");
    }

    #[test]
    fn arguments_parse() {
        let t = texts::fallback();
        let cli = parse(
            os(&[
                "wims-monitor",
                "--address",
                "node.h",
                "--account",
                "ann@alpha.h",
                "--password-stdin",
                "--remember",
            ]),
            &t,
        );
        assert_eq!(cli.address.as_deref(), Some("node.h"));
        assert!(cli.password_stdin && cli.remember && !cli.show);
        assert_eq!(cli.lang, "");
        let e = command(&t)
            .try_get_matches_from(os(&["wims-monitor", "--remember"]))
            .unwrap_err();
        let line = clap_help::error_text(&e, "wims-monitor", &t, IDS);
        assert!(line.contains("wims-monitor --help"), "{line}");
    }
}
