//! Who may make this node punch, how often, and where its probes may go: decisions without
//! I/O, time passed in.
//!
//! An offer names where the probes go, so it is never taken at its word: a target must be an
//! address the relay of the circuit sees the peer at itself ([`aim`]), the node takes part in
//! one punch at a time, and punches are counted per peer, per relay and in all.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use wire::punch::MAX_TARGETS;

use super::PUNCH_WINDOW;

/// A pair is punched this way at most once per wait for a direct connection (15 s), in
/// either direction.
pub(crate) const PUNCH_AGAIN_AFTER: Duration = Duration::from_secs(15);
/// Punches asked or joined in one minute, with whomever: fresh peer ids cost nothing, so the
/// per-peer wait alone does not bound what a stream of offers makes the node do.
pub(crate) const MAX_PUNCHES_PER_MINUTE: usize = 6;
/// Punches joined in one minute over circuits of one relay: one relay's clients cannot use
/// up the whole budget.
pub(crate) const MAX_PUNCHES_PER_RELAY_MINUTE: usize = 3;
const MINUTE: Duration = Duration::from_secs(60);

/// Why an offer is not joined; the text goes to the asker and the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoJoin {
    TooManyTargets,
    /// This peer was punched with a moment ago, another punch runs, or a budget is spent.
    NotNow,
    /// Nothing of ours was seen from outside, so there is nothing to offer.
    NoAddress,
}

impl NoJoin {
    pub(crate) fn text(self) -> &'static str {
        match self {
            NoJoin::TooManyTargets => "too many addresses",
            NoJoin::NotNow => "no hole punch now",
            NoJoin::NoAddress => "no address to offer",
        }
    }
}

#[derive(Default)]
pub(crate) struct Policy {
    /// When we last asked a peer.
    asked: HashMap<PeerId, Instant>,
    /// When we last took up a peer's offer. Apart from `asked`: two nodes that both wait to
    /// send to each other ask at the same moment, and each must still join the other's.
    joined: HashMap<PeerId, Instant>,
    /// When the punches of the last minute were asked or joined.
    recent: VecDeque<Instant>,
    /// The same, per relay whose circuit carried the offer.
    per_relay: HashMap<PeerId, VecDeque<Instant>>,
    /// The punch that runs, and until when.
    running: Option<(PeerId, Instant)>,
}

fn forget_older(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= MINUTE)
    {
        times.pop_front();
    }
}

impl Policy {
    fn busy(&self, now: Instant) -> bool {
        self.running.is_some_and(|(_, until)| now < until)
    }

    /// Whether `peer` is not in `times` within the last [`PUNCH_AGAIN_AFTER`].
    fn fresh(times: &mut HashMap<PeerId, Instant>, now: Instant, peer: PeerId) -> bool {
        times.retain(|_, t| now.saturating_duration_since(*t) < PUNCH_AGAIN_AFTER);
        !times.contains_key(&peer)
    }

    fn budget_left(&mut self, now: Instant) -> bool {
        forget_older(&mut self.recent, now);
        self.recent.len() < MAX_PUNCHES_PER_MINUTE
    }

    /// Whether to ask `peer` for a punch now; counts it when so.
    pub(crate) fn ask(&mut self, now: Instant, peer: PeerId) -> bool {
        if self.busy(now) || !Self::fresh(&mut self.asked, now, peer) || !self.budget_left(now) {
            return false;
        }
        self.asked.insert(peer, now);
        self.recent.push_back(now);
        true
    }

    /// Whether to take up an offer of `targets.len()` addresses that `peer` sent over a
    /// circuit of `relay`; counts it when so (the relay is then asked where it sees the peer).
    pub(crate) fn join(
        &mut self,
        now: Instant,
        peer: PeerId,
        relay: PeerId,
        targets: usize,
        have_address: bool,
    ) -> Result<(), NoJoin> {
        if targets > MAX_TARGETS {
            return Err(NoJoin::TooManyTargets);
        }
        if !have_address {
            return Err(NoJoin::NoAddress);
        }
        for times in self.per_relay.values_mut() {
            forget_older(times, now);
        }
        self.per_relay.retain(|_, times| !times.is_empty());
        let relay_left = self
            .per_relay
            .get(&relay)
            .is_none_or(|times| times.len() < MAX_PUNCHES_PER_RELAY_MINUTE);
        let fresh = Self::fresh(&mut self.joined, now, peer);
        if self.busy(now) || !relay_left || !fresh || !self.budget_left(now) {
            return Err(NoJoin::NotNow);
        }
        self.per_relay.entry(relay).or_default().push_back(now);
        self.joined.insert(peer, now);
        self.recent.push_back(now);
        Ok(())
    }

    /// A punch with `peer` starts: no other until its window (and a little for the dial
    /// through a late hit) is over.
    pub(crate) fn run(&mut self, now: Instant, peer: PeerId) {
        self.running = Some((peer, now + PUNCH_WINDOW + Duration::from_millis(500)));
    }

    /// Whether a punch with `peer` still runs (its hit may yet come).
    pub(crate) fn runs_with(&self, now: Instant, peer: PeerId) -> bool {
        self.busy(now) && self.running.is_some_and(|(p, _)| p == peer)
    }

    /// Whether `peer` was asked or joined recently enough that a direct connection from it
    /// is the punch's result.
    pub(crate) fn punched_lately(&self, now: Instant, peer: PeerId, within: Duration) -> bool {
        [&self.asked, &self.joined].into_iter().any(|times| {
            times
                .get(&peer)
                .is_some_and(|t| now.saturating_duration_since(*t) < within)
        })
    }
}

/// Where probes for a peer may go: of what its offer names (at most [`MAX_TARGETS`]), the
/// addresses a peer's servers can have seen it at ([`punch_target`]; private ranges only when
/// `private`, for a service network that runs on one) whose IP is one the relay of the circuit
/// sees the peer at itself (`seen`). An offer naming anyone else aims at nobody.
pub(crate) fn aim(offered: &[SocketAddr], seen: &[SocketAddr], private: bool) -> Vec<SocketAddr> {
    let mut targets: Vec<SocketAddr> = offered
        .iter()
        .take(MAX_TARGETS)
        .filter(|a| punch_target(a.ip()) && (private || !is_private(a.ip())))
        .filter(|a| seen.iter().any(|s| same_ip(s.ip(), a.ip())))
        .copied()
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// Addresses of private networks (RFC 1918, shared address space, benchmarking, unique local):
/// not the internet, so by default no punch aims there.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b & 0xfe) == 18)
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Whether probes may go to `ip`: an address a peer's servers can have seen it at. Never our
/// own host, a broadcast, a multicast group, a link-local or a documentation address.
pub(crate) fn punch_target(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_link_local()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || v6.to_ipv4_mapped().is_some())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn probes_go_only_where_the_relay_sees_the_peer() {
        let seen = [at("85.1.2.3:40112"), at("[2a01:4f8::1]:4001")];
        // The peer's own addresses, the port as another relay saw it.
        assert_eq!(
            aim(
                &[at("85.1.2.3:23204"), at("[2a01:4f8::1]:4001")],
                &seen,
                false
            ),
            vec![at("85.1.2.3:23204"), at("[2a01:4f8::1]:4001")]
        );
        // A victim's address, next to the peer's own: only the peer's is kept.
        assert_eq!(
            aim(&[at("93.184.216.34:53"), at("85.1.2.3:4001")], &seen, false),
            vec![at("85.1.2.3:4001")]
        );
        // Nothing the relay saw: nobody to aim at.
        assert!(aim(&[at("10.0.0.9:4001")], &seen, true).is_empty());
        assert!(aim(&[at("85.1.2.3:4001")], &[], false).is_empty());
        // The relay's view does not make a forbidden address allowed.
        assert!(aim(&[at("127.0.0.1:4001")], &[at("127.0.0.1:5000")], true).is_empty());
        // Private networks only where the service network runs on one.
        for private in [
            "10.200.0.2:4001",
            "192.168.1.2:4001",
            "100.64.0.1:4001",
            "[fd00::1]:4001",
        ] {
            assert!(
                aim(&[at(private)], &[at(private)], false).is_empty(),
                "{private}"
            );
            assert_eq!(aim(&[at(private)], &[at(private)], true), vec![at(private)]);
        }
        // Only the first MAX_TARGETS of an offer count.
        let many = [at("85.1.2.9:1"), at("85.1.2.9:2"), at("85.1.2.3:3")];
        assert!(aim(&many, &seen, false).is_empty());
    }

    #[test]
    fn forbidden_targets() {
        for ok in [
            "10.200.0.7",
            "198.18.3.4",
            "100.64.1.2",
            "2a01:4f8::1",
            "85.1.2.3",
        ] {
            assert!(punch_target(ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.251",
            "255.255.255.255",
            "169.254.1.1",
            "192.0.2.1",
            "240.0.0.1",
            "::1",
            "::",
            "ff02::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!punch_target(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn offers_are_counted_per_peer_per_relay_and_in_all() {
        let now = Instant::now();
        let relay = PeerId::random();
        let mut p = Policy::default();
        assert_eq!(
            p.join(now, PeerId::random(), relay, MAX_TARGETS + 1, true),
            Err(NoJoin::TooManyTargets)
        );
        assert_eq!(
            p.join(now, PeerId::random(), relay, 1, false),
            Err(NoJoin::NoAddress)
        );
        let peer = PeerId::random();
        assert_eq!(p.join(now, peer, relay, 2, true), Ok(()));
        // The same peer's offer again.
        assert_eq!(p.join(now, peer, relay, 2, true), Err(NoJoin::NotNow));
        // Fresh peer ids over one relay: three a minute.
        for _ in 1..MAX_PUNCHES_PER_RELAY_MINUTE {
            assert_eq!(p.join(now, PeerId::random(), relay, 1, true), Ok(()));
        }
        assert_eq!(
            p.join(now, PeerId::random(), relay, 1, true),
            Err(NoJoin::NotNow)
        );
        // Other relays: up to the node's budget.
        let used = MAX_PUNCHES_PER_RELAY_MINUTE;
        for _ in used..MAX_PUNCHES_PER_MINUTE {
            assert_eq!(
                p.join(now, PeerId::random(), PeerId::random(), 1, true),
                Ok(())
            );
        }
        assert_eq!(
            p.join(now, PeerId::random(), PeerId::random(), 1, true),
            Err(NoJoin::NotNow)
        );
        assert!(!p.ask(now, PeerId::random()));
        // A minute later the budgets are back; the peer's wait is long over.
        let later = now + MINUTE;
        assert_eq!(p.join(later, peer, relay, 1, true), Ok(()));
    }

    #[test]
    fn two_nodes_asking_each_other_at_once_still_join() {
        let now = Instant::now();
        let (peer, relay) = (PeerId::random(), PeerId::random());
        let mut p = Policy::default();
        assert!(p.ask(now, peer));
        // Its offer crossed ours: taken up, once.
        assert_eq!(p.join(now, peer, relay, 1, true), Ok(()));
        assert_eq!(p.join(now, peer, relay, 1, true), Err(NoJoin::NotNow));
        assert!(!p.ask(now, peer));
        assert!(p.punched_lately(now, peer, PUNCH_AGAIN_AFTER));
    }

    #[test]
    fn one_punch_at_a_time() {
        let now = Instant::now();
        let (a, b) = (PeerId::random(), PeerId::random());
        let mut p = Policy::default();
        assert!(p.ask(now, a));
        p.run(now, a);
        assert!(p.runs_with(now, a));
        assert!(!p.runs_with(now, b));
        assert!(!p.ask(now, b));
        assert_eq!(
            p.join(now, b, PeerId::random(), 1, true),
            Err(NoJoin::NotNow)
        );
        let after = now + PUNCH_WINDOW + Duration::from_secs(1);
        assert!(!p.runs_with(after, a));
        assert!(p.ask(after, b));
    }
}
