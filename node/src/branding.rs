//! Product name, colours and contact of a deployment, read from a branding file.

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
