//! Response-side IMAP syntax: strings, flag lists, dates, modified UTF-7 names.

use std::fmt::Write;

/// `NIL`, a quoted string, or a literal when quoting cannot carry the bytes.
pub fn nstring(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.extend_from_slice(b"NIL"),
        Some(s) => string(out, s),
    }
}

pub fn string(out: &mut Vec<u8>, s: &str) {
    quoted_or_literal(out, s, false)
}

/// As [`string`], but UTF-8 may be quoted (IMAP4rev2, RFC 9051 4.3).
pub fn string_utf8(out: &mut Vec<u8>, s: &str) {
    quoted_or_literal(out, s, true)
}

fn quoted_or_literal(out: &mut Vec<u8>, s: &str, utf8: bool) {
    // NUL fits neither a quoted string nor a literal (RFC 3501 CHAR8 starts at 0x01); message
    // text may carry one, so it goes out as U+FFFD.
    let cleaned;
    let s = if s.contains('\0') {
        cleaned = s.replace('\0', "\u{fffd}");
        cleaned.as_str()
    } else {
        s
    };
    let quotable = s.len() < 1024
        && s.bytes()
            .all(|b| b != b'\r' && b != b'\n' && b != 0 && (utf8 || b < 0x80));
    if quotable {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        let _ = write!(Lit(out), "{{{}}}\r\n", s.len());
        out.extend_from_slice(s.as_bytes());
    }
}

/// 7-bit text for ENVELOPE fields: non-ASCII becomes an RFC 2047 encoded word, since IMAP4rev1
/// clients expect header text as it appears on the wire.
pub fn header_text(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) if !s.is_ascii() => {
            use base64::Engine;
            let enc = base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
            string(out, &format!("=?utf-8?b?{enc}?="));
        }
        other => nstring(out, other),
    }
}

struct Lit<'a>(&'a mut Vec<u8>);
impl std::fmt::Write for Lit<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `(f1 f2 …)`, leaving out anything that is not an atom: stored flags are checked when
/// stored, and this keeps a response well-formed even for data from an older store.
pub fn flag_list(flags: &[String]) -> String {
    let atoms: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| mailbox::is_flag_atom(f))
        .collect();
    format!("({})", atoms.join(" "))
}

/// `"17-Jul-1996 02:44:25 -0700"` (RFC 3501 date-time).
pub fn internal_date(ts: i64) -> String {
    let dt = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    dt.format("\"%d-%b-%Y %H:%M:%S +0000\"").to_string()
}

/// Modified UTF-7 (RFC 3501 5.1.3) for folder names shown to IMAP4rev1 clients.
pub fn encode_mutf7(name: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<u16>| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        let enc = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
        out.push('&');
        out.push_str(&enc.replace('/', ","));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

pub fn decode_mutf7(name: &str) -> Option<String> {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = name;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find('-')?;
        let chunk = &after[..end];
        if chunk.is_empty() {
            out.push('&');
        } else {
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(chunk.replace(',', "/"))
                .ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// IMAP LIST pattern match: `*` matches anything, `%` anything but the delimiter.
///
/// A table over name positions, one pattern character at a time, so any pattern costs at most
/// pattern × name steps; a recursive matcher backtracks exponentially on runs of wildcards.
pub fn list_match(pattern: &str, name: &str, delim: char) -> bool {
    let n: Vec<char> = name.chars().collect();
    // Runs of wildcards say no more than their widest member.
    let mut p: Vec<char> = Vec::new();
    for c in pattern.chars() {
        match (p.last().copied(), c) {
            (Some('*'), '*' | '%') => {}
            (Some('%'), '*') => *p.last_mut().expect("last") = '*',
            (Some('%'), '%') => {}
            _ => p.push(c),
        }
    }
    // Every other character consumes one of the name's.
    if p.iter().filter(|&&c| c != '*' && c != '%').count() > n.len() {
        return false;
    }
    // reach[j]: the pattern so far matches the first j characters of the name.
    let mut reach = vec![false; n.len() + 1];
    reach[0] = true;
    for &c in &p {
        let mut next = vec![false; n.len() + 1];
        match c {
            '*' => {
                let mut any = false;
                for j in 0..=n.len() {
                    any |= reach[j];
                    next[j] = any;
                }
            }
            '%' => {
                next[0] = reach[0];
                for j in 1..=n.len() {
                    next[j] = reach[j] || (next[j - 1] && n[j - 1] != delim);
                }
            }
            c => {
                for j in 1..=n.len() {
                    next[j] = reach[j - 1] && n[j - 1] == c;
                }
            }
        }
        if !next.contains(&true) {
            return false;
        }
        reach = next;
    }
    reach[n.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_quote_or_literal() {
        let mut o = Vec::new();
        string(&mut o, "a\"b\\c");
        assert_eq!(o, b"\"a\\\"b\\\\c\"");
        let mut o = Vec::new();
        string(&mut o, "l1\r\nl2");
        assert_eq!(o, b"{6}\r\nl1\r\nl2");
        let mut o = Vec::new();
        string(&mut o, "a\0b");
        assert_eq!(o, "{5}\r\na\u{fffd}b".as_bytes());
        let mut o = Vec::new();
        string_utf8(&mut o, "a\0b");
        assert_eq!(o, "\"a\u{fffd}b\"".as_bytes());
    }

    #[test]
    fn mutf7_roundtrip() {
        assert_eq!(encode_mutf7("Entw\u{fc}rfe"), "Entw&APw-rfe");
        assert_eq!(encode_mutf7("a&b"), "a&-b");
        assert_eq!(decode_mutf7("Entw&APw-rfe").unwrap(), "Entw\u{fc}rfe");
        assert_eq!(decode_mutf7("a&-b").unwrap(), "a&b");
    }

    #[test]
    fn list_patterns() {
        assert!(list_match("*", "a/b", '/'));
        assert!(list_match("%", "a", '/'));
        assert!(!list_match("%", "a/b", '/'));
        assert!(list_match("a/%", "a/b", '/'));
        assert!(list_match("INBOX", "INBOX", '/'));
        assert!(list_match("%/%", "a/b", '/'));
        assert!(!list_match("%/%", "a/b/c", '/'));
        assert!(list_match("a*c", "a/b/c", '/'));
        assert!(!list_match("a%c", "a/b/c", '/'));
        assert!(list_match("%*", "a/b", '/'));
        assert!(list_match("*%", "a/b", '/'));
        assert!(!list_match("a", "", '/'));
        assert!(list_match("", "", '/'));
        assert!(!list_match("", "a", '/'));
    }

    #[test]
    fn list_patterns_of_many_wildcards_stay_cheap() {
        let start = std::time::Instant::now();
        let stars = "*".repeat(100_000);
        assert!(!list_match(&format!("{stars}x"), "INBOX", '/'));
        let mixed = "*%".repeat(50_000) + "a";
        assert!(!list_match(&mixed, &"b/".repeat(500), '/'));
        let literal_wild = "a*".repeat(500);
        assert!(list_match(&literal_wild, &"a".repeat(500), '/'));
        // Exponential backtracking took seconds at 50 wildcards; this is linear work.
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
