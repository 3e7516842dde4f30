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

/// The system's language, else the fallback language: texts that always load.
pub fn fallback() -> I18n {
    load("").expect("the fallback language ships")
}
