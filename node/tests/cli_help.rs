//! `wims --help` speaks the user's language: `--lang`, else the data folder's
//! `node.language`, else English.

use std::path::Path;
use std::process::{Command, Output};

fn wims(data: &Path, args: &[&str]) -> String {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_wims"))
        .args(args)
        // No data folder of the user's own may choose the language.
        .env("WIMS_DATA", data)
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("run wims");
    assert!(
        out.status.success(),
        "wims {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // clap wraps long lines at the terminal's width; words and their order are what count.
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn help_in_english_and_german() {
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none");

    let en = wims(&none, &["--help"]);
    assert!(en.contains("Usage:"), "{en}");
    assert!(en.contains("Data folder of the node"), "{en}");
    assert!(en.contains("Manage the node's accounts"), "{en}");

    let de = wims(&none, &["--lang", "de-DE", "--help"]);
    for german in [
        "Aufruf:",
        "Befehle:",
        "Optionen:",
        "Datenordner des Knotens",
        "Konten des Knotens verwalten",
        "Hilfe anzeigen",
    ] {
        assert!(de.contains(german), "{german:?} not in\n{de}");
    }
    for english in ["Usage:", "Print help", "Data folder of the node"] {
        assert!(!de.contains(english), "{english:?} in\n{de}");
    }

    let sub = wims(
        &none,
        &["--lang=de-DE", "account", "drop", "enable", "--help"],
    );
    assert!(sub.contains("Argumente:"), "{sub}");
    assert!(
        sub.contains("Nachrichten pro Stunde über den Ablageordner"),
        "{sub}"
    );
    // The `help` command shows the same page as `--help`.
    let via_help = wims(&none, &["--lang", "de-DE", "help", "account"]);
    assert!(via_help.contains("Ein lokales Konto anlegen"), "{via_help}");
    assert_eq!(
        via_help,
        wims(&none, &["--lang", "de-DE", "account", "--help"])
    );
}

#[test]
fn help_in_the_configured_language() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wims.toml"),
        "[node]\nlanguage = \"de-DE\"\n",
    )
    .unwrap();
    let data = dir.path().display().to_string();
    let de = wims(dir.path(), &["--data", &data, "--help"]);
    assert!(de.contains("Datenordner des Knotens"), "{de}");
    // Through $WIMS_DATA as well, and --lang still wins.
    let de = wims(dir.path(), &["update", "--help"]);
    assert!(de.contains("Vom Dienstnetz angekündigte Versionen"), "{de}");
    let en = wims(dir.path(), &["--lang", "en-US", "update", "--help"]);
    assert!(
        en.contains("Releases announced by the service network"),
        "{en}"
    );
}
