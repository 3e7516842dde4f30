//! Reading what the processes logged (tracing's text format on stderr): a timestamp, a level,
//! the target, the message and `key=value` fields. The nodes' logs are the simulator's
//! window on how a message travelled.

use chrono::{DateTime, Utc};

/// One log line that carries `message`, with its time and fields.
#[derive(Clone, Debug)]
pub struct Line {
    pub at: DateTime<Utc>,
    pub text: String,
}

impl Line {
    /// The value of `key=` on the line (quotes removed).
    pub fn field(&self, key: &str) -> Option<&str> {
        let pat = format!(" {key}=");
        let start = self.text.find(&pat)? + pat.len();
        let rest = &self.text[start..];
        if let Some(quoted) = rest.strip_prefix('"') {
            return quoted.split('"').next();
        }
        rest.split_whitespace().next()
    }
}

/// The lines of `log` that contain `message` (and every `key=value` of `with`), in order.
pub fn find(log: &str, message: &str, with: &[(&str, &str)]) -> Vec<Line> {
    log.lines()
        .filter(|l| l.contains(message))
        .filter_map(|l| {
            let stamp = l.split_whitespace().next()?;
            let at = DateTime::parse_from_rfc3339(stamp)
                .ok()?
                .with_timezone(&Utc);
            let line = Line {
                at,
                text: strip_ansi(l),
            };
            with.iter()
                .all(|(k, v)| line.field(k) == Some(v))
                .then_some(line)
        })
        .collect()
}

/// tracing colours its output only on terminals, but a log written by an older run may
/// carry escapes; fields must still be found.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026-11-23T18:13:26.984835Z  INFO overlay::swarm_task: hole punch succeeded peer=12D3KooWA
2026-11-23T18:13:27.100000Z  INFO delivery::outbound: delivered; receipt verified message_id=ab12 to=\"bob@beta.h\" sealed_bytes=100 sent_bytes=100 resent_bytes=0 path=\"hole-punched\"
2026-11-23T18:13:28.000000Z  INFO overlay::swarm_task: hole punch failed peer=12D3KooWB error=timeout
";

    #[test]
    fn lines_and_fields() {
        let d = find(
            LOG,
            "delivered; receipt verified",
            &[("message_id", "ab12")],
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field("path"), Some("hole-punched"));
        assert_eq!(d[0].field("resent_bytes"), Some("0"));
        assert_eq!(d[0].field("to"), Some("bob@beta.h"));
        assert!(find(LOG, "hole punch", &[("peer", "12D3KooWB")]).len() == 1);
        assert!(find(LOG, "delivered", &[("message_id", "cd34")]).is_empty());
    }
}
