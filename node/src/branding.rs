//! Product name, colours, logo and contact of a deployment, read from a branding file.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_BRANDING: &str = include_str!("../../branding/branding.toml");

/// A logo file larger than this is refused: it is served to every browser from memory.
pub const MAX_LOGO_BYTES: u64 = 512 * 1024;

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
    /// The logo file's bytes and media type, read by [`Branding::load`] (`logo` names the file,
    /// beside the branding file); `None` when there is none and the mark is drawn instead.
    #[serde(skip)]
    pub logo_file: Option<(Vec<u8>, &'static str)>,
}

/// Why a branding file cannot be used: each names the file, and the key where it is one.
#[derive(Debug, thiserror::Error)]
pub enum BrandingError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Parse(PathBuf, String),
    /// A colour that is not `#rgb` or `#rrggbb`.
    #[error("{0}: colours.{1} = {2:?}")]
    Colour(PathBuf, &'static str, String),
    /// The logo is not an SVG, PNG or JPEG file of at most [`MAX_LOGO_BYTES`].
    #[error("{0}: logo = {1:?}")]
    Logo(PathBuf, String),
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

    /// The built-in branding when `path` is empty, else the file, its colours checked and its
    /// logo read.
    pub fn load(path: Option<&Path>) -> Result<Branding, BrandingError> {
        let Some(p) = path else {
            return Ok(Self::builtin());
        };
        let text = std::fs::read_to_string(p).map_err(|e| BrandingError::Read(p.into(), e))?;
        let mut b: Branding = toml::from_str(&text)
            .map_err(|e| BrandingError::Parse(p.into(), e.message().into()))?;
        let c = &b.colours;
        for (key, value) in [
            ("primary", &c.primary),
            ("accent", &c.accent),
            ("background", &c.background),
        ] {
            if !value.is_empty() && !is_colour(value) {
                return Err(BrandingError::Colour(p.into(), key, value.clone()));
            }
        }
        let logo = b.logo.trim();
        if !logo.is_empty() {
            let file = p.parent().unwrap_or(Path::new(".")).join(logo);
            // A logo the file names but that is not there leaves the drawn mark, as the
            // built-in branding does; one that is there must be usable.
            if file.exists() {
                let bad = || BrandingError::Logo(p.into(), logo.to_string());
                let media = logo_media_type(&file).ok_or_else(bad)?;
                let mut bytes = Vec::new();
                std::fs::File::open(&file)
                    .and_then(|f| f.take(MAX_LOGO_BYTES + 1).read_to_end(&mut bytes))
                    .map_err(|_| bad())?;
                if bytes.len() as u64 > MAX_LOGO_BYTES {
                    return Err(bad());
                }
                b.logo_file = Some((bytes, media));
            }
        }
        Ok(b)
    }
}

/// `#rgb` or `#rrggbb`: what the web pages' style sheet and the monitor take.
fn is_colour(v: &str) -> bool {
    v.strip_prefix('#')
        .is_some_and(|h| matches!(h.len(), 3 | 6) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn logo_media_type(file: &Path) -> Option<&'static str> {
    let ext = file.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "svg" => Some("image/svg+xml"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_the_logo_are_checked_when_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.toml");
        let base = "name = \"K\"\nshort_name = \"k\"\nsupport = \"s@k.h\"\n";
        std::fs::write(
            &file,
            format!("{base}logo = \"k.svg\"\n[colours]\nprimary = \"#123\"\n"),
        )
        .unwrap();
        // The logo is not there: the drawn mark.
        let b = Branding::load(Some(&file)).unwrap();
        assert!(b.logo_file.is_none());
        std::fs::write(dir.path().join("k.svg"), "<svg/>").unwrap();
        let b = Branding::load(Some(&file)).unwrap();
        assert_eq!(b.logo_file, Some((b"<svg/>".to_vec(), "image/svg+xml")));
        std::fs::write(
            &file,
            format!("{base}[colours]\naccent = \"red;}} body {{\"\n"),
        )
        .unwrap();
        let e = Branding::load(Some(&file)).unwrap_err();
        assert!(matches!(e, BrandingError::Colour(_, "accent", _)), "{e:?}");
        std::fs::write(&file, format!("{base}logo = \"big.png\"\n")).unwrap();
        std::fs::write(
            dir.path().join("big.png"),
            vec![0u8; MAX_LOGO_BYTES as usize + 1],
        )
        .unwrap();
        assert!(matches!(
            Branding::load(Some(&file)),
            Err(BrandingError::Logo(..))
        ));
        std::fs::write(&file, format!("{base}logo = \"b.toml\"\n")).unwrap();
        assert!(matches!(
            Branding::load(Some(&file)),
            Err(BrandingError::Logo(..))
        ));
    }

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
