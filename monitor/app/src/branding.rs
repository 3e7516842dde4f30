//! The deployment's name and colours (`branding/branding.toml`, compiled in).

use druid::Color;
use serde::Deserialize;

const BRANDING: &str = include_str!("../../../branding/branding.toml");

#[derive(Debug, Clone)]
pub struct Branding {
    pub name: String,
    pub short_name: String,
    pub primary: Color,
    pub accent: Color,
    pub background: Color,
}

#[derive(Deserialize)]
struct File {
    name: String,
    short_name: String,
    colours: Colours,
}

#[derive(Deserialize)]
struct Colours {
    primary: String,
    accent: String,
    background: String,
}

fn colour(hex: &str, default: Color) -> Color {
    Color::from_hex_str(hex).unwrap_or(default)
}

impl Branding {
    pub fn load() -> Branding {
        // Fields the monitor does not use (receipt titles, support address) are ignored.
        let f: File = toml::from_str(BRANDING).expect("the built-in branding parses");
        Branding {
            name: f.name,
            short_name: f.short_name,
            primary: colour(&f.colours.primary, Color::rgb8(0x1f, 0x4e, 0x79)),
            accent: colour(&f.colours.accent, Color::rgb8(0xf2, 0xa9, 0x00)),
            background: colour(&f.colours.background, Color::WHITE),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_branding_loads() {
        let b = super::Branding::load();
        assert_eq!(b.name, "WIMS");
        assert_eq!(b.primary.as_rgba8(), (0x1f, 0x4e, 0x79, 0xff));
    }
}
