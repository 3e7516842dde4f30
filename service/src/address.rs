//! Addresses and domains as the registry compares them: trimmed and lower-cased, so
//! `Bob@Kapur.H` and `bob@kapur.h` are one account.

/// `local@domain` in canonical form, or `None` when it is not one.
pub fn normalize_address(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let (local, domain) = s.split_once('@')?;
    (valid_local(local) && valid_domain(domain)).then_some(s)
}

/// A partnership side: an address or a whole domain, canonical.
pub fn normalize_party(s: &str) -> Option<String> {
    let t = s.trim().to_lowercase();
    if t.contains('@') {
        normalize_address(&t)
    } else {
        valid_domain(&t).then_some(t)
    }
}

/// The domain of a canonical address.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(_, d)| d)
}

fn valid_local(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 64
        && l.chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii())
        && !l.starts_with('.')
        && !l.ends_with('.')
        && !l.contains("..")
}

/// Private network names (`kapur.h`): labels of letters, digits and hyphens.
fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_domains() {
        assert_eq!(
            normalize_address(" Bob@Kapur.H ").as_deref(),
            Some("bob@kapur.h")
        );
        assert_eq!(normalize_address("bob"), None);
        assert_eq!(normalize_address("@kapur.h"), None);
        assert_eq!(normalize_address("bob@"), None);
        assert_eq!(normalize_address("bob@a..h"), None);
        assert_eq!(normalize_address("a b@kapur.h"), None);
        assert_eq!(normalize_address("a@b@kapur.h"), None);
        assert_eq!(normalize_party("Kapur.H").as_deref(), Some("kapur.h"));
        assert_eq!(normalize_party("x@Kapur.H").as_deref(), Some("x@kapur.h"));
        assert_eq!(normalize_party("-bad.h"), None);
        assert_eq!(domain_of("bob@kapur.h"), "kapur.h");
    }
}
