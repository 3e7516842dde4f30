//! The command line. Help texts come from Fluent (`help-*` ids): clap's derive gives the
//! structure, [`command`] fills in the words in the user's language.

use std::ffi::OsString;
use std::path::PathBuf;

use ::i18n::clap_help::Ids;
use clap::{Parser, Subcommand};
use daemon::program::Program;

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

/// The server's name, texts and help ids (`help-…`, `clap-…`).
pub const PROGRAM: Program = Program {
    name: "wims-service",
    ids: Ids {
        prefix: "",
        root: "service",
    },
    locales: service::i18n::LOCALES,
};

/// The language to speak: `--lang`, else the data folder's configured one, else empty (the
/// system's).
pub fn language(args: &[OsString]) -> String {
    daemon::program::early_language(
        args,
        |data| service::paths::DataDir::new(data.unwrap_or_else(|| DEFAULT_DATA.into())).config(),
        |file| service::Config::load(file).ok().map(|c| c.service.language),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use daemon::program::args as os;

    /// Every command and argument has its help text in every language, and the German page
    /// shows clap's own words in German too.
    #[test]
    fn every_help_text_exists() {
        use clap::CommandFactory;
        let ids = PROGRAM.ids.all(&Cli::command());
        assert!(ids.contains(&"help-account-create-out".to_string()));
        let shown = ["help-service-data", "clap-usage", "clap-options"];
        assert_eq!(PROGRAM.help_problems::<Cli>("de-DE", &shown), vec![]);
    }

    #[test]
    fn parses_commands_and_global_flags() {
        let t = service::i18n::fallback();
        let cli: Cli = PROGRAM.parse(
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
        let cli: Cli = PROGRAM.parse(os(&["wims-service", "partner", "add", "a.h", "b.h"]), &t);
        assert_eq!(cli.data, PathBuf::from(DEFAULT_DATA));
        assert!(
            PROGRAM
                .command::<Cli>(&t)
                .try_get_matches_from(os(&["wims-service", "--log-level", "9", "run"]))
                .is_err()
        );
    }
}
