//! The lab network: namespaces, links, NAT routers and their cleanup.
//!
//! A lab is a set of Linux network namespaces: one "internet" namespace holding a bridge
//! (10.200.0.0/16), one namespace per host, and for each NATed host a router namespace
//! between its LAN (192.168.n.0/24) and the bridge. Everything lives inside namespaces named
//! `wsim-<tag>-…`, so deleting them removes it all, and [`leftovers`] / [`sweep`] find and
//! remove what a crashed run left behind.

mod build;
mod cleanup;
mod cmd;
mod delay;
mod error;
mod names;
mod nat;
mod plan;
mod uplink;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::net::Ipv4Addr;
use std::process::Command;
use std::str::FromStr;

pub use cleanup::{leftovers, sweep};
pub use error::NetError;

use plan::NodePlan;

/// How a site's router translates and filters (RFC 4787 terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatKind {
    /// No router: the host sits directly on the internet.
    None,
    /// Endpoint-independent mapping and filtering.
    FullCone,
    /// Endpoint-independent mapping, address-dependent filtering.
    AddressRestricted,
    /// Endpoint-independent mapping, address-and-port-dependent filtering.
    PortRestricted,
    /// Address-and-port-dependent mapping and filtering.
    Symmetric,
}

impl NatKind {
    pub const ALL: [NatKind; 5] = [
        NatKind::None,
        NatKind::FullCone,
        NatKind::AddressRestricted,
        NatKind::PortRestricted,
        NatKind::Symmetric,
    ];

    /// The kebab-case name, as in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            NatKind::None => "none",
            NatKind::FullCone => "full-cone",
            NatKind::AddressRestricted => "address-restricted",
            NatKind::PortRestricted => "port-restricted",
            NatKind::Symmetric => "symmetric",
        }
    }
}

impl fmt::Display for NatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NatKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NatKind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = NatKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown NAT kind {s:?}, expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Shaping of a site's uplink, applied in each direction (a round trip thus takes twice
/// `delay_ms`); 0 means not shaped. Delay is done by the process that built the lab, so it
/// only lasts as long as the [`Lab`] does.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkSpec {
    pub delay_ms: u32,
    pub loss_pct: f32,
    pub rate_kbit: u32,
}

/// A host with its own uplink.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    pub host: String,
    pub nat: NatKind,
    #[serde(default)]
    pub link: LinkSpec,
}

/// A built lab network. Dropping it tears everything down (best effort); [`Lab::teardown`]
/// does the same and reports errors.
#[derive(Debug)]
pub struct Lab {
    tag: String,
    inet_ns: String,
    nodes: Vec<NodePlan>,
    by_host: HashMap<String, usize>,
    /// Namespaces created so far, in creation order: what teardown removes. Filled as the
    /// build goes, so a build that fails halfway cleans up after itself when dropped.
    created: Vec<String>,
    delay: Option<delay::DelayLine>,
}

impl Lab {
    /// Builds a lab.
    ///
    /// `tag`: short run tag [a-z0-9]{1,6}, unique per concurrent lab on this machine.
    /// `public_hosts`: hosts placed directly on the internet (service servers).
    /// `sites`: hosts each with their own uplink; [`NatKind::None`] = directly on the
    /// internet, otherwise behind a NAT router of that kind of its own.
    pub fn build(tag: &str, public_hosts: &[String], sites: &[SiteSpec]) -> Result<Lab, NetError> {
        build::build(tag, public_hosts, sites)
    }

    fn node(&self, host: &str) -> Option<&NodePlan> {
        self.by_host.get(host).and_then(|&i| self.nodes.get(i))
    }

    fn known(&self, host: &str) -> Result<&NodePlan, NetError> {
        self.node(host)
            .ok_or_else(|| NetError::UnknownHost(host.to_owned()))
    }

    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The host's own address.
    pub fn addr(&self, host: &str) -> Option<Ipv4Addr> {
        self.node(host).map(|n| n.addr)
    }

    /// The host's address as seen from the internet: its router's WAN address, or its own.
    pub fn public_addr(&self, host: &str) -> Option<Ipv4Addr> {
        self.node(host).map(|n| n.public)
    }

    pub fn nat(&self, host: &str) -> Option<NatKind> {
        self.node(host).map(|n| n.nat)
    }

    /// The namespace the host's processes run in.
    pub fn netns(&self, host: &str) -> Option<&str> {
        self.node(host).map(|n| n.netns.as_str())
    }

    /// A `Command` that runs `program` inside the host's namespace (`ip netns exec NS program`).
    pub fn command(&self, host: &str, program: impl AsRef<OsStr>) -> Result<Command, NetError> {
        let node = self.known(host)?;
        Ok(cmd::exec_in(&node.netns, program.as_ref()))
    }

    /// Cuts the host's uplink: nothing passes between its site and the internet until
    /// [`Lab::restore`]. Addresses, routes and NAT state stay. Idempotent.
    pub fn cut(&self, host: &str) -> Result<(), NetError> {
        let node = self.known(host)?;
        cmd::nft_in(&self.inet_ns, &uplink::cut_script(&node.port)).map(drop)
    }

    /// Undoes [`Lab::cut`]. Idempotent.
    pub fn restore(&self, host: &str) -> Result<(), NetError> {
        let node = self.known(host)?;
        cmd::nft_in(&self.inet_ns, &uplink::restore_script(&node.port)).map(drop)
    }

    /// Kills every process in the lab's namespaces and deletes them, with all they hold.
    pub fn teardown(mut self) -> Result<(), NetError> {
        // The delay line's socket keeps the internet namespace alive; closed first, the
        // namespace really goes when deleted.
        self.delay = None;
        let created = std::mem::take(&mut self.created);
        cleanup::remove_namespaces(&created)
    }

    /// The lab's namespaces, in creation order.
    pub fn namespaces(&self) -> Vec<String> {
        self.created.clone()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.delay = None;
        let created = std::mem::take(&mut self.created);
        if !created.is_empty() {
            // Nobody to report to; leftovers() after the run shows what could not be removed.
            let _ = cleanup::remove_namespaces(&created);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nat_kind_names_round_trip() {
        for kind in NatKind::ALL {
            assert_eq!(kind.name().parse::<NatKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<NatKind>(&json).unwrap(), kind);
        }
        assert!("cone".parse::<NatKind>().is_err());
    }

    #[test]
    fn site_spec_from_toml() {
        let site: SiteSpec =
            toml::from_str("host = \"a\"\nnat = \"port-restricted\"\nlink = { delay_ms = 20 }\n")
                .unwrap();
        assert_eq!(site.nat, NatKind::PortRestricted);
        assert_eq!(site.link.delay_ms, 20);
        assert_eq!(site.link.rate_kbit, 0);
        assert!(toml::from_str::<LinkSpec>("delay = 3").is_err());
    }

    #[test]
    fn bad_tag_fails_before_touching_the_machine() {
        let err = Lab::build("Bad-Tag", &[], &[]).unwrap_err();
        assert!(matches!(err, NetError::InvalidTag(_)));
    }
}
