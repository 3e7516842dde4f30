//! `/admin/node`: the node's log level (changed while it runs, as `wims log-level` does) and
//! whether a newer release is announced, checked again on request.

use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{CsrfForm, DoneQuery, Notice, Operator, ask, failed, failure_text, frame};
use crate::Web;

/// The levels, 0 (off) to 5 (trace), as the configuration's `[node] log_level` counts them.
const LEVELS: std::ops::RangeInclusive<u8> = 0..=5;

/// `checked` is what a check just now found, in words.
fn page(web: &Web, op: &Operator, notice: Option<Notice>, checked: Option<String>) -> Markup {
    let t = op.t;
    let current = daemon::logging::level();
    let announced = web.jobs.status().update_available;
    let body = html! {
        section.log-level {
            h2 { (t.text("web-admin-log-level", &[])) }
            form.fields method="post" action="/admin/node/log-level" {
                (op.csrf_field())
                label for="level" { (t.text("web-admin-log-level-label", &[])) }
                select #level name="level" {
                    @for l in LEVELS {
                        option value=(l) selected[l == current] {
                            (l) " – " (t.text(&format!("web-admin-level-{l}"), &[]))
                        }
                    }
                }
                button type="submit" { (t.text("web-admin-log-level-submit", &[])) }
            }
        }
        section.update {
            h2 { (t.text("web-admin-update", &[])) }
            p { (announced.unwrap_or_else(|| t.text("web-admin-no-update", &[]))) }
            @if let Some(c) = checked {
                p.notice role="status" { (c) }
            }
            form.inline method="post" action="/admin/node/update" {
                (op.csrf_field())
                button type="submit" { (t.text("web-admin-update-check", &[])) }
            }
        }
    };
    frame(web, op, &t.text("web-admin-node", &[]), notice, body)
}

pub async fn show(
    State(web): State<Arc<Web>>,
    op: Operator,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let notice = q.ok().and_then(|q| q.notice());
    page(&web, &op, notice, None).into_response()
}

#[derive(Deserialize)]
pub struct LevelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    level: String,
}

pub async fn log_level(
    State(web): State<Arc<Web>>,
    op: Operator,
    Form(f): Form<LevelForm>,
) -> Response {
    if let Some(r) = op.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let Some(level) = f.level.parse::<u8>().ok().filter(|l| LEVELS.contains(l)) else {
        let notice = Notice::Failed(op.t.text("web-admin-bad-level", &[]));
        return failed(page(&web, &op, Some(notice), None));
    };
    match ask(&web, ::admin::Request::LogLevel { level }).await {
        ::admin::Reply::LogLevel { .. } => {
            Redirect::to("/admin/node?done=log-level").into_response()
        }
        reply => {
            let notice = Notice::Failed(failure_text(op.t, &reply));
            failed(page(&web, &op, Some(notice), None))
        }
    }
}

/// Asks the service network for its latest release now, and shows what it said.
pub async fn update_check(
    State(web): State<Arc<Web>>,
    op: Operator,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = op.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    match ask(&web, ::admin::Request::UpdateCheck).await {
        ::admin::Reply::Update { status } => {
            let text = ::admin::texts::update_status(op.t, &status);
            page(&web, &op, None, Some(text)).into_response()
        }
        reply => {
            let notice = Notice::Failed(failure_text(op.t, &reply));
            failed(page(&web, &op, Some(notice), None))
        }
    }
}
