//! The server's texts: `locales/<language>/service.ftl`, compiled in.

pub use ::i18n::{FALLBACK, I18n};

/// (language, files) pairs; en-US fills in any id a language lacks.
pub const LOCALES: ::i18n::Table = &[
    ("en-US", &[include_str!("../../locales/en-US/service.ftl")]),
    ("de-DE", &[include_str!("../../locales/de-DE/service.ftl")]),
];

/// The texts of `lang`; errors with the known languages.
pub fn load(lang: &str) -> Result<I18n, String> {
    I18n::new(LOCALES, lang)
}

/// The fallback language's texts, which always load.
pub fn fallback() -> I18n {
    load(FALLBACK).expect("the fallback language ships")
}
