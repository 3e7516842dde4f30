//! The command line. Help texts come from Fluent (`help-*` ids): clap's derive gives the
//! structure, [`command`] fills in the words in the user's language.

use std::ffi::OsString;
use std::path::PathBuf;

use ::i18n::clap_help::{self, Ids};
use ::i18n::raw_option;
use clap::{Command, CommandFactory, FromArgMatches, Parser, Subcommand};
use service::i18n::I18n;

/// The data folder when `--data` is not given.
pub const DEFAULT_DATA: &str = "./wims-service-data";

#[derive(Parser, Debug)]
#[command(name = "wims-service", version)]
pub struct Cli {
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    #[arg(long, global = true, value_name = "0-5", value_parser = clap::value_parser!(u8).range(0..=5))]
    pub log_level: Option<u8>,
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    Init {
        #[arg(long, value_name = "NAME")]
        network: Option<String>,
        #[arg(long, value_name = "CA_FILE")]
        join: Option<PathBuf>,
    },
    Run,
    #[command(subcommand)]
    Account(AccountCmd),
    #[command(subcommand)]
    Partner(PartnerCmd),
    #[command(subcommand)]
    Release(ReleaseCmd),
}

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    Create {
        #[arg(value_name = "ADDRESS")]
        address: String,
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    List,
    Disable {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PartnerCmd {
    Add {
        #[arg(value_name = "A")]
        a: String,
        #[arg(value_name = "B")]
        b: String,
    },
    Remove {
        #[arg(value_name = "A")]
        a: String,
        #[arg(value_name = "B")]
        b: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum ReleaseCmd {
    Announce {
        #[arg(value_name = "VERSION")]
        version: String,
        #[arg(long, value_name = "TEXT", default_value = "")]
        notes: String,
        #[arg(long, value_name = "URL", default_value = "")]
        url: String,
    },
    Show,
}

/// How the server names its command-line texts: `help-…`, `clap-…`.
pub const IDS: Ids = Ids {
    prefix: "",
    root: "service",
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
        eprintln!(
            "wims-service: {}",
            clap_help::error_text(&e, "wims-service", t, IDS)
        );
        std::process::exit(2)
    })
}

/// The language to speak: `--lang`, else the data folder's configured one, else empty (the
/// system's).
pub fn language(args: &[OsString]) -> String {
    if let Some(l) = raw_option(args, "lang") {
        return l;
    }
    let dir = PathBuf::from(raw_option(args, "data").unwrap_or_else(|| DEFAULT_DATA.into()));
    let path = service::paths::DataDir::new(dir).config();
    service::Config::load(&path)
        .map(|c| c.service.language)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    /// Every command and argument has its help text in every language, and the German page
    /// shows clap's own words in German too.
    #[test]
    fn every_help_text_exists() {
        let ids = IDS.all(&Cli::command());
        assert!(ids.contains(&"help-account-create-out".to_string()));
        for (lang, _) in service::i18n::LOCALES {
            let t = service::i18n::load(lang).unwrap();
            for id in &ids {
                assert!(t.has(id), "{lang}: {id}");
            }
        }
        let de = service::i18n::load("de-DE").unwrap();
        let help = command(&de).render_long_help().to_string();
        assert!(help.contains(&de.text("help-service-data", &[])), "{help}");
        for english in ["Print help", "Usage:", "Options:", "Commands:", "[OPTIONS]"] {
            assert!(!help.contains(english), "{english:?} in\n{help}");
        }
    }

    #[test]
    fn parses_commands_and_global_flags() {
        let t = service::i18n::fallback();
        let cli = parse(
            os(&[
                "wims-service",
                "account",
                "create",
                "bob@kapur.h",
                "--data",
                "/x",
                "--out",
                "b.p",
            ]),
            &t,
        );
        assert_eq!(cli.data, PathBuf::from("/x"));
        assert!(matches!(
            cli.command,
            Cmd::Account(AccountCmd::Create { ref address, ref out, .. })
                if address == "bob@kapur.h" && out.as_deref() == Some("b.p".as_ref())
        ));
        let cli = parse(os(&["wims-service", "partner", "add", "a.h", "b.h"]), &t);
        assert_eq!(cli.data, PathBuf::from(DEFAULT_DATA));
        assert!(
            command(&t)
                .try_get_matches_from(os(&["wims-service", "--log-level", "9", "run"]))
                .is_err()
        );
    }

    #[test]
    fn language_comes_before_parsing() {
        assert_eq!(language(&os(&["x", "--lang", "de-DE", "run"])), "de-DE");
        assert_eq!(language(&os(&["x", "run", "--lang=de-DE"])), "de-DE");
        assert_eq!(
            language(&os(&["x", "--data", "/nonexistent/dir", "run"])),
            ""
        );
    }
}
