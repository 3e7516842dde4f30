//! Writing mail: the compose form (new, reply, reply to all, forward) and sending it. Uploaded
//! attachments are written to files of their own as their bytes arrive, so their size does
//! not matter to memory; the message is then made and sent by the one submission pipeline
//! (`delivery::send`), as `wims send` and SMTP submission do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use delivery::send::{SendError, SendRequest};
use futures::StreamExt;
use maud::html;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::guard::{self, User};
use crate::texts::I18n;
use crate::{Web, page, part_heads, sessions};
use crate::{carried, contacts, identity, render};

/// What the form holds, from a message answered or from the form sent back.
#[derive(Default)]
struct Draft {
    to: String,
    cc: String,
    subject: String,
    body: String,
    message_type: String,
    /// `FOLDER/UID` of the draft this form was opened from, replaced once sent or saved again.
    replaces: String,
    /// The message id this one answers, for mail clients to thread the two.
    in_reply_to: String,
    /// The attachments of the message forwarded, or of the draft gone on with.
    carried: carried::Attachments,
}

#[derive(Deserialize)]
pub struct ComposeQuery {
    /// `FOLDER/UID` of the message answered or forwarded.
    reply: Option<String>,
    /// `FOLDER/UID` of a draft to go on with.
    draft: Option<String>,
    #[serde(default)]
    all: bool,
    forward: Option<String>,
    /// A recipient to start with (from the address book).
    to: Option<String>,
}

/// The compose form, its recipient fields offering the account's contacts.
async fn form(
    web: &Arc<Web>,
    user: &User,
    d: &Draft,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (account, max) = (user.session.account, web.settings.max_contacts);
    let contacts = crate::mail::storage(web, user, move |s| contacts::list(s, account, max))
        .await
        .unwrap_or_default();
    let t = user.t;
    let title = t.text("web-compose", &[]);
    let mut types: Vec<String> = mailbox::MESSAGE_TYPES
        .iter()
        .map(|s| s.to_string())
        .collect();
    types.extend(web.types.iter().cloned());
    let body = html! {
        h1 { (title) }
        @if let Some(p) = problem {
            p.notice role="alert" { (p) }
        }
        datalist #contacts {
            @for c in &contacts {
                option value=(c.address) { (c.name) }
            }
        }
        form.compose method="post" action="/compose" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(user.session.csrf);
            @if !d.replaces.is_empty() {
                input type="hidden" name="replaces" value=(d.replaces);
            }
            @if !d.in_reply_to.is_empty() {
                input type="hidden" name="in_reply_to" value=(d.in_reply_to);
            }
            label for="to" { (t.text("web-field-to", &[])) }
            input #to type="text" name="to" value=(d.to) list="contacts" autocomplete="off" required;
            label for="cc" { (t.text("web-field-cc", &[])) }
            input #cc type="text" name="cc" value=(d.cc) list="contacts" autocomplete="off";
            label for="subject" { (t.text("web-col-subject", &[])) }
            input #subject type="text" name="subject" value=(d.subject);
            label for="type" { (t.text("web-field-type", &[])) }
            select #type name="type" {
                @for ty in &types {
                    option value=(ty) selected[*ty == d.message_type] { (type_label(t, ty)) }
                }
            }
            label for="body" { (t.text("web-field-body", &[])) }
            textarea #body name="body" rows="14" { (d.body) }
            (d.carried.fields(t))
            label for="attachments" { (t.text("web-attachments", &[])) }
            input #attachments type="file" name="attachment" multiple;
            div.buttons {
                button type="submit" name="action" value="send" { (t.text("web-send", &[])) }
                button type="submit" name="action" value="draft" { (t.text("web-save-draft", &[])) }
            }
        }
    };
    (
        status,
        page::shell(web, t, &title, Some(&user.session), body),
    )
        .into_response()
}

/// A message type's name in the page's language; types the node's operator added show as
/// they are written.
pub fn type_label(t: &I18n, ty: &str) -> String {
    let id = format!("web-type-{ty}");
    if t.has(&id) {
        t.text(&id, &[])
    } else {
        ty.to_string()
    }
}

fn parse_ref(r: &str) -> Option<(u64, u32)> {
    let (f, u) = r.split_once('/')?;
    Some((f.parse().ok()?, u.parse().ok()?))
}

/// The first plain-text part of a message, quoted, at most 64 KiB of it.
fn quoted(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if out.len() > 64 * 1024 {
            break;
        }
        out.push_str("> ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The account's message an answer, a forward or a draft starts from; the not-found page when
/// the account has none such.
async fn original(
    web: &Arc<Web>,
    user: &User,
    folder: u64,
    uid: u32,
) -> Result<render::Original, Response> {
    let (account, max) = (user.session.account, web.settings.max_text_part);
    crate::mail::found(web, user, move |s| {
        render::original(s, account, folder, uid, max)
    })
    .await
}

/// `Re: ` or `Fwd: ` before a subject that does not start with it already.
fn prefixed(prefix: &str, subject: &str) -> String {
    if subject.to_lowercase().starts_with(&prefix.to_lowercase()) {
        subject.to_string()
    } else {
        format!("{prefix}{subject}")
    }
}

pub async fn show(
    State(web): State<Arc<Web>>,
    user: User,
    Query(q): Query<ComposeQuery>,
) -> Response {
    let mut d = Draft {
        message_type: "message".into(),
        ..Draft::default()
    };
    if let Some((folder, uid)) = q.draft.as_deref().and_then(parse_ref) {
        let o = match original(&web, &user, folder, uid).await {
            Ok(o) => o,
            Err(r) => return r,
        };
        d.replaces = format!("{folder}/{uid}");
        d.carried = carried::Attachments::of(d.replaces.clone(), &o);
        d.to = o.summary.to;
        d.cc = o.summary.cc;
        d.subject = o.summary.subject;
        d.body = o.text;
        d.in_reply_to = o.in_reply_to;
        // Its signature is in its text already.
        return form(&web, &user, &d, None, StatusCode::OK).await;
    }
    let answered = q
        .reply
        .as_deref()
        .or(q.forward.as_deref())
        .and_then(parse_ref);
    if let Some((folder, uid)) = answered {
        let o = match original(&web, &user, folder, uid).await {
            Ok(o) => o,
            Err(r) => return r,
        };
        if q.forward.is_some() {
            d.carried = carried::Attachments::of(format!("{folder}/{uid}"), &o);
            d.subject = prefixed("Fwd: ", &o.summary.subject);
            d.body = format!(
                "\n\n---------- {} ----------\n{}",
                user.t.text("web-forwarded", &[]),
                quoted(&o.text)
            );
        } else {
            d.subject = prefixed("Re: ", &o.summary.subject);
            d.to = o.reply_to.clone();
            d.in_reply_to = o.message_id.clone();
            if q.all {
                let me = user.session.address.to_lowercase();
                let others: Vec<&str> = o
                    .all
                    .iter()
                    .map(String::as_str)
                    .filter(|a| a.to_lowercase() != me && *a != o.reply_to)
                    .collect();
                d.cc = others.join(", ");
            }
            d.body = format!(
                "\n\n{}\n{}",
                user.t
                    .text_owned("web-wrote", &[("who", o.summary.from.clone())]),
                quoted(&o.text)
            );
        }
    }
    let account = user.session.account;
    let me = crate::mail::storage(&web, &user, move |s| identity::load(s, account))
        .await
        .unwrap_or_default();
    // The signature goes under what the user writes, above a quoted message.
    d.body = format!("{}{}", me.signature_block(), d.body);
    if let Some(to) = q.to.filter(|_| answered.is_none()) {
        d.to = to.chars().take(1000).collect();
    }
    form(&web, &user, &d, None, StatusCode::OK).await
}

/// Why an upload was refused.
enum Upload {
    TooLarge,
    Bad,
    /// No CSRF token, or another session's, before the first file.
    Forbidden,
    Io(std::io::Error),
}

/// What an upload brought: the form's fields, the files written and their bytes together.
struct Received {
    fields: Vec<(String, String)>,
    files: Vec<PathBuf>,
    bytes: u64,
}

/// Files one message may have, uploaded and carried together.
const MAX_FILES: usize = 100;

/// The form's fields and its files, each file written to `dir/N/NAME` as it arrives. The
/// session's CSRF token must come before any file (the form puts it first), so nothing is
/// written to disk for a request that is not the user's own.
async fn receive(
    mut mp: Multipart,
    dir: &Path,
    user: &User,
    max_field: usize,
    max_body: usize,
    max_files: u64,
) -> Result<Received, Upload> {
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    let (mut total, mut boxes) = (0u64, 0usize);
    let mut trusted = false;
    while let Some(mut field) = mp.next_field().await.map_err(|_| Upload::Bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachment" {
            if !trusted {
                return Err(Upload::Forbidden);
            }
            let Some(file_name) = field.file_name().map(render::safe_file_name) else {
                continue;
            };
            if files.len() >= MAX_FILES {
                return Err(Upload::TooLarge);
            }
            let sub = dir.join(files.len().to_string());
            tokio::fs::create_dir_all(&sub).await.map_err(Upload::Io)?;
            let path = sub.join(&file_name);
            let mut out = tokio::fs::File::create(&path).await.map_err(Upload::Io)?;
            let mut len = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(|_| Upload::Bad)? {
                len += chunk.len() as u64;
                total += chunk.len() as u64;
                if total > max_files {
                    return Err(Upload::TooLarge);
                }
                out.write_all(&chunk).await.map_err(Upload::Io)?;
            }
            out.flush().await.map_err(Upload::Io)?;
            // A browser sends an empty part when no file was chosen.
            if len == 0 && file_name == "attachment" {
                continue;
            }
            files.push(path);
        } else {
            // A box per carried attachment; the other fields are few.
            if name == "keep" {
                boxes += 1;
            }
            if boxes > MAX_FILES || fields.len() >= 32 + boxes {
                return Err(Upload::Bad);
            }
            // The text may be as long as the read view shows a part; other fields are short.
            let max = if name == "body" { max_body } else { max_field };
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| Upload::Bad)? {
                if value.len() + chunk.len() > max {
                    return Err(Upload::TooLarge);
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| Upload::Bad)?;
            if name == "csrf" {
                trusted = guard::same_secret(&user.session.csrf, &value);
                if !trusted {
                    return Err(Upload::Forbidden);
                }
            }
            fields.push((name, value));
        }
    }
    Ok(Received {
        fields,
        files,
        bytes: total,
    })
}

fn addresses(list: &str) -> Vec<String> {
    list.split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| match (a.rfind('<'), a.rfind('>')) {
            (Some(i), Some(j)) if i < j => a[i + 1..j].trim().to_string(),
            _ => a.to_string(),
        })
        .take(100)
        .collect()
}

fn problem_text(t: &I18n, e: &SendError) -> String {
    let a = |id: &str, who: &str| t.text(id, &[("address", who)]);
    match e {
        SendError::NoRecipients => t.text("web-send-no-recipients", &[]),
        SendError::BadAddress(x) => a("web-send-bad-address", x),
        SendError::NotPartner(x) => a("web-send-not-partner", x),
        SendError::UnknownRecipient(x) => a("web-send-unknown", x),
        SendError::Unavailable(x) => a("web-send-unavailable", x),
        SendError::UnknownType(_) => t.text("web-bad-request", &[]),
        SendError::Attachment(..) | SendError::NoAccount(_) | SendError::Store(_) => {
            t.text("web-failed", &[])
        }
    }
}

/// Bytes of one part's header block in an upload; a longer one ends the upload.
const MAX_PART_HEAD: usize = 16 * 1024;

/// The upload's parts as they arrive, each part's header block bounded on the way in.
async fn parts(web: &Arc<Web>, req: Request) -> Option<Multipart> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut heads = part_heads::PartHeads::new(&part_heads::boundary(content_type)?, MAX_PART_HEAD);
    let (head, body) = req.into_parts();
    let guarded = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(axum::BoxError::from)?;
        heads.feed(&chunk)?;
        Ok::<_, axum::BoxError>(chunk)
    });
    let req = Request::from_parts(head, Body::from_stream(guarded));
    Multipart::from_request(req, web).await.ok()
}

pub async fn send(State(web): State<Arc<Web>>, user: User, req: Request) -> Response {
    let Some(mp) = parts(&web, req).await else {
        return user.refusal(&web, StatusCode::BAD_REQUEST, "web-bad-request");
    };
    let dir = web.upload_dir.join(sessions::random_token());
    let got = receive(
        mp,
        &dir,
        &user,
        web.settings.max_form_size,
        usize::try_from(web.settings.max_text_part).unwrap_or(usize::MAX),
        web.settings.max_upload_size,
    )
    .await;
    let response = match got {
        Ok(got) => sent(&web, &user, got, &dir).await,
        Err(Upload::Forbidden) => user.refusal(&web, StatusCode::FORBIDDEN, "web-csrf-refused"),
        Err(Upload::TooLarge) => {
            user.refusal(&web, StatusCode::PAYLOAD_TOO_LARGE, "web-upload-too-large")
        }
        Err(Upload::Bad) => user.refusal(&web, StatusCode::BAD_REQUEST, "web-bad-request"),
        Err(Upload::Io(e)) => {
            tracing::warn!(error = %e, "web: an upload could not be stored");
            user.refusal(&web, StatusCode::INTERNAL_SERVER_ERROR, "web-failed")
        }
    };
    // The message holds its own copy of every attachment now, or was not sent.
    let _ = tokio::fs::remove_dir_all(&dir).await;
    response
}

async fn sent(web: &Arc<Web>, user: &User, got: Received, dir: &Path) -> Response {
    let fields = got.fields;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // The token was checked as it arrived; a form without any is refused here.
    if let Some(r) = user.csrf_refusal(web, &get("csrf")) {
        return r;
    }
    let d = Draft {
        to: get("to"),
        cc: get("cc"),
        subject: get("subject"),
        body: get("body").replace("\r\n", "\n"),
        message_type: get("type"),
        replaces: get("replaces"),
        in_reply_to: get("in_reply_to"),
        carried: carried::Attachments::default(),
    };
    let kept: Vec<usize> = fields
        .iter()
        .filter(|(n, _)| n == "keep")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let from = parse_ref(&get("carried_from"));
    let mut files = Vec::new();
    if let Some(from) = from.filter(|_| !kept.is_empty()) {
        if kept.len() + got.files.len() > MAX_FILES {
            return user.refusal(web, StatusCode::PAYLOAD_TOO_LARGE, "web-upload-too-large");
        }
        let budget = web.settings.max_upload_size.saturating_sub(got.bytes);
        match carried::copy(web, user, from, kept.clone(), dir, budget).await {
            Ok(paths) => files = paths,
            Err(carried::NotCarried::TooLarge) => {
                return user.refusal(web, StatusCode::PAYLOAD_TOO_LARGE, "web-upload-too-large");
            }
            Err(carried::NotCarried::Missing) => {
                let text = user.t.text("web-carried-missing", &[]);
                return form(web, user, &d, Some(text), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            Err(carried::NotCarried::Io(e)) => {
                tracing::warn!(error = %e, "web: an attachment could not be carried over");
                return user.refusal(web, StatusCode::INTERNAL_SERVER_ERROR, "web-failed");
            }
        }
    }
    files.extend(got.files);
    let account = user.session.account;
    let me = crate::mail::storage(web, user, move |s| identity::load(s, account))
        .await
        .unwrap_or_default();
    let req = SendRequest {
        from: user.session.address.clone(),
        from_name: Some(me.name),
        in_reply_to: Some(d.in_reply_to.clone()).filter(|i| !i.is_empty()),
        to: addresses(&d.to),
        cc: addresses(&d.cc),
        subject: d.subject.clone(),
        body: d.body.clone(),
        message_type: d.message_type.clone(),
        attachments: files,
    };
    let outcome = if get("action") == "draft" {
        delivery::send::save_draft(&web.outbox, &web.types, req)
            .await
            .map(|(folder, _)| format!("/mail/{folder}"))
    } else {
        delivery::send::send(&web.outbox, &web.types, req)
            .await
            .map(|s| {
                tracing::info!(account = %user.session.address, local = s.local.len(), remote = s.remote.len(), "web: message sent");
                "/mail/sent?sent=true".to_string()
            })
    };
    match outcome {
        Ok(then) => {
            if let Some((folder, uid)) = parse_ref(&d.replaces) {
                let account = user.session.account;
                let _ =
                    crate::mail::storage(web, user, move |s| drop_draft(s, account, folder, uid))
                        .await;
            }
            Redirect::to(&then).into_response()
        }
        Err(e) => {
            let text = problem_text(user.t, &e);
            // The form comes back with the same boxes ticked; new files must be chosen again.
            let mut d = d;
            if let Some((folder, uid)) = from
                && let Ok(o) = original(web, user, folder, uid).await
            {
                d.carried = carried::Attachments::of(format!("{folder}/{uid}"), &o).ticked(&kept);
            }
            form(web, user, &d, Some(text), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Removes the draft a form was opened from, once its message is sent or saved anew; only
/// from the account's own Drafts folder.
fn drop_draft(s: &mailbox::Store, account: u64, folder: u64, uid: u32) -> mailbox::Result<()> {
    let drafts = s.special_folder(account, mailbox::SpecialUse::Drafts)?;
    if drafts.is_some_and(|f| f.id == folder) {
        s.store_flags(
            account,
            folder,
            &[uid],
            mailbox::FlagOp::Add,
            &["\\Deleted"],
            None,
        )?;
        s.expunge(account, folder, Some(&[uid]))?;
    }
    Ok(())
}
