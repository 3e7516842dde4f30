//! The web interface's texts (`locales/*/web.ftl`, and `admin.ftl` for the operator pages' failures) and the language of a request: the one
//! chosen in the settings, else the browser's `Accept-Language`, else en-US.

use std::sync::OnceLock;

pub use ::i18n::I18n;

/// (language, files) pairs; en-US is the fallback for any id a language lacks.
pub const LOCALES: ::i18n::Table = &[
    (
        "en-US",
        &[
            include_str!("../../locales/en-US/web.ftl"),
            include_str!("../../locales/en-US/admin.ftl"),
        ],
    ),
    (
        "de-DE",
        &[
            include_str!("../../locales/de-DE/web.ftl"),
            include_str!("../../locales/de-DE/admin.ftl"),
        ],
    ),
];

/// The loaded texts of every shipped language, made once.
fn all() -> &'static [I18n] {
    static ALL: OnceLock<Vec<I18n>> = OnceLock::new();
    ALL.get_or_init(|| {
        LOCALES
            .iter()
            .map(|(l, _)| I18n::new(LOCALES, l).expect("a shipped language loads"))
            .collect()
    })
}

/// The texts of a shipped language (`de`, `de-DE`, `de_DE` alike), if there is one.
pub fn shipped(lang: &str) -> Option<&'static I18n> {
    let found = ::i18n::negotiate(LOCALES, lang)?;
    all().iter().find(|t| t.language() == found)
}

/// The shipped languages' tags.
pub fn languages() -> Vec<&'static str> {
    ::i18n::languages(LOCALES)
}

/// The first language of an `Accept-Language` header that is shipped, by the header's
/// weights (`de-CH,de;q=0.9,en;q=0.8`). At most 16 entries are looked at.
pub fn from_accept_language(header: &str) -> Option<&'static I18n> {
    let mut wanted: Vec<(f32, usize, &str)> = header
        .split(',')
        .take(16)
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    wanted.into_iter().find_map(|(_, _, tag)| shipped(tag))
}

/// The language of a request: the settings' choice, else the browser's, else en-US.
pub fn pick(chosen: Option<&str>, accept_language: Option<&str>) -> &'static I18n {
    chosen
        .and_then(shipped)
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or_else(|| shipped(::i18n::FALLBACK).expect("en-US is shipped"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_weights_choose_and_the_settings_win() {
        assert_eq!(
            pick(None, Some("de-CH,de;q=0.9,en;q=0.8")).language(),
            "de-DE"
        );
        assert_eq!(
            pick(None, Some("fr-FR, en;q=0.5, de;q=0.7")).language(),
            "de-DE"
        );
        assert_eq!(pick(None, Some("fr, *;q=0.1")).language(), "en-US");
        assert_eq!(pick(None, Some("de;q=0, en")).language(), "en-US");
        assert_eq!(pick(None, None).language(), "en-US");
        assert_eq!(pick(Some("de-DE"), Some("en")).language(), "de-DE");
        assert_eq!(pick(Some("xx"), Some("de")).language(), "de-DE");
    }

    #[test]
    fn both_languages_have_every_text() {
        assert_eq!(::i18n::differences(LOCALES), vec![]);
    }
}
