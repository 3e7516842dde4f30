//! Logging in and out. The password check is the node's own (`endpoints::Login`), throttled
//! together with IMAP and submission logins from the same address or for the same account.

use std::sync::Arc;
use std::time::Instant;

use axum::Form;
use axum::extract::State;
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::Web;
use crate::guard::{self, User, Visitor};
use crate::page;
use crate::sessions::random_token;
use crate::texts::I18n;

/// The login form, with a fresh login token in a cookie and in the form.
fn form(web: &Web, t: &I18n, status: StatusCode, failed: Option<&str>, address: &str) -> Response {
    let token = random_token();
    let title = t.text("web-login-title", &[]);
    let body = html! {
        h1 { (title) }
        @if let Some(id) = failed {
            p.notice role="alert" { (t.text(id, &[])) }
        }
        form.login method="post" action="/login" {
            input type="hidden" name="token" value=(token);
            label for="address" { (t.text("web-login-address", &[])) }
            input #address type="email" name="address" value=(address) autocomplete="username" required autofocus;
            label for="password" { (t.text("web-login-password", &[])) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { (t.text("web-login-submit", &[])) }
        }
    };
    let mut r = (status, page::shell(web, t, &title, None, body)).into_response();
    r.headers_mut().append(
        SET_COOKIE,
        guard::set_cookie(&guard::login_cookie(web), &token, "/login", None),
    );
    r
}

pub async fn show(State(web): State<Arc<Web>>, v: Visitor) -> Response {
    if v.session.is_some() {
        return Redirect::to("/mail").into_response();
    }
    form(&web, v.t, StatusCode::OK, None, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    address: String,
    password: String,
}

pub async fn submit(
    State(web): State<Arc<Web>>,
    v: Visitor,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let name = guard::login_cookie(&web);
    if let Some(r) = guard::login_token_refusal(&web, v.t, &headers, &name, &f.token) {
        return r;
    }
    let account = match web
        .clients
        .login
        .authenticate(f.address.trim(), &f.password, v.peer)
        .await
    {
        Ok(a) => a,
        Err(_) => {
            tracing::info!(peer = %v.peer, "web login failed");
            let shown = f.address.trim();
            return form(
                &web,
                v.t,
                StatusCode::UNAUTHORIZED,
                Some("web-login-failed"),
                shown,
            );
        }
    };
    let lang = guard::cookie(&headers, guard::LANG_COOKIE).map(str::to_string);
    let session = match web
        .sessions
        .create(account.id, &account.address, lang, Instant::now())
    {
        Ok(s) => s,
        Err(_) => {
            tracing::warn!("web login refused: the session table is full");
            return page::refusal(
                &web,
                v.t,
                StatusCode::SERVICE_UNAVAILABLE,
                "web-too-many-sessions",
                None,
            );
        }
    };
    tracing::info!(peer = %v.peer, account = %account.address, "web login");
    let mut r = Redirect::to("/mail").into_response();
    let h = r.headers_mut();
    h.append(
        SET_COOKIE,
        guard::set_cookie(&guard::session_cookie(&web), &session.id, "/", None),
    );
    h.append(
        SET_COOKIE,
        guard::set_cookie(&guard::login_cookie(&web), "", "/login", Some(0)),
    );
    r
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(State(web): State<Arc<Web>>, user: User, Form(f): Form<CsrfForm>) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    web.sessions.remove(&user.session.id);
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        SET_COOKIE,
        guard::set_cookie(&guard::session_cookie(&web), "", "/", Some(0)),
    );
    r
}

/// For the settings page's language switch.
pub fn lang_cookie(lang: &str) -> HeaderValue {
    guard::set_cookie(guard::LANG_COOKIE, lang, "/", Some(365 * 24 * 3600))
}
