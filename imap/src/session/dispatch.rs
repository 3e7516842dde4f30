//! Which command runs in which state, and with what: the one place a parsed command is taken
//! apart.

use imap_codec::imap_types::command::{Command, CommandBody, FetchModifier, SelectParameter};
use imap_codec::imap_types::extensions::enable::CapabilityEnable;
use imap_codec::imap_types::fetch::{Macro, MacroOrMessageDataItemNames, MessageDataItemName};
use imap_codec::imap_types::flag::{StoreResponse, StoreType};
use mailbox::FlagOp;

use super::qresync::Known;
use super::{Session, State, Step, flag_str, mailbox_name};
use crate::syntax::string;

impl Session {
    pub(crate) fn command(&mut self, cmd: Command<'_>) -> Step {
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
            return Step::Read;
        }
        let read_only = matches!(cmd.body, C::Examine { .. });
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
                return Step::Close;
            }
            C::Id { .. } => {
                let mut l = b"* ID (\"name\" ".to_vec();
                string(&mut l, &self.env.product);
                l.extend_from_slice(b" \"version\" ");
                string(&mut l, env!("CARGO_PKG_VERSION"));
                l.extend_from_slice(b")\r\n");
                self.out.extend_from_slice(&l);
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::StartTLS => {
                if self.tls {
                    self.tagged(&tag, "BAD", None, "imap-tls-active");
                    return Step::Read;
                }
                self.tagged(&tag, "OK", None, "imap-starttls");
                return Step::StartTls;
            }
            C::Login { username, password } => {
                let user = String::from_utf8_lossy(username.as_ref()).to_string();
                let pass = String::from_utf8_lossy(password.declassify().as_ref()).to_string();
                return self.login(&tag, user, pass);
            }
            C::Authenticate {
                mechanism,
                initial_response,
            } => {
                let initial = initial_response.map(|r| r.declassify().to_vec());
                return self.authenticate(&tag, mechanism.as_ref(), initial);
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
                    } else if c.to_string().eq_ignore_ascii_case("QRESYNC") {
                        // QRESYNC implies CONDSTORE (RFC 7162 3.2.3).
                        self.enable_condstore();
                        self.qresync = true;
                        if let State::Selected(_, v) = &mut self.state {
                            v.qresync = true;
                        }
                        enabled.push("QRESYNC");
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
                if self.compressed {
                    self.tagged(
                        &tag,
                        "NO",
                        Some("COMPRESSIONACTIVE"),
                        "imap-compress-active",
                    );
                    return Step::Read;
                }
                self.tagged(&tag, "OK", None, "imap-compress-on");
                self.compressed = true;
                return Step::Compress;
            }
            C::Namespace => {
                self.line("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                self.tagged(&tag, "OK", None, "imap-done");
            }
            C::Select {
                mailbox,
                parameters,
            }
            | C::Examine {
                mailbox,
                parameters,
            } => {
                let known = parameters.iter().find_map(|p| match p {
                    SelectParameter::QResync {
                        uid_validity,
                        mod_sequence_value,
                        known_uids,
                        ..
                    } => Some(Known {
                        uidvalidity: uid_validity.get(),
                        modseq: mod_sequence_value.get(),
                        uids: known_uids.clone(),
                    }),
                    SelectParameter::CondStore => None,
                });
                // RFC 7162 3.2.5: QRESYNC parameters only once it is enabled.
                if known.is_some() && !self.qresync {
                    self.tagged(&tag, "BAD", None, "imap-qresync-not-enabled");
                    return Step::Read;
                }
                let cs = !parameters.is_empty();
                self.select(&tag, &mailbox, read_only, cs, known);
            }
            C::Create { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| self.env.store.create_folder(acct, &n));
                self.folder_result(&tag, r.map(|_| ()));
            }
            C::Delete { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| self.env.store.delete_folder(acct, &n));
                self.folder_result(&tag, r);
            }
            C::Rename { from, to } => {
                let acct = authed.expect("checked");
                let r = match (
                    mailbox_name(&from, self.utf8_names()),
                    mailbox_name(&to, self.utf8_names()),
                ) {
                    (Some(f), Some(t)) => self.env.store.rename_folder(acct, &f, &t),
                    _ => Err(mailbox::Error::InvalidFolderName),
                };
                self.folder_result(&tag, r);
            }
            C::Subscribe { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| self.env.store.set_subscribed(acct, &n, true));
                self.folder_result(&tag, r);
            }
            C::Unsubscribe { mailbox } => {
                let acct = authed.expect("checked");
                let r = mailbox_name(&mailbox, self.utf8_names())
                    .ok_or(mailbox::Error::InvalidFolderName);
                let r = r.and_then(|n| self.env.store.set_subscribed(acct, &n, false));
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
            C::Idle => return self.idle(&tag),
            C::Close => {
                if let State::Selected(a, v) = &self.state {
                    if !v.read_only {
                        let (acct, folder) = (a.id, v.folder);
                        let _ = { self.env.store.expunge(acct, folder, None) };
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
                    FetchModifier::ChangedSince(n) => Some(n.get()),
                    FetchModifier::Vanished => None,
                });
                if modifiers.contains(&FetchModifier::Vanished) {
                    // RFC 7162 3.2.6: UID FETCH only, with CHANGEDSINCE, once QRESYNC is on.
                    let Some(since) = changed_since.filter(|_| uid && self.qresync) else {
                        self.tagged(&tag, "BAD", None, "imap-vanished-misused");
                        return Step::Read;
                    };
                    self.vanished_since(since, Some(&sequence_set));
                }
                return self.fetch(&tag, &sequence_set, items, uid, changed_since);
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
                return self.store_cmd(
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
        Step::Read
    }
}
