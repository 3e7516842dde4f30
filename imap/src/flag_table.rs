//! The flag lists of a selected folder, each kept once. A folder of 100k messages has a
//! handful of distinct flag lists; a session holds a small list number per message instead of
//! a vector of strings, and renders each list's text once.

use std::collections::HashMap;

// The store's bits: a folder listed from the change index maps onto them directly.
use mailbox::{Listed, SYSTEM_FLAG_BITS, StateRef, is_flag_atom, system_flag_bit as system_bit};

pub(crate) const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

/// \Seen's bit in [`FlagTable::system`], the one sessions ask about by itself.
pub const SEEN: u8 = 1;

/// A keyword, as opposed to a system flag or another backslash flag.
fn is_keyword(flag: &str) -> bool {
    !flag.starts_with('\\') && is_flag_atom(flag)
}

/// One distinct flag list.
#[derive(Clone)]
struct List {
    /// Name ids in stored order.
    names: Box<[u32]>,
    /// System flags as bits.
    system: u8,
    /// The flags as a client sees them, space separated, without parentheses.
    text: Box<[u8]>,
    /// The highest position of its keywords in [`FlagTable::keywords`], plus one; 0 without
    /// keywords. A session that announced fewer keywords must announce again first.
    rank: u32,
}

#[derive(Clone)]
pub struct FlagTable {
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
    /// Keyword name ids, in the order they became known.
    keywords: Vec<u32>,
    /// Position in `keywords` plus one, by name id; 0 for other flags.
    keyword_rank: Vec<u32>,
    lists: Vec<List>,
    /// List ids by their stored bytes (see [`StateRef::flags_key`]).
    by_key: HashMap<Box<[u8]>, u32>,
    by_names: HashMap<Box<[u32]>, u32>,
    /// List ids by system flag bits, `u32::MAX` where not made yet.
    by_system: [u32; 32],
}

/// The empty flag list; every table has it.
pub const EMPTY: u32 = 0;

impl FlagTable {
    pub fn new() -> FlagTable {
        let mut t = FlagTable {
            names: Vec::new(),
            name_ids: HashMap::new(),
            keywords: Vec::new(),
            keyword_rank: Vec::new(),
            lists: Vec::new(),
            by_key: HashMap::new(),
            by_names: HashMap::new(),
            by_system: [u32::MAX; 32],
        };
        let empty = t.list_of_names(Box::new([]));
        debug_assert_eq!(empty, EMPTY);
        t
    }

    /// The name's id, adding it (and, for a keyword, ranking it last) when new.
    pub fn name(&mut self, flag: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(flag) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(flag.to_string());
        self.name_ids.insert(flag.to_string(), id);
        if is_keyword(flag) {
            self.keywords.push(id);
            self.keyword_rank.push(self.keywords.len() as u32);
        } else {
            self.keyword_rank.push(0);
        }
        id
    }

    fn list_of_names(&mut self, names: Box<[u32]>) -> u32 {
        if let Some(&id) = self.by_names.get(&names) {
            return id;
        }
        let mut text = Vec::new();
        let mut system = 0;
        let mut rank = 0;
        for &n in names.iter() {
            let name = &self.names[n as usize];
            system |= system_bit(name);
            rank = rank.max(self.keyword_rank[n as usize]);
            // A flag that is not an atom could not be written back unchanged; it is not shown.
            if is_flag_atom(name) {
                if !text.is_empty() {
                    text.push(b' ');
                }
                text.extend_from_slice(name.as_bytes());
            }
        }
        let id = self.lists.len() as u32;
        self.lists.push(List {
            names: names.clone(),
            system,
            text: text.into(),
            rank,
        });
        self.by_names.insert(names, id);
        id
    }

    /// The list id of a stored state's flags. Lists seen before cost one hash lookup.
    pub fn list_of(&mut self, st: &StateRef<'_>) -> u32 {
        let key = st.flags_key();
        if let Some(&id) = self.by_key.get(key) {
            return id;
        }
        let names: Box<[u32]> = st.flags().map(|f| self.name(f)).collect();
        let id = self.list_of_names(names);
        self.by_key.insert(key.into(), id);
        id
    }

    /// The list id of a message's flags as the store's change index hands them out.
    pub fn list_of_listed(&mut self, listed: &Listed<'_>) -> u32 {
        match listed {
            Listed::System(bits) => self.list_of_system(*bits),
            Listed::State(st) => self.list_of(st),
        }
    }

    /// The list id of a set of system flags given as bits, in their usual order (a folder
    /// listed from the change index; see [`mailbox::Listed`]).
    pub fn list_of_system(&mut self, bits: u8) -> u32 {
        if let Some(&id) = self.by_system.get(usize::from(bits))
            && id != u32::MAX
        {
            return id;
        }
        let names: Box<[u32]> = SYSTEM_FLAG_BITS
            .iter()
            .filter(|(_, b)| bits & b != 0)
            .map(|(n, _)| self.name(n))
            .collect();
        let id = self.list_of_names(names);
        if let Some(slot) = self.by_system.get_mut(usize::from(bits)) {
            *slot = id;
        }
        id
    }

    /// The list id of flags given as strings (a state the store handed back).
    pub fn list_of_flags(&mut self, flags: &[String]) -> u32 {
        let names: Box<[u32]> = flags.iter().map(|f| self.name(f)).collect();
        self.list_of_names(names)
    }

    pub fn system(&self, list: u32) -> u8 {
        self.lists[list as usize].system
    }

    pub fn text(&self, list: u32) -> &[u8] {
        &self.lists[list as usize].text
    }

    pub fn rank(&self, list: u32) -> u32 {
        self.lists[list as usize].rank
    }

    /// Whether the list has `flag`, compared without regard to case like IMAP does.
    pub fn has(&self, list: u32, flag: &str) -> bool {
        match system_bit(flag) {
            0 => self.lists[list as usize]
                .names
                .iter()
                .any(|&n| self.names[n as usize].eq_ignore_ascii_case(flag)),
            bit => self.system(list) & bit != 0,
        }
    }

    /// How many keywords the table knows.
    pub fn keyword_count(&self) -> u32 {
        self.keywords.len() as u32
    }

    /// Every keyword known, sorted.
    pub fn keywords(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self
            .keywords
            .iter()
            .map(|&n| self.names[n as usize].as_str())
            .collect();
        k.sort_unstable();
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(flags: &[&str]) -> Vec<u8> {
        let st = mailbox::MessageState {
            modseq: 9,
            flags: flags.iter().map(|f| f.to_string()).collect(),
        };
        let mut v = vec![9u8];
        // postcard: count, then length-prefixed strings (all short here).
        v.push(st.flags.len() as u8);
        for f in &st.flags {
            v.push(f.len() as u8);
            v.extend_from_slice(f.as_bytes());
        }
        v
    }

    #[test]
    fn lists_are_shared_and_ranked() {
        let mut t = FlagTable::new();
        t.name("$Known");
        let a = raw(&["\\Seen", "$Work"]);
        let b = raw(&["\\Seen", "$Work"]);
        let la = t.list_of(&StateRef::parse(&a).unwrap());
        let lb = t.list_of(&StateRef::parse(&b).unwrap());
        assert_eq!(la, lb);
        assert_eq!(t.list_of_flags(&["\\Seen".into(), "$Work".into()]), la);
        assert_eq!(t.text(la), b"\\Seen $Work");
        assert_eq!(t.system(la), SEEN);
        assert!(t.has(la, "\\SEEN") && t.has(la, "$work") && !t.has(la, "\\Deleted"));
        assert_eq!(t.rank(la), 2, "$Work came after $Known");
        assert_eq!(t.rank(EMPTY), 0);
        let lc = t.list_of_flags(&["\\Deleted".into(), "\\Custom".into()]);
        assert_eq!(t.rank(lc), 0, "backslash flags are no keywords");
        assert_eq!(t.keywords(), vec!["$Known", "$Work"]);
        assert_eq!(t.text(EMPTY), b"");
        assert_eq!(SEEN, mailbox::system_flag_bit("\\Seen"));
        let flagged = mailbox::system_flag_bit("\\Flagged");
        let sf = t.list_of_system(SEEN | flagged);
        assert_eq!(t.text(sf), b"\\Seen \\Flagged");
        assert_eq!(t.system(sf), SEEN | flagged);
        assert_eq!(t.list_of_system(SEEN | flagged), sf);
        assert_eq!(t.list_of_system(0), EMPTY);
        assert_eq!(t.list_of_flags(&["\\Seen".into(), "\\Flagged".into()]), sf);
    }
}
