//! One client connection: state (not authenticated / authenticated / selected) and commands.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::extensions::enable::CapabilityEnable;
use imap_codec::imap_types::fetch::{Macro, MacroOrMessageDataItemNames, MessageDataItemName};
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use mailbox::{Account, FlagOp, Store};

use super::conn::{Budget, Conn, Input, Refusal};
use super::syntax::{decode_mutf7, string};
use super::view::View;
use crate::ctx::NodeCtx;
use crate::net::Stream;

pub(super) enum State {
    NotAuthenticated,
    Authenticated(Account),
    Selected(Account, Box<View>),
}

pub(super) enum Flow {
    Continue,
    Close,
}

pub struct Session {
    pub(super) ctx: Arc<NodeCtx>,
    pub(super) conn: Conn,
    pub(super) peer: SocketAddr,
    pub(super) state: State,
    pub(super) condstore: bool,
    pub(super) list_selection: Option<super::list_ext::ListOptions>,
    /// The client enabled IMAP4rev2 (RFC 9051).
    pub(super) rev2: bool,
    /// The client enabled UTF8=ACCEPT (RFC 6855).
    pub(super) utf8: bool,
    /// RETURN options of the SEARCH being run (ESEARCH).
    pub(super) search_return: Option<super::search_ext::SearchReturn>,
    /// SEARCHRES: the saved result, as UIDs.
    pub(super) saved: Vec<u32>,
}

type Res = std::io::Result<Flow>;

pub(super) const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

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
    pub fn new(ctx: Arc<NodeCtx>, stream: Stream, peer: SocketAddr) -> Self {
        let write_timeout = Duration::from_secs(ctx.config.limits.write_timeout);
        Session {
            ctx,
            conn: Conn::new(stream, write_timeout),
            peer,
            state: State::NotAuthenticated,
            condstore: false,
            list_selection: None,
            rev2: false,
            utf8: false,
            search_return: None,
            saved: Vec::new(),
        }
    }

    /// Folder names travel as UTF-8 instead of modified UTF-7 (IMAP4rev2, UTF8=ACCEPT).
    pub(super) fn utf8_names(&self) -> bool {
        self.rev2 || self.utf8
    }

    pub(super) fn t(&self, id: &str) -> String {
        self.ctx.i18n.text(id, &[])
    }

    fn store(&self) -> &Store {
        &self.ctx.store
    }

    pub(super) fn line(&mut self, s: &str) {
        self.conn.out.extend_from_slice(s.as_bytes());
        self.conn.out.extend_from_slice(b"\r\n");
    }

    pub(super) fn tagged(&mut self, tag: &str, status: &str, code: Option<&str>, id: &str) {
        let text = self.t(id);
        match code {
            Some(c) => self.line(&format!("{tag} {status} [{c}] {text}")),
            None => self.line(&format!("{tag} {status} {text}")),
        }
    }

    pub async fn run(mut self) -> std::io::Result<()> {
        let greeting = self
            .ctx
            .i18n
            .text("imap-greeting", &[("product", &self.ctx.branding.name)]);
        let caps = self.capabilities();
        self.line(&format!("* OK [CAPABILITY {caps}] {greeting}"));
        let idle = Duration::from_secs(self.ctx.config.imap.idle_timeout.max(60));
        let login = Duration::from_secs(self.ctx.config.imap.login_timeout);
        loop {
            self.conn.flush().await?;
            let authed = self.account_id().is_some();
            let (wait, budget) = if authed {
                let budget = Budget {
                    max_command: self.ctx.config.imap.max_command_size,
                    max_append: self.ctx.config.submission.max_message_size,
                    max_append_messages: self.ctx.config.imap.max_append_messages,
                };
                (idle, budget)
            } else {
                // A stranger gets a short while and a small command, and nothing on disk.
                let budget = Budget {
                    max_command: self.ctx.config.imap.max_command_size_before_login,
                    max_append: 0,
                    max_append_messages: 0,
                };
                (login.min(idle), budget)
            };
            let cont = self.t("imap-continue");
            let input = match tokio::time::timeout(
                wait,
                self.conn.read_command(&self.ctx.store, budget, &cont),
            )
            .await
            {
                Ok(i) => i?,
                Err(_) => {
                    let t = self.t("imap-bye-timeout");
                    self.line(&format!("* BYE {t}"));
                    self.conn.flush().await?;
                    return Ok(());
                }
            };
            match input {
                Input::Eof => return Ok(()),
                Input::Refused { tag, reason } => {
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
                    self.tagged(&tag, status, code, id);
                    if close {
                        let t = self.t("imap-bye-too-long");
                        self.line(&format!("* BYE {t}"));
                        self.conn.flush().await?;
                        return Ok(());
                    }
                }
                Input::Command { bytes, staged } => {
                    if super::search_ext::verb(&bytes).is_some_and(|v| !v.1 && v.2 == "APPEND") {
                        self.append_command(&bytes, staged);
                        continue;
                    }
                    let mut bytes = bytes;
                    self.list_selection = None;
                    self.search_return = None;
                    let (saved_uids, saved_seqs) = self.saved_sets();
                    match super::search_ext::substitute(&bytes, &saved_uids, &saved_seqs) {
                        super::search_ext::Saved::Rewritten(b) => bytes = b,
                        super::search_ext::Saved::Nothing => {
                            let tag = super::search_ext::verb(&bytes)
                                .map(|v| v.0)
                                .unwrap_or_default();
                            self.tagged(&tag, "OK", None, "imap-done");
                            continue;
                        }
                        super::search_ext::Saved::Unchanged => {}
                    }
                    if let Some((plain, ret)) = super::search_ext::strip_return(&bytes) {
                        bytes = plain;
                        self.search_return = Some(ret);
                    }
                    match super::list_ext::rewrite(&bytes) {
                        Some(super::list_ext::Rewrite::Plain(plain, opts)) => {
                            bytes = plain;
                            self.list_selection = Some(opts);
                        }
                        Some(super::list_ext::Rewrite::Bad) => {
                            let tag = super::search_ext::verb(&bytes)
                                .map(|v| v.0)
                                .unwrap_or_default();
                            let text = self.ctx.i18n.text("imap-bad-syntax", &[("reason", "LIST")]);
                            self.line(&format!("{tag} BAD {text}"));
                            continue;
                        }
                        None => {}
                    }
                    let decoded = CommandCodec::default().decode(&bytes);
                    match decoded {
                        Ok((_, cmd)) => {
                            tracing::trace!(peer = %self.peer, tag = %cmd.tag.inner(), "imap command");
                            if let Flow::Close = self.command(cmd).await? {
                                self.conn.flush().await?;
                                return Ok(());
                            }
                        }
                        Err(e) => {
                            let tag = String::from_utf8_lossy(&bytes)
                                .split_ascii_whitespace()
                                .next()
                                .filter(|t| {
                                    t.bytes()
                                        .all(|b| b.is_ascii_graphic() && b != b'+' && b != b'{')
                                })
                                .unwrap_or("*")
                                .to_string();
                            tracing::debug!(peer = %self.peer, error = ?e, "unparsable command");
                            let text = self.ctx.i18n.text(
                                "imap-bad-syntax",
                                &[(
                                    "reason",
                                    &format!("{e:?}").chars().take(60).collect::<String>(),
                                )],
                            );
                            self.line(&format!("{tag} BAD {text}"));
                        }
                    }
                }
            }
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
        if let State::Selected(_, view) = &mut self.state {
            let store = self.ctx.store.clone();
            if let Err(e) = tokio::task::block_in_place(|| {
                view.refresh(&store, &mut self.conn.out, allow_expunge)
            }) {
                tracing::warn!(error = %e, "refresh failed");
            }
        }
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
            let store = self.ctx.store.clone();
            let (acct, folder) = (a.id, v.folder);
            if let Ok(Some(f)) = tokio::task::block_in_place(|| store.folder_by_id(acct, folder)) {
                self.line(&format!("* OK [HIGHESTMODSEQ {}] .", f.highest_modseq));
            }
        }
    }

    pub(super) fn account_id(&self) -> Option<u64> {
        match &self.state {
            State::Authenticated(a) | State::Selected(a, _) => Some(a.id),
            State::NotAuthenticated => None,
        }
    }

    async fn command(&mut self, cmd: Command<'_>) -> Res {
        let tag = cmd.tag.inner().to_string();
        let authed = self.account_id();
        let selected = matches!(self.state, State::Selected(..));
        use CommandBody as C;
        // State checks first: everything below may assume them.
        let allowed = match &cmd.body {
            C::Capability | C::Noop | C::Logout | C::Id { .. } => true,
            C::StartTLS | C::Login { .. } | C::Authenticate { .. } => authed.is_none(),
            C::Check
            | C::Close
            | C::Unselect
            | C::Expunge
            | C::ExpungeUid { .. }
            | C::Search { .. }
            | C::Sort { .. }
            | C::Thread { .. }
            | C::Fetch { .. }
            | C::Store { .. }
            | C::Copy { .. }
            | C::Move { .. } => selected,
            _ => authed.is_some(),
        };
        if !allowed {
            self.tagged(&tag, "BAD", None, "imap-bad-state");
            return Ok(Flow::Continue);
        }
        match cmd.body {
            C::Capability => {
                let caps = self.capabilities();
                self.line(&format!("* CAPABILITY {caps}"));
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::Noop | C::Check => {
                self.refresh(true);
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::Logout => {
                let t = self.t("imap-bye");
                self.line(&format!("* BYE {t}"));
                self.tagged(&tag, "OK", None, "imap-done");
                return Ok(Flow::Close);
            }
            C::Id { .. } => {
                let mut l = b"* ID (\"name\" ".to_vec();
                string(&mut l, &self.ctx.branding.name);
                l.extend_from_slice(b" \"version\" ");
                string(&mut l, env!("CARGO_PKG_VERSION"));
                l.extend_from_slice(b")\r\n");
                self.conn.out.extend_from_slice(&l);
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::StartTLS => {
                if self.conn.stream.is_tls() {
                    self.tagged(&tag, "BAD", None, "imap-tls-active");
                    return Ok(Flow::Continue);
                }
                self.tagged(&tag, "OK", None, "imap-starttls");
                self.conn.flush().await?;
                self.conn.discard_buffered();
                let plain = std::mem::replace(&mut self.conn.stream, Stream::Closed);
                self.conn.stream = plain.into_tls(&self.ctx.tls).await?;
            }
            C::Login { username, password } => {
                let user = String::from_utf8_lossy(username.as_ref()).to_string();
                let pass = String::from_utf8_lossy(password.declassify().as_ref()).to_string();
                self.login(&tag, &user, &pass).await;
            }
            C::Authenticate {
                mechanism,
                initial_response,
            } => {
                let initial = initial_response.map(|r| r.declassify().to_vec());
                return self.authenticate(&tag, mechanism.as_ref(), initial).await;
            }
            C::Enable { capabilities } => {
                let mut enabled = Vec::new();
                for c in capabilities.as_ref() {
                    if c.to_string().eq_ignore_ascii_case("IMAP4rev2") {
                        self.rev2 = true;
                        if let State::Selected(_, v) = &mut self.state {
                            v.rev2 = true;
                        }
                        enabled.push("IMAP4rev2");
                    } else if matches!(c, CapabilityEnable::Utf8(_)) {
                        // UTF8=ONLY is never advertised, so only ACCEPT can be meant.
                        self.utf8 = true;
                        enabled.push("UTF8=ACCEPT");
                    } else if matches!(c, CapabilityEnable::CondStore) {
                        self.enable_condstore();
                        enabled.push("CONDSTORE");
                    }
                }
                self.line(format!("* ENABLED {}", enabled.join(" ")).trim_end());
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::GetQuotaRoot { mailbox } => self.get_quota_root(&tag, &mailbox),
            C::GetQuota { root } => self.get_quota(&tag, &root),
            // Limits are set by the node's operator (`wims account quota`).
            C::SetQuota { .. } => self.tagged(&tag, "NO", Some("NOPERM"), "imap-quota-operator"),
            C::Compress { .. } => {
                // DEFLATE is the only algorithm imap-codec parses.
                if self.conn.is_compressed() {
                    self.tagged(
                        &tag,
                        "NO",
                        Some("COMPRESSIONACTIVE"),
                        "imap-compress-active",
                    );
                    return Ok(Flow::Continue);
                }
                self.tagged(&tag, "OK", None, "imap-compress-on");
                self.conn.flush().await?;
                self.conn.start_compression();
            }
            C::Namespace => {
                self.line("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::Select {
                mailbox,
                parameters,
            } => {
                let cs = !parameters.is_empty();
                self.select(&tag, &mailbox, false, cs);
            }
            C::Examine {
                mailbox,
                parameters,
            } => {
                let cs = !parameters.is_empty();
                self.select(&tag, &mailbox, true, cs);
            }
            C::Create { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| {
                    tokio::task::block_in_place(|| self.store().create_folder(acct, &n))
                });
                self.folder_result(&tag, r.map(|_| ()));
            }
            C::Delete { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| {
                    tokio::task::block_in_place(|| self.store().delete_folder(acct, &n))
                });
                self.folder_result(&tag, r);
            }
            C::Rename { from, to } => {
                let acct = authed.expect("checked");
                let r = match (
                    mailbox_name(&from, self.utf8_names()),
                    mailbox_name(&to, self.utf8_names()),
                ) {
                    (Some(f), Some(t)) => {
                        tokio::task::block_in_place(|| self.store().rename_folder(acct, &f, &t))
                    }
                    _ => Err(mailbox::Error::InvalidFolderName),
                };
                self.folder_result(&tag, r);
            }
            C::Subscribe { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| {
                    tokio::task::block_in_place(|| self.store().set_subscribed(acct, &n, true))
                });
                self.folder_result(&tag, r);
            }
            C::Unsubscribe { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| {
                    tokio::task::block_in_place(|| self.store().set_subscribed(acct, &n, false))
                });
                // Unsubscribing a folder that no longer exists is fine (RFC 3501 6.3.7).
                let r = match r {
                    Err(mailbox::Error::NoFolder) => Ok(()),
                    r => r,
                };
                self.folder_result(&tag, r);
            }
            C::List {
                reference,
                mailbox_wildcard,
            } => self.list(&tag, &reference, &mailbox_wildcard, false),
            C::Lsub {
                reference,
                mailbox_wildcard,
            } => self.list(&tag, &reference, &mailbox_wildcard, true),
            C::Status {
                mailbox,
                item_names,
            } => self.status(&tag, &mailbox, &item_names),
            C::Idle => return self.idle(&tag).await,
            C::Close => {
                if let State::Selected(a, v) = &self.state {
                    if !v.read_only {
                        let (acct, folder) = (a.id, v.folder);
                        let _ = tokio::task::block_in_place(|| {
                            self.store().expunge(acct, folder, None)
                        });
                    }
                    let a = a.clone();
                    self.state = State::Authenticated(a);
                }
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::Unselect => {
                if let State::Selected(a, _) = &self.state {
                    let a = a.clone();
                    self.state = State::Authenticated(a);
                }
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::Expunge => self.expunge(&tag, None),
            C::ExpungeUid { sequence_set } => {
                let uids = self.with_view(|v| {
                    v.resolve(&sequence_set, true)
                        .into_iter()
                        .map(|(_, u)| u)
                        .collect::<Vec<_>>()
                });
                self.expunge(&tag, Some(uids));
            }
            C::Search {
                charset,
                criteria,
                uid,
            } => {
                if self.charset_ok(&tag, charset.as_ref()) {
                    self.search(&tag, criteria.as_ref(), uid);
                }
            }
            C::Sort {
                sort_criteria,
                charset,
                search_criteria,
                uid,
            } => {
                if self.charset_ok(&tag, Some(&charset)) {
                    self.sort(&tag, sort_criteria.as_ref(), search_criteria.as_ref(), uid);
                }
            }
            C::Thread {
                algorithm,
                charset,
                search_criteria,
                uid,
            } => {
                if self.charset_ok(&tag, Some(&charset)) {
                    self.thread(&tag, &algorithm, search_criteria.as_ref(), uid);
                }
            }
            C::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                modifiers,
            } => {
                let items: Vec<MessageDataItemName> = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => {
                        let mut v = vec![
                            MessageDataItemName::Flags,
                            MessageDataItemName::InternalDate,
                            MessageDataItemName::Rfc822Size,
                        ];
                        if matches!(m, Macro::All | Macro::Full) {
                            v.push(MessageDataItemName::Envelope);
                        }
                        if matches!(m, Macro::Full) {
                            v.push(MessageDataItemName::Body);
                        }
                        v
                    }
                    MacroOrMessageDataItemNames::MessageDataItemNames(v) => v,
                };
                let changed_since = modifiers.iter().find_map(|m| match m {
                    imap_codec::imap_types::command::FetchModifier::ChangedSince(n) => {
                        Some(n.get())
                    }
                    _ => None,
                });
                self.fetch(&tag, &sequence_set, &items, uid, changed_since)
                    .await?;
            }
            C::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                modifiers,
            } => {
                let unchanged = modifiers
                    .iter()
                    .map(|m| match m {
                        imap_codec::imap_types::command::StoreModifier::UnchangedSince(n) => *n,
                    })
                    .next();
                let op = match kind {
                    StoreType::Add => FlagOp::Add,
                    StoreType::Remove => FlagOp::Remove,
                    StoreType::Replace => FlagOp::Replace,
                };
                let flags: Vec<String> = flags.iter().map(flag_str).collect();
                self.store_cmd(
                    &tag,
                    &sequence_set,
                    op,
                    &flags,
                    matches!(response, StoreResponse::Silent),
                    uid,
                    unchanged,
                );
            }
            C::Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(&tag, &sequence_set, &mailbox, uid, false),
            C::Move {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(&tag, &sequence_set, &mailbox, uid, true),
            _ => self.tagged(&tag, "BAD", None, "imap-unsupported"),
        }
        Ok(Flow::Continue)
    }
}
