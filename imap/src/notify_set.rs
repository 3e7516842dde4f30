//! The arguments of NOTIFY (RFC 5465 8): which folders a client wants to hear of and which
//! events. Parsing only; what is sent is in `notify.rs`.

use crate::args::{Tok, tokens, word};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Events {
    pub new: bool,
    pub expunge: bool,
    pub flags: bool,
    pub names: bool,
    pub subscriptions: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Inboxes,
    Personal,
    Subscribed,
    /// The folders and everything below them.
    Subtree(Vec<String>),
    Mailboxes(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub events: Events,
    /// SELECTED-DELAYED: expunges wait for a command that allows them.
    pub delayed: bool,
    /// MessageNew's fetch attributes as the client wrote them, parentheses included.
    pub fetch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    None,
    Set {
        /// Tell the current STATUS of every watched folder at once.
        status: bool,
        selected: Option<Selected>,
        groups: Vec<(Filter, Events)>,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    Syntax,
    /// An event this server does not report (RFC 5465 5.9: NO [BADEVENT]).
    BadEvent,
}

/// Parses what follows `NOTIFY `. Folder names come back as the client wrote them.
pub fn parse(args: &[u8]) -> Result<Request, Error> {
    let mut s = args;
    let toks = tokens(&mut s).ok_or(Error::Syntax)?;
    let mut it = toks.iter().peekable();
    match it
        .next()
        .and_then(word)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("NONE") if toks.len() == 1 => return Ok(Request::None),
        Some("SET") => {}
        _ => return Err(Error::Syntax),
    }
    let status = it
        .peek()
        .and_then(|t| word(t))
        .is_some_and(|w| w.eq_ignore_ascii_case("STATUS"));
    if status {
        it.next();
    }
    let (mut selected, mut groups) = (None, Vec::new());
    let mut bad_event = false;
    for group in it {
        let Tok::List(parts, _) = group else {
            return Err(Error::Syntax);
        };
        let filter = parts.first().and_then(word).ok_or(Error::Syntax)?;
        let filter = filter.to_ascii_uppercase();
        let (names, events) = match filter.as_str() {
            "SUBTREE" | "MAILBOXES" => match parts.as_slice() {
                [_, names, events] => (Some(folder_names(names)?), events),
                _ => return Err(Error::Syntax),
            },
            _ => match parts.as_slice() {
                [_, events] => (None, events),
                _ => return Err(Error::Syntax),
            },
        };
        let (ev, fetch) = match events_of(events) {
            Ok(e) => e,
            Err(Error::BadEvent) => {
                // Syntax errors elsewhere still count first (BAD before NO).
                bad_event = true;
                (Events::default(), None)
            }
            Err(e) => return Err(e),
        };
        let f = match (filter.as_str(), names) {
            ("SELECTED" | "SELECTED-DELAYED", None) => {
                // RFC 5465 5.1: sequence numbers stay right only if a client that hears of
                // new messages hears of expunges too, and flag changes need both.
                if selected.is_some() || ev.new != ev.expunge || (ev.flags && !ev.new) {
                    return Err(Error::Syntax);
                }
                selected = Some(Selected {
                    events: ev,
                    delayed: filter == "SELECTED-DELAYED",
                    fetch,
                });
                continue;
            }
            ("INBOXES", None) => Filter::Inboxes,
            ("PERSONAL", None) => Filter::Personal,
            ("SUBSCRIBED", None) => Filter::Subscribed,
            ("SUBTREE", Some(n)) => Filter::Subtree(n),
            ("MAILBOXES", Some(n)) => Filter::Mailboxes(n),
            _ => return Err(Error::Syntax),
        };
        // Fetch attributes only make sense where messages are numbered: the selected folder.
        if fetch.is_some() {
            return Err(Error::Syntax);
        }
        groups.push((f, ev));
    }
    if selected.is_none() && groups.is_empty() {
        return Err(Error::Syntax);
    }
    if bad_event {
        return Err(Error::BadEvent);
    }
    Ok(Request::Set {
        status,
        selected,
        groups,
    })
}

fn folder_names(t: &Tok) -> Result<Vec<String>, Error> {
    match t {
        Tok::Word(w) => Ok(vec![w.clone()]),
        Tok::List(items, _) if !items.is_empty() => items
            .iter()
            .map(|i| word(i).map(str::to_string).ok_or(Error::Syntax))
            .collect(),
        Tok::List(..) => Err(Error::Syntax),
    }
}

/// `NONE` or `(event ...)`, with MessageNew's fetch attributes.
fn events_of(t: &Tok) -> Result<(Events, Option<String>), Error> {
    let items = match t {
        Tok::Word(w) if w.eq_ignore_ascii_case("NONE") => {
            return Ok((Events::default(), None));
        }
        Tok::List(items, _) if !items.is_empty() => items,
        _ => return Err(Error::Syntax),
    };
    let (mut new, mut expunge, mut ev, mut fetch) = (false, false, Events::default(), None);
    let mut unknown = false;
    let mut it = items.iter().peekable();
    while let Some(t) = it.next() {
        let name = word(t).ok_or(Error::Syntax)?.to_ascii_uppercase();
        match name.as_str() {
            "MESSAGENEW" => {
                new = true;
                if let Some(Tok::List(atts, raw)) = it.peek() {
                    if atts.is_empty() {
                        return Err(Error::Syntax);
                    }
                    fetch = Some(raw.clone());
                    it.next();
                }
            }
            "MESSAGEEXPUNGE" => expunge = true,
            "FLAGCHANGE" => ev.flags = true,
            "MAILBOXNAME" => ev.names = true,
            "SUBSCRIPTIONCHANGE" => ev.subscriptions = true,
            // Annotations and metadata are not kept here; anything else is unknown.
            _ => unknown = true,
        }
    }
    if unknown {
        return Err(Error::BadEvent);
    }
    ev.new = new;
    ev.expunge = expunge;
    Ok((ev, fetch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> (bool, Option<Selected>, Vec<(Filter, Events)>) {
        match parse(s.as_bytes()) {
            Ok(Request::Set {
                status,
                selected,
                groups,
            }) => (status, selected, groups),
            other => panic!("{s}: {other:?}"),
        }
    }

    const MSGS: Events = Events {
        new: true,
        expunge: true,
        flags: false,
        names: false,
        subscriptions: false,
    };

    #[test]
    fn parses_the_forms_of_rfc_5465() {
        assert_eq!(parse(b"NONE"), Ok(Request::None));
        let (status, sel, groups) = set("SET STATUS (mailboxes box2 (MessageNew MessageExpunge))");
        assert!(status && sel.is_none());
        assert_eq!(groups, vec![(Filter::Mailboxes(vec!["box2".into()]), MSGS)]);
        let (_, sel, groups) = set(
            "SET (selected (MessageNew (uid body.peek[header.fields (from to)]) MessageExpunge \
             FlagChange)) (subtree (\"a b\" Other) (MailboxName SubscriptionChange)) \
             (personal NONE)",
        );
        let sel = sel.expect("selected");
        assert!(sel.events.new && sel.events.expunge && sel.events.flags && !sel.delayed);
        assert_eq!(
            sel.fetch.as_deref(),
            Some("(uid body.peek[header.fields (from to)])")
        );
        assert_eq!(
            groups[0].0,
            Filter::Subtree(vec!["a b".into(), "Other".into()])
        );
        assert!(groups[0].1.names && groups[0].1.subscriptions && !groups[0].1.new);
        assert_eq!(groups[1], (Filter::Personal, Events::default()));
        let (_, sel, _) = set("SET (SELECTED-DELAYED (MessageNew MessageExpunge))");
        assert!(sel.expect("selected").delayed);
        // Other folders are only counted: any event on its own will do.
        let (_, _, groups) = set("SET (inboxes (MessageExpunge)) (subscribed (FlagChange))");
        assert!(groups[0].1.expunge && !groups[0].1.new && groups[1].1.flags);
    }

    #[test]
    fn refuses_what_rfc_5465_forbids() {
        for bad in [
            "",
            "SET",
            "SET STATUS",
            "NONE extra",
            "SET (selected (MessageNew))",
            "SET (selected (MessageExpunge))",
            "SET (selected (FlagChange))",
            "SET (personal (MessageNew (uid) MessageExpunge))",
            "SET (mailboxes (MessageNew MessageExpunge))",
            "SET (personal ())",
            "SET (nowhere (MessageNew MessageExpunge))",
            "SET (selected NONE) (selected NONE)",
            "SET (personal (MessageNew MessageExpunge)",
            "SET (((((((personal)))))))",
        ] {
            assert_eq!(parse(bad.as_bytes()), Err(Error::Syntax), "{bad}");
        }
        assert_eq!(
            parse(b"SET (personal (MessageNew MessageExpunge AnnotationChange))"),
            Err(Error::BadEvent)
        );
    }
}
