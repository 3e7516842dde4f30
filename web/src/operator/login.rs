//! The operator's login and logout. The login form carries a token of its own (login CSRF);
//! a wrong operator token costs its sender the same delay as on the monitor endpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{CsrfForm, Operator, cookie_name};
use crate::guard::{self, Visitor};
use crate::sessions::random_token;
use crate::texts::I18n;
use crate::{Web, page};

/// What a wrong operator token costs the one who tried it, as on the monitor endpoint.
const WRONG_TOKEN_DELAY: Duration = Duration::from_millis(500);

fn login_cookie_name(web: &Web) -> String {
    format!("wims_admin_login_{}", web.port())
}

fn login_form(web: &Web, t: &I18n, status: StatusCode, failed: bool) -> Response {
    let token = random_token();
    let title = t.text("web-admin-login", &[]);
    let body = html! {
        h1 { (title) }
        @if failed {
            p.notice role="alert" { (t.text("web-admin-login-failed", &[])) }
        }
        p { (t.text("web-admin-login-hint", &[])) }
        form.login method="post" action="/admin/login" {
            input type="hidden" name="token" value=(token);
            label for="operator" { (t.text("web-admin-token", &[])) }
            input #operator type="password" name="operator" autocomplete="off" required autofocus;
            button type="submit" { (t.text("web-login-submit", &[])) }
        }
    };
    let mut r = (status, page::shell(web, t, &title, None, body)).into_response();
    r.headers_mut().append(
        SET_COOKIE,
        guard::set_cookie(&login_cookie_name(web), &token, "/admin/login", None),
    );
    r
}

pub async fn show(State(web): State<Arc<Web>>, v: Visitor) -> Response {
    login_form(&web, v.t, StatusCode::OK, false)
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    operator: String,
}

pub async fn submit(
    State(web): State<Arc<Web>>,
    v: Visitor,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let name = login_cookie_name(&web);
    if let Some(r) = guard::login_token_refusal(&web, v.t, &headers, &name, &f.token) {
        return r;
    }
    let (dir, token) = (web.data_dir.clone(), f.operator.trim().to_string());
    let valid = mailbox::blocking::run(move || monitor_endpoint::token::is_valid(&dir, &token))
        .await
        .unwrap_or(false);
    if !valid {
        tracing::info!(peer = %v.peer, "web operator login failed");
        tokio::time::sleep(WRONG_TOKEN_DELAY).await;
        return login_form(&web, v.t, StatusCode::UNAUTHORIZED, true);
    }
    let Ok(session) = web.operators.create(0, "", None, Instant::now()) else {
        return page::refusal(
            &web,
            v.t,
            StatusCode::SERVICE_UNAVAILABLE,
            "web-too-many-sessions",
            None,
        );
    };
    tracing::info!(peer = %v.peer, "web operator login");
    let mut r = Redirect::to("/admin").into_response();
    let h = r.headers_mut();
    h.append(
        SET_COOKIE,
        guard::set_cookie(&cookie_name(&web), &session.id, "/admin", None),
    );
    h.append(
        SET_COOKIE,
        guard::set_cookie(&login_cookie_name(&web), "", "/admin/login", Some(0)),
    );
    r
}

pub async fn logout(
    State(web): State<Arc<Web>>,
    op: Operator,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = op.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    web.operators.remove(&op.session.id);
    let mut r = Redirect::to("/admin/login").into_response();
    r.headers_mut().append(
        SET_COOKIE,
        guard::set_cookie(&cookie_name(&web), "", "/admin", Some(0)),
    );
    r
}
