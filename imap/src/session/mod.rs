//! One client connection's state (not authenticated / authenticated / selected), fed framed
//! commands by its driver and answering with output and a [`Step`].

mod append;
mod auth;
mod commands;
mod contexts;
mod dispatch;
pub(crate) mod fetch_job;
mod notify;
mod qresync;
pub(crate) mod query;
mod quota;
pub(crate) mod store_job;
pub(crate) mod urlauth;
pub(crate) mod urlfetch;

use std::sync::Arc;

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::flag::Flag;
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use mailbox::Account;

use super::framing::{Budget, Input, Refusal, tag_of};
use super::search_ext::{Saved, strip_return, substitute, verb};
use super::syntax::decode_mutf7;
use super::view::View;
use crate::Env;
use fetch_job::{Body, FetchJob};

pub(super) enum State {
    NotAuthenticated,
    Authenticated(Account),
    Selected(Account, Box<View>),
}

/// What the driver does next, after sending everything in [`Session::output`].
#[derive(Debug)]
pub enum Step {
    /// Read the next command within [`Session::budget`] and pass it to [`Session::handle`].
    Read,
    /// Send this literal's bytes, then call [`Session::resume`].
    Send(Body),
    /// Call [`Session::resume`]: a long response goes on.
    Flush,
    /// Check these credentials and pass the account (or the failure) to
    /// [`Session::verified`]. Throttling repeated failures is the driver's.
    Verify { user: String, password: String },
    /// Switch the connection to TLS, then call [`Session::tls_started`].
    StartTls,
    /// Compress both directions from now on (RFC 4978); input already read but not framed
    /// is compressed too.
    Compress,
    /// IDLE (RFC 2177): watch the account's store. Once watching, and on every change, call
    /// [`Session::changed`]; a line from the client goes to [`Session::handle`] as ever.
    Idle { account: u64 },
    /// Close the connection.
    Close,
}

pub struct Session {
    pub(super) env: Arc<Env>,
    /// Who is at the other end, for the log.
    pub(super) peer: String,
    pub(super) tls: bool,
    pub(super) compressed: bool,
    pub(super) state: State,
    pub(super) condstore: bool,
    /// The client enabled QRESYNC (RFC 7162): expunges are told as VANISHED.
    pub(super) qresync: bool,
    pub(super) list_selection: Option<super::list_ext::ListOptions>,
    /// The client enabled IMAP4rev2 (RFC 9051).
    pub(super) rev2: bool,
    /// The client enabled UTF8=ACCEPT (RFC 6855).
    pub(super) utf8: bool,
    /// RETURN options of the SEARCH being run (ESEARCH).
    pub(super) search_return: Option<super::search_ext::SearchReturn>,
    /// SEARCHRES: the saved result, as UIDs.
    pub(super) saved: Vec<u32>,
    /// Responses not yet handed to the driver.
    pub(super) out: Vec<u8>,
    /// A FETCH that is being sent in pieces.
    pub(super) fetching: Option<Box<FetchJob>>,
    /// A URLFETCH that is being sent in pieces.
    pub(super) urlfetch: Option<Box<urlfetch::UrlFetch>>,
    /// A STORE that is being made and told in parts.
    pub(super) storing: Option<Box<store_job::StoreJob>>,
    /// A command waiting for the client or the driver.
    pub(super) waiting: Waiting,
    /// What the client asked to hear of as it happens (NOTIFY).
    pub(super) notify: Option<Box<notify::Notify>>,
}

/// A command that is not finished with its first answer.
pub(super) enum Waiting {
    Nothing,
    /// AUTHENTICATE sent its continuation; the next line is the client's SASL response.
    Sasl {
        tag: String,
    },
    /// Credentials are with the driver.
    Verify {
        tag: String,
    },
    /// IDLE until the client says DONE.
    Idle {
        tag: String,
    },
}

pub(super) fn flag_str(f: &Flag<'_>) -> String {
    match f {
        Flag::Answered => "\\Answered".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Seen => "\\Seen".into(),
        other => other.to_string(),
    }
}

/// The folder a client names: modified UTF-7 for IMAP4rev1, plain UTF-8 under IMAP4rev2.
pub(super) fn mailbox_name(m: &Mailbox<'_>, utf8: bool) -> Option<String> {
    match m {
        Mailbox::Inbox => Some("INBOX".into()),
        Mailbox::Other(o) => {
            let raw = std::str::from_utf8(o.as_ref()).ok()?;
            if utf8 {
                Some(raw.to_string())
            } else {
                decode_mutf7(raw)
            }
        }
    }
}

pub(super) fn list_pattern(m: &ListMailbox<'_>, utf8: bool) -> String {
    let raw = match m {
        ListMailbox::Token(t) => String::from_utf8_lossy(t.as_ref()).to_string(),
        ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).to_string(),
    };
    if utf8 {
        raw
    } else {
        decode_mutf7(&raw).unwrap_or(raw)
    }
}

impl Session {
    /// A new connection, `tls` if it came in over implicit TLS. Its greeting is queued.
    pub fn new(env: Arc<Env>, peer: impl std::fmt::Display, tls: bool) -> Self {
        let mut s = Session {
            env,
            peer: peer.to_string(),
            tls,
            compressed: false,
            state: State::NotAuthenticated,
            condstore: false,
            qresync: false,
            list_selection: None,
            rev2: false,
            utf8: false,
            search_return: None,
            saved: Vec::new(),
            out: Vec::with_capacity(8192),
            fetching: None,
            urlfetch: None,
            storing: None,
            waiting: Waiting::Nothing,
            notify: None,
        };
        let greeting = s
            .env
            .texts
            .text("imap-greeting", &[("product", &s.env.product)]);
        let caps = s.capabilities();
        s.line(&format!("* OK [CAPABILITY {caps}] {greeting}"));
        s
    }

    /// Responses to send. The driver empties it after sending.
    pub fn output(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// What the next command may cost: a stranger gets a small command and nothing on disk.
    pub fn budget(&self) -> Budget {
        let l = &self.env.limits;
        if self.account_id().is_some() {
            Budget {
                max_command: l.max_command_size,
                max_append: l.max_append_size,
                max_append_messages: l.max_append_messages,
            }
        } else {
            Budget {
                max_command: l.max_command_size_before_login,
                max_append: 0,
                max_append_messages: 0,
            }
        }
    }

    pub fn account_id(&self) -> Option<u64> {
        match &self.state {
            State::Authenticated(a) | State::Selected(a, _) => Some(a.id),
            State::NotAuthenticated => None,
        }
    }

    /// The client took too long: it is told so before the driver closes.
    pub fn timed_out(&mut self) {
        let t = self.t("imap-bye-timeout");
        self.line(&format!("* BYE {t}"));
    }

    /// The connection is under TLS now.
    pub fn tls_started(&mut self) {
        self.tls = true;
    }

    /// Goes on with the response a [`Step::Send`] or [`Step::Flush`] interrupted.
    pub fn resume(&mut self) -> Step {
        if self.urlfetch.is_some() {
            return self.urlfetch_more();
        }
        if self.storing.is_some() {
            return self.store_more();
        }
        self.fetch_more()
    }

    /// The driver's answer to [`Step::Verify`].
    pub fn verified<E: std::fmt::Display>(&mut self, result: Result<Account, E>) -> Step {
        let Waiting::Verify { tag } = std::mem::replace(&mut self.waiting, Waiting::Nothing) else {
            return Step::Read;
        };
        self.logged_in(&tag, result);
        Step::Read
    }

    /// A framed command (or line, when one is awaited) from the client.
    pub fn handle(&mut self, input: Input) -> Step {
        let (bytes, staged) = match input {
            Input::Refused { tag, reason } => return self.refused(&tag, reason),
            Input::Command { bytes, staged } => (bytes, staged),
        };
        match std::mem::replace(&mut self.waiting, Waiting::Nothing) {
            Waiting::Nothing => {}
            Waiting::Sasl { tag } => return self.sasl_response(&tag, &bytes),
            Waiting::Idle { tag } => {
                if String::from_utf8_lossy(&bytes)
                    .trim()
                    .eq_ignore_ascii_case("DONE")
                {
                    self.refresh(true);
                    self.tagged(&tag, "OK", None, "imap-idle-done");
                } else {
                    self.tagged(&tag, "BAD", None, "imap-idle-expected-done");
                }
                return Step::Read;
            }
            // The driver checks credentials before it reads on.
            w @ Waiting::Verify { .. } => {
                self.waiting = w;
                return Step::Read;
            }
        }
        if verb(&bytes).is_some_and(|v| !v.1 && v.2 == "APPEND") {
            self.append_command(&bytes, staged);
            return Step::Read;
        }
        self.command_bytes(bytes)
    }

    fn refused(&mut self, tag: &str, reason: Refusal) -> Step {
        let (status, code, id, close) = match reason {
            Refusal::LineTooLong => ("BAD", None, "imap-line-too-long", false),
            Refusal::TooBig => ("NO", Some("TOOBIG"), "imap-too-big", false),
            Refusal::Store => ("NO", Some("SERVERBUG"), "imap-internal", false),
            Refusal::CommandTooLong { close } => {
                ("BAD", Some("LIMIT"), "imap-command-too-long", close)
            }
            Refusal::TooManyMessages { close } => {
                ("NO", Some("LIMIT"), "imap-too-many-messages", close)
            }
        };
        // A line that answers AUTHENTICATE or ends IDLE has no tag of its own: the refusal
        // completes the command it belongs to.
        match std::mem::replace(&mut self.waiting, Waiting::Nothing) {
            Waiting::Sasl { tag: t } => self.tagged(&t, "BAD", None, "imap-auth-malformed"),
            Waiting::Idle { tag: t } => self.tagged(&t, "BAD", None, "imap-idle-expected-done"),
            _ => self.tagged(tag, status, code, id),
        }
        if close {
            let t = self.t("imap-bye-too-long");
            self.line(&format!("* BYE {t}"));
            return Step::Close;
        }
        Step::Read
    }

    /// Rewrites the syntax imap-codec does not know (SEARCHRES `$`, ESEARCH's RETURN,
    /// LIST-EXTENDED), then parses and runs the command.
    fn command_bytes(&mut self, mut bytes: Vec<u8>) -> Step {
        self.list_selection = None;
        self.search_return = None;
        if let Some((tag, false, v, off)) = verb(&bytes) {
            if v == "CANCELUPDATE" {
                self.cancel_update(&tag, &bytes[off..]);
                return Step::Read;
            }
            if v == "NOTIFY" {
                let args = bytes[off..].strip_suffix(b"\r\n").unwrap_or(&bytes[off..]);
                self.notify_command(&tag, args);
                return Step::Read;
            }
            if let Some(step) = self.urlauth_command(&tag, &v, &bytes[off..]) {
                return step;
            }
        }
        let (saved_uids, saved_seqs) = self.saved_sets();
        match substitute(&bytes, &saved_uids, &saved_seqs) {
            Saved::Rewritten(b) => bytes = b,
            Saved::Nothing => {
                self.tagged(&tag_of(&bytes), "OK", None, "imap-done");
                return Step::Read;
            }
            Saved::Unchanged => {}
        }
        if let Some((plain, ret)) = strip_return(&bytes) {
            bytes = plain;
            self.search_return = Some(ret);
        }
        match super::list_ext::rewrite(&bytes) {
            Some(super::list_ext::Rewrite::Plain(plain, opts)) => {
                bytes = plain;
                self.list_selection = Some(opts);
            }
            Some(super::list_ext::Rewrite::Bad) => {
                self.bad_syntax(&tag_of(&bytes), "LIST");
                return Step::Read;
            }
            None => {}
        }
        match CommandCodec::default().decode(&bytes) {
            Ok((_, cmd)) => {
                tracing::trace!(peer = %self.peer, tag = %cmd.tag.inner(), "imap command");
                self.command(cmd)
            }
            Err(e) => {
                tracing::debug!(peer = %self.peer, error = ?e, "unparsable command");
                let reason: String = format!("{e:?}").chars().take(60).collect();
                self.bad_syntax(&tag_of(&bytes), &reason);
                Step::Read
            }
        }
    }

    pub(super) fn bad_syntax(&mut self, tag: &str, reason: &str) {
        let text = self
            .env
            .texts
            .text("imap-bad-syntax", &[("reason", reason)]);
        self.line(&format!("{tag} BAD {text}"));
    }

    /// Folder names travel as UTF-8 instead of modified UTF-7 (IMAP4rev2, UTF8=ACCEPT).
    pub(super) fn utf8_names(&self) -> bool {
        self.rev2 || self.utf8
    }

    pub(super) fn t(&self, id: &str) -> String {
        self.env.texts.text(id, &[])
    }

    pub(super) fn line(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    pub(super) fn tagged(&mut self, tag: &str, status: &str, code: Option<&str>, id: &str) {
        let text = self.t(id);
        match code {
            Some(c) => self.line(&format!("{tag} {status} [{c}] {text}")),
            None => self.line(&format!("{tag} {status} {text}")),
        }
    }

    /// The saved search result as UIDs and as the current sequence numbers of those still here.
    fn saved_sets(&self) -> (Vec<u32>, Vec<u32>) {
        match &self.state {
            State::Selected(_, v) => {
                let uids: Vec<u32> = self
                    .saved
                    .iter()
                    .copied()
                    .filter(|u| v.seq_of(*u).is_some())
                    .collect();
                let seqs = uids.iter().filter_map(|u| v.seq_of(*u)).collect();
                (uids, seqs)
            }
            _ => (Vec::new(), Vec::new()),
        }
    }

    /// Untagged updates for the selected folder.
    pub(super) fn refresh(&mut self, allow_expunge: bool) {
        if let State::Selected(_, view) = &mut self.state
            && let Err(e) = view.refresh(&self.env.store, &mut self.out, allow_expunge)
        {
            tracing::warn!(error = %e, "refresh failed");
        }
        self.update_contexts();
    }

    /// RFC 7162 3.1: a CONDSTORE-enabling command turns MODSEQ reporting on for the rest of
    /// the connection; the first one while a folder is selected also tells its HIGHESTMODSEQ,
    /// the point the client's later MODSEQ values are measured from.
    pub(super) fn enable_condstore(&mut self) {
        if self.condstore {
            return;
        }
        self.condstore = true;
        if let State::Selected(a, v) = &mut self.state {
            v.condstore = true;
            if let Ok(Some(f)) = self.env.store.folder_by_id(a.id, v.folder) {
                let l = format!("* OK [HIGHESTMODSEQ {}] .", f.highest_modseq);
                self.line(&l);
            }
        }
    }
}
