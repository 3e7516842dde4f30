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

use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::search::SearchKey;

use super::search_ext::compact;
use super::sort::{self, Entry};

/// One live result.
pub struct Context {
    /// The tag of the command that made it, which its updates name.
    pub(crate) tag: String,
    /// Updates speak UIDs (a UID SEARCH or UID SORT) rather than sequence numbers.
    pub(crate) uid: bool,
    pub(crate) key: SearchKey<'static>,
    /// UIDs of the messages in the result.
    pub(crate) members: HashSet<u32>,
    /// SORT: the criteria and the result in their order.
    pub(crate) sorted: Option<Sorted>,
}

pub(crate) struct Sorted {
    pub(crate) criteria: Vec<SortCriterion>,
    pub(crate) entries: Vec<Entry>,
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
    pub(crate) fn add(
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
pub(crate) fn cancel_tags(args: &[u8]) -> Option<Vec<String>> {
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
