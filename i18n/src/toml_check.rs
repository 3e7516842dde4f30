//! A configuration file checked against the program's defaults before it is used, so that
//! each mistake is reported with its line, its section and its key: a typo in a key name, a
//! value of the wrong kind, broken TOML.
//!
//! The defaults file names every setting (that is how the programs write their commented
//! `init` files), so a key it lacks is unknown, and its values give the expected kinds. An
//! empty table or array in the defaults accepts anything (lists of peers, per-language maps).

/// What is wrong with a configuration text; `line` and `column` count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("line {line}: unknown setting {key}")]
    UnknownKey {
        key: String,
        line: usize,
        /// A known key of the same section that is spelled almost the same.
        suggestion: Option<String>,
    },
    #[error("line {line}: {key} must be {expected}")]
    WrongType {
        key: String,
        line: usize,
        expected: &'static str,
    },
}

impl Problem {
    /// The Fluent id (with `prefix`, e.g. `cli-`) and arguments of the problem. Ids:
    /// `Pconfig-syntax-at`, `Pconfig-unknown-key`, `Pconfig-unknown-key-suggest`,
    /// `Pconfig-unknown-top`, `Pconfig-unknown-top-suggest`, `Pconfig-wrong-type`, and `Pconfig-kind-<kind>` for the expected kind.
    pub fn text_id(&self, prefix: &str) -> (String, Vec<(&'static str, String)>) {
        match self {
            Problem::Syntax {
                line,
                column,
                message,
            } => (
                format!("{prefix}config-syntax-at"),
                vec![
                    ("line", line.to_string()),
                    ("column", column.to_string()),
                    ("message", message.clone()),
                ],
            ),
            Problem::UnknownKey {
                key,
                line,
                suggestion,
            } => {
                let (section, name) = split_key(key);
                let mut args = vec![
                    ("line", line.to_string()),
                    ("section", section.to_string()),
                    ("key", name.to_string()),
                ];
                // A name at the top of the file is a section's (or a misplaced key's).
                let what = if key.contains('.') { "key" } else { "top" };
                let id = match suggestion {
                    Some(s) => {
                        args.push(("suggestion", s.clone()));
                        format!("{prefix}config-unknown-{what}-suggest")
                    }
                    None => format!("{prefix}config-unknown-{what}"),
                };
                (id, args)
            }
            Problem::WrongType {
                key,
                line,
                expected,
            } => {
                let (section, name) = split_key(key);
                (
                    format!("{prefix}config-wrong-type"),
                    vec![
                        ("line", line.to_string()),
                        ("section", section.to_string()),
                        ("key", name.to_string()),
                        ("kind", format!("{prefix}config-kind-{expected}")),
                    ],
                )
            }
        }
    }

    /// The problem in `t`'s language.
    pub fn text(&self, t: &crate::I18n, prefix: &str) -> String {
        let (id, mut args) = self.text_id(prefix);
        for (k, v) in args.iter_mut() {
            if *k == "kind" {
                *v = t.text(v, &[]);
            }
        }
        t.text_owned(&id, &args)
    }
}

/// `imap.login_timeout` → (`imap`, `login_timeout`); a top-level key has the section `-`.
fn split_key(key: &str) -> (&str, &str) {
    key.rsplit_once('.').unwrap_or(("-", key))
}

/// The kinds of value, as their ids name them.
fn kind(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "string",
        toml::Value::Integer(_) => "integer",
        toml::Value::Float(_) => "number",
        toml::Value::Boolean(_) => "boolean",
        toml::Value::Datetime(_) => "date",
        toml::Value::Array(_) => "list",
        toml::Value::Table(_) => "table",
    }
}

/// Parses `text` and checks every key and value kind against `defaults`.
pub fn check(text: &str, defaults: &str) -> Result<toml::Value, Problem> {
    let user: toml::Value = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| crate::line_column(text, s.start))
            .unwrap_or((1, 1));
        Problem::Syntax {
            line,
            column,
            message: e.message().trim().replace('\n', " "),
        }
    })?;
    let base: toml::Value = toml::from_str(defaults).expect("built-in defaults parse");
    walk(&user, &base, "", text)?;
    Ok(user)
}

/// [`check`]s `text`, then lays it over `defaults` table by table, so a file may set any
/// subset of keys: the whole configuration, ready to deserialize.
pub fn merged(text: &str, defaults: &str) -> Result<toml::Value, Problem> {
    let user = check(text, defaults)?;
    let mut base: toml::Value = toml::from_str(defaults).expect("built-in defaults parse");
    merge(&mut base, user);
    Ok(base)
}

fn merge(base: &mut toml::Value, user: toml::Value) {
    match (base, user) {
        (toml::Value::Table(b), toml::Value::Table(u)) => {
            for (k, v) in u {
                match b.get_mut(&k) {
                    Some(bv) if bv.is_table() && v.is_table() => merge(bv, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, u) => *b = u,
    }
}

fn walk(user: &toml::Value, base: &toml::Value, path: &str, text: &str) -> Result<(), Problem> {
    let (toml::Value::Table(u), toml::Value::Table(b)) = (user, base) else {
        return Ok(());
    };
    if b.is_empty() {
        return Ok(());
    }
    for (k, v) in u {
        let key = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        let Some(d) = b.get(k) else {
            let suggestion = b
                .keys()
                .filter(|known| distance(known, k) <= 2.max(k.len() / 4))
                .min_by_key(|known| distance(known, k))
                .map(|known| known.to_string());
            return Err(Problem::UnknownKey {
                line: find_line(text, &key),
                key,
                suggestion,
            });
        };
        let same = kind(v) == kind(d)
            || matches!((v, d), (toml::Value::Integer(_), toml::Value::Float(_)));
        if !same {
            return Err(Problem::WrongType {
                line: find_line(text, &key),
                key,
                expected: kind(d),
            });
        }
        match (v, d) {
            (toml::Value::Table(_), _) => walk(v, d, &key, text)?,
            (toml::Value::Array(items), toml::Value::Array(known)) => {
                if let Some(first) = known.first()
                    && items.iter().any(|i| kind(i) != kind(first))
                {
                    return Err(Problem::WrongType {
                        line: find_line(text, &key),
                        key,
                        expected: "list",
                    });
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The line of `key` (`section.name`) in `text`: the first `name = …` under its `[section]`
/// header (or the section header itself for a table); 0 when it cannot be found.
fn find_line(text: &str, key: &str) -> usize {
    let (section, name) = match key.rsplit_once('.') {
        Some((s, n)) => (s, n),
        None => ("", key),
    };
    let mut current = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            let name_end = header.find(']').unwrap_or(header.len());
            current = header[..name_end].trim().to_string();
            if current == key {
                return n + 1;
            }
            continue;
        }
        if current != section {
            continue;
        }
        if let Some((k, _)) = line.split_once('=')
            && k.trim().trim_matches(['"', '\'']) == name
        {
            return n + 1;
        }
    }
    0
}

/// Levenshtein distance, for short key names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: &str = "top = 1\n[imap]\nlisten = \"x\"\nidle_timeout = 30\nflag = false\n\
                            [overlay]\nlisten = [\"a\"]\npeers = []\n[map]\n";

    #[test]
    fn each_mistake_names_its_line_and_key() {
        let text = "# c\n[imap]\nlisten = \"y\"\nidel_timeout = 5\n";
        assert_eq!(
            check(text, DEFAULTS),
            Err(Problem::UnknownKey {
                key: "imap.idel_timeout".into(),
                line: 4,
                suggestion: Some("idle_timeout".into()),
            })
        );
        let text = "[imap]\n\nflag = \"yes\"\n";
        assert_eq!(
            check(text, DEFAULTS),
            Err(Problem::WrongType {
                key: "imap.flag".into(),
                line: 3,
                expected: "boolean",
            })
        );
        let text = "[overlay]\nlisten = [5]\n";
        assert!(matches!(
            check(text, DEFAULTS),
            Err(Problem::WrongType { line: 2, .. })
        ));
        let text = "[imap]\nlisten = \"unclosed\n";
        assert!(matches!(
            check(text, DEFAULTS),
            Err(Problem::Syntax { line: 2, .. })
        ));
        let text = "[imapp]\n";
        assert!(matches!(
            check(text, DEFAULTS),
            Err(Problem::UnknownKey {
                line: 1,
                suggestion: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn what_the_defaults_leave_open_is_accepted() {
        let text = "top = 2\n[overlay]\npeers = [{ a = 1 }]\n[map]\nanything = \"x\"\n";
        check(text, DEFAULTS).unwrap();
        let (id, args) = Problem::WrongType {
            key: "imap.flag".into(),
            line: 3,
            expected: "boolean",
        }
        .text_id("cli-");
        assert_eq!(id, "cli-config-wrong-type");
        assert!(args.contains(&("kind", "cli-config-kind-boolean".to_string())));
    }
}
