//! APPEND syntax imap-codec does not parse: several messages in one command (MULTIAPPEND,
//! RFC 3502), `UTF8 (literal8)` data (RFC 6855) and `CATENATE (...)` (RFC 4469). The framing
//! has already put every message body and CATENATE text on disk and left an empty literal in
//! its place; this splits the command into one plain APPEND per message, each of which
//! imap-codec then parses for its flags and date.

/// One message of an APPEND, as a plain single-message command.
#[derive(Debug, PartialEq)]
pub struct Part {
    /// `tag APPEND folder [flags] [date] {0}` with an empty literal, CRLF-terminated.
    pub command: Vec<u8>,
    /// The data came as `UTF8 (~{n})`.
    pub utf8: bool,
    /// The message is made of these parts (CATENATE) rather than one literal.
    pub catenate: Option<Vec<CatPart>>,
}

/// One part of a CATENATE message.
#[derive(Debug, PartialEq)]
pub enum CatPart {
    /// The next staged body, in order.
    Text,
    /// Some or all of a message of the account, as an IMAP URL (RFC 5092).
    Url(String),
}

impl Part {
    /// How many staged bodies the message is made of.
    pub fn bodies(&self) -> usize {
        match &self.catenate {
            None => 1,
            Some(parts) => parts.iter().filter(|p| **p == CatPart::Text).count(),
        }
    }
}

/// The value of a string token as `token_len` measured it.
pub(crate) fn token_value(t: &[u8]) -> Option<Vec<u8>> {
    match t.first()? {
        b'"' => {
            let inner = &t[1..t.len().checked_sub(1)?];
            let mut out = Vec::with_capacity(inner.len());
            let mut esc = false;
            for &b in inner {
                if !esc && b == b'\\' {
                    esc = true;
                } else {
                    out.push(b);
                    esc = false;
                }
            }
            Some(out)
        }
        b'{' => {
            let start = t.windows(2).position(|w| w == b"\r\n")? + 2;
            Some(t[start..].to_vec())
        }
        _ => Some(t.to_vec()),
    }
}

/// `CATENATE (TEXT {0} URL "..." ...)` at the start of `s`: its parts and what follows.
fn catenate(s: &[u8]) -> Option<(Vec<CatPart>, &[u8])> {
    let head = s.get(..10)?;
    if !head.eq_ignore_ascii_case(b"CATENATE (") {
        return None;
    }
    let mut rest = &s[10..];
    let mut parts = Vec::new();
    loop {
        let word = rest.get(..4).map(|w| w.to_ascii_uppercase());
        match word.as_deref() {
            Some(b"TEXT") => {
                let r = &rest[4..];
                rest = r
                    .strip_prefix(b" {0}\r\n")
                    .or_else(|| r.strip_prefix(b" ~{0}\r\n"))?;
                parts.push(CatPart::Text);
            }
            Some(b"URL ") => {
                let r = &rest[4..];
                let n = token_len(r)?;
                let url = String::from_utf8(token_value(&r[..n])?).ok()?;
                parts.push(CatPart::Url(url));
                rest = &r[n..];
            }
            _ => return None,
        }
        if let Some(r) = rest.strip_prefix(b")") {
            return Some((parts, r));
        }
        rest = rest.strip_prefix(b" ")?;
    }
}

/// Length of a quoted string or a literal at the start of `s` (both as sent), or of an atom.
pub(crate) fn token_len(s: &[u8]) -> Option<usize> {
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

/// Splits an APPEND; `None` when it is not one or its syntax is beyond this.
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
        if let Some((cat, after)) = catenate(rest) {
            command.extend_from_slice(b" {0}\r\n\r\n");
            parts.push(Part {
                command,
                utf8: false,
                catenate: Some(cat),
            });
            rest = after;
            if rest == b"\r\n" || rest == b"\n" || rest.is_empty() {
                return Some(parts);
            }
            continue;
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
        parts.push(Part {
            command,
            utf8,
            catenate: None,
        });
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
    fn catenate_parts_in_order() {
        let p = split(
            b"c1 APPEND INBOX (\\Seen) CATENATE (TEXT {0}\r\n URL \"/INBOX/;uid=5\" text ~{0}\r\n url {6}\r\n/X/;u=) {0}\r\n\r\n",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].command, b"c1 APPEND INBOX (\\Seen) {0}\r\n\r\n");
        assert_eq!(
            p[0].catenate,
            Some(vec![
                CatPart::Text,
                CatPart::Url("/INBOX/;uid=5".into()),
                CatPart::Text,
                CatPart::Url("/X/;u=".into())
            ])
        );
        assert_eq!(p[0].bodies(), 2);
        assert_eq!(p[1].catenate, None);
        assert_eq!(p[1].bodies(), 1);
    }

    #[test]
    fn beyond_it_is_none() {
        assert!(split(b"a4 APPEND INBOX CATENATE (TEXT {0}\r\n\r\n").is_none());
        assert!(split(b"a4 APPEND INBOX CATENATE ()\r\n").is_none());
        assert!(split(b"a4 APPEND INBOX CATENATE (URL)\r\n").is_none());
        assert!(split(b"a4 APPEND INBOX CATENATE (TEXT {3}\r\nabc)\r\n").is_none());
        assert!(split(b"a5 NOOP\r\n").is_none());
        assert!(split(b"a6 APPEND INBOX {0}\r\n junk\r\n").is_none());
        assert!(split(b"a7 APPEND \"unclosed {0}\r\n").is_none());
        assert!(split(b"a8 APPEND {99}\r\nshort {0}\r\n").is_none());
    }
}
