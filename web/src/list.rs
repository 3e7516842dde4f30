//! A folder's messages, newest first or sorted by a column, a page at a time, and searching
//! them. The search and the order are the IMAP server's own SEARCH and SORT
//! (`imap::sort_folder`), so the webmail finds and orders mail as a mail client would.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use imap::{SearchKey, SortCriterion, SortKey};
use imap_codec::imap_types::core::{AString, Atom, Vec1};
use imap_codec::imap_types::datetime::NaiveDate;
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
    /// Sent on or after this day, and on or before that one (`YYYY-MM-DD`, empty for any).
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    /// The column the list is sorted by (`date`, `from`, `subject`, `size`), empty for the
    /// order of arrival, newest first; `rev` turns the column's own direction around (dates
    /// and sizes newest and largest first, names and subjects A to Z).
    #[serde(default)]
    sort: String,
    #[serde(default)]
    rev: bool,
    /// A message written here has just been sent.
    #[serde(default)]
    sent: bool,
}

/// A day from a date field, as IMAP dates it.
fn day(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The sortable columns, and whether each starts with its largest value.
const COLUMNS: [(&str, SortKey, bool); 4] = [
    ("date", SortKey::Date, true),
    ("from", SortKey::DisplayFrom, false),
    ("subject", SortKey::Subject, false),
    ("size", SortKey::Size, true),
];

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
        if let Some(d) = day(&self.since).and_then(|d| NaiveDate::try_from(d).ok()) {
            keys.push(SearchKey::SentSince(d));
        }
        // SENTBEFORE leaves its own day out; the form's last day is in.
        let after_until = day(&self.until).and_then(|d| d.succ_opt());
        if let Some(d) = after_until.and_then(|d| NaiveDate::try_from(d).ok()) {
            keys.push(SearchKey::SentBefore(d));
        }
        match keys.len() {
            0 => None,
            1 => keys.pop(),
            _ => Some(SearchKey::And(Vec1::try_from(keys).ok()?)),
        }
    }

    fn searching(&self) -> bool {
        !self.q.trim().is_empty()
            || self.unread
            || self.flagged
            || !self.kind.is_empty()
            || day(&self.since).is_some()
            || day(&self.until).is_some()
    }

    /// The SORT criteria of the chosen column; none for the order of arrival.
    fn order(&self) -> Vec<SortCriterion> {
        COLUMNS
            .iter()
            .find(|(name, _, _)| *name == self.sort)
            .map(|(_, key, largest_first)| SortCriterion {
                reverse: *largest_first != self.rev,
                key: key.clone(),
            })
            .into_iter()
            .collect()
    }

    /// The address of page `page` of the same search in the same order.
    fn page_link(&self, folder: u64, page: usize) -> String {
        let mut s = format!("/mail/{folder}?page={page}");
        if COLUMNS.iter().any(|(name, _, _)| *name == self.sort) {
            s.push_str(&format!("&sort={}", self.sort));
            if self.rev {
                s.push_str("&rev=true");
            }
        }
        if self.searching() {
            s.push_str(&format!(
                "&q={}&in={}&type={}",
                page::escape_query(&self.q),
                page::escape_query(&self.field),
                page::escape_query(&self.kind)
            ));
            if self.unread {
                s.push_str("&unread=true");
            }
            if self.flagged {
                s.push_str("&flagged=true");
            }
            for (name, value) in [("since", &self.since), ("until", &self.until)] {
                if day(value).is_some() {
                    s.push_str(&format!("&{name}={}", page::escape_query(value.trim())));
                }
            }
        }
        s
    }

    /// The first page sorted by `column`; the column it is sorted by already turns around.
    fn sort_link(&self, folder: u64, column: &str) -> String {
        let mut q = self.clone();
        q.rev = q.sort == column && !q.rev;
        q.sort = column.to_string();
        q.page_link(folder, 0)
    }

    /// `aria-sort` of a column's heading.
    fn aria_sort(&self, column: &str) -> Option<&'static str> {
        let c = self.order().into_iter().next()?;
        (self.sort == column).then_some(if c.reverse { "descending" } else { "ascending" })
    }
}

struct Row {
    uid: u32,
    size: u64,
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
    let size = s.message_meta(folder, uid)?.map_or(0, |m| m.size);
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
        size,
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
            label for="since" { (t.text("web-search-since", &[])) }
            input #since type="date" name="since" value=(q.since);
            label for="until" { (t.text("web-search-until", &[])) }
            input #until type="date" name="until" value=(q.until);
            @if !q.sort.is_empty() {
                input type="hidden" name="sort" value=(q.sort);
                @if q.rev { input type="hidden" name="rev" value="true"; }
            }
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
    let order = q.order();
    let found = found(&web, &user, move |s| {
        let Some(folder) = s.folder_by_id(account, folder)? else {
            return Ok(None);
        };
        // UIDs only, unless a column is sorted by: a large folder costs 4 bytes a message here.
        let uids = match (&key, order.is_empty()) {
            (None, true) => {
                let mut all = Vec::new();
                s.scan_states(folder.id, 0..=u32::MAX, |uid, _| all.push(uid))?;
                all
            }
            (key, _) => imap::sort_folder(s, account, &folder, key.as_ref(), &order)?,
        };
        // The order of arrival is shown newest first.
        let shown: Box<dyn Iterator<Item = &u32>> = if order.is_empty() {
            Box::new(uids.iter().rev())
        } else {
            Box::new(uids.iter())
        };
        let mut rows = Vec::new();
        for &uid in shown.skip(skip).take(size) {
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
                            @for (column, text_id) in [("from", "web-col-from"), ("subject", "web-col-subject"), ("date", "web-col-date"), ("size", "web-col-size")] {
                                th scope="col" aria-sort=[q.aria_sort(column)] {
                                    a href=(q.sort_link(id, column)) { (t.text(text_id, &[])) }
                                }
                            }
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
                                    td.size { (page::size(r.size)) }
                                }
                            }
                        }
                    }
                }
                nav.pages aria-label=(t.text("web-pages", &[])) {
                    @if q.page > 0 {
                        a rel="prev" href=(q.page_link(id, q.page - 1)) { (t.text("web-page-previous", &[])) }
                    }
                    span { (t.text_owned("web-page-of", &[("page", (q.page + 1).to_string()), ("pages", pages.to_string())])) }
                    @if q.page + 1 < pages {
                        a rel="next" href=(q.page_link(id, q.page + 1)) { (t.text("web-page-next", &[])) }
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

    #[test]
    fn dates_and_columns_become_search_and_sort_keys() {
        let q = ListQuery {
            since: "2026-11-01".into(),
            until: "2026-11-30".into(),
            ..ListQuery::default()
        };
        let Some(SearchKey::And(keys)) = q.key() else {
            panic!("two dates are two keys: {:?}", q.key());
        };
        let keys = keys.into_inner();
        assert!(
            matches!(&keys[0], SearchKey::SentSince(d) if d.as_ref().to_string() == "2026-11-01")
        );
        // The last day is in: SENTBEFORE the day after it.
        assert!(
            matches!(&keys[1], SearchKey::SentBefore(d) if d.as_ref().to_string() == "2026-12-01")
        );
        let odd = ListQuery {
            since: "yesterday".into(),
            until: "9999-99-99".into(),
            ..ListQuery::default()
        };
        assert!(odd.key().is_none() && !odd.searching());

        let mut q = ListQuery::default();
        assert!(q.order().is_empty());
        q.sort = "date".into();
        assert_eq!(q.order()[0].key, SortKey::Date);
        assert!(q.order()[0].reverse, "dates start with the newest");
        assert_eq!(q.sort_link(3, "date"), "/mail/3?page=0&sort=date&rev=true");
        assert_eq!(q.sort_link(3, "from"), "/mail/3?page=0&sort=from");
        q.sort = "subject".into();
        assert!(!q.order()[0].reverse, "subjects start with A");
        q.sort = "nonsense".into();
        assert!(q.order().is_empty());
        assert_eq!(q.page_link(3, 1), "/mail/3?page=1");
    }
}
