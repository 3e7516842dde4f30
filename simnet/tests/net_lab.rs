//! Real checks of the lab network: NAT mapping and filtering per kind, cutting uplinks, and
//! cleanup. Needs root and the lab's programs (iproute2, nftables, iptables, procps); without
//! them the tests only print a note saying what is missing, unless CI is set, where skipping
//! would hide a broken setup.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::process::{Child, Stdio};
use std::time::Instant;

use simnet::net::{self, Lab, LinkSpec, NatKind, NetError, SiteSpec};

/// Answers every datagram on each port given with the sender's address as "ip:port".
const ECHO: &str = r#"
import socket, sys, threading, time
def serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(("%s:%d" % peer).encode(), peer)
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
time.sleep(0.2)
print("ready", flush=True)
time.sleep(600)
"#;

/// From one local port, asks the echo server on two ports how it sees us and prints both
/// answers on one line; then collects unsolicited "poke-*" datagrams for a while and prints
/// them on a second line ("-" if none).
const PROBE: &str = r#"
import socket, sys, time
ip, p1, p2, lport, listen, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", lport))
seen = []
for p in (p1, p2):
    s.settimeout(wait)
    s.sendto(b"?", (ip, p))
    try:
        seen.append(s.recvfrom(2048)[0].decode())
    except socket.timeout:
        seen.append("timeout")
print(" ".join(seen), flush=True)
got = set()
end = time.time() + listen
while True:
    left = end - time.time()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data = s.recvfrom(2048)[0].decode()
    except socket.timeout:
        break
    if data.startswith("poke-"):
        got.add(data)
print(" ".join(sorted(got)) or "-", flush=True)
"#;

/// Sends argv[2] from local port argv[1] to each "ip:port" that follows (thrice, though the
/// lab loses nothing unless shaped to).
const POKE: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
for target in sys.argv[3:]:
    ip, port = target.split(":")
    for _ in range(3):
        s.sendto(sys.argv[2].encode(), (ip, int(port)))
"#;

/// Prints the smallest round-trip time in ms of argv[3] sequential requests to argv[1]:argv[2]
/// ("timeout" if one goes unanswered).
const RTT: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
best = None
for _ in range(int(sys.argv[3])):
    start = time.monotonic()
    s.sendto(b"?", (sys.argv[1], int(sys.argv[2])))
    try:
        s.recvfrom(2048)
    except socket.timeout:
        print("timeout", flush=True)
        sys.exit(0)
    took = (time.monotonic() - start) * 1000
    best = took if best is None else min(best, took)
print("%.1f" % best, flush=True)
"#;

/// Sends argv[3] requests to argv[1]:argv[2] at once and prints how many answers come back
/// within a second.
const BURST: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[3])):
    s.sendto(b"?", (sys.argv[1], int(sys.argv[2])))
got = 0
end = time.time() + 1.0
while True:
    left = end - time.time()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        s.recvfrom(2048)
        got += 1
    except socket.timeout:
        break
print(got, flush=True)
"#;

const P1: u16 = 7001;
const P2: u16 = 7002;
const POKE_PORT: u16 = 7003;
const LOCAL_PORT: u16 = 40000;

fn may_run() -> bool {
    // Root and the programs the lab runs (ip, tc, nft, iptables, sysctl).
    let Err(unmet) = simnet::prereq::check(&simnet::prereq::RUN_TOOLS) else {
        return true;
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "the lab network tests cannot run, and CI is set: {unmet}"
    );
    eprintln!("note: skipping the lab network test: {unmet}");
    false
}

/// A tag unique to this process (pid in base 36 fits 5 characters) and this test.
fn tag(letter: char) -> String {
    let mut pid = std::process::id();
    let mut digits = Vec::new();
    while pid > 0 {
        digits.push(char::from_digit(pid % 36, 36).unwrap());
        pid /= 36;
    }
    std::iter::once(letter)
        .chain(digits.into_iter().rev())
        .collect()
}

fn site(host: &str, nat: NatKind) -> SiteSpec {
    SiteSpec {
        host: host.to_owned(),
        nat,
        link: LinkSpec::default(),
    }
}

fn site_host(kind: NatKind) -> String {
    format!("site-{}", kind.name())
}

fn ours(tag: &str) -> Vec<String> {
    let prefix = format!("wsim-{tag}-");
    net::leftovers()
        .unwrap()
        .into_iter()
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

fn spawn_python(lab: &Lab, host: &str, script: &str, args: &[String]) -> Child {
    lab.command(host, "python3")
        .unwrap()
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn python_output(lab: &Lab, host: &str, script: &str, args: &[String]) -> String {
    let out = lab
        .command(host, "python3")
        .unwrap()
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "python on {host} failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn min_rtt_ms(lab: &Lab, host: &str, echo: Ipv4Addr) -> f64 {
    let args = [echo.to_string(), P1.to_string(), "5".to_owned()];
    let out = python_output(lab, host, RTT, &args);
    out.parse()
        .unwrap_or_else(|_| panic!("{host}: no round trip ({out})"))
}

fn run_python(lab: &Lab, host: &str, script: &str, args: &[String]) {
    let status = lab
        .command(host, "python3")
        .unwrap()
        .arg("-c")
        .arg(script)
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "python on {host} failed: {status}");
}

struct Probe {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Probe {
    fn start(lab: &Lab, host: &str, echo: Ipv4Addr, listen: f32, wait: f32) -> Probe {
        let args = [
            echo.to_string(),
            P1.to_string(),
            P2.to_string(),
            LOCAL_PORT.to_string(),
            listen.to_string(),
            wait.to_string(),
        ];
        let mut child = spawn_python(lab, host, PROBE, &args);
        let out = BufReader::new(child.stdout.take().unwrap());
        Probe { child, out }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    /// The two "ip:port" answers of the echo server, None where it did not answer.
    fn answers(&mut self) -> [Option<(Ipv4Addr, u16)>; 2] {
        let line = self.line();
        let mut parsed = line.split(' ').map(|word| {
            let (ip, port) = word.split_once(':')?;
            Some((ip.parse().ok()?, port.parse().ok()?))
        });
        [parsed.next().flatten(), parsed.next().flatten()]
    }

    fn pokes(mut self) -> BTreeSet<String> {
        let line = self.line();
        self.child.wait().unwrap();
        line.split(' ')
            .filter(|w| w.starts_with("poke-"))
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn nat_kinds_map_and_filter_and_uplinks_cut() {
    if !may_run() {
        return;
    }
    let tag = tag('n');
    let publics = ["echo".to_owned(), "other".to_owned()];
    let mut sites: Vec<SiteSpec> = NatKind::ALL
        .into_iter()
        .map(|kind| site(&site_host(kind), kind))
        .collect();
    let mut slow = site("slow", NatKind::PortRestricted);
    slow.link.delay_ms = 50;
    sites.push(slow);
    let mut lossy = site("lossy", NatKind::FullCone);
    lossy.link.loss_pct = 50.0;
    lossy.link.rate_kbit = 2000;
    sites.push(lossy);
    let started = Instant::now();
    let lab = Lab::build(&tag, &publics, &sites).unwrap();
    eprintln!(
        "built {} namespaces in {:?}",
        lab.namespaces().len(),
        started.elapsed()
    );
    let echo = lab.addr("echo").unwrap();
    assert_eq!(lab.public_addr("echo"), Some(echo));
    assert!(lab.addr("nobody").is_none());
    assert!(matches!(lab.cut("nobody"), Err(NetError::UnknownHost(_))));

    let mut server = spawn_python(&lab, "echo", ECHO, &[P1.to_string(), P2.to_string()]);
    let mut ready = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");

    let mut probes: Vec<(NatKind, Probe)> = NatKind::ALL
        .into_iter()
        .map(|kind| (kind, Probe::start(&lab, &site_host(kind), echo, 1.5, 2.0)))
        .collect();
    let mut externals = Vec::new();
    for (kind, probe) in &mut probes {
        let host = site_host(*kind);
        let [first, second] = probe.answers();
        let (Some(first), Some(second)) = (first, second) else {
            panic!("{kind:?}: no echo answer ({first:?}, {second:?})");
        };
        // (1) the echo server sees the router's WAN address (the host's own without NAT).
        let public = lab.public_addr(&host).unwrap();
        assert_eq!(first.0, public, "{kind:?}");
        assert_eq!(second.0, public, "{kind:?}");
        if *kind == NatKind::None {
            assert_eq!(public, lab.addr(&host).unwrap());
        } else {
            assert_ne!(public, lab.addr(&host).unwrap());
        }
        // (2) mapping: the same external port towards both echo ports, except symmetric.
        if *kind == NatKind::Symmetric {
            assert_ne!(first.1, second.1, "symmetric NAT kept the port");
        } else {
            assert_eq!(
                first.1, second.1,
                "{kind:?} mapping is not endpoint-independent"
            );
        }
        if *kind == NatKind::FullCone {
            assert_eq!(first.1, LOCAL_PORT, "full cone did not preserve the port");
        }
        externals.push(format!("{}:{}", first.0, first.1));
    }

    // (3) filtering: pokes at the mapping seen by echo:P1, from echo's other port and from
    // a public host never contacted.
    let mut echo_poke = vec![POKE_PORT.to_string(), "poke-echo".to_owned()];
    echo_poke.extend(externals.iter().cloned());
    run_python(&lab, "echo", POKE, &echo_poke);
    let mut other_poke = vec![POKE_PORT.to_string(), "poke-other".to_owned()];
    other_poke.extend(externals.iter().cloned());
    run_python(&lab, "other", POKE, &other_poke);
    for (kind, probe) in probes {
        let expected: &[&str] = match kind {
            NatKind::None | NatKind::FullCone => &["poke-echo", "poke-other"],
            NatKind::AddressRestricted => &["poke-echo"],
            NatKind::PortRestricted | NatKind::Symmetric => &[],
        };
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(probe.pokes(), expected, "{kind:?} filtering");
    }

    // Shaping: 50 ms each way on the slow site's uplink, nothing on the others.
    let slow_rtt = min_rtt_ms(&lab, "slow", echo);
    assert!(
        (100.0..400.0).contains(&slow_rtt),
        "slow site rtt {slow_rtt} ms"
    );
    let fast_rtt = min_rtt_ms(&lab, &site_host(NatKind::PortRestricted), echo);
    assert!(fast_rtt < 50.0, "unshaped site rtt {fast_rtt} ms");
    // 50 % loss each way: about a quarter of 80 requests come back; none or all would
    // mean loss is not applied (either is about 1e-10 likely by chance).
    let burst = [echo.to_string(), P1.to_string(), "80".to_owned()];
    let answers: u32 = python_output(&lab, "lossy", BURST, &burst).parse().unwrap();
    eprintln!("lossy site: {answers} of 80 answered; rtt slow {slow_rtt} ms, fast {fast_rtt} ms");
    assert!(
        (1..60).contains(&answers),
        "lossy site: {answers} of 80 answered"
    );

    // Cut, twice to check idempotence, on a NATed and a directly attached site.
    let cut_hosts = [site_host(NatKind::PortRestricted), site_host(NatKind::None)];
    for host in &cut_hosts {
        lab.cut(host).unwrap();
        lab.cut(host).unwrap();
    }
    let mut cut_probes: Vec<Probe> = cut_hosts
        .iter()
        .map(|host| Probe::start(&lab, host, echo, 0.0, 0.7))
        .collect();
    // Another site, probed meanwhile, is unaffected.
    let mut bystander = Probe::start(&lab, &site_host(NatKind::FullCone), echo, 0.0, 2.0);
    for (host, probe) in cut_hosts.iter().zip(&mut cut_probes) {
        assert_eq!(probe.answers(), [None, None], "{host} answered while cut");
    }
    cut_probes.into_iter().for_each(|p| drop(p.pokes()));
    assert!(
        bystander.answers()[0].is_some(),
        "cutting one site cut another"
    );
    bystander.pokes();
    for host in &cut_hosts {
        lab.restore(host).unwrap();
        lab.restore(host).unwrap();
    }
    let restored: Vec<Probe> = cut_hosts
        .iter()
        .map(|host| Probe::start(&lab, host, echo, 0.0, 2.0))
        .collect();
    for (host, mut probe) in cut_hosts.iter().zip(restored) {
        let [first, second] = probe.answers();
        assert!(first.is_some() && second.is_some(), "{host} not restored");
        assert_eq!(first.unwrap().0, lab.public_addr(host).unwrap());
        probe.pokes();
    }
    lab.restore("echo").unwrap();

    let namespaces = lab.namespaces();
    assert_eq!(namespaces.len(), 1 + 2 + 5 + 4 + 2 + 2);
    assert_eq!(ours(&tag).len(), namespaces.len());
    lab.teardown().unwrap();
    // Teardown killed the server; only reaping is left.
    assert!(server.try_wait().unwrap().is_some(), "echo server survived");
    assert_eq!(ours(&tag), Vec::<String>::new());
}

fn small_lab(tag: &str) -> Lab {
    Lab::build(
        tag,
        &["srv".to_owned()],
        &[site("a very/long host name for sure", NatKind::Symmetric)],
    )
    .unwrap()
}

fn sleeper(lab: &Lab) -> Child {
    lab.command("a very/long host name for sure", "sleep")
        .unwrap()
        .arg("60")
        .spawn()
        .unwrap()
}

#[test]
fn dropping_a_lab_removes_it() {
    if !may_run() {
        return;
    }
    let tag = tag('d');
    let lab = small_lab(&tag);
    assert_eq!(ours(&tag).len(), 4);
    // Loopback is up in the host's namespace: a local TCP connection works.
    let loopback = "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n\
                    socket.create_connection(s.getsockname(), timeout=2)\nprint('ok')";
    let out = python_output(&lab, "a very/long host name for sure", loopback, &[]);
    assert_eq!(out, "ok");
    let mut child = sleeper(&lab);
    drop(lab);
    assert!(child.try_wait().unwrap().is_some(), "process survived drop");
    assert_eq!(ours(&tag), Vec::<String>::new());
}

#[test]
fn sweep_removes_a_leaked_lab() {
    if !may_run() {
        return;
    }
    let tag = tag('s');
    let lab = small_lab(&tag);
    let mut child = sleeper(&lab);
    let mut namespaces = lab.namespaces();
    std::mem::forget(lab);
    namespaces.sort();
    let mut left = ours(&tag);
    left.sort();
    assert_eq!(left, namespaces);
    let again = Lab::build(&tag, &[], &[site("x", NatKind::None)]);
    assert!(matches!(again, Err(NetError::TagInUse { .. })), "{again:?}");

    let mut swept = net::sweep(Some(&tag)).unwrap();
    swept.sort();
    assert_eq!(swept, namespaces);
    assert!(
        child.try_wait().unwrap().is_some(),
        "process survived sweep"
    );
    assert_eq!(ours(&tag), Vec::<String>::new());
    assert!(matches!(
        net::sweep(Some("Bad")),
        Err(NetError::InvalidTag(_))
    ));
}
