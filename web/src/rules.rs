//! `/rules`: the account's message rules (docs/rules.md): its Sieve scripts, which one is
//! active, and an editor for the script text that shows where a script does not check. Every
//! change is the admin request `wims rules` sends (`admin::answer`), for the session's own
//! account only.

use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::guard::User;
use crate::{Web, page};

async fn ask(web: &Web, req: ::admin::Request) -> ::admin::Reply {
    ::admin::answer(web.admin.clone(), req).await
}

/// A reply that is not what was asked for, in the user's words.
fn problem(user: &User, reply: ::admin::Reply) -> String {
    match reply {
        ::admin::Reply::Invalid {
            line,
            column,
            problem,
        } => ::admin::texts::problem(user.t, line, column, &problem),
        ::admin::Reply::Failed {
            code,
            address,
            detail,
        } => code.text(user.t, &address, &detail),
        _ => user.t.text("web-failed", &[]),
    }
}

/// The script being edited: its name, its text, and whether it is to be the active one.
#[derive(Default)]
struct Editing {
    name: String,
    text: String,
    activate: bool,
}

async fn page(
    web: &Web,
    user: &User,
    editing: &Editing,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let t = user.t;
    let address = user.session.address.clone();
    let scripts = match ask(web, ::admin::Request::RulesList { address }).await {
        ::admin::Reply::Rules { scripts } => scripts,
        _ => Vec::new(),
    };
    let title = t.text("web-rules", &[]);
    let csrf = html! { input type="hidden" name="csrf" value=(user.session.csrf); };
    let body: Markup = html! {
        h1 { (title) }
        @if let Some(n) = notice {
            p.notice role="alert" { (n) }
        }
        p { (t.text("web-rules-hint", &[])) }
        @if scripts.is_empty() {
            p.empty { (t.text("web-rules-none", &[])) }
        } @else {
            table.rules {
                thead { tr {
                    th scope="col" { (t.text("web-rules-name", &[])) }
                    th scope="col" { (t.text("web-rules-state", &[])) }
                    th scope="col" { (t.text("web-rules-actions", &[])) }
                } }
                tbody {
                    @for s in &scripts {
                        tr {
                            td { a href={ "/rules?edit=" (page::escape_query(&s.name)) } { (s.name) } }
                            td { (t.text(if s.active { "web-rules-active" } else { "web-rules-inactive" }, &[])) }
                            td.actions {
                                @if s.active {
                                    form.inline method="post" action="/rules/activate" {
                                        (csrf)
                                        button type="submit" { (t.text("web-rules-off", &[])) }
                                    }
                                } @else {
                                    form.inline method="post" action="/rules/activate" {
                                        (csrf)
                                        input type="hidden" name="name" value=(s.name);
                                        button type="submit" { (t.text("web-rules-activate", &[])) }
                                    }
                                    " "
                                    form.inline method="post" action="/rules/remove" {
                                        (csrf)
                                        input type="hidden" name="name" value=(s.name);
                                        button type="submit" { (t.text("web-rules-remove", &[])) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t.text("web-rules-editor", &[])) }
        form.fields.rules method="post" action="/rules" {
            (csrf)
            label for="name" { (t.text("web-rules-name", &[])) }
            input #name type="text" name="name" value=(editing.name) required maxlength="128";
            label for="script" { (t.text("web-rules-script", &[])) }
            textarea #script name="text" rows="16" spellcheck="false" { (editing.text) }
            label.check {
                input type="checkbox" name="activate" value="yes" checked[editing.activate];
                " " (t.text("web-rules-make-active", &[]))
            }
            button type="submit" { (t.text("web-save", &[])) }
        }
        p { a href="/settings" { (t.text("web-back", &[])) } }
    };
    (
        status,
        page::shell(web, t, &title, Some(&user.session), body),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct RulesQuery {
    /// A script to open in the editor.
    #[serde(default)]
    edit: String,
}

pub async fn show(
    State(web): State<Arc<Web>>,
    user: User,
    q: Result<Query<RulesQuery>, QueryRejection>,
) -> Response {
    let name = q.map(|q| q.0.edit).unwrap_or_default();
    let mut editing = Editing::default();
    if !name.is_empty() {
        let req = ::admin::Request::RulesGet {
            address: user.session.address.clone(),
            name: name.clone(),
        };
        match ask(&web, req).await {
            ::admin::Reply::Script { name, text } => {
                editing = Editing {
                    name,
                    text,
                    activate: false,
                };
            }
            _ => return user.refusal(&web, StatusCode::NOT_FOUND, "web-not-found"),
        }
    }
    page(&web, &user, &editing, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    activate: String,
}

/// Keeps the script once it checks; else the editor comes back with the text and the fault.
pub async fn save(State(web): State<Arc<Web>>, user: User, Form(f): Form<SaveForm>) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let editing = Editing {
        name: f.name.trim().to_string(),
        text: f.text.replace("\r\n", "\n"),
        activate: f.activate == "yes",
    };
    let req = ::admin::Request::RulesPut {
        address: user.session.address.clone(),
        name: editing.name.clone(),
        text: editing.text.clone(),
        activate: editing.activate,
    };
    match ask(&web, req).await {
        ::admin::Reply::Done { .. } => Redirect::to("/rules").into_response(),
        reply => {
            let text = problem(&user, reply);
            page(
                &web,
                &user,
                &editing,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    /// Empty turns the rules off (for activation).
    #[serde(default)]
    name: String,
}

async fn change(web: &Web, user: &User, req: ::admin::Request) -> Response {
    match ask(web, req).await {
        ::admin::Reply::Done { .. } => Redirect::to("/rules").into_response(),
        reply => {
            let text = problem(user, reply);
            page(
                web,
                user,
                &Editing::default(),
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn activate(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<NameForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let req = ::admin::Request::RulesActivate {
        address: user.session.address.clone(),
        name: Some(f.name).filter(|n| !n.is_empty()),
    };
    change(&web, &user, req).await
}

pub async fn remove(State(web): State<Arc<Web>>, user: User, Form(f): Form<NameForm>) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let req = ::admin::Request::RulesRemove {
        address: user.session.address.clone(),
        name: f.name,
    };
    change(&web, &user, req).await
}
