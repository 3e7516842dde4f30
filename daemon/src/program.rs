//! A program's face to its user: its texts, its command line (help pages and usage errors in
//! the user's language) and how a failure ends it (one line, the program's name first).

use std::ffi::OsString;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Command, CommandFactory, FromArgMatches};
use i18n::clap_help::{self, Ids};
use i18n::{I18n, Table};

/// What tells one program from another to its user.
#[derive(Clone, Copy)]
pub struct Program {
    /// The command's name, as error lines start with it (`wims`, `wims-service`).
    pub name: &'static str,
    /// How its help texts are named.
    pub ids: Ids,
    /// Its Fluent files, compiled in; the first language is the fallback.
    pub locales: Table,
}

impl Program {
    /// The texts of `lang` (empty: the system's); errors with the known languages.
    pub fn texts(&self, lang: &str) -> Result<I18n, String> {
        I18n::new(self.locales, lang)
    }

    /// The system's language, else the fallback language: texts that always load.
    pub fn fallback_texts(&self) -> I18n {
        self.texts("").expect("the fallback language ships")
    }

    /// The command tree of `C` with its texts in `t`'s language.
    pub fn command<C: CommandFactory>(&self, t: &I18n) -> Command {
        clap_help::command(C::command(), t, self.ids)
    }

    /// Parses `args`; prints help, or a usage error in the user's language, and exits as clap
    /// does.
    pub fn parse<C: CommandFactory + FromArgMatches>(&self, args: Vec<OsString>, t: &I18n) -> C {
        let matches = clap_help::matches_or_exit(self.command::<C>(t), args, t, self.ids);
        C::from_arg_matches(&matches).unwrap_or_else(|e| {
            let text = clap_help::error_text(&e, self.name, t, self.ids);
            eprintln!("{}: {text}", self.name);
            std::process::exit(2)
        })
    }

    /// Ends the program: success, or the error as one line (multi-line parser messages
    /// folded) after the program's name.
    pub fn finish<E: Display>(&self, result: Result<(), E>) -> ExitCode {
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{}: {}", self.name, one_line(&e.to_string()));
                ExitCode::FAILURE
            }
        }
    }

    /// The help texts `C`'s command tree needs that a language lacks; every language must
    /// also have exactly the ids of the first.
    pub fn missing_texts<C: CommandFactory>(&self) -> Vec<HelpProblem> {
        let ids = self.ids.all(&C::command());
        let mut missing: Vec<HelpProblem> = i18n::differences(self.locales)
            .into_iter()
            .map(|(lang, lacks, extra)| HelpProblem::Differs { lang, lacks, extra })
            .collect();
        for (lang, _) in self.locales {
            let t = self.texts(lang).expect("a shipped language loads");
            missing.extend(
                ids.iter()
                    .filter(|id| !t.has(id))
                    .map(|id| HelpProblem::Missing {
                        lang,
                        id: id.clone(),
                    }),
            );
        }
        missing
    }
}

impl Program {
    /// What is wrong with `C`'s help pages: [`Program::missing_texts`], then, on the long help
    /// page in `lang` (not English), each of the `shown` ids whose text's first line is not
    /// there, and clap's own English words if any are left. Empty when all is well.
    pub fn help_problems<C: CommandFactory>(
        &self,
        lang: &str,
        shown: &[&'static str],
    ) -> Vec<HelpProblem> {
        let mut problems = self.missing_texts::<C>();
        let t = self.texts(lang).expect("a shipped language loads");
        // clap wraps long lines; words and their order are what count.
        let help = one_line(&self.command::<C>(&t).render_long_help().to_string());
        for id in shown {
            let text = t.text(id, &[]);
            let first = one_line(text.lines().next().unwrap_or_default());
            if !help.contains(&first) {
                problems.push(HelpProblem::NotShown { id, text: first });
            }
        }
        problems.extend(
            CLAP_ENGLISH
                .iter()
                .filter(|w| help.contains(*w))
                .map(|w| HelpProblem::English(w)),
        );
        problems
    }
}

/// clap's own words on a help page, which a localized page must not show.
const CLAP_ENGLISH: &[&str] = &["Print help", "Usage:", "Options:", "Commands:", "[OPTIONS]"];

/// What a help-page check found wrong (for tests; shown with `Debug`).
#[derive(Debug, PartialEq, Eq)]
pub enum HelpProblem {
    /// A language's ids differ from the first language's.
    Differs {
        lang: &'static str,
        lacks: Vec<String>,
        extra: Vec<String>,
    },
    /// A help id of the command tree has no text in `lang`.
    Missing { lang: &'static str, id: String },
    /// A text that should be on the page is not.
    NotShown { id: &'static str, text: String },
    /// One of clap's English words is on a localized page.
    English(&'static str),
}

/// The language to speak before the command line is parsed (help pages and usage errors
/// need it): `--lang`, else what `configured` reads from the configuration file that
/// `config_file` names for the `--data` given (or not), else empty (the system's).
pub fn early_language(
    args: &[OsString],
    config_file: impl FnOnce(Option<PathBuf>) -> PathBuf,
    configured: impl FnOnce(&Path) -> Option<String>,
) -> String {
    if let Some(l) = i18n::raw_option(args, "lang") {
        return l;
    }
    let file = config_file(i18n::raw_option(args, "data").map(PathBuf::from));
    configured(&file).unwrap_or_default()
}

/// A command line from words, as tests write one.
pub fn args(words: &[&str]) -> Vec<OsString> {
    words.iter().map(OsString::from).collect()
}

/// `text` with every run of white space, line breaks included, made one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    #[command(name = "demo", version)]
    struct Cli {
        #[arg(long)]
        verbose: bool,
    }

    static LOCALES: Table = &[
        (
            "en-US",
            &["help-demo = Demo\nhelp-demo-verbose = Say more\nhelp-demo-long = Demo.\n"],
        ),
        (
            "de-DE",
            &["help-demo = Demo\nhelp-demo-verbose = Mehr sagen\n"],
        ),
    ];
    const DEMO: Program = Program {
        name: "demo",
        ids: Ids {
            prefix: "",
            root: "demo",
        },
        locales: LOCALES,
    };

    #[test]
    fn missing_texts_are_named_by_language() {
        let missing = DEMO.missing_texts::<Cli>();
        assert!(missing.iter().any(|m| matches!(m,
            HelpProblem::Differs { lang: "de-DE", lacks, .. } if lacks == &["help-demo-long"])));
        assert!(
            missing.contains(&HelpProblem::Missing {
                lang: "en-US",
                id: "clap-usage".into()
            }),
            "{missing:?}"
        );
        assert!(
            !missing
                .iter()
                .any(|m| matches!(m, HelpProblem::Missing { id, .. } if id == "help-demo-verbose")),
            "{missing:?}"
        );
        let t = DEMO.texts("en-US").unwrap();
        let cli: Cli = DEMO.parse(vec!["demo".into(), "--verbose".into()], &t);
        assert!(cli.verbose);
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }

    #[test]
    fn the_language_comes_before_parsing() {
        let file = |d: Option<PathBuf>| d.unwrap_or_default().join("x.toml");
        let read = |p: &Path| (p == Path::new("/d/x.toml")).then(|| "de-DE".to_string());
        let lang = |a: &[&str]| early_language(&args(a), file, read);
        assert_eq!(
            lang(&["x", "--lang", "en-US", "--data", "/d", "run"]),
            "en-US"
        );
        assert_eq!(lang(&["x", "run", "--lang=fr"]), "fr");
        assert_eq!(lang(&["x", "--data", "/d", "--help"]), "de-DE");
        assert_eq!(lang(&["x", "--data=/d", "run"]), "de-DE");
        assert_eq!(lang(&["x", "--data", "/nonexistent", "run"]), "");
    }
}
