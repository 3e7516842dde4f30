//! NOTIFY (RFC 5465): the client names folders and events once; from then on the driver
//! watches the store while it waits for commands and calls [`Session::changed`], which tells
//! what happened since the last look: STATUS for other folders, LIST for names and
//! subscriptions, and the selected folder's updates (with the FETCH of new messages the client
//! asked for).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bounded_static::IntoBoundedStatic;
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName};

use super::{Session, State, Step};
use crate::notify_set::{self, Events, Filter, Request};
use crate::syntax::decode_mutf7;

/// What a folder looked like when the client last heard of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    messages: u32,
    uidnext: u32,
    uidvalidity: u32,
    modseq: u64,
}

pub(crate) struct Notify {
    selected: Option<notify_set::Selected>,
    /// MessageNew's fetch attributes for the selected folder, checked when NOTIFY was set.
    fetch: Option<Vec<MessageDataItemName<'static>>>,
    groups: Vec<(Filter, Events)>,
    /// Per folder id, what was told (or was there when NOTIFY was set).
    counts: HashMap<u64, Counts>,
    names: BTreeMap<u64, String>,
    subscribed: BTreeSet<String>,
}

fn is_below(name: &str, top: &str) -> bool {
    name.strip_prefix(top).is_some_and(|r| r.starts_with('/'))
}

impl Notify {
    /// The events the non-selected groups ask for in folder `name`.
    fn events_for(&self, name: &str, subscribed: &BTreeSet<String>) -> Events {
        let mut ev = Events::default();
        for (f, e) in &self.groups {
            let hit = match f {
                Filter::Inboxes => name == "INBOX",
                Filter::Personal => true,
                Filter::Subscribed => subscribed.contains(name),
                Filter::Subtree(tops) => tops.iter().any(|t| name == t || is_below(name, t)),
                Filter::Mailboxes(names) => names.iter().any(|n| n == name),
            };
            if hit {
                ev.new |= e.new;
                ev.expunge |= e.expunge;
                ev.flags |= e.flags;
                ev.names |= e.names;
                ev.subscriptions |= e.subscriptions;
            }
        }
        ev
    }
}

impl Session {
    /// The account whose store the driver should watch while it waits for a command: set
    /// while NOTIFY is.
    pub fn watching(&self) -> Option<u64> {
        self.notify.as_ref().and(self.account_id())
    }

    /// NOTIFY NONE / NOTIFY SET (what follows the verb).
    pub(crate) fn notify_command(&mut self, tag: &str, args: &[u8]) {
        if self.account_id().is_none() {
            return self.tagged(tag, "BAD", None, "imap-bad-state");
        }
        let (status, selected, groups) = match notify_set::parse(args) {
            Ok(Request::None) => {
                self.notify = None;
                return self.tagged(tag, "OK", None, "imap-done");
            }
            Ok(Request::Set {
                status,
                selected,
                groups,
            }) => (status, selected, groups),
            Err(notify_set::Error::Syntax) => return self.bad_syntax(tag, "NOTIFY"),
            Err(notify_set::Error::BadEvent) => {
                let code = "BADEVENT (MessageNew MessageExpunge FlagChange MailboxName \
                            SubscriptionChange)";
                return self.tagged(tag, "NO", Some(code), "imap-notify-bad-event");
            }
        };
        let fetch = match selected.as_ref().and_then(|s| s.fetch.as_deref()) {
            None => None,
            Some(raw) => match fetch_items(raw) {
                Some(items) => Some(items),
                None => return self.bad_syntax(tag, "NOTIFY"),
            },
        };
        let utf8 = self.utf8_names();
        let name = |n: &String| -> String {
            if n.eq_ignore_ascii_case("INBOX") {
                "INBOX".into()
            } else if utf8 {
                n.clone()
            } else {
                decode_mutf7(n).unwrap_or_else(|| n.clone())
            }
        };
        let groups = groups
            .into_iter()
            .map(|(f, e)| {
                let f = match f {
                    Filter::Subtree(v) => Filter::Subtree(v.iter().map(name).collect()),
                    Filter::Mailboxes(v) => Filter::Mailboxes(v.iter().map(name).collect()),
                    other => other,
                };
                (f, e)
            })
            .collect();
        self.notify = Some(Box::new(Notify {
            selected,
            fetch,
            groups,
            counts: HashMap::new(),
            names: BTreeMap::new(),
            subscribed: BTreeSet::new(),
        }));
        // The first look records the present; with STATUS the client hears of it too.
        let mut first = Vec::new();
        self.look_around(&mut first, true);
        if status {
            self.out.extend_from_slice(&first);
        }
        self.tagged(tag, "OK", None, "imap-done");
    }

    /// The store changed (or watching has just begun): in IDLE the selected folder's
    /// updates, under NOTIFY whatever the client asked to hear of. A FETCH of new messages
    /// may follow as a step of its own.
    pub fn changed(&mut self) -> Step {
        let idling = matches!(self.waiting, super::Waiting::Idle { .. });
        if idling {
            self.refresh(true);
        }
        let Some(n) = self.notify.as_ref() else {
            return Step::Read;
        };
        if self.fetching.is_some() || self.urlfetch.is_some() {
            return Step::Read;
        }
        let mut step = Step::Read;
        if let (Some(sel), State::Selected(..)) = (n.selected.clone(), &self.state)
            && sel.events.new
        {
            let before = self.with_view(|v| v.exists());
            self.refresh(!sel.delayed || idling);
            let after = self.with_view(|v| v.exists());
            let items = self.notify.as_ref().and_then(|n| n.fetch.clone());
            if let (Some(items), true) = (items, after > before) {
                let targets = self.with_view(|v| {
                    (before + 1..=after)
                        .filter_map(|seq| v.uids().get(seq as usize - 1).map(|u| (seq, *u)))
                        .collect()
                });
                step = self.start_fetch(None, targets, items, false, None);
            }
        }
        let mut out = Vec::new();
        self.look_around(&mut out, false);
        self.out.extend_from_slice(&out);
        step
    }

    /// Compares the account's other folders, names and subscriptions with what the client
    /// was told and writes what it asked to hear of into `out`. `first`: every watched
    /// folder's STATUS is written (the caller decides whether it is sent).
    fn look_around(&mut self, out: &mut Vec<u8>, first: bool) {
        let Some(acct) = self.account_id() else {
            return;
        };
        let selected = match &self.state {
            State::Selected(_, v) => Some(v.folder),
            _ => None,
        };
        let Some(mut n) = self.notify.take() else {
            return;
        };
        let store = self.env.store.clone();
        let listed = store
            .folders(acct)
            .and_then(|f| Ok((f, store.subscriptions(acct)?)));
        let (folders, subscribed) = match listed {
            Ok((f, s)) => (f, s.into_iter().collect::<BTreeSet<String>>()),
            Err(e) => {
                tracing::warn!(error = %e, "NOTIFY could not read the folders");
                self.notify = Some(n);
                return;
            }
        };
        let mut names = BTreeMap::new();
        for f in &folders {
            names.insert(f.id, f.name.clone());
            let ev = n.events_for(&f.name, &subscribed);
            if !first && ev.names {
                match n.names.get(&f.id) {
                    None => self.list_line(out, "()", &f.name, None),
                    Some(old) if *old != f.name => self.list_line(out, "()", &f.name, Some(old)),
                    Some(_) => {}
                }
            }
            if !(ev.new || ev.expunge || ev.flags) || Some(f.id) == selected {
                continue;
            }
            let known = n.counts.get(&f.id).copied();
            // The folder record moves with every change; the counters are read only then.
            if known
                .is_some_and(|k| k.uidnext == f.uidnext && k.modseq == f.highest_modseq && !first)
            {
                continue;
            }
            // Only the count is told: the counters have it (STATUS's RECENT would cost a scan).
            let messages = match store.counters(f.id) {
                Ok(c) => c.messages,
                Err(e) => {
                    tracing::warn!(error = %e, "NOTIFY could not count a folder");
                    continue;
                }
            };
            let now = Counts {
                messages,
                uidnext: f.uidnext,
                uidvalidity: f.uidvalidity,
                modseq: f.highest_modseq,
            };
            n.counts.insert(f.id, now);
            // What the events ask to be told (RFC 5465 5.2-5.3), in STATUS order.
            let items = [
                ("MESSAGES", ev.new || ev.expunge, u64::from(now.messages)),
                ("UIDNEXT", ev.new, u64::from(now.uidnext)),
                (
                    "UIDVALIDITY",
                    ev.new || ev.flags,
                    u64::from(now.uidvalidity),
                ),
                ("HIGHESTMODSEQ", ev.flags, now.modseq),
            ];
            let was = known.map(|k| {
                [
                    u64::from(k.messages),
                    u64::from(k.uidnext),
                    u64::from(k.uidvalidity),
                    k.modseq,
                ]
            });
            let moved = match was {
                // A new folder is told by its LIST; its STATUS only once it holds something.
                None => now.messages > 0,
                Some(was) => items.iter().zip(was).any(|((_, on, v), w)| *on && *v != w),
            };
            if first || moved {
                let parts: Vec<String> = items
                    .iter()
                    .filter(|(_, on, _)| *on)
                    .map(|(name, _, v)| format!("{name} {v}"))
                    .collect();
                out.extend_from_slice(b"* STATUS ");
                self.put_name(out, &f.name);
                out.extend_from_slice(format!(" ({})\r\n", parts.join(" ")).as_bytes());
            }
        }
        if !first {
            for (id, old) in &n.names {
                if !names.contains_key(id) && n.events_for(old, &subscribed).names {
                    self.list_line(out, "(\\NonExistent)", old, None);
                }
            }
            for name in subscribed.symmetric_difference(&n.subscribed) {
                if n.events_for(name, &subscribed).subscriptions
                    || n.events_for(name, &n.subscribed).subscriptions
                {
                    let attrs = if subscribed.contains(name) {
                        "(\\Subscribed)"
                    } else {
                        "()"
                    };
                    self.list_line(out, attrs, name, None);
                }
            }
        }
        n.counts.retain(|id, _| names.contains_key(id));
        n.names = names;
        n.subscribed = subscribed;
        self.notify = Some(n);
    }

    /// `* LIST (attrs) "/" name`, with the old name of a renamed folder (RFC 5465 5.4).
    fn list_line(&self, out: &mut Vec<u8>, attrs: &str, name: &str, old: Option<&str>) {
        out.extend_from_slice(format!("* LIST {attrs} \"/\" ").as_bytes());
        self.put_name(out, name);
        if let Some(old) = old {
            out.extend_from_slice(b" (\"OLDNAME\" (");
            self.put_name(out, old);
            out.extend_from_slice(b"))");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// MessageNew's fetch attributes, checked by the FETCH parser.
fn fetch_items(raw: &str) -> Option<Vec<MessageDataItemName<'static>>> {
    let line = format!("N FETCH 1 {raw}\r\n");
    let (_, cmd) = CommandCodec::default().decode(line.as_bytes()).ok()?;
    match cmd.body {
        CommandBody::Fetch {
            macro_or_item_names: MacroOrMessageDataItemNames::MessageDataItemNames(v),
            ..
        } => Some(v.into_static()),
        _ => None,
    }
}
