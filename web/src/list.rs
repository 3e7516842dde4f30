//! A folder's messages, newest first, a page at a time, and searching them. The search is the
//! IMAP server's own (`imap::search_folder`), so the webmail finds what a mail client would.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use imap::SearchKey;
use imap_codec::imap_types::core::{AString, Atom, Vec1};
use maud::html;
use serde::Deserialize;

use crate::compose::type_label;
use crate::guard::User;
use crate::mail::{Entry, folder_label, found, short_date, tree, tree_nav};
use crate::render::{self, Summary};
use crate::texts::I18n;
use crate::{Web, page};
use mailbox::{Folder, Store};

/// Characters of search text looked at.
const MAX_QUERY: usize = 200;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    page: usize,
    /// Search text, and where to look for it: `all`, `from`, `to`, `subject`, `body`.
    #[serde(default)]
    q: String,
    #[serde(default, rename = "in")]
    field: String,
    #[serde(default)]
    unread: bool,
    #[serde(default)]
    flagged: bool,
    /// A message type (`invoice`), empty for any.
    #[serde(default, rename = "type")]
    kind: String,
    /// A message written here has just been sent.
    #[serde(default)]
    sent: bool,
}

impl ListQuery {
    /// The search the form asks for, `None` when it asks for none (or for nothing findable).
    fn key(&self) -> Option<SearchKey<'static>> {
        let mut keys = Vec::new();
        let text: String = self.q.trim().chars().take(MAX_QUERY).collect();
        if !text.is_empty() {
            let a = AString::try_from(text).ok()?;
            keys.push(match self.field.as_str() {
                "from" => SearchKey::From(a),
                "to" => SearchKey::To(a),
                "subject" => SearchKey::Subject(a),
                "body" => SearchKey::Body(a),
                _ => SearchKey::Text(a),
            });
        }
        if self.unread {
            keys.push(SearchKey::Unseen);
        }
        if self.flagged {
            keys.push(SearchKey::Flagged);
        }
        if let Some(k) = mailbox::type_keyword(&self.kind) {
            keys.push(SearchKey::Keyword(Atom::try_from(k).ok()?));
        }
        match keys.len() {
            0 => None,
            1 => keys.pop(),
            _ => Some(SearchKey::And(Vec1::try_from(keys).ok()?)),
        }
    }

    fn searching(&self) -> bool {
        !self.q.trim().is_empty() || self.unread || self.flagged || !self.kind.is_empty()
    }

    /// The query string of page `page` of the same search.
    fn page_link(&self, folder: u64, page: usize) -> String {
        let mut s = format!("/mail/{folder}?page={page}");
        if self.searching() {
            let enc = |v: &str| -> String {
                v.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect()
            };
            s.push_str(&format!(
                "&q={}&in={}&type={}",
                enc(&self.q),
                enc(&self.field),
                enc(&self.kind)
            ));
            if self.unread {
                s.push_str("&unread=true");
            }
            if self.flagged {
                s.push_str("&flagged=true");
            }
        }
        s
    }
}

struct Row {
    uid: u32,
    seen: bool,
    flagged: bool,
    delivered: bool,
    kind: Option<String>,
    summary: Summary,
}

struct Listing {
    tree: Vec<Entry>,
    folder: Folder,
    total: usize,
    rows: Vec<Row>,
}

fn row(s: &Store, folder: u64, uid: u32) -> mailbox::Result<Row> {
    let state = s.message_state(folder, uid)?.unwrap_or_default();
    let header = s.message_header(folder, uid)?.unwrap_or_default();
    let kind = state
        .flags
        .iter()
        .find_map(|f| {
            mailbox::MESSAGE_TYPES
                .iter()
                .find(|t| mailbox::type_keyword(t).as_deref() == Some(f.as_str()))
        })
        .map(|t| t.to_string());
    Ok(Row {
        uid,
        seen: state.has_flag("\\Seen"),
        flagged: state.has_flag("\\Flagged"),
        delivered: state.has_flag("$Delivered"),
        kind,
        summary: render::summary(&header),
    })
}

fn search_form(t: &I18n, web: &Web, folder: u64, q: &ListQuery) -> maud::Markup {
    let mut types: Vec<String> = mailbox::MESSAGE_TYPES
        .iter()
        .map(|s| s.to_string())
        .collect();
    types.extend(web.types.iter().cloned());
    let fields = [
        ("all", "web-search-all"),
        ("from", "web-col-from"),
        ("to", "web-field-to"),
        ("subject", "web-col-subject"),
        ("body", "web-field-body"),
    ];
    html! {
        form.search role="search" method="get" action={ "/mail/" (folder) } {
            label for="q" { (t.text("web-search", &[])) }
            input #q type="search" name="q" value=(q.q);
            select name="in" aria-label=(t.text("web-search-in", &[])) {
                @for (v, id) in fields {
                    option value=(v) selected[q.field == v] { (t.text(id, &[])) }
                }
            }
            select name="type" aria-label=(t.text("web-field-type", &[])) {
                option value="" { (t.text("web-search-any-type", &[])) }
                @for ty in &types {
                    option value=(ty) selected[*ty == q.kind] { (type_label(t, ty)) }
                }
            }
            label { input type="checkbox" name="unread" value="true" checked[q.unread]; " " (t.text("web-search-unread", &[])) }
            label { input type="checkbox" name="flagged" value="true" checked[q.flagged]; " " (t.text("web-search-flagged", &[])) }
            button type="submit" { (t.text("web-search-button", &[])) }
        }
    }
}

/// `/mail/{folder}`: one page of a folder's messages (or of those a search found), newest first.
pub async fn list(
    State(web): State<Arc<Web>>,
    user: User,
    Path(folder): Path<u64>,
    Query(q): Query<ListQuery>,
) -> Response {
    let account = user.session.account;
    let size = web.settings.page_size.max(1);
    let skip = q.page.saturating_mul(size);
    let key = q.key();
    let found = found(&web, &user, move |s| {
        let Some(folder) = s.folder_by_id(account, folder)? else {
            return Ok(None);
        };
        // UIDs only: a large folder costs 4 bytes a message here.
        let uids = match &key {
            Some(key) => imap::search_folder(s, account, &folder, key)?,
            None => {
                let mut all = Vec::new();
                s.scan_states(folder.id, 0..=u32::MAX, |uid, _| all.push(uid))?;
                all
            }
        };
        let mut rows = Vec::new();
        for &uid in uids.iter().rev().skip(skip).take(size) {
            rows.push(row(s, folder.id, uid)?);
        }
        Ok(Some(Listing {
            tree: tree(s, account)?,
            total: uids.len(),
            folder,
            rows,
        }))
    })
    .await;
    let l = match found {
        Ok(l) => l,
        Err(r) => return r,
    };
    let t = user.t;
    let title = folder_label(t, &l.folder);
    let pages = l.total.div_ceil(size).max(1);
    let id = l.folder.id;
    let body = html! {
        div.mail {
            (tree_nav(t, &l.tree, id))
            section.list {
                div.bar {
                    h1 { (title) }
                    a.button href="/compose" { (t.text("web-compose", &[])) }
                }
                @if q.sent {
                    p.notice role="status" { (t.text("web-sent", &[])) }
                }
                (search_form(t, &web, id, &q))
                @if l.rows.is_empty() {
                    p.empty { (t.text(if q.searching() { "web-search-none" } else { "web-list-empty" }, &[])) }
                } @else {
                    table {
                        thead { tr {
                            th scope="col" { (t.text("web-col-from", &[])) }
                            th scope="col" { (t.text("web-col-subject", &[])) }
                            th scope="col" { (t.text("web-col-date", &[])) }
                        } }
                        tbody {
                            @for r in &l.rows {
                                tr.unseen[!r.seen] {
                                    td { (r.summary.from) }
                                    td {
                                        a href={ "/mail/" (id) "/" (r.uid) } {
                                            @if r.summary.subject.is_empty() { (t.text("web-no-subject", &[])) }
                                            @else { (r.summary.subject) }
                                        }
                                        @if let Some(k) = &r.kind { " " span.badge.kind { (type_label(t, k)) } }
                                        @if r.flagged { " " span.badge.flagged { (t.text("web-flagged", &[])) } }
                                        @if r.delivered { " " span.badge.delivered title=(t.text("web-delivered-long", &[])) { (t.text("web-delivered", &[])) } }
                                    }
                                    td { time datetime=(r.summary.date) { (short_date(&r.summary.date)) } }
                                }
                            }
                        }
                    }
                }
                nav.pages aria-label=(t.text("web-pages", &[])) {
                    @if q.page > 0 {
                        a rel="prev" href=(q.page_link(id, q.page - 1)) { (t.text("web-page-newer", &[])) }
                    }
                    span { (t.text_owned("web-page-of", &[("page", (q.page + 1).to_string()), ("pages", pages.to_string())])) }
                    @if q.page + 1 < pages {
                        a rel="next" href=(q.page_link(id, q.page + 1)) { (t.text("web-page-older", &[])) }
                    }
                }
            }
        }
    };
    page::shell(&web, t, &title, Some(&user.session), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_form_becomes_the_imap_search() {
        let q = |q: &str, field: &str, unread: bool, kind: &str| ListQuery {
            q: q.into(),
            field: field.into(),
            unread,
            kind: kind.into(),
            ..ListQuery::default()
        };
        assert!(q("", "", false, "").key().is_none());
        assert!(matches!(
            q("Bob", "from", false, "").key(),
            Some(SearchKey::From(_))
        ));
        assert!(matches!(
            q("x", "all", false, "").key(),
            Some(SearchKey::Text(_))
        ));
        assert!(
            matches!(q("x", "body", true, "invoice").key(), Some(SearchKey::And(k)) if k.as_ref().len() == 3)
        );
        assert!(matches!(q("", "", true, "").key(), Some(SearchKey::Unseen)));
        let long = "y".repeat(10_000);
        let Some(SearchKey::Text(a)) = q(&long, "", false, "").key() else {
            panic!("a long text is cut, not dropped");
        };
        assert_eq!(a.as_ref().len(), MAX_QUERY);
        assert_eq!(
            q("a b&c", "from", true, "").page_link(7, 2),
            "/mail/7?page=2&q=a%20b%26c&in=from&type=&unread=true"
        );
    }
}
