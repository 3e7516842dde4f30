//! A site's uplink: cutting it, and shaping it with loss, rate and delay.
//!
//! Both work at the site's port of the internet bridge (`pN` in the internet namespace), so
//! one mechanism serves NATed and directly attached sites alike, and addresses, routes,
//! neighbours and conntrack state on both sides stay as they are: a cut is a pulled and
//! replugged cable, not a reboot.
//!
//! Shaping does not use netem, which some kernels (minimal VM kernels among them) lack:
//! loss is an nftables `numgen` drop on the bridge, rate a `tbf` qdisc on both ends of the
//! uplink, and delay an NFQUEUE delay line (see `delay`). Each applies in both directions.

use super::LinkSpec;
use super::cmd;
use super::error::NetError;

/// Loaded into the internet namespace when the lab is built; `cut` holds the cut ports, and
/// loss rules for lossy ports are appended to the chain.
pub(crate) const CUT_TABLE: &str = "table bridge wsim {
  set cut { type ifname; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname @cut drop
    oifname @cut drop
  }
}
";

pub(crate) fn cut_script(port: &str) -> String {
    format!("add element bridge wsim cut {{ \"{port}\" }}\n")
}

/// Deleting an absent element is an error in nftables, so the element is added first in the
/// same transaction: restoring an uncut port is then a no-op rather than a failure.
pub(crate) fn restore_script(port: &str) -> String {
    format!(
        "{}delete element bridge wsim cut {{ \"{port}\" }}\n",
        cut_script(port)
    )
}

/// Drops `loss_pct` of the IP packets entering and of those leaving the bridge through
/// `port`, in steps of 0.01 %. ARP is spared: a lost ARP exchange stalls all traffic for a
/// second or more, which would turn a steady loss rate into erratic outages.
pub(crate) fn loss_script(port: &str, link: &LinkSpec) -> Option<String> {
    let per_10k = (f64::from(link.loss_pct) * 100.0).round() as u32;
    if per_10k == 0 {
        return None;
    }
    let rule = |dir: &str| {
        format!(
            "add rule bridge wsim forward {dir} \"{port}\" ether type {{ ip, ip6 }} \
             numgen random mod 10000 < {per_10k} drop\n"
        )
    };
    Some(rule("iifname") + &rule("oifname"))
}

/// `tbf` arguments for the link's rate, or None if it has none. The bucket holds 20 ms of
/// traffic but at least two full frames, and the queue up to 300 ms, a modest router buffer.
pub(crate) fn tbf_args(link: &LinkSpec) -> Option<Vec<String>> {
    if link.rate_kbit == 0 {
        return None;
    }
    let burst_bytes = (u64::from(link.rate_kbit) * 1000 / 8 / 50).max(3200);
    Some(vec![
        "rate".to_owned(),
        format!("{}kbit", link.rate_kbit),
        "burst".to_owned(),
        burst_bytes.to_string(),
        "latency".to_owned(),
        "300ms".to_owned(),
    ])
}

/// iptables rules (one argument list each) queueing IPv4 packets that enter the bridge from
/// `port` or leave through it to NFQUEUE `queue`. The bridge's netfilter hooks are the only
/// place where NFQUEUE sees bridged traffic by port; nftables' own `queue` is not always
/// built, while the xtables target is.
pub(crate) fn delay_rules(port: &str, queue: u16) -> [Vec<String>; 2] {
    let queue = queue.to_string();
    let rule = |chain: &str, dir: &str| {
        [
            "-w",
            "-t",
            "mangle",
            "-A",
            chain,
            "-m",
            "physdev",
            dir,
            port,
            "-j",
            "NFQUEUE",
            "--queue-num",
            &queue,
            "--queue-bypass",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    [
        rule("PREROUTING", "--physdev-in"),
        rule("POSTROUTING", "--physdev-out"),
    ]
}

/// Keeps the bridge's traffic out of conntrack (see `build::add_delays`).
pub(crate) const NOTRACK_RULE: [&str; 7] = ["-w", "-t", "raw", "-A", "PREROUTING", "-j", "NOTRACK"];

/// Makes bridged IPv4 traffic in the internet namespace pass the iptables hooks, which the
/// delay rules live in.
pub(crate) const BRIDGE_NF_SYSCTL: &str = "net.bridge.bridge-nf-call-iptables=1";

/// Applies loss and rate of `link` to the uplink between `site_end` (namespace, device) and
/// `port` of the bridge in `inet_ns`. Delay is set up by the caller, per lab.
pub(crate) fn shape(
    inet_ns: &str,
    site_end: (&str, &str),
    port: &str,
    link: &LinkSpec,
) -> Result<(), NetError> {
    if let Some(script) = loss_script(port, link) {
        cmd::nft_in(inet_ns, &script)?;
    }
    if let Some(tbf) = tbf_args(link) {
        for (netns, dev) in [site_end, (inet_ns, port)] {
            let mut args = vec!["qdisc", "replace", "dev", dev, "root", "tbf"];
            args.extend(tbf.iter().map(String::as_str));
            cmd::tc_in(netns, &args)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(delay_ms: u32, loss_pct: f32, rate_kbit: u32) -> LinkSpec {
        LinkSpec {
            delay_ms,
            loss_pct,
            rate_kbit,
        }
    }

    #[test]
    fn unshaped_links_get_nothing() {
        let plain = LinkSpec::default();
        assert_eq!(loss_script("p1", &plain), None);
        assert_eq!(tbf_args(&plain), None);
        assert_eq!(loss_script("p1", &link(0, 0.001, 0)), None);
    }

    #[test]
    fn loss_both_ways_in_hundredths_of_a_percent() {
        let script = loss_script("p4", &link(0, 2.5, 0)).unwrap();
        let tail = "ether type { ip, ip6 } numgen random mod 10000 < 250 drop";
        assert!(
            script.contains(&format!("iifname \"p4\" {tail}")),
            "{script}"
        );
        assert!(
            script.contains(&format!("oifname \"p4\" {tail}")),
            "{script}"
        );
        assert!(
            loss_script("p4", &link(0, 100.0, 0))
                .unwrap()
                .contains("< 10000 drop")
        );
    }

    #[test]
    fn tbf_bucket_is_at_least_two_frames() {
        assert_eq!(
            tbf_args(&link(0, 0.0, 64)).unwrap().join(" "),
            "rate 64kbit burst 3200 latency 300ms"
        );
        assert_eq!(tbf_args(&link(0, 0.0, 100_000)).unwrap()[3], "250000");
    }

    #[test]
    fn delay_rules_cover_both_directions() {
        let [up, down] = delay_rules("p2", 2);
        assert_eq!(
            up.join(" "),
            "-w -t mangle -A PREROUTING -m physdev --physdev-in p2 -j NFQUEUE --queue-num 2 --queue-bypass"
        );
        assert!(
            down.join(" ")
                .contains("POSTROUTING -m physdev --physdev-out p2")
        );
    }

    #[test]
    fn restore_is_idempotent_by_construction() {
        let script = restore_script("p3");
        assert!(script.starts_with("add element bridge wsim cut { \"p3\" }\n"));
        assert!(script.ends_with("delete element bridge wsim cut { \"p3\" }\n"));
    }
}
