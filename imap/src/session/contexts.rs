//! The session's side of CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 4): opening a live
//! result, telling the client of its changes, CANCELUPDATE. The results themselves are
//! [`crate::search_context::Context`].

use bounded_static::IntoBoundedStatic;
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::search::SearchKey;

use super::{Session, State};
use crate::search::{Candidate, Searcher};
use crate::search_context::{Context, Sorted, cancel_tags};
use crate::sort::{self, Entry};

impl Session {
    /// Makes the SEARCH or SORT being answered a live context (`RETURN (UPDATE)`): `uids`
    /// is its result, `entries` the sorted one of a SORT. Past the configured number of
    /// contexts, or of messages they hold together, the result is still answered, but without
    /// updates (RFC 5267 4.3.1).
    pub(crate) fn open_context(
        &mut self,
        tag: &str,
        uid: bool,
        key: &SearchKey<'_>,
        uids: Vec<u32>,
        sorted: Option<(&[SortCriterion], Vec<Entry>)>,
    ) {
        let limit = self.env.limits.max_search_contexts;
        let max_held = self.env.limits.max_context_messages;
        let State::Selected(_, view) = &mut self.state else {
            return;
        };
        // A context reusing a live one's tag replaces it: updates name contexts by tag.
        view.contexts.retain(|c| c.tag != tag);
        let held: usize = view.contexts.iter().map(|c| c.members.len()).sum();
        if view.contexts.len() >= limit || held.saturating_add(uids.len()) > max_held {
            let t = self.t("imap-context-limit");
            self.line(&format!("* NO [NOUPDATE \"{tag}\"] {t}"));
            return;
        }
        view.contexts.push(Context {
            tag: tag.to_string(),
            uid,
            key: key.clone().into_static(),
            members: uids.into_iter().collect(),
            sorted: sorted.map(|(criteria, entries)| Sorted {
                criteria: criteria.to_vec(),
                entries,
            }),
        });
    }

    /// CANCELUPDATE (RFC 5267 4.3.5): the named contexts get no more updates.
    pub(crate) fn cancel_update(&mut self, tag: &str, args: &[u8]) {
        let State::Selected(_, view) = &mut self.state else {
            return self.tagged(tag, "BAD", None, "imap-bad-state");
        };
        let Some(tags) = cancel_tags(args) else {
            return self.bad_syntax(tag, "CANCELUPDATE");
        };
        view.contexts.retain(|c| !tags.contains(&c.tag));
        self.tagged(tag, "OK", None, "imap-done");
    }

    /// Matches the messages that changed since the last call against every live context and
    /// tells the client what entered or left each result. Expunged messages were told when
    /// their EXPUNGE was (see `View::expunge_now`).
    pub(crate) fn update_contexts(&mut self) {
        let Session {
            state, env, out, ..
        } = self;
        let State::Selected(_, view) = state else {
            return;
        };
        if view.touched.is_empty() {
            return;
        }
        let mut touched = std::mem::take(&mut view.touched);
        touched.sort_unstable();
        touched.dedup();
        let mut contexts = std::mem::take(&mut view.contexts);
        let searcher = Searcher {
            store: &env.store,
            view,
        };
        // What all contexts hold together stays within the configured number of messages; one
        // that would grow past it ends (RFC 5267 4.3.1 lets a server stop updating).
        let mut held: usize = contexts.iter().map(|c| c.members.len()).sum();
        let mut ended = Vec::new();
        for (i, ctx) in contexts.iter_mut().enumerate() {
            let needs_header = ctx
                .sorted
                .as_ref()
                .is_some_and(|s| sort::needs_header(&s.criteria));
            let (mut gone, mut new) = (Vec::new(), Vec::new());
            for &uid in &touched {
                let Some(seq) = view.seq_of(uid) else {
                    continue;
                };
                let Some(slot) = view.slot(seq) else {
                    continue;
                };
                let mut c = Candidate::new(seq, uid, slot);
                let now = searcher.matches(&ctx.key, &mut c);
                match (ctx.members.contains(&uid), now) {
                    (true, false) => gone.push(uid),
                    (false, true) => {
                        let entry = ctx.sorted.as_ref().map(|s| {
                            crate::search::sort_entry(&searcher, &mut c, &s.criteria, needs_header)
                        });
                        new.push((uid, entry));
                    }
                    _ => {}
                }
            }
            let by_uid = ctx.uid;
            let num = |u: u32| if by_uid { Some(u) } else { view.seq_of(u) };
            let before = ctx.members.len();
            ctx.remove(&gone, num, out);
            held -= before - ctx.members.len();
            if held.saturating_add(new.len()) > env.limits.max_context_messages {
                held -= ctx.members.len();
                let t = env.texts.text("imap-context-too-large", &[]);
                out.extend_from_slice(
                    format!("* NO [NOUPDATE \"{}\"] {t}\r\n", ctx.tag).as_bytes(),
                );
                ended.push(i);
                continue;
            }
            held += new.len();
            ctx.add(new, num, out);
        }
        for i in ended.into_iter().rev() {
            contexts.remove(i);
        }
        view.contexts = contexts;
    }
}
