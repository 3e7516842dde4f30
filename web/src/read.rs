//! The read view: one message with its header fields, its text (HTML sanitised), its
//! attachments, whether its receipt came back, and what can be done with it (answer,
//! forward, move, delete, mark unread, flag). Opening it marks it read, as a mail client does.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::compose::type_label;
use crate::guard::User;
use crate::mail::{Entry, folder_label, found, short_date, tree, tree_nav};
use crate::render::{self, Body, Shown, Summary};
use crate::texts::I18n;
use crate::{Web, page};
use mailbox::{FlagOp, Folder, MessageState, SpecialUse};

struct Reading {
    tree: Vec<Entry>,
    folder: Folder,
    summary: Summary,
    body: Body,
    state: MessageState,
    /// The message was sent from this account (it is in its Sent folder).
    outgoing: bool,
}

#[derive(Deserialize)]
pub struct ReadQuery {
    /// Leave the seen flag as it is (after "mark unread" or "flag" from this page).
    #[serde(default)]
    keep: bool,
    /// Show the pictures the message loads from other sites (`https:` only), as asked.
    #[serde(default)]
    images: bool,
}

/// A button that posts one action on the message.
fn action(csrf: &str, to: &str, label: String, fields: &[(&str, &str)]) -> Markup {
    html! {
        form.inline method="post" action=(to) {
            input type="hidden" name="csrf" value=(csrf);
            @for (k, v) in fields { input type="hidden" name=(k) value=(v); }
            button type="submit" { (label) }
        }
    }
}

fn actions(t: &I18n, user: &User, m: &Reading, uid: u32) -> Markup {
    let f = m.folder.id;
    let base = format!("/mail/{f}/{uid}");
    let csrf = user.session.csrf.as_str();
    let flagged = m.state.has_flag("\\Flagged");
    html! {
        div.actions {
            @if m.folder.special_use == Some(SpecialUse::Drafts) {
                a.button href={ "/compose?draft=" (f) "/" (uid) } { (t.text("web-edit-draft", &[])) }
            }
            a.button href={ "/compose?reply=" (f) "/" (uid) } { (t.text("web-reply", &[])) }
            a.button href={ "/compose?reply=" (f) "/" (uid) "&all=true" } { (t.text("web-reply-all", &[])) }
            a.button href={ "/compose?forward=" (f) "/" (uid) } { (t.text("web-forward", &[])) }
            (action(csrf, &format!("{base}/flag"), t.text("web-mark-unread", &[]), &[("flag", "seen"), ("set", "false")]))
            (action(csrf, &format!("{base}/flag"),
                t.text(if flagged { "web-unflag" } else { "web-flag" }, &[]),
                &[("flag", "flagged"), ("set", if flagged { "false" } else { "true" })]))
            (action(csrf, &format!("{base}/delete"), t.text("web-delete", &[]), &[]))
            form.inline method="post" action={ (base) "/move" } {
                input type="hidden" name="csrf" value=(csrf);
                select name="to" aria-label=(t.text("web-move-to", &[])) {
                    @for e in m.tree.iter().filter(|e| e.folder.id != f) {
                        option value=(e.folder.id) { (folder_label(t, &e.folder)) }
                    }
                }
                button type="submit" { (t.text("web-move", &[])) }
            }
        }
    }
}

/// `/mail/{folder}/{uid}`: one message, marked seen.
pub async fn read(
    State(web): State<Arc<Web>>,
    user: User,
    Path((folder, uid)): Path<(u64, u32)>,
    Query(q): Query<ReadQuery>,
) -> Response {
    let account = user.session.account;
    let max_text = web.settings.max_text_part;
    let images = q.images;
    let found = found(&web, &user, move |s| {
        let Some(folder) = s.folder_by_id(account, folder)? else {
            return Ok(None);
        };
        let Some(meta) = s.message_meta(folder.id, uid)? else {
            return Ok(None);
        };
        let header = s.message_header(folder.id, uid)?.unwrap_or_default();
        let mut blob = s.open_body(&meta)?;
        let body =
            render::body(&mut blob, &meta, max_text, images).map_err(mailbox::Error::from)?;
        if !q.keep {
            s.store_flags(account, folder.id, &[uid], FlagOp::Add, &["\\Seen"], None)?;
        }
        let state = s
            .message_state(folder.id, uid)?
            .ok_or(mailbox::Error::NoFolder)?;
        Ok(Some(Reading {
            tree: tree(s, account)?,
            summary: render::summary(&header),
            outgoing: folder.special_use == Some(SpecialUse::Sent),
            folder,
            body,
            state,
        }))
    })
    .await;
    let m = match found {
        Ok(m) => m,
        Err(r) => return r,
    };
    let t = user.t;
    let s = &m.summary;
    let title = if s.subject.is_empty() {
        t.text("web-no-subject", &[])
    } else {
        s.subject.clone()
    };
    let kind = m.state.flags.iter().find_map(|f| {
        mailbox::MESSAGE_TYPES
            .iter()
            .find(|ty| mailbox::type_keyword(ty).as_deref() == Some(f.as_str()))
    });
    let body = html! {
        div.mail {
            (tree_nav(t, &m.tree, m.folder.id))
            article.message {
                h1 {
                    (title)
                    @if let Some(k) = kind { " " span.badge.kind { (type_label(t, k)) } }
                }
                (actions(t, &user, &m, uid))
                dl.fields {
                    dt { (t.text("web-col-from", &[])) } dd.from { (s.from) }
                    @if !s.verified.is_empty() {
                        dt { (t.text("web-verified-sender", &[])) }
                        dd.verified title=(t.text("web-verified-sender-long", &[])) { (s.verified) }
                    }
                    dt { (t.text("web-field-to", &[])) } dd { (s.to) }
                    @if !s.cc.is_empty() { dt { (t.text("web-field-cc", &[])) } dd { (s.cc) } }
                    dt { (t.text("web-col-date", &[])) } dd { time datetime=(s.date) { (short_date(&s.date)) } }
                }
                @if m.outgoing {
                    @if m.state.has_flag("$Delivered") {
                        p.receipt.delivered role="status" { (t.text("web-delivered-long", &[])) }
                    } @else {
                        p.receipt role="status" { (t.text("web-not-delivered", &[])) }
                    }
                }
                @if m.body.remote_images && !images {
                    p.notice {
                        (t.text("web-remote-images-blocked", &[])) " "
                        a href={ "/mail/" (m.folder.id) "/" (uid) "?keep=true&images=true" } { (t.text("web-show-images", &[])) }
                    }
                }
                @for part in &m.body.shown {
                    @match part {
                        Shown::Text { text, cut } => {
                            pre.text { (text) }
                            @if *cut { p.notice { (t.text("web-part-cut", &[])) } }
                        }
                        Shown::Html { html, cut } => {
                            div.html { (maud::PreEscaped(html)) }
                            @if *cut { p.notice { (t.text("web-part-cut", &[])) } }
                        }
                    }
                }
                @if !m.body.attachments.is_empty() {
                    h2 { (t.text("web-attachments", &[])) }
                    ul.attachments {
                        @for (i, a) in m.body.attachments.iter().enumerate() {
                            li {
                                a.name href={ "/mail/" (m.folder.id) "/" (uid) "/attachment/" (i) } download { (a.name) }
                                " " span.meta { "(" (a.media_type) ", " (a.size) " B)" }
                            }
                        }
                    }
                }
                p { a href={ "/mail/" (m.folder.id) } { (t.text("web-back-to-list", &[])) } }
            }
        }
    };
    let mut r = page::shell(&web, t, &title, Some(&user.session), body).into_response();
    if images {
        // Asked for: this page, and only this one, may load pictures from https: sites.
        r.headers_mut().insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(crate::guard::CSP_WITH_IMAGES),
        );
    }
    r
}
