//! What the webmail pages share: the folder tree with unread counts, storage work on the
//! blocking side with its error pages, and the way in (`/mail` is the inbox, `/mail/sent` the
//! Sent folder). Every lookup starts from the session's account, so a folder or message of
//! another account is simply not found.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::Web;
use crate::guard::User;
use crate::texts::I18n;
use mailbox::{Folder, FolderStatus, SpecialUse, Store};

/// A folder as the tree shows it.
pub struct Entry {
    pub folder: Folder,
    pub status: FolderStatus,
}

/// The account's folders, INBOX first, then the special ones, then by name.
pub fn tree(store: &Store, account: u64) -> mailbox::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for folder in store.folders(account)? {
        let status = store.status(&folder)?;
        out.push(Entry { folder, status });
    }
    let rank = |f: &Folder| match (f.name.as_str(), f.special_use) {
        ("INBOX", _) => 0,
        (_, Some(_)) => 1,
        _ => 2,
    };
    out.sort_by(|a, b| (rank(&a.folder), &a.folder.name).cmp(&(rank(&b.folder), &b.folder.name)));
    Ok(out)
}

pub fn folder_label(t: &I18n, f: &Folder) -> String {
    let id = match f.special_use {
        _ if f.name == "INBOX" => "web-folder-inbox",
        Some(SpecialUse::Sent) => "web-folder-sent",
        Some(SpecialUse::Drafts) => "web-folder-drafts",
        Some(SpecialUse::Trash) => "web-folder-trash",
        Some(SpecialUse::Junk) => "web-folder-junk",
        Some(SpecialUse::Archive) => "web-folder-archive",
        None => return f.name.clone(),
    };
    t.text(id, &[])
}

pub fn tree_nav(t: &I18n, tree: &[Entry], open: u64) -> Markup {
    html! {
        nav.folders aria-label=(t.text("web-folders", &[])) {
            ul {
                @for e in tree {
                    li.current[e.folder.id == open] {
                        a href={ "/mail/" (e.folder.id) } {
                            (folder_label(t, &e.folder))
                            @if e.status.unseen > 0 {
                                " " span.unread title=(t.text("web-unread", &[])) { (e.status.unseen) }
                            }
                        }
                    }
                }
            }
            p.manage { a href="/folders" { (t.text("web-folders-manage", &[])) } }
        }
    }
}

/// A page of storage work on the blocking side; a failure is a localised error page.
pub async fn storage<T: Send + 'static>(
    web: &Arc<Web>,
    user: &User,
    work: impl FnOnce(&Store) -> mailbox::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let store = web.store.clone();
    match mailbox::blocking::run(move || work(&store)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "web: storage failed");
            Err(failed(web, user))
        }
        Err(_) => Err(failed(web, user)),
    }
}

pub fn failed(web: &Web, user: &User) -> Response {
    user.refusal(web, StatusCode::INTERNAL_SERVER_ERROR, "web-failed")
}

pub fn not_found(web: &Web, user: &User) -> Response {
    user.refusal(web, StatusCode::NOT_FOUND, "web-not-found")
}

/// Storage work whose `None` means "not there, or not this account's": its value, or the
/// page to answer with instead.
pub async fn found<T: Send + 'static>(
    web: &Arc<Web>,
    user: &User,
    work: impl FnOnce(&Store) -> mailbox::Result<Option<T>> + Send + 'static,
) -> Result<T, Response> {
    match storage(web, user, work).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(not_found(web, user)),
        Err(r) => Err(r),
    }
}

/// `/mail`: the inbox.
pub async fn home(State(web): State<Arc<Web>>, user: User) -> Response {
    let account = user.session.account;
    match found(&web, &user, move |s| s.folder(account, "INBOX")).await {
        Ok(f) => Redirect::to(&format!("/mail/{}", f.id)).into_response(),
        Err(r) => r,
    }
}

/// `/mail/sent`: the Sent folder (where a message written here is shown once sent).
pub async fn sent(State(web): State<Arc<Web>>, user: User, RawQuery(query): RawQuery) -> Response {
    let account = user.session.account;
    match found(&web, &user, move |s| {
        s.special_folder(account, SpecialUse::Sent)
    })
    .await
    {
        Ok(f) => {
            // Only the notice that a message went out is passed on.
            let q = if query.as_deref() == Some("sent=true") {
                "?sent=true"
            } else {
                ""
            };
            Redirect::to(&format!("/mail/{}{q}", f.id)).into_response()
        }
        Err(r) => r,
    }
}

/// `2026-12-01T10:00:00+00:00` as `2026-12-01 10:00`.
pub fn short_date(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}
