//! Product name, colours and contact of a deployment, read from a branding file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub const DEFAULT_BRANDING: &str = include_str!("../../branding/branding.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Branding {
    pub name: String,
    pub short_name: String,
    pub support: String,
    #[serde(default)]
    pub logo: String,
    #[serde(default)]
    pub colours: Colours,
    #[serde(default)]
    pub receipt: ReceiptWording,
}

/// What a deployment calls the signed receipts its nodes show to people. A branding file is
/// one for every language, so a wording may come per language; without one the language
/// files' own wording (with the product name) is used.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReceiptWording {
    /// The title for any language without its own, e.g. "Kapur Post delivery receipts".
    #[serde(default)]
    pub title: String,
    /// Titles per language tag, e.g. `"de-DE" = "Kapur-Post-Zustellnachweise"`.
    #[serde(default)]
    pub title_by_language: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Colours {
    #[serde(default)]
    pub primary: String,
    #[serde(default)]
    pub accent: String,
    #[serde(default)]
    pub background: String,
}

impl Branding {
    /// The receipt title for language `lang`, if the branding gives one.
    pub fn receipt_title(&self, lang: &str) -> Option<&str> {
        let r = &self.receipt;
        r.title_by_language
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(lang))
            .map(|(_, t)| t.as_str())
            .or(Some(r.title.as_str()))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    pub fn builtin() -> Branding {
        toml::from_str(DEFAULT_BRANDING).expect("built-in branding parses")
    }

    /// The built-in branding when `path` is empty, else the file.
    pub fn load(path: Option<&Path>) -> Result<Branding, String> {
        match path {
            None => Ok(Self::builtin()),
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {}", p.display(), e.message()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_title_per_language_then_default_then_none() {
        let b = Branding::builtin();
        assert_eq!(b.receipt_title("en-US"), Some("WIMS delivery receipts"));
        assert_eq!(b.receipt_title("DE-de"), Some("WIMS-Empfangsbestätigungen"));
        let plain: Branding =
            toml::from_str("name = \"K\"\nshort_name = \"k\"\nsupport = \"s@k.h\"\n").unwrap();
        assert_eq!(plain.receipt_title("en-US"), None);
        let only_de: Branding = toml::from_str(
            "name = \"K\"\nshort_name = \"k\"\nsupport = \"s@k.h\"\n\
             [receipt.title_by_language]\n\"de-DE\" = \"K-Belege\"\n",
        )
        .unwrap();
        assert_eq!(only_de.receipt_title("de-DE"), Some("K-Belege"));
        assert_eq!(only_de.receipt_title("en-US"), None);
    }
}
