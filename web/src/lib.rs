//! The node's web interface (`[web]`, docs/web.md): webmail for every account over HTTPS with
//! the node's certificate. Pages are rendered on the server (maud) and work without
//! JavaScript; the Content-Security-Policy allows none.
//!
//! The parts: `serve` (TLS, HTTP/1.1, the router; `refusals` turns the framework's own
//! plain-text refusals into pages), `sessions` (who is logged in, CSRF
//! tokens), `guard` (headers, cookies, the CSRF check), `texts` (Fluent, the language of a
//! request), `page` (the page shell), `login`, `mail` (the folder tree, the way in), `list`
//! (a folder's messages, search), `folders` (create, rename, delete), `read` (one message), `actions` (move, delete, flags),
//! `compose` (writing and sending, attachments streamed to disk; `part_heads` bounds each
//! part's header block; `carried` brings a forwarded message's or a draft's attachments along), `download` (attachments
//! streamed out), `render` (a message's text parts, HTML sanitised), `contacts` (the address
//! book), `identity` (name and signature), `settings`, `rules` (the account's Sieve scripts), `brand` (the branding's colours and logo), and `operator` (the operator's pages under `/admin`: status and live jobs,
//! accounts and their drop folders, log level, updates).

mod actions;
mod brand;
mod carried;
mod compose;
mod contacts;
mod download;
mod folders;
mod guard;
mod identity;
mod list;
mod login;
mod mail;
mod operator;
mod page;
mod part_heads;
mod read;
mod refusals;
mod render;
mod rules;
mod serve;
mod sessions;
mod settings;
pub mod texts;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use brand::Brand;
pub use serve::{router, serve};
pub use sessions::Sessions;

/// The `[web]` section's limits (docs/security.md).
#[derive(Debug, Clone)]
pub struct Settings {
    /// A session unused this long is logged out.
    pub session_idle: Duration,
    /// Sessions kept at once over all accounts; a login beyond it is refused.
    pub max_sessions: usize,
    /// Connections served at once, in all and from one IP address; more are closed at once.
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Largest form body (login, settings) accepted, in bytes.
    pub max_form_size: usize,
    /// A request whose head has not arrived by then ends the connection; so does an idle
    /// keep-alive connection.
    pub request_timeout: Duration,
    /// Messages on one page of a folder's list.
    pub page_size: usize,
    /// Bytes of one text part shown in the read view; the rest is left out with a note.
    pub max_text_part: u64,
    /// Bytes of attachments one message written here may carry, all together.
    pub max_upload_size: u64,
    /// Contacts one account's address book may hold.
    pub max_contacts: usize,
    /// Folders an account may have for a new one to be made here.
    pub max_folders: usize,
}

/// What the web interface serves from.
pub struct Web {
    pub store: mailbox::Store,
    /// Where mail written here leaves: the one submission pipeline.
    pub outbox: Arc<delivery::submit::Outbox>,
    /// Message types the node knows beyond the built-in ones (`[drop] types`).
    pub types: Vec<String>,
    /// Attachments being uploaded wait here until their message is made; emptied at start.
    pub upload_dir: PathBuf,
    /// The node's TLS acceptor and throttled login, shared with IMAP and submission.
    pub clients: Arc<endpoints::Clients>,
    pub settings: Settings,
    /// The product name from the branding file, in titles and the header.
    pub product: String,
    /// The branding file's colours and logo.
    pub brand: Brand,
    pub sessions: Sessions,
    /// Operators logged in to the administration pages, apart from accounts.
    pub operators: Sessions,
    pub data_dir: PathBuf,
    pub jobs: Arc<jobs::Registry>,
    /// The operator pages' changes go through the admin requests the CLI sends.
    pub admin: Arc<admin::Admin>,
    /// The port served on, set when serving starts; it names the cookies.
    port: OnceLock<u16>,
}

/// What the web interface is made from.
pub struct Parts {
    /// The admin requests the operator pages make (the admin socket's own).
    pub admin: Arc<admin::Admin>,
    pub outbox: Arc<delivery::submit::Outbox>,
    pub clients: Arc<endpoints::Clients>,
    pub settings: Settings,
    pub product: String,
    pub brand: Brand,
    pub types: Vec<String>,
    /// The node's data folder: operator tokens, and `tmp/web/uploads/`.
    pub data_dir: PathBuf,
    /// The node's live job list (the one monitors see).
    pub jobs: Arc<jobs::Registry>,
}

impl Web {
    pub fn new(p: Parts) -> Arc<Web> {
        let s = &p.settings;
        Arc::new(Web {
            store: p.outbox.store.clone(),
            sessions: Sessions::new(s.session_idle, s.max_sessions),
            operators: Sessions::new(s.session_idle, s.max_sessions),
            upload_dir: p.data_dir.join("tmp").join("web").join("uploads"),
            admin: p.admin,
            outbox: p.outbox,
            types: p.types,
            data_dir: p.data_dir,
            jobs: p.jobs,
            clients: p.clients,
            settings: p.settings,
            product: p.product,
            brand: p.brand,
            port: OnceLock::new(),
        })
    }

    /// The port the web interface is served on (0 before it is).
    pub fn port(&self) -> u16 {
        self.port.get().copied().unwrap_or(0)
    }
}
