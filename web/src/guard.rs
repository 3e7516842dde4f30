//! What every request passes: the security headers on each response, the cookies, who is
//! asking (`Visitor`, `User`) and the CSRF check on every form that changes something.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use crate::Web;
use crate::sessions::Session;
use crate::texts::{self, I18n};

pub const LANG_COOKIE: &str = "wims_lang";

/// The session cookie's name. Browsers keep cookies per host, not per port, so two nodes on
/// one host (as `wims demo` runs them) each name theirs after their port; otherwise logging in
/// to one would log the browser out of the other.
pub fn session_cookie(web: &Web) -> String {
    format!("wims_session_{}", web.port())
}

/// The login form's own token (the login is a state change too: login CSRF), per node too.
pub fn login_cookie(web: &Web) -> String {
    format!("wims_login_{}", web.port())
}

/// No script, no frame, no remote anything: pages and their stylesheet come from the node,
/// pictures only from the node or inline `data:`; forms post only back to the node.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a read view whose reader asked for the message's pictures: the same, but
/// pictures from `https:` sites too.
pub const CSP_WITH_IMAGES: &str = "default-src 'none'; style-src 'self'; \
                                   img-src 'self' data: https:; form-action 'self'; \
                                   frame-ancestors 'none'; base-uri 'none'";

/// The headers every response carries.
pub fn security_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        // Mail is private: no copy in a shared or disk cache.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, private"),
        ),
    ]
}

/// The value of cookie `name`; at most 32 cookies are looked at.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .take(32)
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// A `Set-Cookie` value the page's scripts cannot read and other sites never send.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: Option<u64>) -> HeaderValue {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; Secure; SameSite=Strict{age}"
    ))
    .expect("cookie values are ASCII tokens")
}

/// Compares two secrets in time that does not depend on where they first differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (ha, hb) = (blake3::hash(a.as_bytes()), blake3::hash(b.as_bytes()));
    // blake3::Hash compares in constant time.
    ha == hb && !a.is_empty()
}

/// A 403 page unless a login form's token matches the one its page set in cookie `cookie_name`
/// (logging in is a state change too: login CSRF).
pub fn login_token_refusal(
    web: &Web,
    t: &I18n,
    headers: &HeaderMap,
    cookie_name: &str,
    token: &str,
) -> Option<Response> {
    let cookie = cookie(headers, cookie_name).unwrap_or_default();
    (!same_secret(cookie, token))
        .then(|| crate::page::refusal(web, t, StatusCode::FORBIDDEN, "web-csrf-refused", None))
}

/// Whoever asks: maybe logged in, with the language to answer in.
pub struct Visitor {
    pub session: Option<Session>,
    pub t: &'static I18n,
    pub peer: IpAddr,
}

impl FromRequestParts<Arc<Web>> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        web: &Arc<Web>,
    ) -> Result<Self, Self::Rejection> {
        let session = cookie(&parts.headers, &session_cookie(web))
            .and_then(|id| web.sessions.get(id, Instant::now()));
        let chosen = session
            .as_ref()
            .and_then(|s| s.lang.clone())
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).map(str::to_string));
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(Visitor {
            t: texts::pick(chosen.as_deref(), accept),
            session,
            peer,
        })
    }
}

/// A logged-in visitor; anyone else is sent to the login page.
pub struct User {
    pub session: Session,
    pub t: &'static I18n,
}

impl FromRequestParts<Arc<Web>> for User {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        web: &Arc<Web>,
    ) -> Result<Self, Self::Rejection> {
        let v = Visitor::from_request_parts(parts, web)
            .await
            .unwrap_or_else(|e| match e {});
        match v.session {
            Some(session) => Ok(User { session, t: v.t }),
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

impl User {
    /// A 403 page unless a form's token is this session's: every state change must carry it.
    pub fn csrf_refusal(&self, web: &Web, token: &str) -> Option<Response> {
        (!same_secret(&self.session.csrf, token))
            .then(|| self.refusal(web, StatusCode::FORBIDDEN, "web-csrf-refused"))
    }

    /// A page refusing the request with `status` and the text `text_id`.
    pub fn refusal(&self, web: &Web, status: StatusCode, text_id: &str) -> Response {
        crate::page::refusal(web, self.t, status, text_id, Some(&self.session))
    }
}
