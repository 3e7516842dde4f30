//! The XML drop folder: the documented example, every rejection reason in two languages,
//! slowly written files, files seen through OS notifications long before the next poll, and a
//! thousand files through a crash, each sent exactly once.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use wims_tests::Node;

const PASS: &str = "blue tractor seven";
/// Liveness bound for the node to work through the folder; not a speed check.
const WAIT: Duration = Duration::from_secs(900);

fn start(drop_keys: &str, more_toml: &str) -> Node {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-correct-horse")
        .account("bob@kapur.h", "bob-battery-staple")
        .account("carol@kapur.h", "carol-staple-battery")
        .extra_toml(&format!(
            "[drop]\n{}{}{drop_keys}\n{more_toml}",
            if drop_keys.contains("poll_interval") {
                ""
            } else {
                "poll_interval = 1\n"
            },
            if drop_keys.contains("settle") {
                ""
            } else {
                "settle = 1\n"
            }
        ))
        .start();
    enable(&node, "alice@kapur.h", PASS, None);
    let d = dropdir(&node);
    wait_for("the drop folder", || d.join("rejected").is_dir());
    node
}

fn enable(node: &Node, address: &str, pass: &str, rate: Option<u32>) {
    let rate = rate.map(|r| r.to_string());
    let mut args = vec!["account", "drop", "enable", address, "--passphrase-stdin"];
    if let Some(r) = &rate {
        args.extend(["--rate-per-hour", r]);
    }
    let out = node.wims(&args, Some(&format!("{pass}\n")));
    assert!(
        out.status.success(),
        "drop enable failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn dropdir(node: &Node) -> PathBuf {
    node.data_dir().join("drop")
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < WAIT, "gave up waiting for {what}");
        sleep(Duration::from_millis(100));
    }
}

fn count(dir: &Path, suffix: &str) -> usize {
    fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                .count()
        })
        .unwrap_or(0)
}

/// Writes like a careful program: a `.part` name, renamed when complete.
fn put(dir: &Path, name: &str, text: &str) {
    let part = dir.join(format!("{name}.part"));
    fs::write(&part, text).unwrap();
    fs::rename(&part, dir.join(name)).unwrap();
}

fn message(from: &str, pass: &str, to: &str, subject: &str, extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<message>\n  <passphrase>{pass}</passphrase>\n  \
         <from>{from}</from>\n  <to>{to}</to>\n  <subject>{subject}</subject>\n  \
         <text>Hello.</text>\n{extra}</message>\n"
    )
}

/// The default attachment folder.
fn attachments(node: &Node) -> PathBuf {
    dropdir(node).join("attachments")
}

/// The example exactly as docs/drop-folder.md shows it; its attachment is
/// `invoices/invoice-117.pdf` in the attachment folder.
fn docs_example() -> String {
    let doc = include_str!("../../docs/drop-folder.md");
    let after = doc
        .split("<!-- drop-example -->")
        .nth(1)
        .expect("example marker");
    let xml = after
        .split("```xml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("xml block");
    assert!(xml.contains("<attachment>invoices/invoice-117.pdf</attachment>"));
    xml.to_string()
}

#[test]
fn documented_example_arrives_with_its_type_keyword() {
    let node = start("", "");
    let pdf = attachments(&node).join("invoices/invoice-117.pdf");
    fs::create_dir_all(pdf.parent().unwrap()).unwrap();
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..300_000u32).map(|i| (i % 253) as u8));
    fs::write(&pdf, &bytes).unwrap();
    let d = dropdir(&node);
    // Typed by hand: saved straight under its final name.
    fs::write(d.join("invoice-117.xml"), docs_example()).unwrap();
    wait_for("the example to be sent", || {
        d.join("sent/invoice-117.xml").exists() || count(&d.join("rejected"), ".txt") > 0
    });
    assert_eq!(
        count(&d.join("rejected"), ""),
        0,
        "the example was rejected"
    );
    assert_eq!(count(&d.join("processing"), ""), 0);
    // What sent/ keeps is a record without the passphrase and the message.
    let kept = fs::read_to_string(d.join("sent/invoice-117.xml")).unwrap();
    assert!(kept.contains("<subject>Invoice 117</subject>"), "{kept}");
    assert!(kept.contains("<passphrase></passphrase>"), "{kept}");
    assert!(
        !kept.contains("blue tractor") && !kept.contains("Dear Bob"),
        "{kept}"
    );
    node.python(
        "drop.py",
        &["typed", "bob", "INBOX", "$Invoice", "Invoice 117"],
    );
    node.python(
        "drop.py",
        &["typed", "alice", "Sent", "$Invoice", "Invoice 117", "seen"],
    );
    node.python("drop.py", &["count", "bob", "INBOX", "1"]);
    let out = node.wims(
        &[
            "account",
            "drop",
            "enable",
            "nobody@kapur.h",
            "--passphrase-stdin",
        ],
        Some("x\n"),
    );
    wims_tests::assert_user_error(&out, "wims account drop enable nobody@kapur.h");
}

/// (file name, contents, expected words in the reason) for each way a file can be refused.
fn bad_files(node: &Node, lang: &str) -> Vec<(&'static str, String, &'static str)> {
    let folder = attachments(node);
    fs::create_dir_all(&folder).unwrap();
    let small = folder.join("small.txt");
    fs::write(&small, "ok").unwrap();
    let big = folder.join("big.bin");
    fs::write(&big, vec![7u8; 5000]).unwrap();
    // What a drop file once could attach: the node's own storage key, named directly or
    // through a link inside the attachment folder.
    let key = node.data_dir().join("keys/storage.key");
    assert!(key.is_file());
    let link = folder.join("invoice.pdf");
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(&key, &link).unwrap();
    let de = lang == "de-DE";
    let pick = |en: &'static str, g: &'static str| if de { g } else { en };
    let att = |p: &Path| format!("  <attachment>{}</attachment>\n", p.display());
    vec![
        (
            "wrong-passphrase.xml",
            message("alice@kapur.h", "red tractor", "bob@kapur.h", "w", ""),
            pick(
                "passphrase for alice@kapur.h is wrong",
                "Ablage-Passphrase für alice@kapur.h ist falsch",
            ),
        ),
        (
            "disabled.xml",
            message("bob@kapur.h", PASS, "alice@kapur.h", "d", ""),
            pick(
                "not enabled for bob@kapur.h",
                "für bob@kapur.h nicht freigeschaltet",
            ),
        ),
        (
            "over-limit.xml",
            message("alice@kapur.h", PASS, "bob@kapur.h", &"x".repeat(5000), ""),
            pick("at most 4096 bytes", "höchstens 4096 Bytes"),
        ),
        (
            "malformed.xml",
            "<message><from>alice@kapur.h</from><to>bob@kapur.h</message>".to_string(),
            pick("not valid XML at line 1, column", "in Zeile 1, Spalte"),
        ),
        (
            "missing-attachment.xml",
            message(
                "alice@kapur.h",
                PASS,
                "bob@kapur.h",
                "m",
                &att(Path::new("nonexistent/invoice.pdf")),
            ),
            pick(
                "nonexistent/invoice.pdf does not exist",
                "nonexistent/invoice.pdf existiert nicht",
            ),
        ),
        (
            "outside.xml",
            message("alice@kapur.h", PASS, "bob@kapur.h", "o", &att(&key)),
            pick(
                "is not a file inside the attachment folder",
                "ist keine Datei im Anhangsordner",
            ),
        ),
        (
            "dotdot.xml",
            message(
                "alice@kapur.h",
                PASS,
                "bob@kapur.h",
                "o",
                &att(Path::new("../../keys/storage.key")),
            ),
            pick(
                "is not a file inside the attachment folder",
                "ist keine Datei im Anhangsordner",
            ),
        ),
        (
            "link.xml",
            message("alice@kapur.h", PASS, "bob@kapur.h", "l", &att(&link)),
            pick(
                "is not a file inside the attachment folder",
                "ist keine Datei im Anhangsordner",
            ),
        ),
        (
            "big-attachment.xml",
            message("alice@kapur.h", PASS, "bob@kapur.h", "b", &att(&big)),
            pick(
                "larger than the limit of 4096",
                "größer als die Grenze von 4096",
            ),
        ),
        (
            "remote.xml",
            message("alice@kapur.h", PASS, "dave@elsewhere.h", "r", &att(&small)),
            pick(
                "dave@elsewhere.h is not an account on this node",
                "dave@elsewhere.h ist kein Konto auf diesem Knoten",
            ),
        ),
        (
            "unknown-type.xml",
            message(
                "alice@kapur.h",
                PASS,
                "bob@kapur.h",
                "t",
                "  <type>memo</type>\n",
            ),
            pick(
                "Unknown message type \"memo\"",
                "Unbekannter Nachrichtentyp „memo“",
            ),
        ),
    ]
}

fn rejections(lang: &str) {
    let node = start(
        "max_file_size = 4096\nmax_attachment_size = 4096",
        &format!("[node]\nlanguage = \"{lang}\"\n"),
    );
    enable(&node, "carol@kapur.h", "carol drop", Some(1));
    let d = dropdir(&node);
    let files = bad_files(&node, lang);
    for (name, text, _) in &files {
        put(&d, name, text);
    }
    // Over carol's rate of one message an hour: one of the two goes, the other is refused.
    for n in ["rate-1.xml", "rate-2.xml"] {
        put(
            &d,
            n,
            &message("carol@kapur.h", "carol drop", "bob@kapur.h", n, ""),
        );
    }
    let want = files.len() + 1;
    wait_for("every bad file to be rejected", || {
        count(&d.join("rejected"), ".error.txt") >= want && count(&d.join("sent"), ".xml") >= 1
    });
    for (name, _, expect) in &files {
        assert!(
            d.join("rejected").join(name).exists(),
            "{name} not in rejected/"
        );
        let stem = name.trim_end_matches(".xml");
        let why = fs::read_to_string(d.join("rejected").join(format!("{stem}.error.txt")))
            .unwrap_or_else(|e| panic!("{stem}.error.txt: {e}"));
        assert!(why.contains(expect), "{name}: {why:?} lacks {expect:?}");
    }
    let rated = ["rate-1", "rate-2"]
        .iter()
        .filter_map(|s| fs::read_to_string(d.join("rejected").join(format!("{s}.error.txt"))).ok())
        .collect::<Vec<_>>();
    assert_eq!(rated.len(), 1, "exactly one file over the rate is refused");
    let expect = if lang == "de-DE" {
        "bereits 1 Nachrichten"
    } else {
        "already sent 1 messages"
    };
    assert!(rated[0].contains(expect), "{rated:?}");
    assert_eq!(count(&d.join("sent"), ".xml"), 1);
    assert_eq!(count(&d.join("processing"), ""), 0);
    assert_eq!(count(&d, ".xml"), 0, "a file was left in the drop folder");
    node.python("drop.py", &["count", "bob", "INBOX", "1"]);
    node.python("drop.py", &["count", "alice", "Sent", "0"]);
}

#[test]
fn rejected_files_say_why_in_english() {
    rejections("en-US");
}

#[test]
fn rejected_files_say_why_in_german() {
    rejections("de-DE");
}

#[test]
fn wrong_passphrases_make_a_guesser_wait() {
    let node = start("", "");
    let d = dropdir(&node);
    for n in 1..=3 {
        let name = format!("guess-{n}.xml");
        put(
            &d,
            &name,
            &message(
                "alice@kapur.h",
                &format!("guess {n}"),
                "bob@kapur.h",
                "g",
                "",
            ),
        );
        wait_for("a wrong passphrase to be rejected", || {
            d.join("rejected").join(&name).exists()
        });
    }
    // Even the right passphrase is not checked now.
    put(
        &d,
        "right.xml",
        &message("alice@kapur.h", PASS, "bob@kapur.h", "r", ""),
    );
    wait_for("the file after the guesses", || {
        d.join("rejected/right.error.txt").exists() || d.join("sent/right.xml").exists()
    });
    let why = fs::read_to_string(d.join("rejected/right.error.txt")).unwrap();
    assert!(why.contains("Too many wrong drop passphrases"), "{why}");
    node.python("drop.py", &["count", "bob", "INBOX", "0"]);
}

#[test]
fn slowly_written_files_are_taken_only_when_complete() {
    let node = start("settle = 4", "");
    let d = dropdir(&node);
    let text = message(
        "alice@kapur.h",
        PASS,
        "bob@kapur.h",
        "slow",
        "  <cc>carol@kapur.h</cc>\n",
    );
    let bytes = text.as_bytes();
    let mut f = fs::File::create(d.join("slow.xml")).unwrap();
    for piece in bytes.chunks(bytes.len() / 6 + 1) {
        f.write_all(piece).unwrap();
        f.flush().unwrap();
        // Pauses well under `settle`: the node must keep waiting.
        sleep(Duration::from_millis(500));
        assert!(
            d.join("slow.xml").exists(),
            "taken while still being written"
        );
    }
    drop(f);
    // A `.part` file is never taken, however long it lies there.
    let part = d.join("later.xml.part");
    fs::write(
        &part,
        message("alice@kapur.h", PASS, "bob@kapur.h", "later", ""),
    )
    .unwrap();
    wait_for("the slow file to be sent", || {
        d.join("sent/slow.xml").exists() || count(&d.join("rejected"), "") > 0
    });
    assert!(part.exists(), "a .part file was taken");
    fs::rename(&part, d.join("later.xml")).unwrap();
    wait_for("the renamed file to be sent", || {
        d.join("sent/later.xml").exists() || count(&d.join("rejected"), "") > 0
    });
    assert_eq!(count(&d.join("rejected"), ""), 0, "a file was rejected");
    node.python("drop.py", &["count", "bob", "INBOX", "2"]);
    node.python("drop.py", &["count", "carol", "INBOX", "1"]);
}

/// Liveness bound for a file the OS reported; far below the hour the poll would take.
const NOTIFIED_WAIT: Duration = Duration::from_secs(60);

fn wait_notified(what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < NOTIFIED_WAIT,
            "{what} not done within {NOTIFIED_WAIT:?} with an hourly poll: the folder's \
             notifications were not acted on"
        );
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn dropped_files_are_seen_without_waiting_for_the_poll() {
    // An hour between polls: only a notification can bring these files in within the test.
    let node = start("poll_interval = 3600\nsettle = 2", "");
    let d = dropdir(&node);
    put(
        &d,
        "prompt.xml",
        &message("alice@kapur.h", PASS, "bob@kapur.h", "prompt", ""),
    );
    wait_notified("sending prompt.xml", || {
        d.join("sent/prompt.xml").exists() || count(&d.join("rejected"), "") > 0
    });

    // Written slowly straight under its final name: every write is reported, and the file is
    // still taken only once it has stayed unchanged for `settle`.
    let text = message("alice@kapur.h", PASS, "bob@kapur.h", "slow", "");
    let bytes = text.as_bytes();
    let mut f = fs::File::create(d.join("slow.xml")).unwrap();
    for piece in bytes.chunks(bytes.len() / 5 + 1) {
        f.write_all(piece).unwrap();
        f.flush().unwrap();
        sleep(Duration::from_millis(500));
        assert!(
            d.join("slow.xml").exists(),
            "taken while still being written"
        );
    }
    drop(f);
    wait_notified("sending slow.xml", || {
        d.join("sent/slow.xml").exists() || count(&d.join("rejected"), "") > 0
    });
    assert_eq!(count(&d.join("rejected"), ""), 0, "a file was rejected");
    assert_eq!(count(&d.join("processing"), ""), 0);
    assert_eq!(count(&d.join("sent"), ".xml"), 2);
    node.python("drop.py", &["count", "bob", "INBOX", "2"]);
    node.python("drop.py", &["count", "alice", "Sent", "2"]);
}

#[test]
fn a_thousand_files_are_each_sent_exactly_once_through_a_crash() {
    const N: usize = 1000;
    let mut node = start("rate_per_hour = 1000000", "");
    let d = dropdir(&node);
    for i in 0..N {
        let text = message("alice@kapur.h", PASS, "bob@kapur.h", &format!("n{i}"), "");
        if i % 2 == 0 {
            put(&d, &format!("m{i:04}.xml"), &text);
        } else {
            fs::write(d.join(format!("m{i:04}.xml")), text).unwrap();
        }
    }
    wait_for("a share of the files to be sent", || {
        count(&d.join("sent"), ".xml") >= N / 4
    });
    // Killed mid-batch: files in processing/ are resumed, none delivered twice.
    node.crash_restart();
    wait_for("every file to be sent", || {
        count(&d.join("sent"), ".xml") + count(&d.join("rejected"), ".xml") >= N
    });
    assert_eq!(count(&d.join("rejected"), ""), 0, "files were rejected");
    assert_eq!(count(&d.join("sent"), ".xml"), N);
    assert_eq!(count(&d.join("processing"), ""), 0);
    assert_eq!(count(&d, ".xml"), 0);
    let n = N.to_string();
    node.python("drop.py", &["count", "bob", "INBOX", &n]);
    node.python("drop.py", &["count", "alice", "Sent", &n]);
}
