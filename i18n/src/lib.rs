//! Fluent text lookup shared by the wims programs.
//!
//! Each program compiles its own `.ftl` files in and hands them over as a [`Table`]: one
//! entry per language, en-US ([`FALLBACK`]) among them. An id a language lacks is looked up
//! in en-US, so a half-translated language still shows every text.
//!
//! ```
//! static TABLE: i18n::Table = &[("en-US", &["hello = Hello, { $who }!\n"])];
//! let t = i18n::I18n::new(TABLE, "en-US").unwrap();
//! assert_eq!(t.text("hello", &[("who", "Bob")]), "Hello, Bob!");
//! ```

#[cfg(feature = "clap")]
pub mod clap_help;
#[cfg(feature = "config")]
pub mod toml_check;

use std::collections::BTreeSet;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// The language every table must have; it fills in ids other languages lack.
pub const FALLBACK: &str = "en-US";

/// (language, files) pairs: the `.ftl` texts of each shipped language.
pub type Table = &'static [(&'static str, &'static [&'static str])];

/// The texts of one language, with the en-US fallback behind it.
pub struct I18n {
    lang: String,
    bundles: Vec<FluentBundle<FluentResource>>,
}

fn bundle(lang: &str, files: &[&str]) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Protocol replies and terminal output must be plain text: no Unicode isolation marks
    // around arguments.
    b.set_use_isolating(false);
    for f in files {
        let res = FluentResource::try_new(f.to_string()).expect("shipped .ftl files parse");
        b.add_resource(res).expect("no duplicate message ids");
    }
    b
}

impl I18n {
    /// The texts of `lang` from `table`, found as [`negotiate`] does (`de` or `de_DE.UTF-8`
    /// give de-DE); an empty `lang` follows the system's locale ([`system_language`]), else
    /// en-US. Errors with the list of known languages when `lang` is not in the table.
    pub fn new(table: Table, lang: &str) -> Result<I18n, String> {
        let found = if lang.trim().is_empty() {
            system_language(table).or_else(|| negotiate(table, FALLBACK))
        } else {
            negotiate(table, lang)
        };
        let Some(found) = found else {
            return Err(languages(table).join(", "));
        };
        let mut bundles = Vec::new();
        if let Some((l, files)) = table.iter().find(|(l, _)| *l == found) {
            bundles.push(bundle(l, files));
        }
        if found != FALLBACK
            && let Some((l, files)) = table.iter().find(|(l, _)| *l == FALLBACK)
        {
            bundles.push(bundle(l, files));
        }
        Ok(I18n {
            lang: found.to_string(),
            bundles,
        })
    }

    /// The language in use, as the table names it (`de-DE`).
    pub fn language(&self) -> &str {
        &self.lang
    }

    /// The text of message `id` with named arguments. A missing id yields the id itself,
    /// which a test catches long before a user would.
    pub fn text(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, *v);
        }
        for b in &self.bundles {
            if let Some(p) = b.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return b.format_pattern(p, Some(&fa), &mut errors).into_owned();
            }
        }
        id.to_string()
    }

    /// [`I18n::text`] with arguments the caller built as owned strings (an error's
    /// `text_id()`).
    pub fn text_owned(&self, id: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.text(id, &args)
    }

    /// True if `id` exists in this language or the fallback.
    pub fn has(&self, id: &str) -> bool {
        self.bundles.iter().any(|b| b.has_message(id))
    }
}

/// The table's language for `wanted`: the same tag in any case, with `-` or `_`, and with a
/// locale's `.UTF-8` or `@euro` part ignored; else the first with the same primary language
/// (`de`, `de-AT` and `de_CH.UTF-8` all give de-DE). `None` when the table has none of it.
pub fn negotiate(table: Table, wanted: &str) -> Option<&'static str> {
    let tag = wanted
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .trim()
        .replace('_', "-");
    if tag.is_empty() {
        return None;
    }
    if let Some((l, _)) = table.iter().find(|(l, _)| l.eq_ignore_ascii_case(&tag)) {
        return Some(l);
    }
    let primary = |t: &str| t.split('-').next().unwrap_or_default().to_ascii_lowercase();
    let want = primary(&tag);
    table
        .iter()
        .find(|(l, _)| primary(l) == want)
        .map(|(l, _)| *l)
}

/// The language the environment asks for, read as gettext does: the locale from `LC_ALL`,
/// else `LC_MESSAGES`, else `LANG`; unless that is `C`/`POSIX`, `LANGUAGE`'s list of
/// preferences comes first. `None` when none of them is in the table.
pub fn system_language(table: Table) -> Option<&'static str> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let locale = var("LC_ALL")
        .or_else(|| var("LC_MESSAGES"))
        .or_else(|| var("LANG"))?;
    let plain = locale.split('.').next().unwrap_or_default();
    if plain == "C" || plain == "POSIX" {
        return None;
    }
    var("LANGUAGE")
        .and_then(|list| list.split(':').find_map(|l| negotiate(table, l)))
        .or_else(|| negotiate(table, &locale))
}

/// Line and column (from 1, in characters) of byte `offset` of `text`, for messages that
/// point into a file the user wrote.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The languages of `table`, in table order.
/// The value of `--name VALUE` or `--name=VALUE` in a program's raw arguments (the first is
/// the program): the language of help texts is needed before the argument parser runs.
pub fn raw_option(args: &[std::ffi::OsString], name: &str) -> Option<String> {
    let flag = format!("--{name}");
    let prefix = format!("--{name}=");
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == flag {
            return it.next().map(|v| v.into_owned());
        }
        if let Some(v) = a.strip_prefix(&prefix) {
            return Some(v.to_string());
        }
    }
    None
}

pub fn languages(table: Table) -> Vec<&'static str> {
    table.iter().map(|(l, _)| *l).collect()
}

/// Message ids defined in `.ftl` texts (top-level `id = ...` lines), for completeness tests.
pub fn message_ids(files: &[&str]) -> BTreeSet<String> {
    files
        .iter()
        .flat_map(|f| f.lines())
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim_end()))
        .filter(|id| {
            !id.is_empty()
                && !id.starts_with(['#', ' ', '\t', '.', '-'])
                && !id.contains(char::is_whitespace)
        })
        .map(str::to_string)
        .collect()
}

/// How each language differs from the table's first: `(language, missing ids, extra ids)`
/// for every language that does. Empty when every language has exactly the same ids.
pub fn differences(table: Table) -> Vec<(&'static str, Vec<String>, Vec<String>)> {
    let Some((_, base)) = table.first() else {
        return Vec::new();
    };
    let base = message_ids(base);
    table[1..]
        .iter()
        .filter_map(|(lang, files)| {
            let these = message_ids(files);
            let missing: Vec<_> = base.difference(&these).cloned().collect();
            let extra: Vec<_> = these.difference(&base).cloned().collect();
            (!missing.is_empty() || !extra.is_empty()).then_some((*lang, missing, extra))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: Table = &[
        (
            "en-US",
            &[
                "greet = Hello, { $who }!\nonly-en = English only\n",
                "bye = Bye\n",
            ],
        ),
        ("de-DE", &["greet = Hallo, { $who }!\nbye = Tschüss\n"]),
    ];

    #[test]
    fn formats_with_arguments_and_no_isolation_marks() {
        let en = I18n::new(TABLE, "en-US").unwrap();
        assert_eq!(en.text("greet", &[("who", "a@b.h")]), "Hello, a@b.h!");
        assert_eq!(en.language(), "en-US");
        let de = I18n::new(TABLE, "DE-de").unwrap();
        assert_eq!(de.text("greet", &[("who", "x")]), "Hallo, x!");
        assert!(!de.text("greet", &[("who", "x")]).contains('\u{2068}'));
    }

    #[test]
    fn falls_back_to_english_then_to_the_id() {
        let de = I18n::new(TABLE, "de-DE").unwrap();
        assert_eq!(de.text("only-en", &[]), "English only");
        assert!(de.has("only-en"));
        assert_eq!(de.text("nowhere", &[]), "nowhere");
        assert!(!de.has("nowhere"));
    }

    #[test]
    fn languages_are_negotiated() {
        assert_eq!(negotiate(TABLE, "de"), Some("de-DE"));
        assert_eq!(negotiate(TABLE, "DE-at"), Some("de-DE"));
        assert_eq!(negotiate(TABLE, "de_DE.UTF-8"), Some("de-DE"));
        assert_eq!(negotiate(TABLE, "de_DE@euro"), Some("de-DE"));
        assert_eq!(negotiate(TABLE, "en_GB.UTF-8"), Some("en-US"));
        assert_eq!(negotiate(TABLE, "fr-FR"), None);
        assert_eq!(negotiate(TABLE, ""), None);
        assert_eq!(I18n::new(TABLE, "de").unwrap().language(), "de-DE");
        assert!(I18n::new(TABLE, "fr").is_err());
    }

    #[test]
    fn unknown_language_lists_the_known_ones() {
        assert_eq!(
            I18n::new(TABLE, "xx-XX").err().unwrap(),
            "en-US, de-DE".to_string()
        );
    }

    #[test]
    fn differences_name_missing_ids() {
        let d = differences(TABLE);
        assert_eq!(d, vec![("de-DE", vec!["only-en".to_string()], vec![])]);
        assert_eq!(
            message_ids(&["# c\na = x\n    .attr = y\nb-c = { $v }\n"]),
            ["a", "b-c"].iter().map(|s| s.to_string()).collect()
        );
    }
}
