//! Where the node's monitor endpoint is: `host:port`, the port 7070 when left out.

use std::fmt;

use crate::ClientError;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// A host name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl Target {
    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    pub fn parse(text: &str) -> Result<Target, ClientError> {
        let bad = || ClientError::BadAddress(text.to_string());
        let text = text.trim();
        if text.is_empty() || text.len() > 300 || text.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (host, None),
                p => (host, Some(p.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else {
            match text.rsplit_once(':') {
                // More than one colon: a bare IPv6 address.
                Some((h, _)) if h.contains(':') => (text, None),
                Some((h, p)) => (h, Some(p)),
                None => (text, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            None => monitor_api::DEFAULT_PORT,
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Target {
            host: host.to_string(),
            port,
        })
    }

    /// The key of the known-hosts file and what `connect` dials.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_and_without_port() {
        let t = Target::parse("127.0.0.1:7171").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 7171));
        assert_eq!(Target::parse("node.example").unwrap().port, 7070);
        let v6 = Target::parse("[::1]:9000").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 9000));
        assert_eq!(v6.to_string(), "[::1]:9000");
        assert_eq!(Target::parse("::1").unwrap().port, 7070);
        for bad in [
            "",
            "host:",
            "host:0",
            "host:99999",
            ":7070",
            "a b:1",
            "[::1]x",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
