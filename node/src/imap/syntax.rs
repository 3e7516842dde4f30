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
pub fn list_match(pattern: &str, name: &str, delim: char) -> bool {
    fn go(p: &[char], n: &[char], delim: char) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..], delim)),
            Some('%') => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != delim)
                .any(|i| go(&p[1..], &n[i..], delim)),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..], delim),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n, delim)
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
    }
}
