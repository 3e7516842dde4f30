//! Every text a person reads comes from Fluent files under `locales/`, compiled in.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

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

pub const FALLBACK: &str = "en-US";

pub struct I18n {
    lang: String,
    bundles: Vec<FluentBundle<FluentResource>>,
}

fn bundle(lang: &str, files: &[&str]) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Protocol replies must be plain text: no Unicode isolation marks around arguments.
    b.set_use_isolating(false);
    for f in files {
        let res = FluentResource::try_new(f.to_string()).expect("shipped .ftl files parse");
        b.add_resource(res).expect("no duplicate message ids");
    }
    b
}

impl I18n {
    /// Errors with the list of known languages when `lang` is not shipped.
    pub fn new(lang: &str) -> Result<I18n, String> {
        let mut bundles = Vec::new();
        match LOCALES.iter().find(|(l, _)| l.eq_ignore_ascii_case(lang)) {
            Some((l, files)) => bundles.push(bundle(l, files)),
            None => {
                return Err(LOCALES
                    .iter()
                    .map(|(l, _)| *l)
                    .collect::<Vec<_>>()
                    .join(", "));
            }
        }
        if !lang.eq_ignore_ascii_case(FALLBACK) {
            let (l, files) = LOCALES
                .iter()
                .find(|(l, _)| *l == FALLBACK)
                .expect("fallback");
            bundles.push(bundle(l, files));
        }
        Ok(I18n {
            lang: lang.to_string(),
            bundles,
        })
    }

    pub fn language(&self) -> &str {
        &self.lang
    }

    /// The text of message `id` with named arguments. A missing id yields the id itself, which a
    /// test catches long before a user would.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_arguments_and_no_isolation_marks() {
        let i = I18n::new("en-US").unwrap();
        let t = i.text("cli-account-added", &[("address", "a@b.h")]);
        assert!(t.contains("a@b.h"));
        assert!(!t.contains('\u{2068}'));
        assert!(I18n::new("xx-XX").is_err());
    }

    /// Message ids defined in a shipped language file.
    fn ids(files: &[&str]) -> std::collections::BTreeSet<String> {
        files
            .iter()
            .flat_map(|f| f.lines())
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .filter(|id| !id.is_empty() && !id.starts_with('#') && !id.starts_with(' '))
            .map(str::to_string)
            .collect()
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
            include_str!("server.rs"),
            include_str!("ctx.rs"),
            include_str!("imap/session.rs"),
            include_str!("imap/commands.rs"),
            include_str!("drop/mod.rs"),
            include_str!("config.rs"),
        ]
        .concat();
        let mut missing = Vec::new();
        for quoted in src.split('"').skip(1).step_by(2) {
            let is_id = ["cli-", "imap-", "smtp-", "drop-"]
                .iter()
                .any(|p| quoted.starts_with(p))
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
