//! A program's TOML configuration: the file read over the program's commented defaults file
//! (so a partial file keeps every other default, and the two can never disagree), each mistake
//! reported with its line and key, then the program's own checks of the values.

use std::path::{Path, PathBuf};

use i18n::I18n;
use i18n::toml_check;
use serde::de::DeserializeOwned;

/// A program's own objection to a value, beyond the kinds its defaults give.
pub trait Check: std::error::Error {
    /// The Fluent id and arguments describing the problem.
    fn text_id(&self) -> (&'static str, Vec<(&'static str, String)>);
}

/// What is wrong with a configuration text.
#[derive(Debug, thiserror::Error)]
pub enum Invalid<P: Check> {
    /// Broken TOML, an unknown key or a value of the wrong kind, with its line.
    #[error("{0}")]
    File(#[from] toml_check::Problem),
    /// What the deserializer still refused (its own words).
    #[error("{0}")]
    Syntax(String),
    /// `[log] level` beyond 5 (trace).
    #[error("log.level {0}")]
    LogLevel(i64),
    #[error("{0}")]
    Value(P),
}

impl<P: Check> Invalid<P> {
    /// The problem in `t`'s language; `prefix` is the program's text id prefix (`cli-`).
    pub fn text(&self, t: &I18n, prefix: &str) -> String {
        match self {
            Invalid::File(p) => p.text(t, prefix),
            Invalid::Syntax(m) => m.clone(),
            Invalid::LogLevel(l) => t.text(
                &format!("{prefix}config-log-level"),
                &[("level", &l.to_string())],
            ),
            Invalid::Value(v) => {
                let (id, args) = v.text_id();
                t.text_owned(id, &args)
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError<P: Check> {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Parse { path: PathBuf, problem: Invalid<P> },
}

impl<P: Check> ConfigError<P> {
    /// One line in `t`'s language naming the file: `{prefix}config-invalid` with `path` and
    /// `message`.
    pub fn text(&self, t: &I18n, prefix: &str) -> String {
        let (path, message) = match self {
            ConfigError::Read { path, source } => (path, source.to_string()),
            ConfigError::Parse { path, problem } => (path, problem.text(t, prefix)),
        };
        let path = path.display().to_string();
        t.text(
            &format!("{prefix}config-invalid"),
            &[("path", &path), ("message", &message)],
        )
    }
}

/// Every program's `[log]` section.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// 0 (off) to 5 (trace).
    pub level: u8,
    /// Relative to the data folder; the day is appended as the file rotates.
    pub file: String,
}

/// `text` over `defaults`, read into `T` and given to `check`.
pub fn parse<T: DeserializeOwned, P: Check>(
    text: &str,
    defaults: &str,
    check: impl FnOnce(&T) -> Result<(), P>,
) -> Result<T, Invalid<P>> {
    let merged = toml_check::merged(text, defaults)?;
    let level = merged.get("log").and_then(|l| l.get("level"));
    if let Some(l) = level
        .and_then(toml::Value::as_integer)
        .filter(|l| !(0..=5).contains(l))
    {
        return Err(Invalid::LogLevel(l));
    }
    let cfg: T = merged
        .try_into()
        .map_err(|e: toml::de::Error| Invalid::Syntax(e.message().to_string()))?;
    check(&cfg).map_err(Invalid::Value)?;
    Ok(cfg)
}

/// The file at `path`, as [`parse`] reads it.
pub fn load<T: DeserializeOwned, P: Check>(
    path: &Path,
    defaults: &str,
    check: impl FnOnce(&T) -> Result<(), P>,
) -> Result<T, ConfigError<P>> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    parse(&text, defaults, check).map_err(|problem| ConfigError::Parse {
        path: path.into(),
        problem,
    })
}

/// The built-in defaults, which always parse (a unit test of each program checks it).
pub fn defaults<T: DeserializeOwned>(defaults: &str) -> T {
    toml::from_str(defaults).expect("built-in default configuration parses")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Cfg {
        log: LogSection,
    }
    #[derive(Debug, thiserror::Error)]
    #[error("no file")]
    struct NoFile;
    impl Check for NoFile {
        fn text_id(&self) -> (&'static str, Vec<(&'static str, String)>) {
            ("x-no-file", vec![])
        }
    }
    const DEFAULTS: &str = "[log]\nlevel = 3\nfile = \"log/x.log\"\n";
    fn check(c: &Cfg) -> Result<(), NoFile> {
        if c.log.file.is_empty() {
            Err(NoFile)
        } else {
            Ok(())
        }
    }

    #[test]
    fn files_are_read_over_their_defaults_and_checked() {
        let c: Cfg = parse("[log]\nlevel = 1\n", DEFAULTS, check).unwrap();
        assert_eq!((c.log.level, c.log.file.as_str()), (1, "log/x.log"));
        assert!(matches!(
            parse::<Cfg, _>("[log]\nlevel = 9\n", DEFAULTS, check),
            Err(Invalid::LogLevel(9))
        ));
        assert!(matches!(
            parse::<Cfg, _>("[log]\nlevel = -1\n", DEFAULTS, check),
            Err(Invalid::LogLevel(-1))
        ));
        let r = parse::<Cfg, _>("[log]\nfile = \"\"\n", DEFAULTS, check);
        assert!(matches!(r, Err(Invalid::Value(_))), "{r:?}");
        assert!(matches!(
            parse::<Cfg, _>("[log]\nlevle = 1\n", DEFAULTS, check),
            Err(Invalid::File(toml_check::Problem::UnknownKey {
                line: 2,
                ..
            }))
        ));
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.toml");
        assert!(matches!(
            load::<Cfg, _>(&missing, DEFAULTS, check),
            Err(ConfigError::Read { .. })
        ));
        let d: Cfg = defaults(DEFAULTS);
        assert_eq!(d.log.level, 3);
    }
}
