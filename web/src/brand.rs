//! The deployment's look, from its branding file: its colours become the style sheet's
//! variables (`/assets/brand.css`, after the fixed `/assets/style.css`), and its logo is
//! served at `/assets/logo`, or, without a logo file, the mark the desktop monitor draws: the
//! short name's first letter on the primary colour with an accent line. Every asset comes
//! from the node; the colours were checked to be `#rgb` or `#rrggbb` when the file was read.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::Web;

/// What the pages take from the branding file.
#[derive(Debug, Clone, Default)]
pub struct Brand {
    pub short_name: String,
    /// `#rgb` or `#rrggbb`, or empty for the built-in look.
    pub primary: String,
    pub accent: String,
    pub background: String,
    /// The logo file's bytes and media type; `None` draws the mark.
    pub logo: Option<(Vec<u8>, &'static str)>,
}

impl Brand {
    /// Primary, accent and background, each the built-in one where the branding has none.
    fn colours(&self) -> (&str, &str, &str) {
        (
            if self.primary.is_empty() {
                "#1f4e79"
            } else {
                &self.primary
            },
            if self.accent.is_empty() {
                "#f2a900"
            } else {
                &self.accent
            },
            if self.background.is_empty() {
                "#ffffff"
            } else {
                &self.background
            },
        )
    }

    /// The style sheet's variables in the deployment's colours.
    pub fn css(&self) -> String {
        let (p, a, b) = self.colours();
        format!(":root {{ --accent: {p}; --highlight: {a}; --bg: {b}; }}\n")
    }

    /// The drawn mark, as SVG.
    pub fn mark(&self) -> String {
        // Only a letter or digit is drawn, so nothing of the name can be markup.
        let letter: String = self
            .short_name
            .chars()
            .find(|c| c.is_alphanumeric())
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        let (p, a, b) = self.colours();
        maud::html! {
            svg xmlns="http://www.w3.org/2000/svg" width="28" height="28" viewBox="0 0 28 28" {
                rect width="28" height="28" rx="5" fill=(p) {}
                rect x="4" y="22" width="20" height="2" fill=(a) {}
                text x="14" y="19" text-anchor="middle" font-family="sans-serif"
                    font-weight="bold" font-size="16" fill=(b) { (letter) }
            }
        }
        .into_string()
    }
}

/// `/assets/brand.css`.
pub async fn style(State(web): State<Arc<Web>>) -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], web.brand.css()).into_response()
}

/// `/assets/logo`.
pub async fn logo(State(web): State<Arc<Web>>) -> Response {
    match &web.brand.logo {
        Some((bytes, media)) => ([(CONTENT_TYPE, *media)], bytes.clone()).into_response(),
        None => ([(CONTENT_TYPE, "image/svg+xml")], web.brand.mark()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colours_and_the_mark_come_from_the_branding() {
        let b = Brand {
            short_name: "<kapur>".into(),
            primary: "#123456".into(),
            ..Brand::default()
        };
        assert_eq!(
            b.css(),
            ":root { --accent: #123456; --highlight: #f2a900; --bg: #ffffff; }\n"
        );
        let mark = b.mark();
        assert!(mark.contains("fill=\"#123456\""), "{mark}");
        assert!(mark.contains(">K</text>"), "{mark}");
        assert!(!mark.contains("<kapur"), "{mark}");
    }
}
