//! The monitor's texts: `locales/<language>/monitor.ftl`, and the drop folder's
//! `drop.ftl` for the errors of drop-folder jobs, compiled in.

pub use i18n::I18n;

/// (language, files) pairs; en-US fills in any id a language lacks.
pub const LOCALES: i18n::Table = &[
    (
        "en-US",
        &[
            include_str!("../../../locales/en-US/monitor.ftl"),
            include_str!("../../../locales/en-US/drop.ftl"),
        ],
    ),
    (
        "de-DE",
        &[
            include_str!("../../../locales/de-DE/monitor.ftl"),
            include_str!("../../../locales/de-DE/drop.ftl"),
        ],
    ),
];

/// A language the monitor does not ship.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language; shipped: {known}")]
pub struct UnknownLanguage {
    /// The shipped languages, comma-separated.
    pub known: String,
}

impl UnknownLanguage {
    /// The refusal in the fallback language, for a person.
    pub fn text(&self) -> String {
        fallback().text("monitor-unknown-language", &[("known", &self.known)])
    }
}

/// The texts of `lang` (`de`, `de_DE.UTF-8`, …); an empty `lang` follows the system's
/// locale.
pub fn load(lang: &str) -> Result<I18n, UnknownLanguage> {
    I18n::new(LOCALES, lang).map_err(|known| UnknownLanguage { known })
}

/// The fallback language's texts, which always load.
pub fn fallback() -> I18n {
    I18n::new(LOCALES, i18n::FALLBACK).expect("the fallback language ships")
}

#[cfg(test)]
mod tests {
    use super::*;
    use i18n::message_ids;

    /// The sources of the model, the client and the app, where every id they show is
    /// written out whole.
    const SOURCES: &[&str] = &[
        include_str!("texts.rs"),
        include_str!("format.rs"),
        include_str!("rows.rs"),
        include_str!("status_bar.rs"),
        include_str!("piece_map.rs"),
        include_str!("reconnect.rs"),
        include_str!("detail.rs"),
        include_str!("sort.rs"),
        include_str!("filter.rs"),
        include_str!("../../client/src/error.rs"),
        include_str!("../../app/src/main.rs"),
        include_str!("../../app/src/delegate.rs"),
        include_str!("../../app/src/ui/mod.rs"),
        include_str!("../../app/src/ui/dialog.rs"),
        include_str!("../../app/src/ui/detail.rs"),
        include_str!("../../app/src/tray.rs"),
    ];
    const EN: &str = include_str!("../../../locales/en-US/monitor.ftl");

    /// Ids quoted in the code, test modules left out (they quote ids that must not exist).
    fn quoted_ids() -> Vec<String> {
        let src: String = SOURCES
            .iter()
            .map(|s| s.split("#[cfg(test)]").next().unwrap_or_default())
            .collect();
        let mut out: Vec<String> = src
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|q| {
                q.starts_with("monitor-")
                    && !q.ends_with('-')
                    && q.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Both languages have exactly the same ids, and each text formats in its own language.
    #[test]
    fn locales_are_complete() {
        assert!(
            i18n::differences(LOCALES).is_empty(),
            "{:?}",
            i18n::differences(LOCALES)
        );
        for (lang, files) in LOCALES {
            let t = load(lang).unwrap();
            assert_eq!(t.language(), *lang);
            for id in message_ids(files) {
                assert_ne!(t.text(&id, &[]), id, "{lang} {id}");
            }
        }
        let de = load("de").unwrap();
        assert_eq!(de.text("monitor-state-running", &[]), "läuft");
    }

    /// Every id the code shows exists; every id of monitor.ftl is shown somewhere, by the
    /// code or as a job error a node sends.
    #[test]
    fn ids_in_code_and_locale_match() {
        let en = fallback();
        let used = quoted_ids();
        assert!(used.len() > 50, "{}", used.len());
        let missing: Vec<&String> = used.iter().filter(|id| !en.has(id)).collect();
        assert!(
            missing.is_empty(),
            "ids missing from en-US/monitor.ftl: {missing:?}"
        );
        for id in monitor_api::error_ids::ALL {
            assert!(en.has(id), "job error {id} has no text");
        }
        // The command line's help ids are put together from its arguments' names; the app's
        // cli tests check those.
        let unused: Vec<String> = message_ids(&[EN])
            .into_iter()
            .filter(|id| !used.contains(id) && !monitor_api::error_ids::ALL.contains(&id.as_str()))
            .filter(|id| {
                !id.starts_with("monitor-cli-help-") && !id.starts_with("monitor-cli-clap-")
            })
            .collect();
        assert!(
            unused.is_empty(),
            "ids in monitor.ftl nothing uses: {unused:?}"
        );
    }

    #[test]
    fn an_unknown_language_names_the_shipped_ones() {
        let Err(e) = load("xx-XX") else {
            panic!("xx-XX is not shipped")
        };
        assert_eq!(e.known, "en-US, de-DE");
        assert!(e.text().contains("en-US, de-DE"));
        assert_ne!(e.text(), "monitor-unknown-language");
    }
}
