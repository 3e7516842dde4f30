//! Every text a person reads comes from Fluent files under `locales/`, compiled in.

/// (language, files) pairs; en-US is the fallback for any id a language lacks.
const LOCALES: &[(&str, &[&str])] = &[
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

pub use ::i18n::FALLBACK;

/// The node's texts: the shared loader over the node's [`LOCALES`].
pub struct I18n(std::sync::Arc<::i18n::I18n>);

impl I18n {
    /// Errors with the list of known languages when `lang` is not shipped.
    pub fn new(lang: &str) -> Result<I18n, String> {
        ::i18n::I18n::new(LOCALES, lang).map(|t| I18n(std::sync::Arc::new(t)))
    }

    /// The same texts, for parts that keep their own handle (the IMAP sessions).
    pub fn shared(&self) -> std::sync::Arc<::i18n::I18n> {
        self.0.clone()
    }
}

/// `language()`, `text()` and the rest come from the shared loader.
impl std::ops::Deref for I18n {
    type Target = ::i18n::I18n;
    fn deref(&self) -> &::i18n::I18n {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::i18n::message_ids as ids;

    #[test]
    fn formats_with_arguments_and_no_isolation_marks() {
        let i = I18n::new("en-US").unwrap();
        let t = i.text("cli-account-added", &[("address", "a@b.h")]);
        assert!(t.contains("a@b.h"));
        assert!(!t.contains('\u{2068}'));
        assert!(I18n::new("xx-XX").is_err());
    }

    /// Every language has exactly the ids of every other, so no text silently falls back.
    #[test]
    fn locales_are_complete() {
        let (_, base) = LOCALES[0];
        let base_ids = ids(base);
        assert!(base_ids.len() > 50);
        for (lang, files) in &LOCALES[1..] {
            let these = ids(files);
            let missing: Vec<_> = base_ids.difference(&these).collect();
            let extra: Vec<_> = these.difference(&base_ids).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{lang}: missing {missing:?}, extra {extra:?}"
            );
            // Every text formats in its own language, with its arguments.
            let i = I18n::new(lang).unwrap();
            for id in &these {
                assert_ne!(i.text(id, &[]), *id, "{lang} {id}");
            }
        }
        let de = I18n::new("de-DE").unwrap();
        assert!(
            de.text("imap-greeting", &[("product", "X")])
                .contains("bereit")
        );
    }

    /// Every message id quoted in the code exists in the fallback locale.
    #[test]
    fn every_used_id_exists() {
        let i = I18n::new(FALLBACK).unwrap();
        let src = [
            include_str!("main.rs"),
            include_str!("cli.rs"),
            include_str!("server.rs"),
            include_str!("ctx.rs"),
            include_str!("imap/mod.rs"),
            include_str!("../../imap/src/auth.rs"),
            include_str!("../../imap/src/commands.rs"),
            include_str!("../../imap/src/dispatch.rs"),
            include_str!("../../imap/src/fetch_job.rs"),
            include_str!("../../imap/src/query.rs"),
            include_str!("../../imap/src/quota.rs"),
            include_str!("../../imap/src/session.rs"),
            include_str!("drop/mod.rs"),
            include_str!("config.rs"),
            include_str!("tls.rs"),
            include_str!("send_cli.rs"),
            include_str!("demo/mod.rs"),
        ]
        .concat();
        let mut missing = Vec::new();
        for quoted in src.split('"').skip(1).step_by(2) {
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
