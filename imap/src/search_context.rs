//! CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 4): a SEARCH or SORT run with `RETURN (UPDATE)`
//! stays live while its folder is selected. Whenever the session tells the client of a change
//! (new messages, flags, expunges, its own or another session's), the messages that changed are
//! matched again and the client hears `ADDTO` and `REMOVEFROM` for the result. CANCELUPDATE
//! ends a context; leaving the folder ends them all, as the contexts live in its view.
//!
//! Only the messages that changed are looked at again, never the whole folder: a context costs
//! what the changes cost. Membership is a hash set, and a SORT context keeps its entries in
//! order so that a batch of removals or additions is one pass over them.

use std::cmp::Ordering;
use std::collections::HashSet;

use bounded_static::IntoBoundedStatic;
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::search::SearchKey;

use super::search::{Candidate, Searcher};
use super::search_ext::compact;
use super::session::{Session, State};
use super::sort::{self, Entry};

/// One live result.
pub struct Context {
    /// The tag of the command that made it, which its updates name.
    tag: String,
    /// Updates speak UIDs (a UID SEARCH or UID SORT) rather than sequence numbers.
    uid: bool,
    key: SearchKey<'static>,
    /// UIDs of the messages in the result.
    members: HashSet<u32>,
    /// SORT: the criteria and the result in their order.
    sorted: Option<Sorted>,
}

struct Sorted {
    criteria: Vec<SortCriterion>,
    entries: Vec<Entry>,
}

/// The order of a SORT result; equal keys go by UID, which is sequence order.
fn compare(a: &Entry, b: &Entry, criteria: &[SortCriterion]) -> Ordering {
    sort::compare_keys(a, b, criteria).then(a.uid.cmp(&b.uid))
}

fn line(ctx: &Context, item: &str, pairs: &str) -> String {
    let uid = if ctx.uid { " UID" } else { "" };
    format!("* ESEARCH (TAG \"{}\"){uid} {item} ({pairs})\r\n", ctx.tag)
}

/// A SEARCH result's pairs: position 0 (it has no order of its own) and the set.
fn unordered(mut nums: Vec<u32>) -> Option<String> {
    nums.sort_unstable();
    (!nums.is_empty()).then(|| format!("0 {}", compact(&nums)))
}

fn ordered(pairs: Vec<String>) -> Option<String> {
    (!pairs.is_empty()).then(|| pairs.join(" "))
}

impl Context {
    pub fn by_uid(&self) -> bool {
        self.uid
    }

    /// Takes the messages `gone` (UIDs) out of the result and tells the client, `num` naming
    /// each as the client knows it. A SORT result names each message with its position at the
    /// moment it goes, so applying the pairs in order gives the new result.
    pub fn remove(&mut self, gone: &[u32], num: impl Fn(u32) -> Option<u32>, out: &mut Vec<u8>) {
        let gone: HashSet<u32> = gone
            .iter()
            .copied()
            .filter(|u| self.members.remove(u))
            .collect();
        if gone.is_empty() {
            return;
        }
        let text = match &mut self.sorted {
            None => unordered(gone.iter().filter_map(|u| num(*u)).collect()),
            Some(s) => {
                let mut pairs = Vec::new();
                let mut kept = 0usize;
                s.entries.retain(|e| {
                    if gone.contains(&e.uid) {
                        pairs.extend(num(e.uid).map(|n| format!("{} {n}", kept + 1)));
                        false
                    } else {
                        kept += 1;
                        true
                    }
                });
                ordered(pairs)
            }
        };
        if let Some(t) = text {
            out.extend_from_slice(line(self, "REMOVEFROM", &t).as_bytes());
        }
    }

    /// Adds messages (UIDs, with their sort entries in a SORT context) to the result and tells
    /// the client. A SORT result names each with the position it takes, lowest first, so
    /// inserting them in order gives the new result.
    fn add(
        &mut self,
        new: Vec<(u32, Option<Entry>)>,
        num: impl Fn(u32) -> Option<u32>,
        out: &mut Vec<u8>,
    ) {
        if new.is_empty() {
            return;
        }
        self.members.extend(new.iter().map(|(u, _)| *u));
        let text = match &mut self.sorted {
            None => unordered(new.iter().filter_map(|(u, _)| num(*u)).collect()),
            Some(s) => {
                let mut added: Vec<Entry> = new.into_iter().filter_map(|(_, e)| e).collect();
                added.sort_by(|a, b| compare(a, b, &s.criteria));
                // One merge of two ordered lists; positions are those in the merged result.
                let old = std::mem::take(&mut s.entries);
                let mut merged = Vec::with_capacity(old.len() + added.len());
                let mut pairs = Vec::new();
                let (mut a, mut b) = (old.into_iter().peekable(), added.into_iter().peekable());
                loop {
                    let take_new = match (a.peek(), b.peek()) {
                        (Some(x), Some(y)) => compare(y, x, &s.criteria) == Ordering::Less,
                        (None, Some(_)) => true,
                        (_, None) => false,
                    };
                    let Some(e) = (if take_new { b.next() } else { a.next() }) else {
                        break;
                    };
                    if take_new && let Some(n) = num(e.uid) {
                        pairs.push(format!("{} {n}", merged.len() + 1));
                    }
                    merged.push(e);
                }
                s.entries = merged;
                ordered(pairs)
            }
        };
        if let Some(t) = text {
            out.extend_from_slice(line(self, "ADDTO", &t).as_bytes());
        }
    }
}

/// `CANCELUPDATE "tag" ...`: the tags, quoted or not; `None` when there are none or one is
/// malformed.
pub fn cancel_tags(args: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(args)
        .ok()?
        .trim_end_matches(['\r', '\n']);
    let mut tags = Vec::new();
    for word in text.split_ascii_whitespace() {
        let tag = match word.strip_prefix('"') {
            Some(rest) => rest.strip_suffix('"')?,
            None => word,
        };
        if tag.is_empty() || tag.contains(['"', '\\']) {
            return None;
        }
        tags.push(tag.to_string());
    }
    (!tags.is_empty()).then_some(tags)
}

impl Session {
    /// Makes the SEARCH or SORT being answered a live context (`RETURN (UPDATE)`): `uids`
    /// is its result, `entries` the sorted one of a SORT. Past the configured number of
    /// contexts, or of messages they hold together, the result is still answered, but without
    /// updates (RFC 5267 4.3.1).
    pub(super) fn open_context(
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
    pub(super) fn cancel_update(&mut self, tag: &str, args: &[u8]) {
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
    pub(super) fn update_contexts(&mut self) {
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
                            super::query::sort_entry(&searcher, &mut c, &s.criteria, needs_header)
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
