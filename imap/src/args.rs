//! The arguments of the commands imap-codec does not parse (NOTIFY, URLFETCH with
//! parameters), as atoms, strings and parenthesised lists.

use crate::append_ext::{token_len, token_value};

/// Lists nest at most this deep: NOTIFY's event groups with folder lists and fetch
/// attributes with their own parentheses need four.
const MAX_DEPTH: usize = 5;

#[derive(Debug, Clone)]
pub enum Tok {
    Word(String),
    /// A parenthesised list with its text as sent.
    List(Vec<Tok>, String),
}

pub fn word(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) => Some(w),
        Tok::List(..) => None,
    }
}

/// Tokens up to the end of input or the `)` closing the list at `depth`.
fn list(s: &mut &[u8], depth: usize) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    loop {
        *s = s.trim_ascii_start();
        match s.first() {
            None if depth == 0 => return Some(out),
            None => return None,
            Some(b')') if depth > 0 => {
                *s = &s[1..];
                return Some(out);
            }
            Some(b')') => return None,
            Some(b'(') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let start = *s;
                *s = &s[1..];
                let inner = list(s, depth + 1)?;
                let used = start.len() - s.len();
                let raw = String::from_utf8(start[..used].to_vec()).ok()?;
                out.push(Tok::List(inner, raw));
            }
            Some(b'"' | b'{') => {
                let n = token_len(s)?;
                out.push(Tok::Word(String::from_utf8(token_value(&s[..n])?).ok()?));
                *s = &s[n..];
            }
            Some(_) => {
                let n = s
                    .iter()
                    .position(|b| matches!(b, b' ' | b'(' | b')' | b'\r' | b'\n'))
                    .unwrap_or(s.len());
                out.push(Tok::Word(String::from_utf8(s[..n].to_vec()).ok()?));
                *s = &s[n..];
            }
        }
    }
}

/// Every token of `s` (what follows a verb); `None` for unbalanced or too deeply nested
/// parentheses and strings that are not UTF-8.
pub fn tokens(s: &mut &[u8]) -> Option<Vec<Tok>> {
    list(s, 0)
}
