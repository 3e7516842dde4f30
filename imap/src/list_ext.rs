//! LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819) syntax that imap-codec does not parse:
//! selection options before the reference, several patterns, and RETURN options after them.
//! Such a command is rewritten into a plain LIST (first pattern) and the options are applied
//! when the answer is built.

#[derive(Debug, Default, PartialEq)]
pub struct ListOptions {
    pub select_subscribed: bool,
    pub select_special_use: bool,
    pub recursive_match: bool,
    pub return_subscribed: bool,
    /// STATUS items to return per listed folder (upper case), if asked.
    pub status: Option<Vec<String>>,
    /// All patterns when more than one was given.
    pub patterns: Vec<String>,
}

/// Splits a parenthesised group at the start of `s`: (inside, rest).
fn group(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('(')?;
    let mut depth = 1;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[..i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// Words and quoted strings of a pattern list.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut t = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => t.extend(chars.next()),
                    '"' => break,
                    c => t.push(c),
                }
            }
            out.push(t);
        } else {
            let mut t = String::new();
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                t.push(c);
                chars.next();
            }
            out.push(t);
        }
    }
    out
}

pub enum Rewrite {
    Plain(Vec<u8>, ListOptions),
    /// Syntax error or an option RFC 5258 says must be refused.
    Bad,
}

/// `Some` when `line` is an extended LIST.
pub fn rewrite(line: &[u8]) -> Option<Rewrite> {
    let text = std::str::from_utf8(line).ok()?;
    let body = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))?;
    let (tag, rest) = body.split_once(' ')?;
    let (verb, mut rest) = rest.split_once(' ')?;
    if !verb.eq_ignore_ascii_case("LIST") {
        return None;
    }
    let mut o = ListOptions::default();
    let mut extended = false;
    if rest.starts_with('(') {
        let Some((sel, after)) = group(rest) else {
            return Some(Rewrite::Bad);
        };
        for w in sel.split_ascii_whitespace() {
            match w.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => o.select_subscribed = true,
                "SPECIAL-USE" => o.select_special_use = true,
                "RECURSIVEMATCH" => o.recursive_match = true,
                "REMOTE" => {}
                _ => return Some(Rewrite::Bad),
            }
        }
        // RECURSIVEMATCH needs a selection option it can refine (RFC 5258 3).
        if o.recursive_match && !o.select_subscribed {
            return Some(Rewrite::Bad);
        }
        rest = after.trim_start();
        extended = true;
    }
    // Reference: a quoted string or an atom.
    let (reference, after_ref) = if let Some(r) = rest.strip_prefix('"') {
        let mut end = None;
        let mut esc = false;
        for (i, c) in r.char_indices() {
            match (esc, c) {
                (false, '\\') => esc = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                _ => esc = false,
            }
        }
        let end = end?;
        (&rest[..end + 2], &r[end + 1..])
    } else {
        rest.split_at(rest.find(' ')?)
    };
    let mut pats = after_ref.trim_start();
    let mut pattern_text = String::new();
    if pats.starts_with('(') {
        let Some((inner, after)) = group(pats) else {
            return Some(Rewrite::Bad);
        };
        o.patterns = tokens(inner);
        let first = o.patterns.first()?.clone();
        pattern_text = format!("\"{}\"", first.replace('\\', "\\\\").replace('"', "\\\""));
        pats = after.trim_start();
        extended = true;
    }
    let upper = pats.to_ascii_uppercase();
    let return_at = if upper.starts_with("RETURN ") {
        Some(0)
    } else {
        upper.find(" RETURN (").map(|i| i + 1)
    };
    if let Some(i) = return_at {
        let Some((ret, _)) = group(pats[i + 7..].trim_start()) else {
            return Some(Rewrite::Bad);
        };
        let mut words = ret;
        while !words.trim().is_empty() {
            let w = words.trim_start();
            let (word, tail) = w.split_at(w.find([' ', '(']).unwrap_or(w.len()));
            words = tail;
            match word.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => o.return_subscribed = true,
                "CHILDREN" | "SPECIAL-USE" => {}
                "STATUS" => {
                    let Some((items, tail)) = group(words.trim_start()) else {
                        return Some(Rewrite::Bad);
                    };
                    o.status = Some(
                        items
                            .split_ascii_whitespace()
                            .map(str::to_ascii_uppercase)
                            .collect(),
                    );
                    words = tail;
                }
                "" => break,
                _ => return Some(Rewrite::Bad),
            }
        }
        if pattern_text.is_empty() {
            pattern_text = pats[..i].trim_end().to_string();
        }
        extended = true;
    } else if pattern_text.is_empty() {
        pattern_text = pats.to_string();
    }
    extended.then(|| {
        Rewrite::Plain(
            format!("{tag} LIST {reference} {pattern_text}\r\n").into_bytes(),
            o,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(line: &[u8]) -> (String, ListOptions) {
        match rewrite(line) {
            Some(Rewrite::Plain(c, o)) => (String::from_utf8(c).unwrap(), o),
            _ => panic!("not rewritten: {}", String::from_utf8_lossy(line)),
        }
    }

    #[test]
    fn rewrites_selection_patterns_and_return_options() {
        let (c, o) = plain(b"a1 LIST (SPECIAL-USE) \"\" \"*\"\r\n");
        assert_eq!(c, "a1 LIST \"\" \"*\"\r\n");
        assert!(o.select_special_use && !o.select_subscribed);
        let (c, o) = plain(b"a2 list \"\" \"*\" RETURN (SPECIAL-USE CHILDREN)\r\n");
        assert_eq!(c, "a2 LIST \"\" \"*\"\r\n");
        assert!(o.status.is_none());
        let (_, o) = plain(b"a3 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (CHILDREN)\r\n");
        assert!(o.select_subscribed && o.recursive_match);
        let (c, o) =
            plain(b"a4 LIST \"\" (\"INBOX\" \"Sent\") RETURN (STATUS (MESSAGES UNSEEN))\r\n");
        assert_eq!(c, "a4 LIST \"\" \"INBOX\"\r\n");
        assert_eq!(o.patterns, vec!["INBOX", "Sent"]);
        assert_eq!(o.status.unwrap(), vec!["MESSAGES", "UNSEEN"]);
        assert!(rewrite(b"a5 LIST \"\" \"*\"\r\n").is_none());
        assert!(rewrite(b"a6 SELECT INBOX\r\n").is_none());
        assert!(matches!(
            rewrite(b"a7 LIST (BOGUS) \"\" *\r\n"),
            Some(Rewrite::Bad)
        ));
        assert!(matches!(
            rewrite(b"a8 LIST (RECURSIVEMATCH) \"\" *\r\n"),
            Some(Rewrite::Bad)
        ));
    }
}
