//! Which names LIST and LSUB answer with, and their attributes (RFC 3501 6.3.8-9, RFC 5258).
//! Decided from the folder names and the subscription list alone, without I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::syntax::list_match;

/// What the client asked for.
#[derive(Debug, Default, Clone)]
pub struct Query {
    /// Full patterns (reference prepended).
    pub patterns: Vec<String>,
    pub lsub: bool,
    /// LIST (SUBSCRIBED ...).
    pub select_subscribed: bool,
    pub select_special_use: bool,
    pub recursive_match: bool,
    /// Whether `\Subscribed` is shown (SUBSCRIBED selection or return option).
    pub show_subscribed: bool,
}

/// One answer line.
#[derive(Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub attrs: Vec<&'static str>,
    /// `("CHILDINFO" ("SUBSCRIBED"))`: listed for a subscribed descendant the patterns miss.
    pub child_info: bool,
    /// A folder of that name exists (LIST-STATUS only reports those).
    pub exists: bool,
}

fn matches(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| {
        list_match(p, name, '/')
            || (name == "INBOX" && list_match(&p.to_ascii_uppercase(), "INBOX", '/'))
    })
}

fn is_below(name: &str, parent: &str) -> bool {
    name.len() > parent.len() + 1
        && name.starts_with(parent)
        && name.as_bytes()[parent.len()] == b'/'
}

/// Every superior of `name` ("a/b/c" gives "a", "a/b").
fn superiors(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('/').map(move |(i, _)| &name[..i])
}

/// The answer to one LIST or LSUB. `folders` maps existing names to their special-use
/// attribute.
pub fn answer(
    q: &Query,
    folders: &BTreeMap<String, Option<&'static str>>,
    subscribed: &BTreeSet<String>,
) -> Vec<Entry> {
    let by_subscription = q.lsub || q.select_subscribed;
    // RECURSIVEMATCH (RFC 5258 3.5) and LSUB's `%` rule (RFC 3501 6.3.9): a name whose
    // subscribed descendant the patterns do not reach is listed for it.
    let listed_for_child = |name: &str| {
        (q.recursive_match || q.lsub)
            && subscribed
                .iter()
                .any(|s| is_below(s, name) && !matches(&q.patterns, s))
    };
    let mut names: BTreeSet<&str> = BTreeSet::new();
    if by_subscription {
        for s in subscribed {
            names.insert(s);
            names.extend(superiors(s));
        }
    } else {
        names.extend(folders.keys().map(String::as_str));
    }
    let mut out = Vec::new();
    for name in names {
        if !matches(&q.patterns, name) {
            continue;
        }
        let exists = folders.contains_key(name);
        let is_subscribed = subscribed.contains(name);
        let child_info = by_subscription && listed_for_child(name);
        if by_subscription && !is_subscribed && !child_info {
            continue;
        }
        let special = folders.get(name).copied().flatten();
        if q.select_special_use && special.is_none() {
            continue;
        }
        let mut attrs = Vec::new();
        if q.lsub {
            // LSUB knows only \Noselect: for a name listed for its children alone.
            if !is_subscribed || !exists {
                attrs.push("\\Noselect");
            }
        } else {
            if exists {
                let prefix = format!("{name}/");
                let children = folders
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(n, _)| n.starts_with(&prefix));
                attrs.push(if children {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                });
            } else {
                attrs.push("\\NonExistent");
            }
            attrs.extend(special);
            if q.show_subscribed && is_subscribed {
                attrs.push("\\Subscribed");
            }
        }
        out.push(Entry {
            name: name.to_string(),
            attrs,
            child_info: child_info && !q.lsub,
            exists,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(
        folders: &[&str],
        subs: &[&str],
    ) -> (BTreeMap<String, Option<&'static str>>, BTreeSet<String>) {
        (
            folders.iter().map(|f| (f.to_string(), None)).collect(),
            subs.iter().map(|s| s.to_string()).collect(),
        )
    }

    fn names(e: &[Entry]) -> Vec<String> {
        e.iter()
            .map(|e| {
                let ci = if e.child_info { " CI" } else { "" };
                format!("{} ({}){ci}", e.name, e.attrs.join(" "))
            })
            .collect()
    }

    fn q(patterns: &[&str]) -> Query {
        Query {
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn lsub_percent_lists_unsubscribed_parents_as_noselect() {
        let (f, s) = setup(
            &[
                "m",
                "m/test",
                "m/test2",
                "m/test2/test",
                "m/test3",
                "m/test3/test3",
            ],
            &["m/test", "m/test2/test", "m/test3/test3"],
        );
        let lsub = Query {
            lsub: true,
            ..q(&["m/%"])
        };
        assert_eq!(
            names(&answer(&lsub, &f, &s)),
            ["m/test ()", "m/test2 (\\Noselect)", "m/test3 (\\Noselect)"]
        );
        let lsub = Query {
            lsub: true,
            ..q(&["*test"])
        };
        assert_eq!(
            names(&answer(&lsub, &f, &s)),
            ["m/test ()", "m/test2/test ()"]
        );
        // Nothing subscribed below m/test3 any more: it is not listed.
        let (f, s) = setup(&["m", "m/test3", "m/test3/test3"], &[]);
        let lsub = Query {
            lsub: true,
            ..q(&["m/%"])
        };
        assert!(answer(&lsub, &f, &s).is_empty());
    }

    #[test]
    fn subscribed_selection_shows_deleted_names_and_child_info() {
        let (f, s) = setup(
            &[
                "m",
                "m/test1",
                "m/test2",
                "m/test2/test1",
                "m/test7",
                "m/test7/test7",
                "m/test8",
                "m/test8/test8",
                "m/test8/test9",
            ],
            &[
                "m/test1",
                "m/test2/test1",
                "m/test6",
                "m/test7/test7",
                "m/test8/test8",
                "m/test8/test9",
            ],
        );
        let sel = Query {
            select_subscribed: true,
            show_subscribed: true,
            ..q(&["m/*"])
        };
        let got = names(&answer(&sel, &f, &s));
        assert!(
            got.contains(&"m/test6 (\\NonExistent \\Subscribed)".to_string()),
            "{got:?}"
        );
        assert!(!got.iter().any(|n| n.starts_with("m/test2 ")), "{got:?}");
        let rec = Query {
            recursive_match: true,
            ..sel.clone()
        };
        let rec = |p: &[&str]| Query {
            patterns: p.iter().map(|s| s.to_string()).collect(),
            ..rec.clone()
        };
        assert_eq!(
            names(&answer(&rec(&["m/test2%"]), &f, &s)),
            ["m/test2 (\\HasChildren) CI"]
        );
        assert_eq!(
            names(&answer(&rec(&["*test7"]), &f, &s)),
            ["m/test7/test7 (\\HasNoChildren \\Subscribed)"]
        );
        assert_eq!(
            names(&answer(&rec(&["*test8"]), &f, &s)),
            [
                "m/test8 (\\HasChildren) CI",
                "m/test8/test8 (\\HasNoChildren \\Subscribed)"
            ]
        );
        assert_eq!(
            names(&answer(&rec(&["m/test2", "m/test2/test1"]), &f, &s)),
            ["m/test2/test1 (\\HasNoChildren \\Subscribed)"]
        );
    }

    #[test]
    fn plain_list_shows_existing_folders_only() {
        let (f, s) = setup(&["INBOX", "a", "a/b"], &["gone", "a/b"]);
        let plain = q(&["*"]);
        assert_eq!(
            names(&answer(&plain, &f, &s)),
            [
                "INBOX (\\HasNoChildren)",
                "a (\\HasChildren)",
                "a/b (\\HasNoChildren)"
            ]
        );
        let ret = Query {
            show_subscribed: true,
            ..q(&["a/%"])
        };
        assert_eq!(
            names(&answer(&ret, &f, &s)),
            ["a/b (\\HasNoChildren \\Subscribed)"]
        );
        assert_eq!(
            names(&answer(&q(&["inbox"]), &f, &s)),
            ["INBOX (\\HasNoChildren)"]
        );
    }
}
