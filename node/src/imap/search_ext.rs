//! ESEARCH (RFC 4731) and SEARCHRES (RFC 5182) syntax that imap-codec does not parse: a
//! `RETURN (...)` clause after SEARCH, and `$` standing for the saved search result. Both are
//! rewritten into syntax the parser knows before the command is decoded.

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SearchReturn {
    pub min: bool,
    pub max: bool,
    pub all: bool,
    pub count: bool,
    pub save: bool,
}

impl SearchReturn {
    /// `RETURN ()` means ALL (RFC 4731 3.1).
    fn normalised(mut self) -> Self {
        if !(self.min || self.max || self.count || self.save) {
            self.all = true;
        }
        self
    }
}

/// The verb of a command and whether it is a UID command: (tag, uid, verb, offset after verb).
pub fn verb(bytes: &[u8]) -> Option<(String, bool, String, usize)> {
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let line = std::str::from_utf8(&bytes[..line_end]).ok()?;
    let (tag, rest) = line.split_once(' ')?;
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    let (uid, verb, after) = if first.eq_ignore_ascii_case("UID") {
        let (v, a) = after.split_once(' ').unwrap_or((after, ""));
        (true, v, a)
    } else {
        (false, first, after)
    };
    let offset = line.len() - after.len();
    Some((tag.to_string(), uid, verb.to_ascii_uppercase(), offset))
}

/// Strips `RETURN (...)` from a SEARCH command.
pub fn strip_return(bytes: &[u8]) -> Option<(Vec<u8>, SearchReturn)> {
    let (_, _, verb, off) = verb(bytes)?;
    if verb != "SEARCH" {
        return None;
    }
    let rest = &bytes[off..];
    if rest.len() < 7 || !rest[..7].eq_ignore_ascii_case(b"RETURN ") {
        return None;
    }
    let open = 7;
    if rest.get(open) != Some(&b'(') {
        return None;
    }
    let close = open + rest[open..].iter().position(|&b| b == b')')?;
    let opts = std::str::from_utf8(&rest[open + 1..close]).ok()?;
    let mut r = SearchReturn::default();
    for o in opts.split_ascii_whitespace() {
        match o.to_ascii_uppercase().as_str() {
            "MIN" => r.min = true,
            "MAX" => r.max = true,
            "ALL" => r.all = true,
            "COUNT" => r.count = true,
            "SAVE" => r.save = true,
            _ => return None,
        }
    }
    let mut out = bytes[..off].to_vec();
    let tail = &rest[close + 1..];
    out.extend_from_slice(tail.strip_prefix(b" ").unwrap_or(tail));
    Some((out, r.normalised()))
}

/// Compact sequence set: `1:3,5,7:8`.
pub fn compact(nums: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        let mut end = start;
        while i + 1 < nums.len() && nums[i + 1] == end + 1 {
            i += 1;
            end = nums[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Positions of a `$` token in the first line of a command (outside quoted strings).
fn dollar_positions(bytes: &[u8]) -> Vec<usize> {
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[..line_end];
    let mut out = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in line.iter().enumerate() {
        if quoted {
            match (escaped, b) {
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => escaped = false,
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'$' => {
                let before = i.checked_sub(1).map(|j| line[j]);
                let after = line.get(i + 1).copied();
                if matches!(before, Some(b' ' | b'(')) && matches!(after, None | Some(b' ' | b')'))
                {
                    out.push(i);
                }
            }
            _ => {}
        }
    }
    out
}

pub enum Saved {
    /// The command with `$` replaced.
    Rewritten(Vec<u8>),
    /// `$` names no message in a command that takes a set: it succeeds doing nothing.
    Nothing,
    /// No `$` in the command.
    Unchanged,
}

/// Replaces `$` by the saved result: UIDs for UID commands and search keys, sequence numbers
/// (`seqs`) for other commands. Unused UIDs name nothing.
pub fn substitute(bytes: &[u8], saved_uids: &[u32], seqs: &[u32]) -> Saved {
    let pos = dollar_positions(bytes);
    if pos.is_empty() {
        return Saved::Unchanged;
    }
    let Some((_, uid, verb, _)) = verb(bytes) else {
        return Saved::Unchanged;
    };
    const NO_UID: &str = "4294967295";
    let replacement = if verb == "SEARCH" {
        let set = if saved_uids.is_empty() {
            NO_UID.to_string()
        } else {
            compact(saved_uids)
        };
        format!("UID {set}")
    } else if uid {
        if saved_uids.is_empty() {
            NO_UID.to_string()
        } else {
            compact(saved_uids)
        }
    } else {
        if seqs.is_empty() {
            return Saved::Nothing;
        }
        compact(seqs)
    };
    let mut out = Vec::with_capacity(bytes.len() + replacement.len());
    let mut last = 0;
    for p in pos {
        out.extend_from_slice(&bytes[last..p]);
        out.extend_from_slice(replacement.as_bytes());
        last = p + 1;
    }
    out.extend_from_slice(&bytes[last..]);
    Saved::Rewritten(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_clause_is_stripped() {
        let (c, r) = strip_return(b"a UID SEARCH RETURN (MIN COUNT) UNSEEN\r\n").unwrap();
        assert_eq!(c, b"a UID SEARCH UNSEEN\r\n");
        assert!(r.min && r.count && !r.all);
        let (c, r) = strip_return(b"b SEARCH RETURN () ALL\r\n").unwrap();
        assert_eq!(c, b"b SEARCH ALL\r\n");
        assert!(r.all);
        assert!(strip_return(b"c SEARCH ALL\r\n").is_none());
        assert!(strip_return(b"d SEARCH RETURN (BOGUS) ALL\r\n").is_none());
    }

    #[test]
    fn dollar_becomes_the_saved_set() {
        let Saved::Rewritten(c) = substitute(b"a UID FETCH $ (FLAGS)\r\n", &[4, 5, 6, 9], &[])
        else {
            panic!()
        };
        assert_eq!(c, b"a UID FETCH 4:6,9 (FLAGS)\r\n");
        let Saved::Rewritten(c) = substitute(b"a SEARCH $ SUBJECT \"a $ b\"\r\n", &[2], &[1])
        else {
            panic!()
        };
        assert_eq!(c, b"a SEARCH UID 2 SUBJECT \"a $ b\"\r\n");
        assert!(matches!(
            substitute(b"a FETCH $ FLAGS\r\n", &[], &[]),
            Saved::Nothing
        ));
        assert!(matches!(
            substitute(b"a FETCH 1 FLAGS\r\n", &[1], &[1]),
            Saved::Unchanged
        ));
    }

    #[test]
    fn compact_sets() {
        assert_eq!(compact(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(compact(&[]), "");
    }
}
