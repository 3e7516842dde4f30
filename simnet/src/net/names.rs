//! Names of what a lab creates: namespaces carry the program prefix and the run tag so that
//! leftovers of any run can be found and swept; interface names live inside namespaces and
//! therefore can be short and fixed.

use std::collections::HashSet;

use super::error::NetError;

/// Every namespace of every lab starts with this.
pub(crate) const PREFIX: &str = "wsim-";

/// The host's interface towards its router or the internet bridge.
pub(crate) const HOST_IF: &str = "eth0";
/// The router's interfaces.
pub(crate) const WAN_IF: &str = "wan";
pub(crate) const LAN_IF: &str = "lan";
/// The internet bridge inside the internet namespace.
pub(crate) const BRIDGE: &str = "br0";

/// Slugs stay short so namespace names remain readable in `ip netns list`.
const SLUG_MAX: usize = 24;

pub(crate) fn check_tag(tag: &str) -> Result<(), NetError> {
    let valid = (1..=6).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(NetError::InvalidTag(tag.to_owned()))
    }
}

/// What all namespaces of the lab tagged `tag` start with. The trailing '-' keeps tag "ab"
/// from matching lab "abc", since tags contain no '-'.
pub(crate) fn lab_prefix(tag: &str) -> String {
    format!("{PREFIX}{tag}-")
}

pub(crate) fn internet_ns(tag: &str) -> String {
    format!("{PREFIX}{tag}-inet")
}

pub(crate) fn host_ns(tag: &str, slug: &str) -> String {
    format!("{PREFIX}{tag}-h-{slug}")
}

pub(crate) fn router_ns(tag: &str, slug: &str) -> String {
    format!("{PREFIX}{tag}-r-{slug}")
}

/// The bridge port (in the internet namespace) of the `number`th internet attachment.
pub(crate) fn bridge_port(number: u16) -> String {
    format!("p{number}")
}

/// Hands out distinct slugs for host names, which may be long or hold any characters.
#[derive(Default)]
pub(crate) struct Slugs {
    taken: HashSet<String>,
}

impl Slugs {
    pub(crate) fn slug(&mut self, host: &str) -> String {
        let base = sanitize(host);
        if self.taken.insert(base.clone()) {
            return base;
        }
        let mut n = 2u32;
        loop {
            let candidate = format!("{base}-{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

fn sanitize(host: &str) -> String {
    let mut out = String::new();
    for c in host.chars() {
        if out.len() >= SLUG_MAX {
            break;
        }
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "x".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        for good in ["a", "ab12", "zzzzzz", "0"] {
            assert!(check_tag(good).is_ok(), "{good}");
        }
        for bad in ["", "abcdefg", "Ab", "a-b", "a b", "é"] {
            assert!(check_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_clean_short_and_distinct() {
        let mut slugs = Slugs::default();
        assert_eq!(slugs.slug("Alpha.Node"), "alpha-node");
        assert_eq!(slugs.slug("alpha node"), "alpha-node-2");
        assert_eq!(slugs.slug("alpha-node-2"), "alpha-node-2-2");
        assert_eq!(slugs.slug("!!!"), "x");
        assert_eq!(slugs.slug("ünï"), "n");
        let long = slugs.slug(&"a".repeat(200));
        assert_eq!(long.len(), SLUG_MAX);
        assert_eq!(slugs.slug(&"a".repeat(100)), format!("{long}-2"));
    }

    #[test]
    fn lab_prefixes_do_not_overlap() {
        assert!(!internet_ns("abc").starts_with(&lab_prefix("ab")));
        assert!(host_ns("ab", "x").starts_with(&lab_prefix("ab")));
        assert!(router_ns("ab", "x").starts_with(&lab_prefix("ab")));
    }
}
