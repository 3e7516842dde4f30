//! A FETCH in progress. Its responses are written a message at a time; the session hands the
//! driver what it wrote whenever enough has gathered, and each large literal as a [`Body`] to
//! stream, then goes on where it stopped. Memory stays bounded however many messages or bytes
//! a FETCH asks for.

use std::collections::VecDeque;
use std::io::Read;

use bounded_static::IntoBoundedStatic;
use imap_codec::imap_types::fetch::MessageDataItemName;
use imap_codec::imap_types::sequence::SequenceSet;
use mailbox::FlagOp;

use super::{Session, State, Step};
use crate::fetch::{FLUSH_AT, FetchOptions, MessageFetch, Shown, from_view_only, write_from_view};

/// Bytes of a message the driver sends as they are, after what the session queued.
pub struct Body {
    pub reader: Box<dyn Read + Send>,
    pub len: u64,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

pub(crate) struct FetchJob {
    /// None for the FETCH of new messages NOTIFY asked for, which completes no command.
    tag: Option<String>,
    items: Vec<MessageDataItemName<'static>>,
    targets: VecDeque<(u32, u32)>,
    opts: FetchOptions,
    changed_since: Option<u64>,
    marks_seen: bool,
    shows_flags: bool,
    /// FLAGS, UID and MODSEQ are what the view holds: such a fetch reads nothing per message.
    from_view: bool,
    uid: bool,
    /// The message whose response was cut by a large literal.
    current: Option<MessageFetch>,
}

impl Session {
    pub(crate) fn fetch(
        &mut self,
        tag: &str,
        set: &SequenceSet,
        items: Vec<MessageDataItemName<'_>>,
        uid: bool,
        changed_since: Option<u64>,
    ) -> Step {
        if !self.check_seq(tag, set, uid) {
            return Step::Read;
        }
        let targets = match &self.state {
            State::Selected(_, v) => v.resolve(set, uid),
            _ => return Step::Read,
        };
        self.start_fetch(Some(tag.to_string()), targets, items, uid, changed_since)
    }

    /// Runs a FETCH of `targets` (sequence number, UID); without a tag nothing completes.
    pub(crate) fn start_fetch(
        &mut self,
        tag: Option<String>,
        targets: Vec<(u32, u32)>,
        items: Vec<MessageDataItemName<'_>>,
        uid: bool,
        changed_since: Option<u64>,
    ) -> Step {
        let read_only = match &self.state {
            State::Selected(_, v) => v.read_only,
            _ => return Step::Read,
        };
        let asks_modseq = items
            .iter()
            .any(|i| matches!(i, MessageDataItemName::ModSeq));
        if changed_since.is_some() || asks_modseq {
            self.enable_condstore();
        }
        let marks_seen = !read_only
            && items.iter().any(|i| {
                matches!(
                    i,
                    MessageDataItemName::BodyExt { peek: false, .. }
                        | MessageDataItemName::Binary { peek: false, .. }
                        | MessageDataItemName::Rfc822
                        | MessageDataItemName::Rfc822Text
                )
            });
        let opts = FetchOptions {
            // Under QRESYNC every FETCH response names its UID (RFC 7162 3.2.4).
            with_uid: uid || self.qresync,
            with_modseq: changed_since.is_some() || (self.condstore && asks_modseq),
            rev2: self.rev2,
        };
        let shows_flags = items
            .iter()
            .any(|i| matches!(i, MessageDataItemName::Flags));
        let from_view = !marks_seen && from_view_only(&items);
        self.fetching = Some(Box::new(FetchJob {
            tag,
            items: items.into_static(),
            targets: targets.into(),
            opts,
            changed_since,
            marks_seen,
            shows_flags,
            from_view,
            uid,
            current: None,
        }));
        self.fetch_more()
    }

    /// Writes responses until a literal must be streamed or enough output has gathered.
    pub(crate) fn fetch_more(&mut self) -> Step {
        let Some(mut job) = self.fetching.take() else {
            return Step::Read;
        };
        let store = self.env.store.clone();
        let State::Selected(account, view) = &mut self.state else {
            return Step::Read;
        };
        let (acct, folder) = (account.id, view.folder);
        loop {
            if let Some(m) = job.current.as_mut() {
                match m.write(&mut self.out, &store, folder, &job.items, &job.opts) {
                    Ok(Some(body)) => {
                        self.fetching = Some(job);
                        return Step::Send(body);
                    }
                    Ok(None) => job.current = None,
                    Err(e) => {
                        // Half a response cannot be taken back: the connection ends.
                        tracing::warn!(error = %e, "reading a message for FETCH failed");
                        return Step::Close;
                    }
                }
            }
            if self.out.len() >= FLUSH_AT {
                self.fetching = Some(job);
                return Step::Flush;
            }
            let Some((seq, u)) = job.targets.pop_front() else {
                break;
            };
            let Some(mut slot) = view.slot(seq) else {
                continue;
            };
            if job.changed_since.is_some_and(|c| slot.modseq <= c) {
                continue;
            }
            if job.marks_seen && !view.is_seen(&slot) {
                if let Ok(ch) =
                    store.store_flags(acct, folder, &[u], FlagOp::Add, &["\\Seen"], None)
                    && !ch.updated.is_empty()
                {
                    view.absorb(&ch);
                    view.took_in(ch.modseqs);
                    slot = view.slot(seq).unwrap_or(slot);
                }
                if !job.shows_flags {
                    job.items.push(MessageDataItemName::Flags);
                    job.shows_flags = true;
                }
            }
            if job.shows_flags {
                view.announce_for(&mut self.out, seq);
            }
            if job.from_view {
                write_from_view(&mut self.out, view, seq, u, &slot, &job.items, &job.opts);
                continue;
            }
            let shown = Shown {
                modseq: slot.modseq,
                flags: view.flags_text(&slot),
            };
            job.current = MessageFetch::start(&store, folder, seq, u, shown, &job.items);
        }
        if let Some(tag) = &job.tag {
            self.refresh(job.uid);
            self.tagged(tag, "OK", None, "imap-done");
        }
        Step::Read
    }
}
