//! SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034, RFC 3463).

use std::fmt;

/// An enhanced status code `class.subject.detail`, e.g. 5.7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u8, pub u16, pub u16);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub status: Option<Status>,
    pub lines: Vec<String>,
}

/// Keeps one reply line inside the RFC 5321 limit of 512 octets with room for the code.
const MAX_TEXT: usize = 480;

/// Reply text must stay on its line: control characters (CR, LF, NUL, …) would let text that
/// echoes client input forge extra replies.
fn clean(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

impl Reply {
    /// A reply whose text may span several lines (one per `\n` in `text`).
    pub fn new(code: u16, status: Option<Status>, text: &str) -> Reply {
        Reply::lines(code, status, text.split('\n').map(str::to_string).collect())
    }

    pub fn lines(code: u16, status: Option<Status>, lines: Vec<String>) -> Reply {
        let mut lines: Vec<String> = lines
            .iter()
            .map(|l| clean(l).trim_end().to_string())
            .collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Reply {
            code,
            status,
            lines,
        }
    }

    /// Shorthand for the usual one-line reply with an enhanced status code.
    pub fn status(code: u16, status: Status, text: &str) -> Reply {
        Reply::new(code, Some(status), text)
    }

    /// Appends the wire form: every line but the last uses `code-`, the last `code SP`, and each
    /// line repeats the enhanced status code as RFC 2034 asks.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i + 1 == n { ' ' } else { '-' };
            let mut s = format!("{}{}", self.code, sep);
            if let Some(st) = self.status {
                s.push_str(&st.to_string());
                if !line.is_empty() {
                    s.push(' ');
                }
            }
            s.push_str(line);
            s.push_str("\r\n");
            out.extend_from_slice(s.as_bytes());
        }
    }

    #[cfg(test)]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v);
        v
    }
}

impl fmt::Display for Reply {
    /// The first line without its line end, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(st) = self.status {
            write!(f, " {st}")?;
        }
        write!(f, " {}", self.lines[0])?;
        if self.lines.len() > 1 {
            write!(f, " (+{} lines)", self.lines.len() - 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(r: &Reply) -> String {
        String::from_utf8(r.to_bytes()).unwrap()
    }

    #[test]
    fn single_line_with_enhanced_code() {
        let r = Reply::status(250, Status(2, 1, 0), "Sender OK");
        assert_eq!(wire(&r), "250 2.1.0 Sender OK\r\n");
    }

    #[test]
    fn multi_line_repeats_code_and_status() {
        let r = Reply::new(214, Some(Status(2, 0, 0)), "first\nsecond\nthird");
        assert_eq!(
            wire(&r),
            "214-2.0.0 first\r\n214-2.0.0 second\r\n214 2.0.0 third\r\n"
        );
    }

    #[test]
    fn plain_lines_without_status() {
        let r = Reply::lines(250, None, vec!["host Hello".into(), "PIPELINING".into()]);
        assert_eq!(wire(&r), "250-host Hello\r\n250 PIPELINING\r\n");
    }

    #[test]
    fn empty_challenge_keeps_the_space() {
        // RFC 4954: a server challenge is "334" SP [base64].
        assert_eq!(wire(&Reply::new(334, None, "")), "334 \r\n");
        assert_eq!(
            wire(&Reply::status(250, Status(2, 0, 0), "")),
            "250 2.0.0\r\n"
        );
    }

    #[test]
    fn control_characters_cannot_forge_replies() {
        let r = Reply::status(550, Status(5, 1, 1), "x\r250 ok\u{0}");
        assert_eq!(wire(&r), "550 5.1.1 x 250 ok\r\n");
        let r = Reply::status(550, Status(5, 1, 1), &"é".repeat(400));
        let w = r.to_bytes();
        assert!(w.len() <= 512);
        assert!(std::str::from_utf8(&w).is_ok());
    }

    #[test]
    fn display_is_the_first_line() {
        let r = Reply::new(214, Some(Status(2, 0, 0)), "a\nb");
        assert_eq!(r.to_string(), "214 2.0.0 a (+1 lines)");
    }
}
