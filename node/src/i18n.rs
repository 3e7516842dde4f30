//! Every text a person reads comes from Fluent files under `locales/`, compiled in.

pub use ::i18n::{FALLBACK, I18n};

/// (language, files) pairs; en-US is the fallback for any id a language lacks.
pub const LOCALES: ::i18n::Table = &[
    (
        "en-US",
        &[
            include_str!("../../locales/en-US/cli.ftl"),
            include_str!("../../locales/en-US/imap.ftl"),
            include_str!("../../locales/en-US/smtp.ftl"),
            include_str!("../../locales/en-US/drop.ftl"),
        ],
    ),
    (
        "de-DE",
        &[
            include_str!("../../locales/de-DE/cli.ftl"),
            include_str!("../../locales/de-DE/imap.ftl"),
            include_str!("../../locales/de-DE/smtp.ftl"),
            include_str!("../../locales/de-DE/drop.ftl"),
        ],
    ),
];

/// The node's texts in `lang` (empty: the system's); errors with the known languages.
pub fn load(lang: &str) -> Result<I18n, String> {
    I18n::new(LOCALES, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::i18n::message_ids as ids;

    #[test]
    fn formats_with_arguments_and_no_isolation_marks() {
        let i = load("en-US").unwrap();
        let t = i.text("cli-account-added", &[("address", "a@b.h")]);
        assert!(t.contains("a@b.h"));
        assert!(!t.contains('\u{2068}'));
        assert!(load("xx-XX").is_err());
    }

    /// Every language has exactly the ids of every other, so no text silently falls back.
    #[test]
    fn locales_are_complete() {
        let (_, base) = LOCALES[0];
        assert!(ids(base).len() > 50);
        assert_eq!(::i18n::differences(LOCALES), vec![]);
        for (lang, files) in &LOCALES[1..] {
            let these = ids(files);
            // Every text formats in its own language, with its arguments.
            let i = load(lang).unwrap();
            for id in &these {
                assert_ne!(i.text(id, &[]), *id, "{lang} {id}");
            }
        }
        let de = load("de-DE").unwrap();
        assert!(
            de.text("imap-greeting", &[("product", "X")])
                .contains("bereit")
        );
    }

    /// Code (outside unit tests) of every `.rs` file under `dir`.
    fn code_under(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                code_under(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push(text.split("#[cfg(test)]").next().unwrap_or_default().into());
            }
        }
    }

    /// Every message id quoted in the code of the node and the crates whose texts it ships
    /// (the IMAP core, the drop folder and its watcher) exists in the fallback locale.
    #[test]
    fn every_used_id_exists() {
        let i = load(FALLBACK).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let mut files = Vec::new();
        for krate in ["node", "imap", "drop-folder", "drop-watch"] {
            code_under(&root.join(krate).join("src"), &mut files);
        }
        let mut missing = Vec::new();
        // File by file, so one file's odd quote cannot shift what the next one quotes.
        for quoted in files.iter().flat_map(|f| f.split('"').skip(1).step_by(2)) {
            let is_id = ["cli-", "imap-", "smtp-", "drop-", "demo-"]
                .iter()
                .any(|p| quoted.starts_with(p))
                && !quoted.ends_with('-')
                && quoted
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if is_id && i.text(quoted, &[]) == quoted {
                missing.push(quoted.to_string());
            }
        }
        assert!(missing.is_empty(), "ids missing from en-US: {missing:?}");
    }
}
