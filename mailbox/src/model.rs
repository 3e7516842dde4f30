//! Records kept in the database. Field order is the on-disk layout (postcard): append only.

use serde::{Deserialize, Serialize};

use crate::mime::{BodyPart, Envelope};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: u64,
    /// Lower-case address; the login name.
    pub address: String,
    pub password_hash: String,
    pub created: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

impl SpecialUse {
    pub const ALL: [SpecialUse; 5] = [
        SpecialUse::Sent,
        SpecialUse::Drafts,
        SpecialUse::Trash,
        SpecialUse::Junk,
        SpecialUse::Archive,
    ];

    /// The folder every account gets for this use.
    pub fn default_name(self) -> &'static str {
        match self {
            SpecialUse::Sent => "Sent",
            SpecialUse::Drafts => "Drafts",
            SpecialUse::Trash => "Trash",
            SpecialUse::Junk => "Junk",
            SpecialUse::Archive => "Archive",
        }
    }

    /// RFC 6154 attribute.
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Trash => "\\Trash",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Archive => "\\Archive",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Folder {
    pub id: u64,
    pub account: u64,
    pub name: String,
    pub uidvalidity: u32,
    pub uidnext: u32,
    /// Raised by every change in the folder, expunges included, so a cheap comparison tells a
    /// session whether it must look closer.
    pub highest_modseq: u64,
    /// Only read once, to carry the subscriptions of an older store over to the list of
    /// names (`Store::subscriptions`); new folders store `false`.
    pub subscribed: bool,
    pub special_use: Option<SpecialUse>,
    /// Highest UID some session has already been told is recent (IMAP \Recent).
    pub recent_uid: u32,
}

/// The small, often-changed part of a message: what sessions compare to see changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MessageState {
    pub modseq: u64,
    pub flags: Vec<String>,
}

impl MessageState {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
}

/// The immutable part of a message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageMeta {
    pub blob: u64,
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub internal_date: i64,
    pub envelope: Envelope,
    pub structure: BodyPart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub uid: u32,
    pub uidvalidity: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderStatus {
    pub messages: u32,
    pub unseen: u32,
    pub deleted: u32,
    /// Messages no session has been told about yet.
    pub recent: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Add,
    Remove,
    Replace,
}

/// A message a flag change touched: its UID, its modseq after the change and its flags, as
/// an index into [`FlagChange::lists`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Updated {
    pub uid: u32,
    pub modseq: u64,
    pub list: u32,
}

/// Outcome of a conditional or plain flag change.
#[derive(Debug, Default)]
pub struct FlagChange {
    /// Messages whose state changed (or was asked for), with their new state.
    pub updated: Vec<Updated>,
    /// The distinct flag lists of `updated`: a change over 100k messages leaves a handful,
    /// so each is made and handed on once, not once per message.
    pub lists: Vec<Vec<String>>,
    /// UIDs left alone because they changed after the client's UNCHANGEDSINCE.
    pub conflicts: Vec<u32>,
    /// The folder's highest modseq just before the change and just after it, with nothing
    /// else in between: a session that had seen the folder up to the first and takes in
    /// `updated` has seen it up to the second.
    pub modseqs: (u64, u64),
}

impl FlagChange {
    /// The flags `u` has after the change.
    pub fn flags(&self, u: &Updated) -> &[String] {
        &self.lists[u.list as usize]
    }

    /// The state of the `i`th message of `updated`.
    pub fn state(&self, i: usize) -> MessageState {
        let u = &self.updated[i];
        MessageState {
            modseq: u.modseq,
            flags: self.flags(u).to_vec(),
        }
    }

    /// Takes in the outcome of a later part of the same change.
    pub(crate) fn extend(&mut self, part: FlagChange) {
        // The part's lists are found or added here once each; its messages are renumbered.
        // Looked up by hash: messages with keywords of their own make as many lists.
        let known: std::collections::HashMap<&[String], u32> = self
            .lists
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_slice(), i as u32))
            .collect();
        let mut fresh = Vec::new();
        let map: Vec<u32> = part
            .lists
            .into_iter()
            .map(|l| match known.get(l.as_slice()) {
                Some(&i) => i,
                None => {
                    fresh.push(l);
                    (self.lists.len() + fresh.len() - 1) as u32
                }
            })
            .collect();
        drop(known);
        self.lists.extend(fresh);
        self.updated
            .extend(part.updated.into_iter().map(|u| Updated {
                list: map[u.list as usize],
                ..u
            }));
        self.conflicts.extend(part.conflicts);
        self.modseqs.1 = part.modseqs.1;
    }
}

/// The system flags a message can keep, each with a bit of its own: the change index stores
/// them so (see [`crate::Store::list_folder`]), and IMAP sessions keep flag lists by them.
pub const SYSTEM_FLAG_BITS: [(&str, u8); 5] = [
    ("\\Seen", 1),
    ("\\Answered", 2),
    ("\\Flagged", 4),
    ("\\Deleted", 8),
    ("\\Draft", 16),
];

/// The bit of a system flag named in any case; 0 for any other flag.
pub fn system_flag_bit(flag: &str) -> u8 {
    SYSTEM_FLAG_BITS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(flag))
        .map_or(0, |(_, b)| *b)
}

/// Canonical spelling of the system flags, so `\SEEN` and `\Seen` are one flag.
pub fn normalize_flag(f: &str) -> String {
    const SYSTEM: [&str; 6] = [
        "\\Seen",
        "\\Answered",
        "\\Flagged",
        "\\Deleted",
        "\\Draft",
        "\\Recent",
    ];
    SYSTEM
        .iter()
        .find(|s| s.eq_ignore_ascii_case(f))
        .map(|s| s.to_string())
        .unwrap_or_else(|| f.to_string())
}

/// Whether `f` can be written as an IMAP flag: a keyword atom, or a backslash and an atom
/// (RFC 3501 `flag`). Anything else (spaces, parentheses, brackets, quotes, controls, CR/LF,
/// non-ASCII) would change the meaning of the response it is written into.
pub fn is_flag_atom(f: &str) -> bool {
    let atom = f.strip_prefix('\\').unwrap_or(f);
    !atom.is_empty()
        && atom.len() <= 128
        && atom.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        })
}

/// The built-in message types; a node may add its own.
pub const MESSAGE_TYPES: [&str; 5] = ["message", "fax", "invoice", "statement", "remittance"];

/// The IMAP keyword that shows a message's type to clients: `$` and the type name with its
/// first letter capitalised (`invoice` → `$Invoice`). Plain messages get none, like mail that
/// arrives without a type at all.
pub fn type_keyword(message_type: &str) -> Option<String> {
    let t = message_type.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("message") {
        return None;
    }
    let mut c = t.chars();
    let first = c.next()?;
    let keyword = format!("${}{}", first.to_uppercase(), c.as_str().to_lowercase());
    // Types are checked where they enter; this keeps a keyword one atom whatever came in.
    is_flag_atom(&keyword).then_some(keyword)
}

#[cfg(test)]
mod type_tests {
    use super::type_keyword;

    #[test]
    fn keywords_for_types() {
        assert_eq!(type_keyword("invoice").as_deref(), Some("$Invoice"));
        assert_eq!(type_keyword("FAX").as_deref(), Some("$Fax"));
        assert_eq!(type_keyword("credit-note").as_deref(), Some("$Credit-note"));
        assert_eq!(type_keyword("message"), None);
        // A remote sender's type never becomes anything but one atom.
        assert_eq!(type_keyword("x \\Seen) * 1 EXPUNGE\r\n"), None);
        assert_eq!(type_keyword("in(voice"), None);
        assert_eq!(type_keyword(""), None);
    }

    #[test]
    fn flag_atoms() {
        use super::is_flag_atom;
        for ok in ["\\Seen", "$Invoice", "$Credit-note", "Junk", "$MDNSent"] {
            assert!(is_flag_atom(ok), "{ok}");
        }
        for bad in [
            "",
            "\\",
            "a b",
            "a)",
            "(a",
            "a\r\n* 1 EXISTS",
            "\"q\"",
            "a]",
            "{3}",
            "ü",
            "a\\b",
        ] {
            assert!(!is_flag_atom(bad), "{bad:?}");
        }
    }
}
