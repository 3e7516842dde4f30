//! LIST-EXTENDED (RFC 5258) syntax that imap-codec does not parse: selection options before
//! the reference and RETURN options after the pattern. Such a command is rewritten into a plain
//! LIST and the selection applied to the result; the return data this server sends anyway
//! (special-use attributes, \HasChildren, \Subscribed) satisfies the RETURN options clients use.

#[derive(Debug, Default, PartialEq)]
pub struct Selection {
    pub subscribed: bool,
    pub special_use: bool,
}

fn parenthesised(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('(')?;
    let end = s.find(')')?;
    Some((&s[..end], &s[end + 1..]))
}

/// `Some((plain command, selection))` when `line` is an extended LIST.
pub fn rewrite(line: &[u8]) -> Option<(Vec<u8>, Selection)> {
    let text = std::str::from_utf8(line).ok()?;
    let body = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))?;
    let (tag, rest) = body.split_once(' ')?;
    let (verb, mut rest) = rest.split_once(' ')?;
    if !verb.eq_ignore_ascii_case("LIST") {
        return None;
    }
    let mut sel = Selection::default();
    let mut changed = false;
    if rest.starts_with('(') {
        let (opts, after) = parenthesised(rest)?;
        for o in opts.split_ascii_whitespace() {
            match o.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => sel.subscribed = true,
                "SPECIAL-USE" => sel.special_use = true,
                _ => {}
            }
        }
        rest = after.trim_start();
        changed = true;
    }
    let upper = rest.to_ascii_uppercase();
    if let Some(i) = upper.rfind(" RETURN (")
        && rest.ends_with(')')
    {
        rest = &rest[..i];
        changed = true;
    }
    changed.then(|| (format!("{tag} LIST {rest}\r\n").into_bytes(), sel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_selection_and_return_options() {
        let (c, s) = rewrite(b"a1 LIST (SPECIAL-USE) \"\" \"*\"\r\n").unwrap();
        assert_eq!(c, b"a1 LIST \"\" \"*\"\r\n");
        assert!(s.special_use && !s.subscribed);
        let (c, s) = rewrite(b"a2 list \"\" \"*\" RETURN (SPECIAL-USE CHILDREN)\r\n").unwrap();
        assert_eq!(c, b"a2 LIST \"\" \"*\"\r\n");
        assert_eq!(s, Selection::default());
        let (_, s) = rewrite(b"a3 LIST (SUBSCRIBED) \"\" % RETURN (CHILDREN)\r\n").unwrap();
        assert!(s.subscribed);
        assert!(rewrite(b"a4 LIST \"\" \"*\"\r\n").is_none());
        assert!(rewrite(b"a5 SELECT INBOX\r\n").is_none());
    }
}
