//! The framework's own refusals (an address or query that does not parse, a form that is too
//! large or not a form, a method a page does not take) come as a short English plain text.
//! This layer gives them the page every other refusal has, in the visitor's language; the
//! pages' own answers are HTML and pass unchanged.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::Response;

use crate::guard::Visitor;
use crate::{Web, page};

/// The text for a refusal of this status.
fn text_id(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "web-not-found",
        StatusCode::PAYLOAD_TOO_LARGE => "web-too-large",
        _ => "web-bad-request",
    }
}

/// A client error answered in plain text is the framework's: it becomes a page.
fn is_framework_refusal(r: &Response) -> bool {
    r.status().is_client_error()
        && r.headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("text/plain"))
}

pub async fn localise(State(web): State<Arc<Web>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let v = Visitor::from_request_parts(&mut parts, &web)
        .await
        .unwrap_or_else(|e| match e {});
    let r = next.run(Request::from_parts(parts, body)).await;
    if !is_framework_refusal(&r) {
        return r;
    }
    let status = r.status();
    let mut page = page::refusal(&web, v.t, status, text_id(status), v.session.as_ref());
    // A refusal of a method says which ones the address takes.
    if let Some(allow) = r.headers().get(axum::http::header::ALLOW) {
        page.headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn only_plain_text_client_errors_are_rewritten() {
        let plain = (StatusCode::BAD_REQUEST, "Invalid URL").into_response();
        assert!(is_framework_refusal(&plain));
        let empty = StatusCode::METHOD_NOT_ALLOWED.into_response();
        assert!(is_framework_refusal(&empty));
        let html = (StatusCode::NOT_FOUND, maud::html! { p { "x" } }).into_response();
        assert!(!is_framework_refusal(&html));
        let fine = (StatusCode::OK, "text").into_response();
        assert!(!is_framework_refusal(&fine));
        for s in [
            StatusCode::BAD_REQUEST,
            StatusCode::NOT_FOUND,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ] {
            for lang in crate::texts::languages() {
                let t = crate::texts::shipped(lang).unwrap();
                assert!(t.has(text_id(s)), "{lang} {s}");
            }
        }
    }
}
