//! The node's administration pages, for its operator: logged in with an operator token (the
//! ones `wims monitor-token` makes, kept by the node only as hashes), apart from every
//! account. `jobs` shows the node's status and the live job list the monitors see (it reloads
//! itself, so it holds no forms), `accounts` and `account` manage accounts and their drop
//! folders, `node` the log level and the update check. Every change goes through the same
//! admin requests as `wims account …` (`admin::answer`), so the command line and these pages
//! cannot disagree. An operator session has its own cookie (path `/admin`) and its own table.

mod account;
mod accounts;
mod jobs;
mod login;
mod node;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use crate::guard::{self, Visitor};
use crate::sessions::Session;
use crate::texts::I18n;
use crate::{Web, page};

fn cookie_name(web: &Web) -> String {
    format!("wims_admin_{}", web.port())
}

/// The operator's pages.
pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/admin", get(jobs::home))
        .route("/admin/login", get(login::show).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route("/admin/accounts", get(accounts::show).post(accounts::add))
        .route("/admin/accounts/host", post(accounts::host))
        .route("/admin/accounts/{id}", get(account::show))
        .route("/admin/accounts/{id}/password", post(account::password))
        .route("/admin/accounts/{id}/drop", post(account::drop_on))
        .route("/admin/accounts/{id}/drop-off", post(account::drop_off))
        .route("/admin/accounts/{id}/remove", post(account::remove))
        .route("/admin/node", get(node::show))
        .route("/admin/node/log-level", post(node::log_level))
        .route("/admin/node/update", post(node::update_check))
}

/// A logged-in operator; anyone else is sent to the operator login.
pub struct Operator {
    pub session: Session,
    pub t: &'static I18n,
}

impl FromRequestParts<Arc<Web>> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, Response> {
        let v = Visitor::from_request_parts(parts, web)
            .await
            .unwrap_or_else(|e| match e {});
        let session = guard::cookie(&parts.headers, &cookie_name(web))
            .and_then(|id| web.operators.get(id, Instant::now()));
        match session {
            Some(session) => Ok(Operator { session, t: v.t }),
            None => Err(Redirect::to("/admin/login").into_response()),
        }
    }
}

impl Operator {
    /// A 403 page unless a form's token is this operator session's.
    fn csrf_refusal(&self, web: &Web, token: &str) -> Option<Response> {
        (!guard::same_secret(&self.session.csrf, token))
            .then(|| page::refusal(web, self.t, StatusCode::FORBIDDEN, "web-csrf-refused", None))
    }

    /// The hidden field every form of these pages carries.
    fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.session.csrf); }
    }
}

/// A form that carries nothing but its token (logging out, switching something off).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// What the last change did, shown above a page.
enum Notice {
    /// A change done (`?done=` after the redirect), by its text id.
    Done(&'static str),
    /// A change refused, in words.
    Failed(String),
}

/// The changes a page may report after its redirect (`web-admin-done-…`).
const DONE: [&str; 7] = [
    "added",
    "hosted",
    "password",
    "drop-on",
    "drop-off",
    "removed",
    "log-level",
];

/// `?done=…` after a change: only the changes these pages make have a text, so nothing else a
/// link carries is shown.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

impl DoneQuery {
    fn notice(&self) -> Option<Notice> {
        DONE.iter()
            .find(|d| **d == self.done)
            .map(|d| Notice::Done(d))
    }
}

/// An operator page: the operator's own navigation and logout, the notice, then `body`.
fn frame(web: &Web, op: &Operator, title: &str, notice: Option<Notice>, body: Markup) -> Markup {
    let t = op.t;
    let inner = html! {
        div.bar {
            h1 { (title) }
            form.inline method="post" action="/admin/logout" {
                (op.csrf_field())
                button type="submit" { (t.text("web-logout", &[])) }
            }
        }
        nav.admin aria-label=(t.text("web-admin", &[])) {
            a href="/admin" { (t.text("web-admin-jobs", &[])) }
            a href="/admin/accounts" { (t.text("web-admin-accounts", &[])) }
            a href="/admin/node" { (t.text("web-admin-node", &[])) }
        }
        @match notice {
            Some(Notice::Done(id)) => p.notice.done role="status" {
                (t.text(&format!("web-admin-done-{id}"), &[]))
            },
            Some(Notice::Failed(text)) => p.notice role="alert" { (text) },
            None => {}
        }
        (body)
    };
    page::shell(web, t, title, None, inner)
}

/// The page after a change that failed: 422 with the reason above the page it came from.
fn failed(page: Markup) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// Why a new password cannot be used (empty, or shorter than the node's minimum), in words.
fn password_problem(web: &Web, t: &I18n, password: &str) -> Option<String> {
    let min = web.admin.min_password.max(1);
    (password.chars().count() < min)
        .then(|| t.text("web-admin-password-short", &[("min", &min.to_string())]))
}

/// One admin request, run the way the admin socket runs it.
async fn ask(web: &Web, req: ::admin::Request) -> ::admin::Reply {
    ::admin::answer(web.admin.clone(), req).await
}

/// A failed reply in the operator's language; any other reply is unexpected here.
fn failure_text(t: &I18n, reply: &::admin::Reply) -> String {
    match reply {
        ::admin::Reply::Failed {
            code,
            address,
            detail,
        } => code.text(t, address, detail),
        _ => t.text("admin-failed", &[("reason", "")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every change these pages name in `?done=` has its text, in every language.
    #[test]
    fn every_done_notice_has_its_text() {
        for lang in crate::texts::languages() {
            let t = crate::texts::shipped(lang).unwrap();
            for d in DONE {
                let q = DoneQuery { done: d.into() };
                let Some(Notice::Done(id)) = q.notice() else {
                    panic!("{d} is not a notice")
                };
                assert!(t.has(&format!("web-admin-done-{id}")), "{lang} {d}");
            }
            let odd = DoneQuery {
                done: "<b>pwned</b>".into(),
            };
            assert!(odd.notice().is_none());
        }
    }
}
