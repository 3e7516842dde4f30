//! A lens that shows a secret as bullets in a text box and keeps the real text behind it:
//! druid's text box has no password mode. Typing and deleting at the end, which is how a
//! password is entered, map back exactly.

use druid::Lens;

use crate::state::AppState;

const BULLET: char = '•';

pub struct Masked;

/// The secret after the box changed its bullets to `shown`.
pub fn unmask(secret: &str, shown: &str) -> String {
    let kept = shown.chars().take_while(|c| *c == BULLET).count();
    let mut out: String = secret.chars().take(kept).collect();
    out.extend(shown.chars().skip(kept).filter(|c| *c != BULLET));
    out
}

impl Lens<AppState, String> for Masked {
    fn with<V, F: FnOnce(&String) -> V>(&self, data: &AppState, f: F) -> V {
        let shown: String = data.secret.chars().map(|_| BULLET).collect();
        f(&shown)
    }

    fn with_mut<V, F: FnOnce(&mut String) -> V>(&self, data: &mut AppState, f: F) -> V {
        let mut shown: String = data.secret.chars().map(|_| BULLET).collect();
        let before = shown.clone();
        let v = f(&mut shown);
        if shown != before {
            data.secret = unmask(&data.secret, &shown);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::unmask;

    #[test]
    fn typing_and_deleting_at_the_end_map_back() {
        assert_eq!(unmask("", "a"), "a");
        assert_eq!(unmask("ab", "••c"), "abc");
        assert_eq!(unmask("abc", "••"), "ab");
        assert_eq!(unmask("abc", ""), "");
        assert_eq!(unmask("abc", "•••pasted"), "abcpasted");
    }
}
