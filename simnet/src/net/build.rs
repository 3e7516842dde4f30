//! Creating a lab from its plan: namespaces, veth pairs, addresses, routes, NAT rules, shaping.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use super::cmd::{self, ip, ip_in};
use super::delay::DelayLine;
use super::error::NetError;
use super::names::{BRIDGE, HOST_IF, LAN_IF, WAN_IF};
use super::plan::{self, INTERNET_PREFIX, LAN_PREFIX, NodePlan};
use super::{Lab, SiteSpec, cleanup, nat, uplink};

pub(super) fn build(
    tag: &str,
    public_hosts: &[String],
    sites: &[SiteSpec],
) -> Result<Lab, NetError> {
    let plan = plan::plan(tag, public_hosts, sites)?;
    let existing = cleanup::lab_namespaces(Some(tag))?;
    if !existing.is_empty() {
        return Err(NetError::TagInUse {
            tag: tag.to_owned(),
            namespaces: existing,
        });
    }
    let by_host: HashMap<String, usize> = plan
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.host.clone(), i))
        .collect();
    // From here on every namespace is recorded in `lab.created` as soon as it exists, so an
    // error return drops `lab` and that removes whatever was built.
    let mut lab = Lab {
        tag: tag.to_owned(),
        inet_ns: plan.inet_ns,
        nodes: plan.nodes,
        by_host,
        created: Vec::new(),
        delay: None,
    };
    add_namespace(&mut lab.created, &lab.inet_ns)?;
    ip_in(&lab.inet_ns, &["link", "add", BRIDGE, "type", "bridge"])?;
    ip_in(&lab.inet_ns, &["link", "set", BRIDGE, "up"])?;
    cmd::nft_in(&lab.inet_ns, uplink::CUT_TABLE)?;
    for node in &lab.nodes {
        add_node(&mut lab.created, &lab.inet_ns, node)?;
    }
    lab.delay = add_delays(&lab.inet_ns, &lab.nodes)?;
    Ok(lab)
}

/// Starts the lab's delay line, if any uplink has a delay, before the rules that feed it:
/// packets queued to an unbound queue would pass undelayed.
fn add_delays(inet_ns: &str, nodes: &[NodePlan]) -> Result<Option<DelayLine>, NetError> {
    let delayed: Vec<&NodePlan> = nodes.iter().filter(|n| n.link.delay_ms > 0).collect();
    if delayed.is_empty() {
        return Ok(None);
    }
    cmd::sysctl_in(inet_ns, &[uplink::BRIDGE_NF_SYSCTL])?;
    // With the bridge's traffic passing netfilter, conntrack would track it too; a hole
    // punch's first packets (one each way at once, both held in the queue unconfirmed) can
    // clash there and be dropped, a loss no real link between two NATs has. The bridge only
    // forwards; nothing in this namespace needs connection state.
    cmd::iptables_in(inet_ns, &uplink::NOTRACK_RULE.map(str::to_owned))?;
    let queues: Vec<(u16, Duration)> = delayed
        .iter()
        .map(|n| (n.number, Duration::from_millis(u64::from(n.link.delay_ms))))
        .collect();
    let line = DelayLine::start(inet_ns, &queues)?;
    for node in delayed {
        for rule in uplink::delay_rules(&node.port, node.number) {
            cmd::iptables_in(inet_ns, &rule)?;
        }
    }
    Ok(Some(line))
}

fn add_namespace(created: &mut Vec<String>, netns: &str) -> Result<(), NetError> {
    ip(&["netns", "add", netns])?;
    created.push(netns.to_owned());
    // Processes in the namespace listen on 127.0.0.1 too, and `lo` starts down.
    ip_in(netns, &["link", "set", "lo", "up"])?;
    Ok(())
}

fn add_node(created: &mut Vec<String>, inet_ns: &str, node: &NodePlan) -> Result<(), NetError> {
    add_namespace(created, &node.netns)?;
    match &node.router {
        None => attach_to_internet(inet_ns, &node.netns, HOST_IF, &node.port, node.addr)?,
        Some(router) => {
            add_namespace(created, &router.netns)?;
            veth((&node.netns, HOST_IF), (&router.netns, LAN_IF))?;
            add_addr(&router.netns, LAN_IF, router.lan_addr, LAN_PREFIX)?;
            add_addr(&node.netns, HOST_IF, node.addr, LAN_PREFIX)?;
            let gateway = router.lan_addr.to_string();
            ip_in(&node.netns, &["route", "add", "default", "via", &gateway])?;
            attach_to_internet(inet_ns, &router.netns, WAN_IF, &node.port, node.public)?;
            if let Some(rules) = nat::router_rules(node.nat, node.public, node.addr) {
                cmd::nft_in(&router.netns, &rules)?;
            }
            // After the ruleset: its masquerade rule is what brings conntrack (and so the
            // net.netfilter sysctls) into the namespace.
            let sysctls = nat::router_sysctls();
            let sysctls: Vec<&str> = sysctls.iter().map(String::as_str).collect();
            cmd::sysctl_in(&router.netns, &sysctls)?;
        }
    }
    uplink::shape(inet_ns, node.uplink(), &node.port, &node.link)
}

/// Creates a veth pair with each end directly in its namespace, so nothing ever appears in the
/// root namespace (where a crash could strand it) and short fixed names cannot clash.
fn veth(a: (&str, &str), b: (&str, &str)) -> Result<(), NetError> {
    let ((a_ns, a_if), (b_ns, b_if)) = (a, b);
    ip(&[
        "link", "add", a_if, "netns", a_ns, "type", "veth", "peer", "name", b_if, "netns", b_ns,
    ])
    .map(drop)
}

fn add_addr(netns: &str, dev: &str, addr: Ipv4Addr, prefix: u8) -> Result<(), NetError> {
    let cidr = format!("{addr}/{prefix}");
    ip_in(netns, &["addr", "add", &cidr, "dev", dev])?;
    ip_in(netns, &["link", "set", dev, "up"]).map(drop)
}

/// Plugs `dev` of `netns` into the internet bridge as `port`; being in one /16 with
/// everything else on the internet, it needs no routes.
fn attach_to_internet(
    inet_ns: &str,
    netns: &str,
    dev: &str,
    port: &str,
    addr: Ipv4Addr,
) -> Result<(), NetError> {
    veth((netns, dev), (inet_ns, port))?;
    ip_in(inet_ns, &["link", "set", port, "master", BRIDGE, "up"])?;
    add_addr(netns, dev, addr, INTERNET_PREFIX)
}
