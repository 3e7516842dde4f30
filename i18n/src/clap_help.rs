//! Command lines in the user's language: clap's derive gives the structure, the texts come from
//! Fluent, clap's own words included (headings, `[OPTIONS]`, `<ADDRESS>`, `[default: …]`, its
//! help and version flags and its usage errors).
//!
//! Ids, with `P` the program's prefix (`cli-` for `wims`, empty for `wims-service`):
//! `Phelp-<path>` (a command), `Phelp-<path>-long` (optional longer `--help` text),
//! `Phelp-<path>-<arg>` (an argument), `Pclap-<piece>` (clap's words, see [`CLAP_PIECES`]) and
//! `Pclap-value-<name>` (a value name such as `address`; optional, the name stays otherwise).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::I18n;

/// clap's words every program translates: `Pclap-<piece>`.
pub const CLAP_PIECES: &[&str] = &[
    "help",
    "help-more",
    "help-summary",
    "version",
    "help-command",
    "usage",
    "commands",
    "arguments",
    "options",
    "options-word",
    "command-word",
    "default",
    "error-unknown-argument",
    "error-invalid-value",
    "error-missing-argument",
    "error-unknown-command",
    "error-other",
];

/// Places on a help page: the global options (propagated into every command) after a
/// command's own, help and version last.
const GLOBAL_ORDER: usize = 100;
const BUILTIN_ORDER: usize = 200;

/// How a program names its texts.
#[derive(Clone, Copy)]
pub struct Ids {
    /// Put before every id (`cli-`).
    pub prefix: &'static str,
    /// The path of the top-level command in the ids (`wims`).
    pub root: &'static str,
}

impl Ids {
    pub fn about(&self, path: &str) -> String {
        format!("{}help-{path}", self.prefix)
    }

    pub fn long_about(&self, path: &str) -> String {
        format!("{}help-{path}-long", self.prefix)
    }

    pub fn arg(&self, path: &str, arg: &str) -> String {
        format!("{}help-{path}-{}", self.prefix, arg.replace('_', "-"))
    }

    pub fn clap(&self, piece: &str) -> String {
        format!("{}clap-{piece}", self.prefix)
    }

    fn value(&self, name: &str) -> String {
        format!("{}clap-value-{}", self.prefix, name.to_ascii_lowercase())
    }

    fn child(&self, path: &str, name: &str) -> String {
        if path == self.root {
            name.to_string()
        } else {
            format!("{path}-{name}")
        }
    }

    /// Every id the command tree `cmd` uses, for completeness tests.
    pub fn all(&self, cmd: &Command) -> Vec<String> {
        fn walk(ids: &Ids, cmd: &Command, path: &str, out: &mut Vec<String>) {
            out.push(ids.about(path));
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if !is_builtin(id) {
                    out.push(ids.arg(path, id));
                }
            }
            for s in cmd.get_subcommands() {
                walk(ids, s, &ids.child(path, s.get_name()), out);
            }
        }
        let mut out: Vec<String> = CLAP_PIECES.iter().map(|p| self.clap(p)).collect();
        walk(self, cmd, self.root, &mut out);
        out
    }
}

/// Arguments clap adds by itself; they get texts of their own, not per command.
fn is_builtin(id: &str) -> bool {
    id == "help" || id == "version"
}

/// `cmd` with every text from `t`, recursively; `path` names it in the ids, `shown` is how
/// its usage line starts (`wims account add`).
fn localize(mut cmd: Command, path: &str, shown: &str, t: &I18n, ids: Ids) -> Command {
    cmd = cmd.about(t.text(&ids.about(path), &[]));
    let long = ids.long_about(path);
    let has_long = t.has(&long);
    if has_long {
        cmd = cmd.long_about(t.text(&long, &[]));
    }
    let value = |name: &str| {
        let id = ids.value(name);
        if t.has(&id) {
            t.text(&id, &[])
        } else {
            name.to_string()
        }
    };
    let arguments = t.text(&ids.clap("arguments"), &[]);
    let options = t.text(&ids.clap("options"), &[]);
    let mut usage = vec![shown.to_string()];
    let own: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !is_builtin(a.get_id().as_str()))
        .collect();
    if !own.is_empty() || cmd.get_subcommands().next().is_none() {
        usage.push(format!("[{}]", t.text(&ids.clap("options-word"), &[])));
    }
    let mut changes = Vec::new();
    for (n, a) in own.into_iter().enumerate() {
        let id = a.get_id().to_string();
        let mut text = t.text(&ids.arg(path, &id), &[]);
        let names: Vec<String> = a
            .get_value_names()
            .unwrap_or_default()
            .iter()
            .map(|v| value(v.as_str()))
            .collect();
        let takes = a.get_action().takes_values();
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| takes && !v.is_empty())
            .collect();
        if !defaults.is_empty() {
            let shown_default = t.text(&ids.clap("default"), &[("value", &defaults.join(", "))]);
            text = format!("{text} {shown_default}");
        }
        if a.is_positional() {
            let name = names.first().cloned().unwrap_or_else(|| id.to_uppercase());
            let many = matches!(a.get_action(), ArgAction::Append)
                || a.get_num_args().is_some_and(|r| r.max_values() > 1);
            let dots = if many { "..." } else { "" };
            usage.push(if a.is_required_set() {
                format!("<{name}>{dots}")
            } else {
                format!("[{name}]{dots}")
            });
        }
        let positional = a.is_positional();
        let order = if a.is_global_set() {
            GLOBAL_ORDER + n
        } else {
            n
        };
        changes.push((id, text, names, positional, order, takes));
    }
    for (id, text, names, positional, order, takes) in changes {
        let heading = if positional { &arguments } else { &options };
        cmd = cmd.mut_arg(id, |arg| {
            let arg = arg
                .help(text)
                .help_heading(heading.clone())
                .display_order(order)
                .hide_default_value(takes);
            if names.is_empty() {
                arg
            } else {
                arg.value_names(names)
            }
        });
    }
    if cmd.get_subcommands().next().is_some() {
        let word = t.text(&ids.clap("command-word"), &[]);
        usage.push(if cmd.is_subcommand_required_set() {
            format!("<{word}>")
        } else {
            format!("[{word}]")
        });
    }
    cmd = cmd.override_usage(usage.join(" "));
    // clap's own help flag says "Print help"; this one says it in the user's language.
    let mut help = Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .help_heading(options.clone())
        .display_order(BUILTIN_ORDER);
    help = if has_long {
        help.help(t.text(&ids.clap("help-more"), &[]))
            .long_help(t.text(&ids.clap("help-summary"), &[]))
    } else {
        help.help(t.text(&ids.clap("help"), &[]))
    };
    cmd = cmd.disable_help_flag(true).arg(help);
    if path == ids.root {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(t.text(&ids.clap("version"), &[]))
                .help_heading(options)
                .display_order(BUILTIN_ORDER + 1),
        );
    }
    let usage_word = t.text(&ids.clap("usage"), &[]);
    cmd = cmd
        .subcommand_help_heading(t.text(&ids.clap("commands"), &[]))
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{usage_word} {{usage}}\n\n{{all-args}}{{after-help}}"
        ));
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for s in subs {
        let child = ids.child(path, &s);
        let child_shown = format!("{shown} {s}");
        cmd = cmd.mut_subcommand(&s, |sc| localize(sc, &child, &child_shown, t, ids));
    }
    cmd
}

/// Gives the `help` commands clap adds while building their text, in the whole tree.
fn localize_help_commands(mut cmd: Command, t: &I18n, ids: Ids) -> Command {
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for s in subs {
        cmd = if s == "help" {
            let about = t.text(&ids.clap("help-command"), &[]);
            cmd.mut_subcommand(&s, |sc| sc.about(about))
        } else {
            cmd.mut_subcommand(&s, |sc| localize_help_commands(sc, t, ids))
        };
    }
    cmd
}

/// The whole command tree `cmd` with its texts in `t`'s language.
pub fn command(cmd: Command, t: &I18n, ids: Ids) -> Command {
    let shown = cmd.get_name().to_string();
    let mut cmd = localize(cmd, ids.root, &shown, t, ids);
    // Building adds the `help` commands, which only then can be given their text.
    cmd.build();
    localize_help_commands(cmd, t, ids)
}

/// Matches `args` against the localized `cmd`. Help and version pages are printed and the
/// process exits as clap does; a usage error becomes one line in `t`'s language and exit
/// code 2.
pub fn matches_or_exit(
    cmd: Command,
    args: Vec<std::ffi::OsString>,
    t: &I18n,
    ids: Ids,
) -> ArgMatches {
    let name = cmd.get_name().to_string();
    match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            eprintln!("{name}: {}", error_text(&e, &name, t, ids));
            std::process::exit(2);
        }
    }
}

/// A usage error in the user's words.
pub fn error_text(e: &clap::Error, program: &str, t: &I18n, ids: Ids) -> String {
    let context = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        _ => String::new(),
    };
    let arg = context(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    let (piece, mut args) = match e.kind() {
        ErrorKind::UnknownArgument => ("error-unknown-argument", vec![("arg", arg)]),
        ErrorKind::InvalidSubcommand => (
            "error-unknown-command",
            vec![("command", context(ContextKind::InvalidSubcommand))],
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            ("error-invalid-value", vec![("arg", arg), ("value", value)])
        }
        ErrorKind::MissingRequiredArgument => ("error-missing-argument", vec![("arg", arg)]),
        _ => ("error-other", vec![]),
    };
    args.push(("program", program.to_string()));
    t.text_owned(&ids.clap(piece), &args)
}
