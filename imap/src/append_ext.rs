//! APPEND syntax imap-codec does not parse: several messages in one command (MULTIAPPEND,
//! RFC 3502) and `UTF8 (literal8)` data (RFC 6855). The framing has already put every message
//! body on disk and left an empty literal in its place; this splits the command into one plain
//! APPEND per message, each of which imap-codec then parses.

/// One message of an APPEND, as a plain single-message command.
#[derive(Debug, PartialEq)]
pub struct Part {
    /// `tag APPEND folder [flags] [date] {0}` with an empty literal, CRLF-terminated.
    pub command: Vec<u8>,
    /// The data came as `UTF8 (~{n})`.
    pub utf8: bool,
}

/// Length of a quoted string or a literal at the start of `s` (both as sent), or of an atom.
fn token_len(s: &[u8]) -> Option<usize> {
    match s.first()? {
        b'"' => {
            let mut esc = false;
            for (i, &b) in s.iter().enumerate().skip(1) {
                match (esc, b) {
                    (false, b'\\') => esc = true,
                    (false, b'"') => return Some(i + 1),
                    (_, b'\r' | b'\n') => return None,
                    _ => esc = false,
                }
            }
            None
        }
        b'{' => {
            let close = s.iter().position(|&b| b == b'}')?;
            let digits = s[1..close].strip_suffix(b"+").unwrap_or(&s[1..close]);
            let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
            s[close + 1..].strip_prefix(b"\r\n")?;
            let start = close + 3;
            (s.len() >= start + n).then_some(start + n)
        }
        _ => Some(
            s.iter()
                .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
                .unwrap_or(s.len()),
        ),
    }
}

/// Splits an APPEND; `None` when it is not one or its syntax is beyond this (CATENATE).
pub fn split(bytes: &[u8]) -> Option<Vec<Part>> {
    fn sp(s: &[u8]) -> Option<&[u8]> {
        s.strip_prefix(b" ")
    }
    let tag_len = bytes.iter().position(|&b| b == b' ')?;
    let rest = sp(&bytes[tag_len..])?;
    if rest.len() < 7 || !rest[..7].eq_ignore_ascii_case(b"APPEND ") {
        return None;
    }
    let head_len = tag_len + 1 + 7;
    let rest = &rest[7..];
    let folder_len = token_len(rest)?;
    let head = [&bytes[..head_len], &rest[..folder_len]].concat();
    let mut rest = &rest[folder_len..];
    let mut parts = Vec::new();
    loop {
        rest = sp(rest)?;
        let mut command = head.clone();
        if rest.first() == Some(&b'(') {
            let close = rest.iter().position(|&b| b == b')')?;
            command.push(b' ');
            command.extend_from_slice(&rest[..=close]);
            rest = sp(&rest[close + 1..])?;
        }
        if rest.first() == Some(&b'"') {
            let n = token_len(rest)?;
            command.push(b' ');
            command.extend_from_slice(&rest[..n]);
            rest = sp(&rest[n..])?;
        }
        let upper = rest.get(..6).map(|w| w.to_ascii_uppercase());
        let (utf8, literal8, after) = if let Some(r) = rest.strip_prefix(b"{0}\r\n") {
            (false, false, r)
        } else if let Some(r) = rest.strip_prefix(b"~{0}\r\n") {
            (false, true, r)
        } else if upper.as_deref() == Some(b"UTF8 (") {
            let r = rest[6..].strip_prefix(b"~{0}\r\n")?;
            (true, true, r.strip_prefix(b")")?)
        } else {
            return None;
        };
        // The empty literal, then the line end that closes the command.
        command.extend_from_slice(if literal8 {
            b" ~{0}\r\n\r\n"
        } else {
            b" {0}\r\n\r\n"
        });
        parts.push(Part { command, utf8 });
        rest = after;
        if rest == b"\r\n" || rest == b"\n" || rest.is_empty() {
            return Some(parts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(b: &[u8]) -> Vec<(String, bool)> {
        split(b)
            .unwrap()
            .into_iter()
            .map(|p| (String::from_utf8(p.command).unwrap(), p.utf8))
            .collect()
    }

    #[test]
    fn one_message_and_many() {
        assert_eq!(
            cmds(b"a1 APPEND INBOX {0}\r\n\r\n"),
            [("a1 APPEND INBOX {0}\r\n\r\n".to_string(), false)]
        );
        assert_eq!(
            cmds(b"a2 append \"My Box\" (\\Seen) \"01-Jan-2020 00:00:00 +0000\" {0}\r\n (\\Draft) ~{0}\r\n UTF8 (~{0}\r\n)\r\n"),
            [
                ("a2 append \"My Box\" (\\Seen) \"01-Jan-2020 00:00:00 +0000\" {0}\r\n\r\n".to_string(), false),
                ("a2 append \"My Box\" (\\Draft) ~{0}\r\n\r\n".to_string(), false),
                ("a2 append \"My Box\" ~{0}\r\n\r\n".to_string(), true),
            ]
        );
    }

    #[test]
    fn a_folder_name_as_a_literal_stays() {
        assert_eq!(
            cmds(b"a3 APPEND {5}\r\nIN{OX {0}\r\n {0}\r\n\r\n"),
            [
                ("a3 APPEND {5}\r\nIN{OX {0}\r\n\r\n".to_string(), false),
                ("a3 APPEND {5}\r\nIN{OX {0}\r\n\r\n".to_string(), false)
            ]
        );
    }

    #[test]
    fn beyond_it_is_none() {
        assert!(split(b"a4 APPEND INBOX CATENATE (TEXT {0}\r\n)\r\n").is_none());
        assert!(split(b"a5 NOOP\r\n").is_none());
        assert!(split(b"a6 APPEND INBOX {0}\r\n junk\r\n").is_none());
        assert!(split(b"a7 APPEND \"unclosed {0}\r\n").is_none());
        assert!(split(b"a8 APPEND {99}\r\nshort {0}\r\n").is_none());
    }
}
