//! The account's settings page: the language of the web interface, and the identity (name
//! and signature) of mail written here.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::guard::User;
use crate::identity::{self, Identity};
use crate::mail::storage;
use crate::{Web, login, page, texts};

pub async fn show(State(web): State<Arc<Web>>, user: User) -> Response {
    let account = user.session.account;
    let me = match storage(&web, &user, move |s| identity::load(s, account)).await {
        Ok(me) => me,
        Err(r) => return r,
    };
    let t = user.t;
    let title = t.text("web-settings", &[]);
    let body = html! {
        h1 { (title) }
        form.settings method="post" action="/settings/language" {
            input type="hidden" name="csrf" value=(user.session.csrf);
            label for="language" { (t.text("web-language", &[])) }
            select #language name="language" {
                @for lang in texts::languages() {
                    option value=(lang) selected[lang == t.language()] {
                        (texts::shipped(lang).map(|l| l.text("web-language-name", &[])).unwrap_or_default())
                    }
                }
            }
            button type="submit" { (t.text("web-save", &[])) }
        }
        h2 { (t.text("web-identity", &[])) }
        form.settings.identity method="post" action="/settings/identity" {
            input type="hidden" name="csrf" value=(user.session.csrf);
            label for="name" { (t.text("web-identity-name", &[])) }
            input #name type="text" name="name" value=(me.name) maxlength=(identity::MAX_NAME);
            label for="signature" { (t.text("web-identity-signature", &[])) }
            textarea #signature name="signature" rows="4" maxlength=(identity::MAX_SIGNATURE) { (me.signature) }
            button type="submit" { (t.text("web-save", &[])) }
        }
        p { a href="/mail" { (t.text("web-back", &[])) } }
    };
    page::shell(&web, t, &title, Some(&user.session), body).into_response()
}

#[derive(Deserialize)]
pub struct LanguageForm {
    csrf: String,
    language: String,
}

pub async fn language(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<LanguageForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let Some(lang) = texts::shipped(&f.language).map(|t| t.language()) else {
        return user.refusal(&web, StatusCode::BAD_REQUEST, "web-bad-request");
    };
    web.sessions.set_lang(&user.session.id, lang);
    let mut r = Redirect::to("/settings").into_response();
    // Kept for the login page too, in this browser.
    r.headers_mut().append(SET_COOKIE, login::lang_cookie(lang));
    r
}

#[derive(Deserialize)]
pub struct IdentityForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    signature: String,
}

pub async fn save_identity(
    State(web): State<Arc<Web>>,
    user: User,
    Form(f): Form<IdentityForm>,
) -> Response {
    if let Some(r) = user.csrf_refusal(&web, &f.csrf) {
        return r;
    }
    let account = user.session.account;
    let me = Identity::cleaned(&f.name, &f.signature);
    match storage(&web, &user, move |s| identity::save(s, account, &me)).await {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(r) => r,
    }
}
