//! The address book: each account's contacts, kept on the node (a record table of the
//! store), listed, added and removed here, and offered as recipients when writing.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::{Deserialize, Serialize};

use crate::guard::User;
use crate::mail::storage;
use crate::{Web, page};
use mailbox::Store;

/// The record table the contacts live in.
const TABLE: &str = "web-contacts";
/// Characters of a contact's name kept.
const MAX_NAME: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Contact {
    pub name: String,
    pub address: String,
}

fn prefix(account: u64) -> String {
    format!("{account:020}/")
}

/// The account's contacts, by address, at most `max` of them.
pub fn list(store: &Store, account: u64, max: usize) -> mailbox::Result<Vec<Contact>> {
    let table = store.records(TABLE)?;
    let mut out = Vec::new();
    for key in table.keys(&prefix(account))?.into_iter().take(max) {
        if let Some(c) = table.get::<Contact>(&key)? {
            out.push(c);
        }
    }
    Ok(out)
}

/// Why a contact was not added.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    BadAddress,
    Full,
}

/// Adds (or renames) a contact; the account keeps at most `max`.
pub fn add(
    store: &Store,
    account: u64,
    name: &str,
    address: &str,
    max: usize,
) -> mailbox::Result<Result<(), AddError>> {
    let Ok(address) = mailbox::normalize_address(address.trim()) else {
        return Ok(Err(AddError::BadAddress));
    };
    let table = store.records(TABLE)?;
    let key = format!("{}{address}", prefix(account));
    if !table.contains(&key)? && table.keys(&prefix(account))?.len() >= max {
        return Ok(Err(AddError::Full));
    }
    let name: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    table.put(
        &key,
        &Contact {
            name: name.trim().to_string(),
            address,
        },
    )?;
    Ok(Ok(()))
}

pub fn remove(store: &Store, account: u64, address: &str) -> mailbox::Result<()> {
    let address = address.trim().to_lowercase();
    store
        .records(TABLE)?
        .remove(&format!("{}{address}", prefix(account)))
}

fn page_with(web: &Web, user: &User, contacts: &[Contact], problem: Option<&str>) -> Response {
    let t = user.t;
    let title = t.text("web-contacts", &[]);
    let csrf = &user.session.csrf;
    let body = html! {
        h1 { (title) }
        @if let Some(id) = problem {
            p.notice role="alert" { (t.text(id, &[])) }
        }
        @if contacts.is_empty() {
            p.empty { (t.text("web-contacts-empty", &[])) }
        } @else {
            table.contacts {
                thead { tr {
                    th scope="col" { (t.text("web-contact-name", &[])) }
                    th scope="col" { (t.text("web-login-address", &[])) }
                    th scope="col" { }
                } }
                tbody {
                    @for c in contacts {
                        tr {
                            td { (c.name) }
                            td { a href={ "/compose?to=" (c.address) } { (c.address) } }
                            td {
                                form.inline method="post" action="/contacts/remove" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="address" value=(c.address);
                                    button type="submit" { (t.text("web-contact-remove", &[])) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t.text("web-contact-add", &[])) }
        form.settings method="post" action="/contacts" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { (t.text("web-contact-name", &[])) }
            input #name type="text" name="name" maxlength="200";
            label for="address" { (t.text("web-login-address", &[])) }
            input #address type="email" name="address" required;
            button type="submit" { (t.text("web-contact-add", &[])) }
        }
    };
    page::with_form(web, t, &title, &user.session, body, problem.is_some())
}

pub async fn show(State(web): State<Arc<Web>>, user: User) -> Response {
    let (account, max) = (user.session.account, web.settings.max_contacts);
    match storage(&web, &user, move |s| list(s, account, max)).await {
        Ok(c) => page_with(&web, &user, &c, None),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    name: String,
    address: String,
}

pub async fn add_one(State(web): State<Arc<Web>>, user: User, Form(f): Form<AddForm>) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let (account, max) = (user.session.account, web.settings.max_contacts);
    let done = storage(&web, &user, move |s| {
        let added = add(s, account, &f.name, &f.address, max)?;
        Ok((added, list(s, account, max)?))
    })
    .await;
    match done {
        Ok((Ok(()), _)) => Redirect::to("/contacts").into_response(),
        Ok((Err(AddError::BadAddress), c)) => {
            page_with(&web, &user, &c, Some("web-contact-bad-address"))
        }
        Ok((Err(AddError::Full), c)) => page_with(&web, &user, &c, Some("web-contacts-full")),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    address: String,
}

pub async fn remove_one(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<RemoveForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let account = user.session.account;
    match storage(&web, &user, move |s| remove(s, account, &f.address)).await {
        Ok(()) => Redirect::to("/contacts").into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_per_account_bounded_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), mailbox::StorageKey::generate()).unwrap();
        assert_eq!(add(&store, 1, "Bob", "Bob@Beta.H", 2).unwrap(), Ok(()));
        assert_eq!(add(&store, 1, "x\u{7}y", "c@x.h", 2).unwrap(), Ok(()));
        assert_eq!(add(&store, 1, "", "d@x.h", 2).unwrap(), Err(AddError::Full));
        assert_eq!(
            add(&store, 1, "", "not an address", 2).unwrap(),
            Err(AddError::BadAddress)
        );
        // Renaming one already there is not adding.
        assert_eq!(add(&store, 1, "Robert", "bob@beta.h", 2).unwrap(), Ok(()));
        let mine = list(&store, 1, 100).unwrap();
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].name, "Robert");
        assert_eq!(mine[1].name, "xy");
        assert!(
            list(&store, 2, 100).unwrap().is_empty(),
            "another account sees none"
        );
        assert!(
            list(&store, 10, 100).unwrap().is_empty(),
            "no prefix overlap (1 vs 10)"
        );
        remove(&store, 1, "BOB@beta.h").unwrap();
        assert_eq!(list(&store, 1, 100).unwrap().len(), 1);
    }
}
