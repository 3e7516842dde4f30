//! The language and the branding come from configuration, and reach protocol greetings and
//! the receipts a node lists.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};

use wims_tests::Node;

fn greeting(addr: SocketAddr) -> String {
    let s = TcpStream::connect(addr).expect("connect");
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).expect("greeting");
    line
}

#[test]
fn custom_branding_and_german_greetings() {
    let dir = tempfile::tempdir().unwrap();
    let branding = dir.path().join("branding.toml");
    std::fs::write(
        &branding,
        "name = \"Kapur Post\"\nshort_name = \"kp\"\nsupport = \"help@kapur.h\"\n",
    )
    .unwrap();
    let node = Node::builder()
        .extra_toml(&format!(
            "[node]\nlanguage = \"de-DE\"\n\n[branding]\nfile = \"{}\"\n",
            branding.display()
        ))
        .start();
    let ep = node.endpoints();
    let imap = greeting(ep.imap);
    assert!(imap.starts_with("* OK "), "{imap}");
    assert!(imap.contains("Kapur Post IMAP-Server bereit"), "{imap}");
    assert!(!imap.contains("WIMS"), "{imap}");
    let smtp = greeting(ep.submission);
    assert!(smtp.starts_with("220 "), "{smtp}");
    assert!(
        smtp.contains("Kapur Post Nachrichteneinlieferung bereit"),
        "{smtp}"
    );
}

#[test]
fn default_branding_in_english() {
    let node = Node::builder().start();
    let imap = greeting(node.endpoints().imap);
    assert!(imap.contains("WIMS IMAP server ready"), "{imap}");
}

fn receipts(node: &Node, address: &str) -> String {
    let out = node.wims(&["receipts", address], None);
    assert!(
        out.status.success(),
        "wims receipts failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn receipts_are_titled_with_the_branding_wording() {
    let dir = tempfile::tempdir().unwrap();
    let branding = dir.path().join("branding.toml");
    std::fs::write(
        &branding,
        "name = \"Kapur Post\"\nshort_name = \"kp\"\nsupport = \"help@kapur.h\"\n\n\
         [receipt]\ntitle = \"Kapur Seals\"\n\n\
         [receipt.title_by_language]\n\"de-DE\" = \"Kapur-Siegel\"\n",
    )
    .unwrap();
    let node = Node::builder()
        .account("alice@kapur.h", "alice-receipt-lantern")
        .extra_toml(&format!(
            "[node]\nlanguage = \"de-DE\"\n\n[branding]\nfile = \"{}\"\n",
            branding.display()
        ))
        .start();
    let de = receipts(&node, "alice@kapur.h");
    assert!(de.contains("Kapur-Siegel für alice@kapur.h"), "{de}");
    assert!(de.contains("Keine Empfangsbestätigungen"), "{de}");
    // A language the branding has no title for takes its general one.
    let out = node.wims(&["--lang", "en-US", "receipts", "alice@kapur.h"], None);
    let en = String::from_utf8_lossy(&out.stdout);
    assert!(en.contains("Kapur Seals for alice@kapur.h"), "{en}");
}

#[test]
fn receipts_title_of_the_default_branding() {
    let node = Node::builder()
        .account("alice@kapur.h", "alice-receipt-lantern")
        .start();
    let en = receipts(&node, "alice@kapur.h");
    assert!(
        en.contains("WIMS delivery receipts for alice@kapur.h"),
        "{en}"
    );
    assert!(en.contains("No receipts."), "{en}");
}
