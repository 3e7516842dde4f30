//! Checking a script: compiled with the node's limits, then run once on an empty message, so
//! an extension the node does not offer (`require "x"` compiles in Sieve) is found when the
//! script is put, not when mail arrives.

use std::sync::Arc;

use sieve::compiler::ErrorType;
use sieve::runtime::RuntimeError;
use sieve::{Event, Input};

use crate::{Compiled, Settings};

/// What is wrong with a script; the words for each are the caller's (its language).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "what", rename_all = "kebab-case")]
pub enum Problem {
    /// Something the grammar does not allow where it stands: what was found there.
    Unexpected(String),
    /// A string, comment or block that is never closed.
    Unterminated,
    /// The script, or a string or name in it, is longer than the node takes.
    TooLarge,
    /// Blocks or tests nested deeper, or more includes, than the node allows.
    TooDeep,
    /// An extension used without `require`, or one the node does not offer: its name.
    Extension(String),
    /// A value not valid where it stands (a regular expression, an address, a number…): the
    /// engine's name for the fault.
    Invalid(String),
}

/// A script that cannot be used, and where: line and column count from 1; 0 when the engine
/// cannot tell (a command it does not know at the top level).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {problem:?}")]
pub struct CheckError {
    pub line: usize,
    pub column: usize,
    pub problem: Problem,
}

fn problem(e: &ErrorType) -> Problem {
    match e {
        ErrorType::UnexpectedToken { found, .. } => Problem::Unexpected(found.clone()),
        ErrorType::UnexpectedEOF => Problem::Unexpected(String::new()),
        ErrorType::UnterminatedString
        | ErrorType::UnterminatedComment
        | ErrorType::UnterminatedMultiline
        | ErrorType::UnterminatedBlock => Problem::Unterminated,
        ErrorType::ScriptTooLong
        | ErrorType::StringTooLong
        | ErrorType::VariableTooLong
        | ErrorType::HeaderTooLong => Problem::TooLarge,
        ErrorType::TooManyNestedBlocks
        | ErrorType::TooManyNestedTests
        | ErrorType::TooManyNestedForEveryParts
        | ErrorType::TooManyIncludes => Problem::TooDeep,
        ErrorType::UndeclaredCapability(c) => Problem::Extension(c.to_string()),
        other => Problem::Invalid(format!("{other:?}")),
    }
}

/// The script compiled, or why it cannot be used.
pub fn check(script: &[u8], settings: &Settings) -> Result<Compiled, CheckError> {
    let compiled = settings
        .compiler()
        .compile(script)
        .map_err(|e| CheckError {
            line: e.line_num(),
            column: e.line_pos(),
            problem: problem(e.error_type()),
        })?;
    let compiled = Arc::new(compiled);
    dry_run(&compiled, settings)?;
    Ok(compiled)
}

/// Runs the script on an empty message: `require` runs first, so an extension the node does
/// not offer stops it at once.
fn dry_run(script: &Compiled, settings: &Settings) -> Result<(), CheckError> {
    let runtime = settings.runtime();
    let mut ctx = runtime.filter(b"Subject: \r\n\r\n");
    let mut input = Input::script("check", script.clone());
    while let Some(step) = ctx.run(input) {
        input = match step {
            Err(RuntimeError::CapabilityNotSupported(name)) => {
                return Err(CheckError {
                    line: 0,
                    column: 0,
                    problem: Problem::Extension(name),
                });
            }
            Err(RuntimeError::CapabilityNotAllowed(c)) => {
                return Err(CheckError {
                    line: 0,
                    column: 0,
                    problem: Problem::Extension(c.to_string()),
                });
            }
            // Nothing is asked of the world in a dry run: no folder, no earlier message.
            Ok(Event::MailboxExists { .. } | Event::DuplicateId { .. }) => Input::False,
            Ok(Event::IncludeScript { .. }) => Input::False,
            _ => Input::True,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_script_says_what_and_where() {
        let s = Settings::default();
        assert!(check(b"require \"fileinto\";\nfileinto \"A\";\n", &s).is_ok());
        let e = check(b"require \"fileinto\";\nif true {\n  fileinto \"A\";\n", &s).unwrap_err();
        assert_eq!(e.problem, Problem::Unterminated);
        assert_eq!(e.line, 2, "{e:?}");
        let e = check(b"fileinto \"A\";\n", &s).unwrap_err();
        assert_eq!(e.problem, Problem::Extension("fileinto".into()));
        assert_eq!(e.line, 1);
        let e = check(b"require \"x-unknown\";\nkeep;\n", &s).unwrap_err();
        assert_eq!(e.problem, Problem::Extension("x-unknown".into()));
        let e = check(b"require \"enotify\";\nkeep;\n", &s).unwrap_err();
        assert_eq!(e.problem, Problem::Extension("enotify".into()));
        let small = Settings {
            max_script_size: 16,
            ..Settings::default()
        };
        let e = check(b"keep; keep; keep; keep; keep;\n", &small).unwrap_err();
        assert_eq!(e.problem, Problem::TooLarge);
    }
}
