//! `/admin`: the node's status and the live job list the monitors see. The page reloads
//! itself every few seconds (a refresh the browser does, no script), so it holds no forms.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Operator, frame};
use crate::{Web, page};

/// The page reloads itself this often.
const REFRESH_SECONDS: u32 = 5;

/// A value's name in the monitor protocol (`drop-file`), for its text id.
fn wire_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `/admin`: the node's status and jobs, reloading itself.
pub async fn home(State(web): State<Arc<Web>>, op: Operator) -> Response {
    let t = op.t;
    let status = web.jobs.status();
    let mut jobs = web.jobs.snapshot(None);
    jobs.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
    let yes_no = |b: bool| t.text(if b { "web-yes" } else { "web-no" }, &[]);
    let title = t.text("web-admin", &[]);
    let body = html! {
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
                                td { (page::size(j.size)) }
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
    };
    let mut r = frame(&web, &op, &title, None, body).into_response();
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
