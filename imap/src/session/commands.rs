//! Command implementations that need the session's state; dispatch is in `session.rs`.

use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::sequence::SequenceSet;
use imap_codec::imap_types::status::StatusDataItemName;

use super::qresync::Known;
use super::{Session, State, Step, Waiting, list_pattern, mailbox_name};
use crate::syntax::{encode_mutf7, string};
use crate::view::View;

impl Session {
    /// A folder name as an IMAP string in this client's encoding.
    pub(crate) fn put_name(&self, out: &mut Vec<u8>, name: &str) {
        if self.utf8_names() {
            crate::syntax::string_utf8(out, name)
        } else {
            string(out, &encode_mutf7(name))
        }
    }

    pub(crate) fn folder_result(&mut self, tag: &str, r: mailbox::Result<()>) {
        match r {
            Ok(()) => {
                self.refresh(true);
                self.tagged(tag, "OK", None, "imap-done")
            }
            Err(e) => self.store_error(tag, e),
        }
    }

    pub(crate) fn store_error(&mut self, tag: &str, e: mailbox::Error) {
        let (code, id) = match e {
            mailbox::Error::NoFolder => (Some("NONEXISTENT"), "imap-no-folder"),
            mailbox::Error::FolderExists => (Some("ALREADYEXISTS"), "imap-folder-exists"),
            mailbox::Error::InvalidFolderName => (Some("CANNOT"), "imap-folder-name"),
            mailbox::Error::SpecialFolder => (Some("CANNOT"), "imap-folder-special"),
            mailbox::Error::HasChildren => (Some("INUSE"), "imap-folder-children"),
            mailbox::Error::TooManyKeywords => (Some("LIMIT"), "imap-too-many-keywords"),
            other => {
                tracing::error!(error = %other, "store failure");
                (Some("SERVERBUG"), "imap-internal")
            }
        };
        self.tagged(tag, "NO", code, id);
    }

    pub(crate) fn select(
        &mut self,
        tag: &str,
        mailbox: &Mailbox<'_>,
        read_only: bool,
        condstore: bool,
        known: Option<Known>,
    ) {
        let account = match &self.state {
            State::Authenticated(a) | State::Selected(a, _) => a.clone(),
            State::NotAuthenticated => return,
        };
        if matches!(self.state, State::Selected(..)) {
            let t = self.t("imap-closed");
            self.line(&format!("* OK [CLOSED] {t}"));
        }
        self.saved.clear();
        // A failed SELECT leaves no folder selected (RFC 3501 6.3.1).
        self.state = State::Authenticated(account.clone());
        if condstore {
            self.condstore = true;
        }
        let store = self.env.store.clone();
        let folder = match mailbox_name(mailbox, self.utf8_names()) {
            Some(n) => store.folder(account.id, &n),
            None => Err(mailbox::Error::InvalidFolderName),
        };
        let folder = match folder {
            Ok(Some(f)) => f,
            Ok(None) => return self.store_error(tag, mailbox::Error::NoFolder),
            Err(e) => return self.store_error(tag, e),
        };
        let mut view = match View::open(
            &store,
            Some(&self.env.views),
            account.id,
            &folder,
            read_only,
        ) {
            Ok(v) => v,
            Err(e) => return self.store_error(tag, e),
        };
        view.condstore = self.condstore;
        view.rev2 = self.rev2;
        // The folder's keywords from its counters; any other a FETCH will show is announced
        // before it (see `View::announce_for`).
        view.announce_flags(&mut self.out);
        self.line(&format!("* {} EXISTS", view.exists()));
        if self.rev2 {
            // RFC 9051 6.3.2: the folder's canonical name and attributes.
            let mut attrs = Vec::new();
            if let Some(u) = folder.special_use {
                attrs.push(u.attribute());
            }
            let mut l = format!("* LIST ({}) \"/\" ", attrs.join(" ")).into_bytes();
            self.put_name(&mut l, &folder.name);
            self.out.extend_from_slice(&l);
            self.out.extend_from_slice(b"\r\n");
        }
        if !self.rev2 {
            self.line(&format!("* {} RECENT", view.recent_count()));
        }
        // UNSEEN left the response codes in IMAP4rev2.
        if let Some(seq) = view.first_unseen().filter(|_| !self.rev2) {
            self.line(&format!("* OK [UNSEEN {seq}] ."));
        }
        // As the view read them, which may be later than `folder`.
        self.line(&format!("* OK [UIDVALIDITY {}] .", view.uidvalidity));
        self.line(&format!("* OK [UIDNEXT {}] .", view.uidnext()));
        self.line(&format!("* OK [HIGHESTMODSEQ {}] .", view.highest_modseq()));
        view.qresync = self.qresync;
        self.state = State::Selected(account, Box::new(view));
        if let Some(k) = known {
            self.resync(&k);
        }
        let code = if read_only { "READ-ONLY" } else { "READ-WRITE" };
        self.tagged(tag, "OK", Some(code), "imap-select-ok");
    }

    pub(crate) fn list(
        &mut self,
        tag: &str,
        reference: &Mailbox<'_>,
        pattern: &ListMailbox<'_>,
        lsub: bool,
    ) {
        let verb = if lsub { "LSUB" } else { "LIST" };
        let Some(acct) = self.account_id() else {
            return;
        };
        let opts = self.list_selection.take().unwrap_or_default();
        let reference = match reference {
            Mailbox::Inbox => "INBOX".to_string(),
            other => mailbox_name(other, self.utf8_names()).unwrap_or_default(),
        };
        let patterns: Vec<String> = if opts.patterns.is_empty() {
            vec![list_pattern(pattern, self.utf8_names())]
        } else {
            opts.patterns.clone()
        };
        if patterns.len() == 1 && patterns[0].is_empty() {
            // The hierarchy delimiter query (RFC 3501 6.3.8).
            self.line(&format!("* {verb} (\\Noselect) \"/\" \"\""));
            self.tagged(tag, "OK", None, "imap-done");
            return;
        }
        let full: Vec<String> = patterns.iter().map(|p| format!("{reference}{p}")).collect();
        let store = self.env.store.clone();
        let (folders, subscribed) = match store
            .folders(acct)
            .and_then(|f| Ok((f, store.subscriptions(acct)?)))
        {
            Ok(r) => r,
            Err(e) => return self.store_error(tag, e),
        };
        let status_items: Option<Vec<StatusDataItemName>> = opts.status.as_ref().map(|items| {
            items
                .iter()
                .filter_map(|i| match i.as_str() {
                    "MESSAGES" => Some(StatusDataItemName::Messages),
                    "RECENT" => Some(StatusDataItemName::Recent),
                    "UIDNEXT" => Some(StatusDataItemName::UidNext),
                    "UIDVALIDITY" => Some(StatusDataItemName::UidValidity),
                    "UNSEEN" => Some(StatusDataItemName::Unseen),
                    "DELETED" => Some(StatusDataItemName::Deleted),
                    "SIZE" => Some(StatusDataItemName::Size),
                    "HIGHESTMODSEQ" => Some(StatusDataItemName::HighestModSeq),
                    _ => None,
                })
                .collect()
        });
        let query = crate::list::Query {
            patterns: full,
            lsub,
            select_subscribed: opts.select_subscribed,
            select_special_use: opts.select_special_use,
            recursive_match: opts.recursive_match,
            show_subscribed: opts.select_subscribed || opts.return_subscribed,
        };
        let by_name: std::collections::BTreeMap<String, Option<&'static str>> = folders
            .iter()
            .map(|f| (f.name.clone(), f.special_use.map(|u| u.attribute())))
            .collect();
        let subscribed = subscribed.into_iter().collect();
        let mut out = Vec::new();
        for e in crate::list::answer(&query, &by_name, &subscribed) {
            let mut l = format!("* {verb} ({}) \"/\" ", e.attrs.join(" ")).into_bytes();
            self.put_name(&mut l, &e.name);
            if e.child_info {
                l.extend_from_slice(b" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            }
            l.extend_from_slice(b"\r\n");
            out.extend_from_slice(&l);
            if let (Some(items), true) = (&status_items, e.exists)
                && let Some(f) = folders.iter().find(|f| f.name == e.name)
            {
                match self.status_line(f, items) {
                    Ok(st) => out.extend_from_slice(&st),
                    Err(e) => tracing::warn!(error = %e, "LIST-STATUS failed"),
                }
            }
        }
        self.out.extend_from_slice(&out);
        self.tagged(tag, "OK", None, "imap-done");
    }

    pub(crate) fn status(
        &mut self,
        tag: &str,
        mailbox: &Mailbox<'_>,
        items: &[StatusDataItemName],
    ) {
        let Some(acct) = self.account_id() else {
            return;
        };
        if items.contains(&StatusDataItemName::HighestModSeq) {
            self.enable_condstore();
        }
        let folder = match mailbox_name(mailbox, self.utf8_names()) {
            Some(n) => self.env.store.folder(acct, &n),
            None => Err(mailbox::Error::InvalidFolderName),
        };
        let line = match folder {
            Ok(Some(f)) => self.status_line(&f, items),
            Ok(None) => Err(mailbox::Error::NoFolder),
            Err(e) => Err(e),
        };
        match line {
            Ok(l) => {
                self.out.extend_from_slice(&l);
                self.tagged(tag, "OK", None, "imap-done");
            }
            Err(e) => self.store_error(tag, e),
        }
    }

    /// `* STATUS name (...)` for a folder; also the LIST-STATUS return data.
    fn status_line(
        &self,
        f: &mailbox::Folder,
        items: &[StatusDataItemName],
    ) -> mailbox::Result<Vec<u8>> {
        let store = &self.env.store;
        let s = (store.status(f))?;
        let mut parts = Vec::new();
        for i in items {
            match i {
                StatusDataItemName::Messages => parts.push(format!("MESSAGES {}", s.messages)),
                StatusDataItemName::Recent if !self.rev2 => {
                    parts.push(format!("RECENT {}", s.recent))
                }
                StatusDataItemName::UidNext => parts.push(format!("UIDNEXT {}", f.uidnext)),
                StatusDataItemName::UidValidity => {
                    parts.push(format!("UIDVALIDITY {}", f.uidvalidity))
                }
                StatusDataItemName::Unseen => parts.push(format!("UNSEEN {}", s.unseen)),
                StatusDataItemName::Deleted => parts.push(format!("DELETED {}", s.deleted)),
                StatusDataItemName::HighestModSeq => {
                    parts.push(format!("HIGHESTMODSEQ {}", f.highest_modseq))
                }
                StatusDataItemName::Size => {
                    let size = (store.folder_size(f.id))?;
                    parts.push(format!("SIZE {size}"))
                }
                _ => {}
            }
        }
        let mut l = b"* STATUS ".to_vec();
        self.put_name(&mut l, &f.name);
        l.extend_from_slice(format!(" ({})\r\n", parts.join(" ")).as_bytes());
        Ok(l)
    }

    /// IDLE: updates are sent as the store changes until the client says DONE.
    pub(crate) fn idle(&mut self, tag: &str) -> Step {
        let Some(account) = self.account_id() else {
            return Step::Read;
        };
        let t = self.t("imap-idle");
        self.line(&format!("+ {t}"));
        self.waiting = Waiting::Idle {
            tag: tag.to_string(),
        };
        Step::Idle { account }
    }

    /// False (and BAD sent) when a non-UID command names messages that do not exist.
    pub(crate) fn check_seq(&mut self, tag: &str, set: &SequenceSet, uid: bool) -> bool {
        if uid || self.with_view(|v| v.seq_set_valid(set)) {
            return true;
        }
        self.tagged(tag, "BAD", None, "imap-bad-seq");
        false
    }

    pub(crate) fn with_view<T>(&self, f: impl FnOnce(&View) -> T) -> T
    where
        T: Default,
    {
        match &self.state {
            State::Selected(_, v) => f(v),
            _ => T::default(),
        }
    }

    pub(crate) fn writable(&mut self, tag: &str) -> Option<(u64, u64)> {
        match &self.state {
            State::Selected(a, v) if !v.read_only => Some((a.id, v.folder)),
            State::Selected(..) => {
                self.tagged(tag, "NO", Some("READ-ONLY"), "imap-read-only");
                None
            }
            _ => None,
        }
    }

    pub(crate) fn expunge(&mut self, tag: &str, only: Option<Vec<u32>>) {
        let Some((acct, folder)) = self.writable(tag) else {
            return;
        };
        let store = self.env.store.clone();
        match store.expunge(acct, folder, only.as_deref()) {
            Ok(_) => {
                self.refresh(true);
                self.tagged(tag, "OK", None, "imap-done");
            }
            Err(e) => self.store_error(tag, e),
        }
    }

    pub(crate) fn copy(
        &mut self,
        tag: &str,
        set: &SequenceSet,
        mailbox: &Mailbox<'_>,
        uid: bool,
        is_move: bool,
    ) {
        let (acct, from) = match &self.state {
            State::Selected(a, v) => (a.id, v.folder),
            _ => return,
        };
        if !self.check_seq(tag, set, uid) {
            return;
        }
        if is_move && self.writable(tag).is_none() {
            return;
        }
        let store = self.env.store.clone();
        let dest = match mailbox_name(mailbox, self.utf8_names()) {
            Some(n) => store.folder(acct, &n),
            None => Err(mailbox::Error::InvalidFolderName),
        };
        let dest = match dest {
            Ok(Some(f)) => f,
            Ok(None) => return self.tagged(tag, "NO", Some("TRYCREATE"), "imap-no-folder"),
            Err(e) => return self.store_error(tag, e),
        };
        let uids: Vec<u32> = self
            .with_view(|v| v.resolve(set, uid))
            .into_iter()
            .map(|(_, u)| u)
            .collect();
        // A copy adds its size to the account; a move within it adds nothing.
        let size = || {
            {
                uids.iter()
                    .filter_map(|u| store.message_meta(from, *u).ok().flatten())
                    .map(|m| m.size)
                    .sum()
            }
        };
        if !is_move && self.refuse_over_quota(tag, size) {
            return;
        }
        let r = {
            if is_move {
                store.move_messages(acct, from, &uids, dest.id)
            } else {
                store.copy_messages(acct, from, &uids, dest.id)
            }
        };
        match r {
            Ok((validity, pairs)) => {
                let code = if pairs.is_empty() {
                    None
                } else {
                    let src: Vec<String> = pairs.iter().map(|(s, _)| s.to_string()).collect();
                    let dst: Vec<String> = pairs.iter().map(|(_, d)| d.to_string()).collect();
                    Some(format!(
                        "COPYUID {validity} {} {}",
                        src.join(","),
                        dst.join(",")
                    ))
                };
                if is_move {
                    if let Some(c) = &code {
                        let t = self.t("imap-done");
                        self.line(&format!("* OK [{c}] {t}"));
                    }
                    self.refresh(true);
                    self.tagged(tag, "OK", None, "imap-done");
                } else {
                    self.refresh(uid);
                    self.tagged(tag, "OK", code.as_deref(), "imap-done");
                }
            }
            Err(e) => self.store_error(tag, e),
        }
    }
}
