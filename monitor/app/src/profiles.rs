//! Saved connections: where a node is and as whom to log in, never the password or token
//! (those stay with the person, or in the system's secret store).

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub address: String,
    /// Empty for an operator token.
    #[serde(default)]
    pub account: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Profiles {
    #[serde(default, rename = "profile")]
    pub list: Vec<Profile>,
}

/// Saved profiles are few; a larger file is not ours.
const MAX_FILE_BYTES: u64 = 256 * 1024;
const MAX_PROFILES: usize = 50;

impl Profiles {
    /// The saved profiles; none when the file is missing or unreadable (it is only a
    /// convenience).
    pub fn load(path: &Path) -> Profiles {
        let Ok(meta) = std::fs::metadata(path) else {
            return Profiles::default();
        };
        if meta.len() > MAX_FILE_BYTES {
            tracing::warn!(path = %path.display(), "profiles file too large; ignored");
            return Profiles::default();
        }
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| toml::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Puts `p` first (the last one used), without duplicates.
    pub fn remember(&mut self, p: Profile) {
        self.list.retain(|q| q != &p);
        self.list.insert(0, p);
        self.list.truncate(MAX_PROFILES);
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("new");
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_last_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p/profiles.toml");
        let mut p = Profiles::load(&path);
        assert!(p.list.is_empty());
        let a = Profile {
            address: "127.0.0.1:7070".into(),
            account: "ann@alpha.h".into(),
        };
        let b = Profile {
            address: "node.h".into(),
            account: String::new(),
        };
        p.remember(a.clone());
        p.remember(b.clone());
        p.remember(a.clone());
        p.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("password"), "{text}");
        assert_eq!(Profiles::load(&path).list, vec![a, b]);
    }
}
