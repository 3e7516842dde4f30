//! The lab's layout worked out before anything is created: names, addresses and bridge ports.
//! Keeping this free of side effects lets bad input fail before the machine is touched.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use super::error::NetError;
use super::names::{self, Slugs};
use super::{LinkSpec, NatKind, SiteSpec};

/// Prefix lengths of the internet (one flat 10.200.0.0/16 segment) and of each site's LAN.
pub(crate) const INTERNET_PREFIX: u8 = 16;
pub(crate) const LAN_PREFIX: u8 = 24;

/// Each NATed site takes one 192.168.n.0/24, n in 1..=254.
const MAX_LANS: usize = 254;

#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) inet_ns: String,
    pub(crate) nodes: Vec<NodePlan>,
}

/// One host and, if it is NATed, its router.
#[derive(Clone, Debug)]
pub(crate) struct NodePlan {
    pub(crate) host: String,
    pub(crate) netns: String,
    pub(crate) nat: NatKind,
    pub(crate) link: LinkSpec,
    /// The host's own address (on the internet, or on its LAN).
    pub(crate) addr: Ipv4Addr,
    /// Its address as the internet sees it: the router's WAN address, or `addr`.
    pub(crate) public: Ipv4Addr,
    /// The bridge port in the internet namespace this site's uplink plugs into.
    pub(crate) port: String,
    /// The site's number among the lab's internet attachments; also its NFQUEUE number.
    pub(crate) number: u16,
    pub(crate) router: Option<RouterPlan>,
}

#[derive(Clone, Debug)]
pub(crate) struct RouterPlan {
    pub(crate) netns: String,
    pub(crate) lan_addr: Ipv4Addr,
}

impl NodePlan {
    /// The namespace and interface of the site's end of its uplink.
    pub(crate) fn uplink(&self) -> (&str, &str) {
        match &self.router {
            Some(router) => (&router.netns, names::WAN_IF),
            None => (&self.netns, names::HOST_IF),
        }
    }
}

pub(crate) fn plan(
    tag: &str,
    public_hosts: &[String],
    sites: &[SiteSpec],
) -> Result<Plan, NetError> {
    names::check_tag(tag)?;
    let public_sites = public_hosts.iter().map(|host| SiteSpec {
        host: host.clone(),
        nat: NatKind::None,
        link: LinkSpec::default(),
    });
    let all: Vec<SiteSpec> = public_sites.chain(sites.iter().cloned()).collect();

    let mut seen = HashSet::new();
    for site in &all {
        if site.host.is_empty() {
            return Err(NetError::InvalidHost(site.host.clone()));
        }
        if !seen.insert(site.host.as_str()) {
            return Err(NetError::DuplicateHost(site.host.clone()));
        }
        check_link(&site.host, &site.link)?;
    }
    let lans = all.iter().filter(|s| s.nat != NatKind::None).count();
    if lans > MAX_LANS {
        return Err(NetError::TooManyHosts(format!(
            "{lans} NATed sites, at most {MAX_LANS}"
        )));
    }
    let mut internet = internet_addrs();
    let mut slugs = Slugs::default();
    let mut lan_number = 0u8;
    let mut nodes = Vec::with_capacity(all.len());
    for (index, site) in all.into_iter().enumerate() {
        let Some(wan) = internet.next() else {
            return Err(NetError::TooManyHosts(format!(
                "more than {index} hosts for the 10.200.0.0/16 internet"
            )));
        };
        let slug = slugs.slug(&site.host);
        // At most 65024 internet addresses exist, so the number always fits.
        let number = u16::try_from(index + 1).unwrap_or(u16::MAX);
        let (addr, router) = if site.nat == NatKind::None {
            (wan, None)
        } else {
            lan_number += 1;
            let router = RouterPlan {
                netns: names::router_ns(tag, &slug),
                lan_addr: Ipv4Addr::new(192, 168, lan_number, 1),
            };
            (Ipv4Addr::new(192, 168, lan_number, 2), Some(router))
        };
        nodes.push(NodePlan {
            netns: names::host_ns(tag, &slug),
            host: site.host,
            nat: site.nat,
            link: site.link,
            addr,
            public: wan,
            port: names::bridge_port(number),
            number,
            router,
        });
    }
    Ok(Plan {
        inet_ns: names::internet_ns(tag),
        nodes,
    })
}

/// Delays beyond this would make the delay line hold more packets than its queues take.
const MAX_DELAY_MS: u32 = 60_000;

fn check_link(host: &str, link: &LinkSpec) -> Result<(), NetError> {
    let invalid = |reason: String| NetError::InvalidLink {
        host: host.to_owned(),
        reason,
    };
    if !link.loss_pct.is_finite() || !(0.0..=100.0).contains(&link.loss_pct) {
        return Err(invalid(format!(
            "loss_pct {} is not within 0..=100",
            link.loss_pct
        )));
    }
    if link.delay_ms > MAX_DELAY_MS {
        return Err(invalid(format!(
            "delay_ms {} is above {MAX_DELAY_MS}",
            link.delay_ms
        )));
    }
    Ok(())
}

/// 10.200.0.1, 10.200.0.2, …; last octets 0 and 255 are skipped so no address looks like a
/// network or broadcast address to a reader, though in a /16 they would work.
fn internet_addrs() -> impl Iterator<Item = Ipv4Addr> {
    (0u8..=255)
        .flat_map(|third| (1u8..=254).map(move |fourth| Ipv4Addr::new(10, 200, third, fourth)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(host: &str, nat: NatKind) -> SiteSpec {
        SiteSpec {
            host: host.to_owned(),
            nat,
            link: LinkSpec::default(),
        }
    }

    #[test]
    fn addresses_and_names() {
        let plan = plan(
            "ab1",
            &["echo".to_owned()],
            &[
                site("Node One", NatKind::Symmetric),
                site("node-one", NatKind::None),
                site("three", NatKind::FullCone),
            ],
        )
        .unwrap();
        assert_eq!(plan.inet_ns, "wsim-ab1-inet");
        let n = &plan.nodes;
        assert_eq!(n[0].netns, "wsim-ab1-h-echo");
        assert_eq!(n[0].addr, Ipv4Addr::new(10, 200, 0, 1));
        assert_eq!(n[0].public, n[0].addr);
        assert!(n[0].router.is_none());
        assert_eq!(n[1].netns, "wsim-ab1-h-node-one");
        assert_eq!(n[1].addr, Ipv4Addr::new(192, 168, 1, 2));
        assert_eq!(n[1].public, Ipv4Addr::new(10, 200, 0, 2));
        let router = n[1].router.as_ref().unwrap();
        assert_eq!(router.netns, "wsim-ab1-r-node-one");
        assert_eq!(router.lan_addr, Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(n[1].uplink(), ("wsim-ab1-r-node-one", "wan"));
        assert_eq!(n[2].netns, "wsim-ab1-h-node-one-2");
        assert_eq!(n[2].addr, Ipv4Addr::new(10, 200, 0, 3));
        assert_eq!(n[2].uplink(), ("wsim-ab1-h-node-one-2", "eth0"));
        assert_eq!(n[3].addr, Ipv4Addr::new(192, 168, 2, 2));
        let ports: HashSet<_> = n.iter().map(|n| n.port.as_str()).collect();
        assert_eq!(ports.len(), 4);
        assert_eq!((n[3].number, n[3].port.as_str()), (4, "p4"));
    }

    #[test]
    fn bad_input_is_rejected() {
        let dup = plan("a", &["x".to_owned()], &[site("x", NatKind::None)]);
        assert!(matches!(dup, Err(NetError::DuplicateHost(h)) if h == "x"));
        assert!(matches!(plan("A", &[], &[]), Err(NetError::InvalidTag(_))));
        let empty = plan("a", &[String::new()], &[]);
        assert!(matches!(empty, Err(NetError::InvalidHost(_))));
        let mut lossy = site("l", NatKind::None);
        lossy.link.loss_pct = f32::NAN;
        assert!(matches!(
            plan("a", &[], &[lossy]),
            Err(NetError::InvalidLink { .. })
        ));
        let mut slow = site("s", NatKind::None);
        slow.link.delay_ms = 3_600_000;
        assert!(matches!(
            plan("a", &[], &[slow]),
            Err(NetError::InvalidLink { .. })
        ));
        let many: Vec<_> = (0..255)
            .map(|i| site(&format!("s{i}"), NatKind::FullCone))
            .collect();
        assert!(matches!(
            plan("a", &[], &many),
            Err(NetError::TooManyHosts(_))
        ));
    }

    #[test]
    fn internet_addresses_skip_zero_and_broadcast_octets() {
        let addrs: Vec<_> = internet_addrs().take(300).collect();
        assert_eq!(addrs[253], Ipv4Addr::new(10, 200, 0, 254));
        assert_eq!(addrs[254], Ipv4Addr::new(10, 200, 1, 1));
        assert_eq!(internet_addrs().count(), 256 * 254);
    }
}
