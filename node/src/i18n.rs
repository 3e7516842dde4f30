//! Every text a person reads comes from Fluent files under `locales/`, compiled in.

pub use ::i18n::{FALLBACK, I18n};

/// (language, files) pairs; en-US is the fallback for any id a language lacks.
pub const LOCALES: ::i18n::Table = &[
    (
        "en-US",
        &[
            include_str!("../../locales/en-US/cli.ftl"),
            include_str!("../../locales/en-US/admin.ftl"),
            include_str!("../../locales/en-US/imap.ftl"),
            include_str!("../../locales/en-US/smtp.ftl"),
            include_str!("../../locales/en-US/drop.ftl"),
        ],
    ),
    (
        "de-DE",
        &[
            include_str!("../../locales/de-DE/cli.ftl"),
            include_str!("../../locales/de-DE/admin.ftl"),
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
}
