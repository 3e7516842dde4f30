//! What the read view's buttons do to a message: move it, delete it (to the Trash, or for
//! good from the Trash), mark it unread or flagged. Each is a form with the session's CSRF
//! token, and each works on the session's own account only.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mailbox::{FlagOp, SpecialUse, Store};
use serde::Deserialize;

use crate::Web;
use crate::guard::User;

#[derive(Deserialize)]
pub struct MoveForm {
    csrf: String,
    to: u64,
}

#[derive(Deserialize)]
pub struct ActForm {
    csrf: String,
}

#[derive(Deserialize)]
pub struct FlagForm {
    csrf: String,
    /// `seen` or `flagged`.
    flag: String,
    /// Set (`true`) or take away.
    set: bool,
}

/// What went wrong, as the page says it.
enum Outcome {
    Done,
    NotFound,
    Failed,
}

async fn act(
    web: &Arc<Web>,
    work: impl FnOnce(&Store) -> mailbox::Result<bool> + Send + 'static,
) -> Outcome {
    let store = web.store.clone();
    match mailbox::blocking::run(move || work(&store)).await {
        Ok(Ok(true)) => Outcome::Done,
        Ok(Ok(false)) => Outcome::NotFound,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "web: a message action failed");
            Outcome::Failed
        }
        Err(_) => Outcome::Failed,
    }
}

fn answer(web: &Web, user: &User, outcome: Outcome, then: String) -> Response {
    let (status, id) = match outcome {
        Outcome::Done => return Redirect::to(&then).into_response(),
        Outcome::NotFound => (StatusCode::NOT_FOUND, "web-not-found"),
        Outcome::Failed => (StatusCode::INTERNAL_SERVER_ERROR, "web-failed"),
    };
    user.refusal(web, status, id)
}

/// Whether `uid` is a message of `folder`, and `folder` one of `account`'s.
fn owns(s: &Store, account: u64, folder: u64, uid: u32) -> mailbox::Result<bool> {
    Ok(s.folder_by_id(account, folder)?.is_some() && s.message_meta(folder, uid)?.is_some())
}

pub async fn move_to(
    State(web): State<Arc<Web>>,
    user: User,
    Path((folder, uid)): Path<(u64, u32)>,
    Form(f): Form<MoveForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let account = user.session.account;
    let to = f.to;
    let outcome = act(&web, move |s| {
        if !owns(s, account, folder, uid)? || s.folder_by_id(account, to)?.is_none() {
            return Ok(false);
        }
        if to != folder {
            s.move_messages(account, folder, &[uid], to)?;
        }
        Ok(true)
    })
    .await;
    answer(&web, &user, outcome, format!("/mail/{folder}"))
}

pub async fn delete(
    State(web): State<Arc<Web>>,
    user: User,
    Path((folder, uid)): Path<(u64, u32)>,
    Form(f): Form<ActForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let account = user.session.account;
    let outcome = act(&web, move |s| {
        if !owns(s, account, folder, uid)? {
            return Ok(false);
        }
        let trash = s.special_folder(account, SpecialUse::Trash)?;
        match trash {
            Some(t) if t.id != folder => {
                s.move_messages(account, folder, &[uid], t.id)?;
            }
            // In the Trash already, or there is none: gone for good.
            _ => {
                s.store_flags(account, folder, &[uid], FlagOp::Add, &["\\Deleted"], None)?;
                s.expunge(account, folder, Some(&[uid]))?;
            }
        }
        Ok(true)
    })
    .await;
    answer(&web, &user, outcome, format!("/mail/{folder}"))
}

pub async fn flag(
    State(web): State<Arc<Web>>,
    user: User,
    Path((folder, uid)): Path<(u64, u32)>,
    Form(f): Form<FlagForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let flag = match f.flag.as_str() {
        "seen" => "\\Seen",
        "flagged" => "\\Flagged",
        _ => {
            return user.refusal(&web, StatusCode::BAD_REQUEST, "web-bad-request");
        }
    };
    let op = if f.set { FlagOp::Add } else { FlagOp::Remove };
    let account = user.session.account;
    let outcome = act(&web, move |s| {
        if !owns(s, account, folder, uid)? {
            return Ok(false);
        }
        s.store_flags(account, folder, &[uid], op, &[flag], None)?;
        Ok(true)
    })
    .await;
    // Marked unread: back to the list, as a mail client leaves the message.
    let then = if flag == "\\Seen" && !f.set {
        format!("/mail/{folder}")
    } else {
        format!("/mail/{folder}/{uid}?keep=1")
    };
    answer(&web, &user, outcome, then)
}
