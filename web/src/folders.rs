//! Managing an account's folders: create, rename and delete (the store's own operations, the
//! ones IMAP's CREATE, RENAME and DELETE use). The inbox and the special folders stay.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::guard::User;
use crate::mail::{Entry, folder_label, storage, tree};
use crate::{Web, page};
use mailbox::{Error, Store};

/// Characters of a folder name accepted here (the store checks the rest).
const MAX_NAME: usize = 200;

fn managed(e: &Entry) -> bool {
    e.folder.name != "INBOX" && e.folder.special_use.is_none()
}

fn page_with(web: &Web, user: &User, tree: &[Entry], problem: Option<&str>) -> Response {
    let t = user.t;
    let title = t.text("web-folders", &[]);
    let csrf = &user.session.csrf;
    let body = html! {
        h1 { (title) }
        @if let Some(id) = problem {
            p.notice role="alert" { (t.text(id, &[])) }
        }
        table.folders {
            thead { tr {
                th scope="col" { (t.text("web-folder", &[])) }
                th scope="col" { (t.text("web-folder-messages", &[])) }
                th scope="col" { }
            } }
            tbody {
                @for e in tree {
                    tr {
                        td { a href={ "/mail/" (e.folder.id) } { (folder_label(t, &e.folder)) } }
                        td { (e.status.messages) }
                        td {
                            @if managed(e) {
                                form.inline method="post" action="/folders/rename" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="id" value=(e.folder.id);
                                    input type="text" name="to" value=(e.folder.name) aria-label=(t.text("web-folder-new-name", &[]));
                                    button type="submit" { (t.text("web-folder-rename", &[])) }
                                }
                                " "
                                form.inline method="post" action="/folders/delete" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="id" value=(e.folder.id);
                                    button type="submit" { (t.text("web-delete", &[])) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t.text("web-folder-create", &[])) }
        form.settings method="post" action="/folders" {
            input type="hidden" name="csrf" value=(csrf);
            label for="folder-name" { (t.text("web-folder", &[])) }
            input #folder-name type="text" name="name" maxlength="200" required;
            button type="submit" { (t.text("web-folder-create", &[])) }
        }
    };
    page::with_form(web, t, &title, &user.session, body, problem.is_some())
}

pub async fn show(State(web): State<Arc<Web>>, user: User) -> Response {
    let account = user.session.account;
    match storage(&web, &user, move |s| tree(s, account)).await {
        Ok(tree) => page_with(&web, &user, &tree, None),
        Err(r) => r,
    }
}

/// What a change was, as the page says it.
enum Change {
    Create(String),
    Rename(u64, String),
    Delete(u64),
}

/// Applies `change`; `Ok(Err(text id))` when the store refused it for a reason to show.
fn apply(
    s: &Store,
    account: u64,
    max: usize,
    change: Change,
) -> mailbox::Result<Result<(), &'static str>> {
    let name_of = |id: u64| -> mailbox::Result<Option<String>> {
        Ok(s.folder_by_id(account, id)?.map(|f| f.name))
    };
    let done = match change {
        Change::Create(name) => {
            if s.folders(account)?.len() >= max {
                return Ok(Err("web-folders-full"));
            }
            s.create_folder(account, &name).map(|_| ())
        }
        Change::Rename(id, to) => match name_of(id)? {
            Some(from) => s.rename_folder(account, &from, &to),
            None => Err(Error::NoFolder),
        },
        Change::Delete(id) => match name_of(id)? {
            Some(name) => s.delete_folder(account, &name),
            None => Err(Error::NoFolder),
        },
    };
    match done {
        Ok(()) => Ok(Ok(())),
        Err(Error::FolderExists) => Ok(Err("web-folder-exists")),
        Err(Error::InvalidFolderName) => Ok(Err("web-folder-bad-name")),
        Err(Error::SpecialFolder | Error::HasChildren) => Ok(Err("web-folder-cannot")),
        Err(Error::NoFolder) => Ok(Err("web-not-found")),
        Err(e) => Err(e),
    }
}

async fn change(web: Arc<Web>, user: User, csrf: &str, change: Change) -> Response {
    if let Some(r) = user.csrf_refusal(&web, csrf) {
        return r;
    }
    let (account, max) = (user.session.account, web.settings.max_folders);
    let done = storage(&web, &user, move |s| {
        let result = apply(s, account, max, change)?;
        Ok((result, tree(s, account)?))
    })
    .await;
    match done {
        Ok((Ok(()), _)) => Redirect::to("/folders").into_response(),
        Ok((Err(id), tree)) => page_with(&web, &user, &tree, Some(id)),
        Err(r) => r,
    }
}

fn short(name: &str) -> String {
    name.trim().chars().take(MAX_NAME).collect()
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: String,
    name: String,
}

pub async fn create(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<CreateForm>,
) -> Response {
    change(web, user, &f.csrf, Change::Create(short(&f.name))).await
}

#[derive(Deserialize)]
pub struct RenameForm {
    csrf: String,
    id: u64,
    to: String,
}

pub async fn rename(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<RenameForm>,
) -> Response {
    change(web, user, &f.csrf, Change::Rename(f.id, short(&f.to))).await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
    id: u64,
}

pub async fn delete(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<DeleteForm>,
) -> Response {
    change(web, user, &f.csrf, Change::Delete(f.id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_managed_within_the_account_and_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), mailbox::StorageKey::generate()).unwrap();
        let a = store.add_account("a@x.h", "pw-pw-pw-pw").unwrap();
        let b = store.add_account("b@x.h", "pw-pw-pw-pw").unwrap();
        let base = store.folders(a.id).unwrap().len();
        let max = base + 1;
        assert_eq!(
            apply(&store, a.id, max, Change::Create("Projects".into())).unwrap(),
            Ok(())
        );
        assert_eq!(
            apply(&store, a.id, max, Change::Create("More".into())).unwrap(),
            Err("web-folders-full")
        );
        let p = store.folder(a.id, "Projects").unwrap().unwrap();
        // Another account cannot touch it by its id.
        assert_eq!(
            apply(&store, b.id, 100, Change::Delete(p.id)).unwrap(),
            Err("web-not-found")
        );
        assert_eq!(
            apply(&store, a.id, max, Change::Rename(p.id, "Sent".into())).unwrap(),
            Err("web-folder-exists")
        );
        assert_eq!(
            apply(&store, a.id, max, Change::Rename(p.id, "Plans".into())).unwrap(),
            Ok(())
        );
        let inbox = store.folder(a.id, "INBOX").unwrap().unwrap();
        assert_eq!(
            apply(&store, a.id, max, Change::Delete(inbox.id)).unwrap(),
            Err("web-folder-cannot")
        );
        assert_eq!(
            apply(&store, a.id, max, Change::Delete(p.id)).unwrap(),
            Ok(())
        );
        assert!(store.folder(a.id, "Plans").unwrap().is_none());
    }
}
