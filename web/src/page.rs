//! The page shell every page is drawn in, and the short pages for refusals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::Web;
use crate::sessions::Session;
use crate::texts::I18n;

/// A whole page: header with the product name (and, logged in, the address, the settings
/// and the logout button), then `body`.
pub fn shell(web: &Web, t: &I18n, title: &str, user: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(t.language()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (web.product) }
                link rel="stylesheet" href="/assets/style.css";
                link rel="stylesheet" href="/assets/brand.css";
            }
            body {
                header.top {
                    a.brand href="/" {
                        img.logo src="/assets/logo" alt="" width="28" height="28";
                        (web.product)
                    }
                    @if let Some(s) = user {
                        span.who { (s.address) }
                        a href="/contacts" { (t.text("web-contacts", &[])) }
                        a href="/rules" { (t.text("web-rules", &[])) }
                        a href="/settings" { (t.text("web-settings", &[])) }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { (t.text("web-logout", &[])) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A short page with one message and a way back, with `status`.
pub fn refusal(
    web: &Web,
    t: &I18n,
    status: StatusCode,
    text_id: &str,
    user: Option<&Session>,
) -> Response {
    let text = t.text(text_id, &[]);
    let body = html! {
        p.notice role="alert" { (text) }
        p { a href="/" { (t.text("web-back", &[])) } }
    };
    (status, shell(web, t, &text, user, body)).into_response()
}

/// A page with a form: 200, or 422 when it comes back with a problem to fix.
pub fn with_form(
    web: &Web,
    t: &I18n,
    title: &str,
    session: &Session,
    body: Markup,
    problem: bool,
) -> Response {
    let status = if problem {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, shell(web, t, title, Some(session), body)).into_response()
}

/// A size as people read it: KiB below one MiB, else MiB.
pub fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1024 * 1024 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

/// Query strings take these characters as they are; every other byte is escaped.
pub fn escape_query(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
