//! `/admin/accounts`: the node's accounts with their drop folders, a new account, and an
//! account hosted from a service network's account profile.

use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{DoneQuery, Notice, Operator, ask, failed, failure_text, frame, password_problem};
use crate::Web;

/// One account as the list shows it.
struct Row {
    id: u64,
    address: String,
    drop_folder: bool,
}

/// The node's accounts, by address, with whether each may send through the drop folder.
async fn rows(web: &Web) -> Vec<Row> {
    let store = web.store.clone();
    mailbox::blocking::run(move || -> mailbox::Result<Vec<Row>> {
        let mut rows = Vec::new();
        for a in store.accounts()? {
            let drop_folder = store.drop_settings(&a.address)?.is_some();
            rows.push(Row {
                id: a.id,
                address: a.address,
                drop_folder,
            });
        }
        rows.sort_by(|a, b| a.address.cmp(&b.address));
        Ok(rows)
    })
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default()
}

/// The page's forms keep what was typed into them when a change is refused (never a password).
#[derive(Default)]
struct Typed {
    address: String,
    profile: String,
}

async fn page(web: &Web, op: &Operator, notice: Option<Notice>, typed: &Typed) -> Markup {
    let t = op.t;
    let rows = rows(web).await;
    let title = t.text("web-admin-accounts", &[]);
    let body = html! {
        section.accounts {
            @if rows.is_empty() {
                p.empty { (t.text("web-admin-no-accounts", &[])) }
            } @else {
                table.accounts {
                    thead { tr {
                        th scope="col" { (t.text("web-admin-account", &[])) }
                        th scope="col" { (t.text("web-admin-drop-folder", &[])) }
                    } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href=(format!("/admin/accounts/{}", r.id)) { (r.address) } }
                                td { (t.text(if r.drop_folder { "web-admin-drop-on" } else { "web-admin-drop-off" }, &[])) }
                            }
                        }
                    }
                }
            }
        }
        section.add {
            h2 { (t.text("web-admin-add", &[])) }
            form.fields method="post" action="/admin/accounts" {
                (op.csrf_field())
                label for="address" { (t.text("web-admin-address", &[])) }
                input #address type="email" name="address" value=(typed.address) required autocomplete="off";
                label for="password" { (t.text("web-admin-password", &[])) }
                input #password type="password" name="password" required autocomplete="new-password";
                button type="submit" { (t.text("web-admin-add-submit", &[])) }
            }
        }
        section.host {
            h2 { (t.text("web-admin-host", &[])) }
            p { (t.text("web-admin-host-hint", &[])) }
            form.fields method="post" action="/admin/accounts/host" {
                (op.csrf_field())
                label for="profile" { (t.text("web-admin-profile", &[])) }
                textarea #profile name="profile" rows="8" required { (typed.profile) }
                label for="host-password" { (t.text("web-admin-password", &[])) }
                input #host-password type="password" name="password" required autocomplete="new-password";
                button type="submit" { (t.text("web-admin-host-submit", &[])) }
            }
        }
    };
    frame(web, op, &title, notice, body)
}

pub async fn show(
    State(web): State<Arc<Web>>,
    op: Operator,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let notice = q.ok().and_then(|q| q.notice());
    page(&web, &op, notice, &Typed::default())
        .await
        .into_response()
}

/// Where an account's page is, by its address (which a path would have to escape).
async fn account_page(web: &Web, address: &str, done: &str) -> Response {
    let (store, a) = (web.store.clone(), address.to_string());
    let id = mailbox::blocking::run(move || store.account(&a))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
        .map(|a| a.id);
    match id {
        Some(id) => Redirect::to(&format!("/admin/accounts/{id}?done={done}")).into_response(),
        None => Redirect::to("/admin/accounts").into_response(),
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    password: String,
}

/// An account made here (`done` says how): on to its page, or this page again with the reason
/// it was refused and what was typed.
async fn make(
    web: &Web,
    op: &Operator,
    typed: Typed,
    password: &str,
    req: ::admin::Request,
    done: &'static str,
) -> Response {
    if let Some(why) = password_problem(web, op.t, password) {
        return failed(page(web, op, Some(Notice::Failed(why)), &typed).await);
    }
    match ask(web, req).await {
        ::admin::Reply::Done { address } => {
            tracing::info!(%address, change = done, "operator made an account");
            account_page(web, &address, done).await
        }
        reply => {
            let notice = Notice::Failed(failure_text(op.t, &reply));
            failed(page(web, op, Some(notice), &typed).await)
        }
    }
}

/// A new account with the password the operator gave.
pub async fn add(State(web): State<Arc<Web>>, op: Operator, Form(f): Form<AddForm>) -> Response {
    if let Some(r) = op.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let typed = Typed {
        address: f.address.clone(),
        ..Typed::default()
    };
    let password = f.password.clone();
    let req = ::admin::Request::AccountAdd {
        address: f.address,
        password: f.password,
    };
    make(&web, &op, typed, &password, req, "added").await
}

#[derive(Deserialize)]
pub struct HostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    password: String,
}

/// An account of a service network hosted here, from the profile its operator handed out.
pub async fn host(State(web): State<Arc<Web>>, op: Operator, Form(f): Form<HostForm>) -> Response {
    if let Some(r) = op.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let typed = Typed {
        profile: f.profile.clone(),
        ..Typed::default()
    };
    let password = f.password.clone();
    let req = ::admin::Request::Host {
        profile: f.profile,
        password: f.password,
    };
    make(&web, &op, typed, &password, req, "hosted").await
}
