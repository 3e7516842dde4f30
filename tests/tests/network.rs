//! Mail between nodes of one service network: a `wims-service` server and two `wims` nodes on
//! loopback, accounts hosted from profiles, real clients (tests/py/network.py).
//!
//! - alice@alpha.h on node A (hosted while A is stopped),
//! - bob@beta.h and carol@gamma.h on node B (hosted while B runs),
//! - alpha.h and beta.h are partners; gamma.h is nobody's partner.

use std::path::{Path, PathBuf};

use wims_tests::demo::{
    demo_node_pid, start_demo, start_demo_in, stop_demo, wait_for_output, wait_until,
};
use wims_tests::{Node, NodeBuilder, Service, files_containing, profile_address, python_nodes};

const ALICE_PW: &str = "alice-network-horse";
const BOB_PW: &str = "bob-network-staple";
const CAROL_PW: &str = "carol-network-battery";

struct Net {
    service: Service,
    a: Node,
    b: Node,
    profiles: Vec<PathBuf>,
}

impl Net {
    /// The service with the three accounts and the alpha.h/beta.h partnership, node A built
    /// from `a` with alice hosted before its first start, node B running with bob and carol
    /// hosted through its admin socket.
    fn start(a: NodeBuilder) -> Net {
        let service = Service::start();
        let alice = service.create_account("alice@alpha.h", "Alice Alpha");
        let bob = service.create_account("bob@beta.h", "Bob Beta");
        let carol = service.create_account("carol@gamma.h", "Carol Gamma");
        service.partner("alpha.h", "beta.h");
        let a = a.host(&alice, ALICE_PW).start();
        let mut b = Node::start();
        b.host(&bob, BOB_PW);
        b.host(&carol, CAROL_PW);
        eprintln!(
            "service: {}\nnode A (alice): {}\nnode B (bob, carol): {}",
            service.data_dir().display(),
            a.data_dir().display(),
            b.data_dir().display()
        );
        Net {
            service,
            a,
            b,
            profiles: vec![alice, bob, carol],
        }
    }

    /// Runs network.py phases against both nodes; state is kept in node A's work folder.
    fn py(&self, phases: &[&str]) -> String {
        python_nodes(
            "network.py",
            phases,
            &[("A", &self.a), ("B", &self.b)],
            self.a.work_dir(),
        )
    }

    /// What `send` saved: markers, subject, digest.
    fn state(&self) -> serde_json::Value {
        let path = self.a.work_dir().join("network.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("network.json is JSON")
    }
}

fn field(state: &serde_json::Value, key: &str) -> String {
    state[key]
        .as_str()
        .unwrap_or_else(|| panic!("network.json has no {key}: {state}"))
        .to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn service_profiles_name_the_running_server() {
    // The harness's own service half, which works without any node.
    let mut service = Service::start();
    let ep = service.endpoints().clone();
    assert!(ep.peer_id.starts_with("12D3KooW"), "{ep:?}");
    assert!(
        ep.addrs
            .iter()
            .all(|a| !a.contains("/udp/0/") && !a.ends_with("/tcp/0")),
        "endpoints.json names port 0: {ep:?}"
    );
    let profile = service.create_account("dora@delta.h", "Dora Delta");
    assert_eq!(profile_address(&profile), "dora@delta.h");
    let text = std::fs::read_to_string(&profile).unwrap();
    assert!(
        text.contains(&ep.peer_id),
        "profile lacks the PeerId:\n{text}"
    );
    for addr in &ep.addrs {
        assert!(
            text.contains(addr.as_str()),
            "profile lacks {addr}:\n{text}"
        );
    }
    assert!(text.contains("hosting_secret"), "{text}");
    service.partner("delta.h", "epsilon.h");
    let list = service.account_list();
    assert!(list.contains("dora@delta.h"), "{list}");
    service.stop();
    // Admin commands work on the stopped server too.
    assert!(service.account_list().contains("dora@delta.h"));
    service.start_again();
    assert_ne!(service.endpoints().addrs, Vec::<String>::new());
    service.stop();
}

#[test]
fn partner_mail_arrives_whole_and_is_receipted() {
    let net = Net::start(Node::builder());
    assert!(
        net.a.peer_id().is_some() && !net.a.overlay_addrs().is_empty(),
        "node A publishes no peer_id/overlay in run/endpoints.json"
    );
    let list = net.service.account_list();
    assert!(
        list.lines()
            .filter(|l| l.contains("@"))
            .all(|l| l.contains("hosted")),
        "every account should be hosted now:\n{list}"
    );

    net.py(&["refuse", "send", "receive", "delivered", "once"]);

    let out = net.a.wims(&["receipts", "alice@alpha.h"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wims receipts alice@alpha.h failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("bob@beta.h"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "wims receipts alice@alpha.h should list bob's one receipt:\n{stdout}"
    );
}

#[test]
fn neither_the_service_nor_the_stores_hold_plaintext() {
    let mut net = Net::start(Node::builder());
    net.py(&["send", "receive", "delivered"]);
    let st = net.state();
    let subject = field(&st, "marker_subject");
    let body = field(&st, "marker_body");
    let b64 = field(&st, "b64_line");
    let sample = unhex(&field(&st, "attachment_sample_hex"));

    // The search itself works: the message the client kept has the markers.
    for needle in [&subject, &body, &b64] {
        assert!(
            !files_containing(net.a.work_dir(), needle.as_bytes()).is_empty(),
            "positive control: {needle} not found in the client's copy"
        );
    }

    // Stopped, so whatever a process writes only at shutdown is on disk too.
    net.a.stop();
    net.b.stop();
    net.service.stop();

    let mut leaks = Vec::new();
    let service_needles: [(&str, &[u8]); 4] = [
        ("subject marker", subject.as_bytes()),
        ("body marker", body.as_bytes()),
        ("attachment (base64 line)", b64.as_bytes()),
        ("attachment (raw bytes)", &sample),
    ];
    for (what, needle) in service_needles {
        for f in files_containing(net.service.data_dir(), needle) {
            leaks.push(format!("service: {what} in {}", f.display()));
        }
    }
    // Nodes keep bodies encrypted at rest (docs/storage.md); the header cache and envelope in
    // the database are not encrypted, so the Subject may be there by design.
    let node_needles: [(&str, &[u8]); 3] = [
        ("body marker", body.as_bytes()),
        ("attachment (base64 line)", b64.as_bytes()),
        ("attachment (raw bytes)", &sample),
    ];
    for (name, node) in [("A", &net.a), ("B", &net.b)] {
        for (what, needle) in node_needles {
            for f in files_containing(node.data_dir(), needle) {
                leaks.push(format!("node {name}: {what} in {}", f.display()));
            }
        }
        for f in files_containing(node.data_dir(), subject.as_bytes()) {
            eprintln!(
                "note: node {name} keeps the Subject in plaintext in {}",
                f.display()
            );
        }
    }
    // Account keys are wrapped with the storage key (docs/security.md).
    for (name, node) in [("A", &net.a), ("B", &net.b)] {
        let keys = node.data_dir().join("keys/accounts");
        let files: Vec<_> = std::fs::read_dir(&keys).unwrap().flatten().collect();
        assert!(!files.is_empty(), "node {name} has account keys");
        for f in files {
            let bytes = std::fs::read(f.path()).unwrap();
            if !bytes.starts_with(b"WIMSKWR1") {
                leaks.push(format!(
                    "node {name}: unwrapped account key {}",
                    f.path().display()
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "plaintext found at rest:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn accounts_log_in_only_on_their_own_node() {
    let net = Net::start(Node::builder());
    net.py(&["cross-login"]);

    // A profile's hosting secret works once: node B cannot take over alice.
    let alice = &net.profiles[0];
    let shown = alice.display().to_string();
    let out = net.b.wims(
        &["account", "host", &shown, "--password-stdin"],
        Some("another-password\n"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "node B hosted alice@alpha.h a second time with a used profile: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !stderr.contains("panicked"),
        "wims account host panicked: {stderr}"
    );
    net.py(&["cross-login"]);
}

#[test]
fn delivery_resumes_when_the_recipient_node_returns() {
    let mut net = Net::start(Node::builder().delivery_retry(1, 2));
    net.b.stop();
    net.py(&["send", "not-delivered"]);
    // Node B is away: the parts go to bob's backup server, which holds only ciphertext.
    wait_until("the service holds the message for bob", || {
        !held_chunks(&net.service).is_empty()
    });
    net.py(&["not-delivered"]);
    assert!(
        net.a
            .log()
            .contains("handed off to the recipient's servers"),
        "node A did not hand the message to the service:\n{}",
        net.a.log_tail()
    );
    // B comes back on new ports and collects the message from the service.
    net.b.start_again();
    net.py(&["receive", "delivered", "once"]);
    assert!(
        net.b
            .log()
            .contains("message collected from service servers"),
        "node B did not collect the message:\n{}",
        net.b.log_tail()
    );
    wait_until("the service drops what bob collected", || {
        held_chunks(&net.service).is_empty()
    });
    for node in [&net.a, &net.b] {
        assert!(
            !node.log().contains("panicked"),
            "a node panicked:\n{}",
            node.log_tail()
        );
    }
}

/// The chunk files a service server holds.
fn held_chunks(service: &Service) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(service.data_dir().join("held")) else {
        return out;
    };
    for d in dirs.flatten() {
        for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "chunk") {
                out.push(f.path());
            }
        }
    }
    out
}

#[test]
fn a_tampered_part_on_the_service_is_refused_and_the_message_still_arrives() {
    let mut net = Net::start(Node::builder().delivery_retry(1, 2));
    net.b.stop();
    net.py(&["send"]);
    wait_until("the service holds the message for bob", || {
        !held_chunks(&net.service).is_empty()
    });
    // Someone with access to the server's disk flips bytes of a held part.
    for chunk in held_chunks(&net.service) {
        let mut bytes = std::fs::read(&chunk).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&chunk, &bytes).unwrap();
    }
    net.b.start_again();
    // B refuses the damaged part and takes it again from the sender, who retries directly.
    net.py(&["receive", "delivered", "once"]);
    assert!(
        net.b
            .log()
            .contains("held chunk does not match the manifest; refused"),
        "node B did not notice the damaged part:\n{}",
        net.b.log_tail()
    );
}

/// A service server that restarts (a stop and start, then a crash and start) is found again
/// by the nodes by themselves: a message submitted right after it is back is accepted at once
/// and delivered.
#[test]
fn a_send_right_after_a_service_restart_is_accepted_and_delivered() {
    let mut net = Net::start(Node::builder().delivery_retry(1, 2));
    net.service.pin_ports();
    net.service.stop();
    net.service.start_again();
    net.py(&["send"]);
    net.py(&["receive", "delivered", "once"]);
    net.service.kill();
    net.service.start_again();
    net.py(&["send"]);
    net.py(&["receive", "delivered"]);
}

#[test]
fn demo_runs_a_small_network_and_delivers_its_welcome() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut demo, json, script_work) = start_demo_in(tmp.path());
    let dir = tmp.path().join("demo");
    let log = tmp.path().join("demo.log");
    let json_arg = json.display().to_string();
    wims_tests::run_python("network.py", &["demo", &json_arg], &script_work, &[]);
    let first = std::fs::read_to_string(&json).unwrap();
    // Each node's certificate fingerprint is shown, to compare with the mail client's.
    wait_for_output(&mut demo, "SHA-256", 2);
    let output = std::fs::read_to_string(&demo.log).unwrap_or_default();
    assert!(
        !output.contains("no release announced"),
        "a network without a release announcement is no news:
{output}"
    );

    // A node killed from outside is reported and started again on the same ports, so the
    // mail client (demo.json) goes on working.
    let pid = demo_node_pid(&demo, "node-b");
    // SAFETY: kill(2) on a pid read from /proc just now, a child of our own child.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_for_output(&mut demo, "stopped unexpectedly", 1);
    wait_for_output(&mut demo, "runs again, on the same ports", 1);
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        !zombie.contains(") Z "),
        "the killed node was not reaped: {zombie}"
    );
    wims_tests::run_python("network.py", &["demo", &json_arg], &script_work, &[]);
    stop_demo(&mut demo);

    // A second run on the same folder keeps every port: the client's settings still hold.
    let mut demo = start_demo(Some(&dir), &log, tmp.path());
    wait_for_output(&mut demo, "Press Ctrl-C", 2);
    let second = std::fs::read_to_string(&json).unwrap();
    let ports = |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                ["imap", "imaps", "submission", "submissions"]
                    .map(|k| a[k].as_str().unwrap().to_string())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(ports(&first), ports(&second), "the demo's ports changed");
    stop_demo(&mut demo);

    // Without --data the demo works in a temporary folder and removes it when it ends.
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut demo = start_demo(None, &log, &scratch);
    wait_for_output(&mut demo, "Press Ctrl-C", 3);
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 1);
    stop_demo(&mut demo);
    let left: Vec<_> = std::fs::read_dir(&scratch).unwrap().flatten().collect();
    assert!(left.is_empty(), "the demo left {left:?} behind");
}

/// Writes a drop file the careful way: a `.part` name, renamed when complete.
fn put_drop(dir: &Path, name: &str, from: &str, to: &str, subject: &str) {
    let text = format!(
        "<?xml version=\"1.0\"?>\n<message>\n  <passphrase>{DROP_PASS}</passphrase>\n  \
         <from>{from}</from>\n  <to>{to}</to>\n  <subject>{subject}</subject>\n  \
         <type>invoice</type>\n  <text>Invoice attached in spirit.</text>\n</message>\n"
    );
    let part = dir.join(format!("{name}.part"));
    std::fs::write(&part, text).unwrap();
    std::fs::rename(&part, dir.join(name)).unwrap();
}

const DROP_PASS: &str = "green ladder nine";

#[test]
fn drop_files_go_to_partners_on_other_nodes_and_no_further() {
    let net = Net::start(Node::builder().extra_toml("[drop]\npoll_interval = 1\nsettle = 1\n"));
    let out = net.a.wims(
        &[
            "account",
            "drop",
            "enable",
            "alice@alpha.h",
            "--passphrase-stdin",
        ],
        Some(&format!("{DROP_PASS}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let drop = net.a.data_dir().join("drop");
    wait_until("the drop folder", || drop.join("rejected").is_dir());
    put_drop(
        &drop,
        "to-bob.xml",
        "alice@alpha.h",
        "bob@beta.h",
        "Invoice 7",
    );
    put_drop(
        &drop,
        "to-carol.xml",
        "alice@alpha.h",
        "carol@gamma.h",
        "Invoice 8",
    );

    // Carol is neither of alpha.h nor a partner: refused, with the reason beside the file.
    wait_until("the refused drop file", || {
        drop.join("rejected/to-carol.error.txt").is_file()
    });
    let why = std::fs::read_to_string(drop.join("rejected/to-carol.error.txt")).unwrap();
    assert!(
        why.contains("carol@gamma.h") && why.contains("partner"),
        "{why}"
    );

    // Bob's node files the message and answers with a receipt alice's node verifies.
    wait_until("the sent drop file", || {
        drop.join("sent/to-bob.xml").is_file()
    });
    wait_until("bob's receipt", || {
        let out = net.a.wims(&["receipts", "alice@alpha.h"], None);
        String::from_utf8_lossy(&out.stdout).contains("bob@beta.h")
    });
}

#[test]
fn wims_send_delivers_attachments_and_refuses_non_partners() {
    let net = Net::start(Node::builder());
    let nodes = [("A", &net.a), ("B", &net.b)];
    let file = net.a.work_dir().join("report.bin");
    let size = (9 * 1024 * 1024 + 123).to_string();
    let path = file.to_str().expect("UTF-8 path");
    python_nodes(
        "large.py",
        &["prepare", "send", &size, path],
        &nodes,
        net.a.work_dir(),
    );
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(net.a.work_dir().join("large-send.json")).expect("state"),
    )
    .expect("state is JSON");
    let subject = field(&state, "subject");
    let out = net.a.send_alice_to_bob(
        &subject,
        "The report.",
        &["--type", "invoice", "--attach", path],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wims send failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("bob@beta.h: delivered") || stdout.contains("bob@beta.h: handed off"),
        "wims send did not report how the copy left:\n{stdout}"
    );
    python_nodes("large.py", &["receive", "send"], &nodes, net.a.work_dir());
    python_nodes("large.py", &["delivered", "send"], &nodes, net.a.work_dir());

    // A recipient the network does not allow is refused before anything is queued.
    let out = net.a.wims(
        &[
            "send",
            "--from",
            "alice@alpha.h",
            "--to",
            "carol@gamma.h",
            "--body",
            "no",
        ],
        None,
    );
    assert!(!out.status.success(), "sending to a non-partner succeeded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("carol@gamma.h is neither in the sender's domain nor a partner"),
        "unexpected refusal text: {stderr}"
    );
}
