//! The language and the branding come from configuration, and reach protocol greetings.

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
