//! nftables rules of a NAT router, one ruleset per NAT kind (RFC 4787 terms).
//!
//! All kinds share the mapping machinery of Linux conntrack: `masquerade` keeps the host's
//! source port when it is free, and since one host sits behind each router it always is, so
//! mappings are endpoint-independent and port-preserving. Only symmetric NAT asks for a fresh
//! random port per connection (= per remote address and port). Filtering is what differs:
//! conntrack alone lets in only replies from the exact remote address and port contacted
//! (address-and-port-dependent filtering); the cone kinds widen that with DNAT rules.

use std::net::Ipv4Addr;

use super::NatKind;
use super::names::{LAN_IF, WAN_IF};

/// Conntrack's UDP defaults (30 s unreplied, 120 s replied) would close mappings and holes
/// during the pauses of a scenario; routers get five minutes for both, and the remembered peers
/// of an address-restricted router live as long.
pub(crate) const UDP_TIMEOUT_SECS: u32 = 300;

/// The router's sysctls: forwarding, and the longer UDP conntrack timeouts.
pub(crate) fn router_sysctls() -> Vec<String> {
    vec![
        "net.ipv4.ip_forward=1".to_owned(),
        format!("net.netfilter.nf_conntrack_udp_timeout={UDP_TIMEOUT_SECS}"),
        format!("net.netfilter.nf_conntrack_udp_timeout_stream={UDP_TIMEOUT_SECS}"),
    ]
}

/// The router's ruleset, or None for `NatKind::None` (no router at all).
pub(crate) fn router_rules(kind: NatKind, wan: Ipv4Addr, host: Ipv4Addr) -> Option<String> {
    let masquerade = match kind {
        NatKind::None => return None,
        // `fully-random` rather than `random`: older kernels derive the `random` port from a
        // hash of the addresses, newer ones draw it; either way each connection gets its own.
        NatKind::Symmetric => "masquerade fully-random",
        _ => "masquerade",
    };
    // Inbound packets to the WAN address that conntrack does not know are handed to the host
    // on the same port (ports are preserved, so that is where its mapping points): from
    // anyone for full cone, from addresses the host has sent to for address-restricted.
    let inbound = match kind {
        NatKind::FullCone => Some(String::new()),
        NatKind::AddressRestricted => Some("ip saddr @peers ".to_owned()),
        _ => None,
    };
    let remember_peer = if kind == NatKind::AddressRestricted {
        "update @peers { ip daddr } "
    } else {
        ""
    };

    let mut rules = String::from("table ip wsim {\n");
    if kind == NatKind::AddressRestricted {
        rules.push_str(&format!(
            "  set peers {{ type ipv4_addr; flags dynamic, timeout; timeout {UDP_TIMEOUT_SECS}s; }}\n"
        ));
    }
    if let Some(source) = &inbound {
        rules.push_str(&format!(
            "  chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n    \
             iifname \"{WAN_IF}\" ip daddr {wan} {source}meta l4proto {{ tcp, udp }} dnat to {host}\n  }}\n"
        ));
    }
    rules.push_str(&format!(
        "  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n    \
         oifname \"{WAN_IF}\" {masquerade}\n  }}\n"
    ));
    rules.push_str(&format!(
        "  chain forward {{\n    type filter hook forward priority filter; policy drop;\n    \
         ct state established,related accept\n    \
         iifname \"{LAN_IF}\" oifname \"{WAN_IF}\" {remember_peer}accept\n"
    ));
    if inbound.is_some() {
        rules.push_str(&format!(
            "    iifname \"{WAN_IF}\" oifname \"{LAN_IF}\" ct status dnat accept\n"
        ));
    }
    rules.push_str("  }\n");
    // Like a home router, it serves nothing on its WAN side: what is not a reply is dropped
    // there, before conntrack confirms it. Accepted, it would hold the tuple, and the host's
    // own later packet to that remote port would get another public port.
    rules.push_str(&format!(
        "  chain input {{\n    type filter hook input priority filter; policy accept;\n    \
         iifname \"{WAN_IF}\" ct state new drop\n  }}\n"
    ));
    rules.push_str("}\n");
    Some(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAN: Ipv4Addr = Ipv4Addr::new(10, 200, 0, 7);
    const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 3, 2);

    fn rules(kind: NatKind) -> String {
        router_rules(kind, WAN, HOST).unwrap_or_default()
    }

    #[test]
    fn no_router_no_rules() {
        assert!(router_rules(NatKind::None, WAN, HOST).is_none());
    }

    #[test]
    fn every_router_drops_unsolicited_and_masquerades() {
        for kind in NatKind::ALL.into_iter().skip(1) {
            let r = rules(kind);
            assert!(r.contains("policy drop;"), "{kind:?}");
            assert!(
                r.contains("ct state established,related accept"),
                "{kind:?}"
            );
            assert!(r.contains("oifname \"wan\" masquerade"), "{kind:?}");
            assert!(r.contains("iifname \"wan\" ct state new drop"), "{kind:?}");
        }
    }

    #[test]
    fn cone_kinds_dnat_inbound() {
        let full = rules(NatKind::FullCone);
        assert!(full.contains(
            "iifname \"wan\" ip daddr 10.200.0.7 meta l4proto { tcp, udp } dnat to 192.168.3.2"
        ));
        let restricted = rules(NatKind::AddressRestricted);
        assert!(restricted.contains("ip saddr @peers meta l4proto"));
        assert!(restricted.contains("update @peers { ip daddr } accept"));
        assert!(restricted.contains("timeout 300s"));
        for kind in [NatKind::PortRestricted, NatKind::Symmetric] {
            let r = rules(kind);
            assert!(!r.contains("dnat"), "{kind:?}");
            assert!(!r.contains("@peers"), "{kind:?}");
        }
        assert!(rules(NatKind::Symmetric).contains("masquerade fully-random"));
        assert!(!rules(NatKind::PortRestricted).contains("random"));
    }
}
