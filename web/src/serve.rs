//! The listener: TLS with the node's certificate, HTTP/1.1 with bounded heads and idle
//! connections, and the routes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::guard::{self, Visitor};
use crate::{
    Web, actions, brand, compose, contacts, download, folders, list, login, mail, operator, page,
    read, refusals, rules, settings,
};

/// Largest request head (request line and headers) read, in bytes.
const MAX_HEAD: usize = 64 * 1024;

const STYLE: &str = include_str!("../assets/style.css");

async fn style() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

async fn root(v: Visitor) -> Redirect {
    Redirect::to(if v.session.is_some() {
        "/mail"
    } else {
        "/login"
    })
}

async fn not_found(State(web): State<Arc<Web>>, v: Visitor) -> Response {
    page::refusal(
        &web,
        v.t,
        StatusCode::NOT_FOUND,
        "web-not-found",
        v.session.as_ref(),
    )
}

/// Every page of the web interface, with the security headers on each response.
pub fn router(web: Arc<Web>) -> Router {
    let upload_limit = usize::try_from(web.settings.max_upload_size)
        .unwrap_or(usize::MAX)
        .saturating_add(usize::try_from(web.settings.max_text_part).unwrap_or(usize::MAX))
        .saturating_add(64 * web.settings.max_form_size);
    let mut r = Router::new()
        .route("/", get(root))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/mail", get(mail::home))
        .route("/mail/sent", get(mail::sent))
        .route("/mail/{folder}", get(list::list))
        .route("/mail/{folder}/{uid}", get(read::read))
        .route(
            "/mail/{folder}/{uid}/attachment/{n}",
            get(download::attachment),
        )
        .route("/mail/{folder}/{uid}/move", post(actions::move_to))
        .route("/mail/{folder}/{uid}/delete", post(actions::delete))
        .route("/mail/{folder}/{uid}/flag", post(actions::flag))
        .route(
            "/compose",
            get(compose::show)
                .post(compose::send)
                // Attachments are streamed to disk; the form's own fields are bounded each.
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/folders", get(folders::show).post(folders::create))
        .route("/folders/rename", post(folders::rename))
        .route("/folders/delete", post(folders::delete))
        .route("/contacts", get(contacts::show).post(contacts::add_one))
        .route("/contacts/remove", post(contacts::remove_one))
        .route("/settings", get(settings::show))
        .route("/rules", get(rules::show).post(rules::save))
        .route("/rules/activate", post(rules::activate))
        .route("/rules/remove", post(rules::remove))
        .route("/settings/language", post(settings::language))
        .route("/settings/identity", post(settings::save_identity))
        .route("/assets/style.css", get(style))
        .route("/assets/brand.css", get(brand::style))
        .route("/assets/logo", get(brand::logo))
        .merge(operator::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            refusals::localise,
        ))
        .layer(DefaultBodyLimit::max(web.settings.max_form_size))
        // A body that stops arriving (a slow upload, a form never finished) ends the request
        // after this long without a byte; a long upload that keeps moving is not cut.
        .layer(RequestBodyTimeoutLayer::new(web.settings.request_timeout))
        .with_state(web);
    for (name, value) in guard::security_headers() {
        // A page may set one of these itself (the read view's policy when its reader asked for
        // the pictures); every other response gets them as they are.
        r = r.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    r
}

/// Serves the web interface on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, web: Arc<Web>) {
    if let Ok(addr) = listener.local_addr() {
        let _ = web.port.set(addr.port());
    }
    // Uploads left by a node that stopped while receiving them belong to no message.
    let _ = tokio::fs::remove_dir_all(&web.upload_dir).await;
    let caps = endpoints::limits::ConnCaps {
        total: web.settings.max_connections,
        per_ip: web.settings.max_connections_per_ip,
    };
    let limiter = endpoints::limits::ConnLimiter::new(caps);
    let app = router(web.clone());
    let timeout = web.settings.request_timeout;
    endpoints::net::accept_loop(listener, "web", limiter, move |tcp, peer| {
        let app = app.clone();
        let tls = web.clients.tls.clone();
        async move {
            let Some(stream) = endpoints::net::tls_handshake(&tls, tcp, peer, "web").await else {
                return;
            };
            let svc = app.map_request(move |mut req: axum::extract::Request<_>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .max_buf_size(MAX_HEAD)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "web connection ended");
            }
        }
    })
    .await;
}
