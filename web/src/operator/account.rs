//! `/admin/accounts/{id}`: one account: a new password, its drop folder, removing it. A new
//! password or a removal also ends the account's sessions on these web pages.

use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    CsrfForm, DoneQuery, Notice, Operator, ask, failed, failure_text, frame, password_problem,
};
use crate::{Web, page};

/// An account and whether its drop folder is on.
struct Found {
    id: u64,
    address: String,
    drop_folder: Option<mailbox::DropSettings>,
}

async fn find(web: &Web, id: Result<Path<u64>, PathRejection>) -> Option<Found> {
    let Path(id) = id.ok()?;
    let store = web.store.clone();
    mailbox::blocking::run(move || -> mailbox::Result<Option<Found>> {
        let Some(a) = store.accounts()?.into_iter().find(|a| a.id == id) else {
            return Ok(None);
        };
        let drop_folder = store.drop_settings(&a.address)?;
        Ok(Some(Found {
            id: a.id,
            address: a.address,
            drop_folder,
        }))
    })
    .await
    .ok()
    .and_then(Result::ok)
    .flatten()
}

fn not_found(web: &Web, op: &Operator) -> Response {
    page::refusal(web, op.t, StatusCode::NOT_FOUND, "web-not-found", None)
}

/// The account a change is for, once the form's token is the operator session's.
async fn checked(
    web: &Web,
    op: &Operator,
    csrf: &str,
    id: Result<Path<u64>, PathRejection>,
) -> Result<Found, Response> {
    if let Some(r) = op.csrf_refusal(web, csrf) {
        return Err(r);
    }
    find(web, id).await.ok_or_else(|| not_found(web, op))
}

fn page(web: &Web, op: &Operator, a: &Found, notice: Option<Notice>) -> Markup {
    let t = op.t;
    let base = format!("/admin/accounts/{}", a.id);
    let body = html! {
        section.password {
            h2 { (t.text("web-admin-new-password", &[])) }
            form.fields method="post" action=(format!("{base}/password")) {
                (op.csrf_field())
                label for="password" { (t.text("web-admin-password", &[])) }
                input #password type="password" name="password" required autocomplete="new-password";
                button type="submit" { (t.text("web-admin-password-submit", &[])) }
            }
        }
        section.drop {
            h2 { (t.text("web-admin-drop-folder", &[])) }
            @match &a.drop_folder {
                Some(d) => p {
                    (t.text("web-admin-drop-on", &[]))
                    @if let Some(rate) = d.rate_per_hour {
                        " – " (t.text("web-admin-drop-rate-is", &[("rate", &rate.to_string())]))
                    }
                },
                None => p { (t.text("web-admin-drop-off", &[])) },
            }
            p { (t.text("web-admin-drop-hint", &[])) }
            form.fields method="post" action=(format!("{base}/drop")) {
                (op.csrf_field())
                label for="passphrase" { (t.text("web-admin-drop-passphrase", &[])) }
                input #passphrase type="password" name="passphrase" required autocomplete="new-password";
                label for="rate" { (t.text("web-admin-drop-rate", &[])) }
                input #rate type="number" name="rate" min="1" inputmode="numeric";
                button type="submit" { (t.text("web-admin-drop-submit", &[])) }
            }
            @if a.drop_folder.is_some() {
                form.inline method="post" action=(format!("{base}/drop-off")) {
                    (op.csrf_field())
                    button type="submit" { (t.text("web-admin-drop-off-submit", &[])) }
                }
            }
        }
        section.remove {
            h2 { (t.text("web-admin-remove", &[])) }
            form.fields method="post" action=(format!("{base}/remove")) {
                (op.csrf_field())
                label.check {
                    input type="checkbox" name="confirm" value="yes" required;
                    " " (t.text("web-admin-remove-confirm", &[("address", &a.address)]))
                }
                button.danger type="submit" { (t.text("web-admin-remove-submit", &[])) }
            }
        }
    };
    frame(web, op, &a.address, notice, body)
}

pub async fn show(
    State(web): State<Arc<Web>>,
    op: Operator,
    id: Result<Path<u64>, PathRejection>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let Some(a) = find(&web, id).await else {
        return not_found(&web, &op);
    };
    let notice = q.ok().and_then(|q| q.notice());
    page(&web, &op, &a, notice).into_response()
}

/// What one change came to: back to the account's page saying so, or the page again with
/// the reason it was refused.
fn outcome(web: &Web, op: &Operator, a: &Found, reply: ::admin::Reply, done: &str) -> Response {
    match reply {
        ::admin::Reply::Done { .. } => {
            tracing::info!(address = %a.address, change = done, "operator changed an account");
            Redirect::to(&format!("/admin/accounts/{}?done={done}", a.id)).into_response()
        }
        reply => {
            let notice = Notice::Failed(failure_text(op.t, &reply));
            failed(page(web, op, a, Some(notice)))
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn password(
    State(web): State<Arc<Web>>,
    op: Operator,
    id: Result<Path<u64>, PathRejection>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let a = match checked(&web, &op, &f.csrf, id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Some(why) = password_problem(&web, op.t, &f.password) {
        return failed(page(&web, &op, &a, Some(Notice::Failed(why))));
    }
    let req = ::admin::Request::AccountPasswd {
        address: a.address.clone(),
        password: f.password,
    };
    let reply = ask(&web, req).await;
    if matches!(reply, ::admin::Reply::Done { .. }) {
        // Whoever logged in with the old password is logged out.
        web.sessions.end_account(a.id);
    }
    outcome(&web, &op, &a, reply, "password")
}

#[derive(Deserialize)]
pub struct DropForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    passphrase: String,
    /// Messages per hour; empty for the node's default.
    #[serde(default)]
    rate: String,
}

pub async fn drop_on(
    State(web): State<Arc<Web>>,
    op: Operator,
    id: Result<Path<u64>, PathRejection>,
    Form(f): Form<DropForm>,
) -> Response {
    let a = match checked(&web, &op, &f.csrf, id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let rate = match f.rate.trim() {
        "" => None,
        r => match r.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                let notice = Notice::Failed(op.t.text("web-admin-drop-bad-rate", &[]));
                return failed(page(&web, &op, &a, Some(notice)));
            }
        },
    };
    if f.passphrase.is_empty() {
        let notice = Notice::Failed(op.t.text("web-admin-password-empty", &[]));
        return failed(page(&web, &op, &a, Some(notice)));
    }
    let req = ::admin::Request::DropEnable {
        address: a.address.clone(),
        passphrase: f.passphrase,
        rate_per_hour: rate,
    };
    let reply = ask(&web, req).await;
    outcome(&web, &op, &a, reply, "drop-on")
}

pub async fn drop_off(
    State(web): State<Arc<Web>>,
    op: Operator,
    id: Result<Path<u64>, PathRejection>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let a = match checked(&web, &op, &f.csrf, id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let req = ::admin::Request::DropDisable {
        address: a.address.clone(),
    };
    let reply = ask(&web, req).await;
    outcome(&web, &op, &a, reply, "drop-off")
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    /// The box that says the operator means it; without it nothing is removed.
    #[serde(default)]
    confirm: String,
}

/// Removes the account and everything it holds, once the operator ticked the box.
pub async fn remove(
    State(web): State<Arc<Web>>,
    op: Operator,
    id: Result<Path<u64>, PathRejection>,
    Form(f): Form<RemoveForm>,
) -> Response {
    let a = match checked(&web, &op, &f.csrf, id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if f.confirm != "yes" {
        let notice = Notice::Failed(op.t.text("web-admin-remove-unconfirmed", &[]));
        return failed(page(&web, &op, &a, Some(notice)));
    }
    let req = ::admin::Request::AccountRemove {
        address: a.address.clone(),
    };
    match ask(&web, req).await {
        ::admin::Reply::Done { .. } => {
            web.sessions.end_account(a.id);
            tracing::info!(address = %a.address, "operator removed an account");
            Redirect::to("/admin/accounts?done=removed").into_response()
        }
        reply => {
            let notice = Notice::Failed(failure_text(op.t, &reply));
            failed(page(&web, &op, &a, Some(notice)))
        }
    }
}
