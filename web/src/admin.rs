//! The node's administration pages, for its operator: logged in with an operator token (the
//! ones `wims monitor-token` makes, kept by the node only as hashes), apart from every
//! account. They show the node's status, its accounts and the live job list the monitors see.
//! An operator session has its own cookie (path `/admin`) and its own table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::guard::{self, Visitor};
use crate::sessions::{Session, random_token};
use crate::texts::I18n;
use crate::{Web, page};

/// What a wrong operator token costs the one who tried it, as on the monitor endpoint.
const WRONG_TOKEN_DELAY: Duration = Duration::from_millis(500);
/// The jobs page reloads itself this often (no script: a refresh the browser does).
const REFRESH_SECONDS: u32 = 5;

fn cookie_name(web: &Web) -> String {
    format!("wims_admin_{}", web.port())
}

fn login_cookie_name(web: &Web) -> String {
    format!("wims_admin_login_{}", web.port())
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

pub async fn login_show(State(web): State<Arc<Web>>, v: Visitor) -> Response {
    login_form(&web, v.t, StatusCode::OK, false)
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    operator: String,
}

pub async fn login(
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

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(web): State<Arc<Web>>,
    op: Operator,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !guard::same_secret(&op.session.csrf, &f.csrf) {
        return page::refusal(&web, op.t, StatusCode::FORBIDDEN, "web-csrf-refused", None);
    }
    web.operators.remove(&op.session.id);
    let mut r = Redirect::to("/admin/login").into_response();
    r.headers_mut().append(
        SET_COOKIE,
        guard::set_cookie(&cookie_name(&web), "", "/admin", Some(0)),
    );
    r
}

/// A value's name in the monitor protocol (`drop-file`), for its text id.
fn wire_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A size as people read it: KiB below one MiB, else MiB.
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1024 * 1024 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

/// `/admin`: the node's status, accounts and jobs, reloading itself.
pub async fn home(State(web): State<Arc<Web>>, op: Operator) -> Response {
    let t = op.t;
    let store = web.store.clone();
    let accounts = mailbox::blocking::run(move || store.accounts())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let status = web.jobs.status();
    let mut jobs = web.jobs.snapshot(None);
    jobs.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
    let yes_no = |b: bool| t.text(if b { "web-yes" } else { "web-no" }, &[]);
    let title = t.text("web-admin", &[]);
    let body = html! {
        div.bar {
            h1 { (title) }
            form.inline method="post" action="/admin/logout" {
                input type="hidden" name="csrf" value=(op.session.csrf);
                button type="submit" { (t.text("web-logout", &[])) }
            }
        }
        section.status {
            h2 { (t.text("web-admin-status", &[])) }
            dl.fields {
                dt { (t.text("web-admin-version", &[])) } dd { (status.node_version) }
                dt { (t.text("web-admin-online", &[])) } dd { (yes_no(status.online)) }
                dt { (t.text("web-admin-service", &[])) } dd { (yes_no(status.service_reachable)) }
                dt { (t.text("web-admin-update", &[])) }
                dd { (status.update_available.clone().unwrap_or_else(|| t.text("web-admin-no-update", &[]))) }
            }
        }
        section.jobs {
            h2 { (t.text("web-admin-jobs", &[])) }
            @if jobs.is_empty() {
                p.empty { (t.text("web-admin-no-jobs", &[])) }
            } @else {
                table.jobs {
                    thead { tr {
                        th scope="col" { (t.text("web-admin-job", &[])) }
                        th scope="col" { (t.text("web-admin-account", &[])) }
                        th scope="col" { (t.text("web-admin-peer", &[])) }
                        th scope="col" { (t.text("web-col-subject", &[])) }
                        th scope="col" { (t.text("web-admin-size", &[])) }
                        th scope="col" { (t.text("web-admin-progress", &[])) }
                        th scope="col" { (t.text("web-admin-state", &[])) }
                    } }
                    tbody {
                        @for j in &jobs {
                            tr {
                                td { (t.text(&format!("web-activity-{}", wire_name(&j.activity)), &[])) }
                                td { (j.account) }
                                td { (j.peer.clone().unwrap_or_default()) }
                                td { (j.subject.clone().unwrap_or_default()) }
                                td { (size(j.size)) }
                                td {
                                    @let pct = j.progress.fraction().map(|f| (f * 100.0).round() as u32).unwrap_or(0);
                                    meter min="0" max="100" value=(pct) { (pct) "%" }
                                    " " (pct) "%"
                                }
                                td.state { (t.text(&format!("web-state-{}", wire_name(&j.state)), &[])) }
                            }
                        }
                    }
                }
            }
        }
        section.accounts {
            h2 { (t.text("web-admin-accounts", &[])) }
            ul {
                @for a in &accounts { li { (a.address) } }
            }
        }
    };
    let mut r = page::shell(&web, t, &title, None, body).into_response();
    r.headers_mut().insert(
        "refresh",
        REFRESH_SECONDS
            .to_string()
            .parse()
            .expect("a number is a header value"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor_api::{Activity, JobState};

    /// The job table's ids are made from the protocol's names: each has its text.
    #[test]
    fn every_activity_and_state_has_its_text() {
        for lang in crate::texts::languages() {
            let t = crate::texts::shipped(lang).unwrap();
            let activities = [
                Activity::Delivery,
                Activity::Reception,
                Activity::Collection,
                Activity::DropFile,
                Activity::Update,
            ];
            for a in activities {
                assert!(
                    t.has(&format!("web-activity-{}", wire_name(&a))),
                    "{lang} {a:?}"
                );
            }
            let states = [
                JobState::Queued,
                JobState::Running,
                JobState::Retrying,
                JobState::Waiting,
                JobState::Done,
                JobState::Failed,
            ];
            for s in states {
                assert!(
                    t.has(&format!("web-state-{}", wire_name(&s))),
                    "{lang} {s:?}"
                );
            }
            for ty in mailbox::MESSAGE_TYPES {
                assert!(t.has(&format!("web-type-{ty}")), "{lang} {ty}");
            }
        }
    }
}
