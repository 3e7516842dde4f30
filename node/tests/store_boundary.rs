//! Storage work leaves the async runtime in one place, `records::blocking` (re-exported as
//! `mailbox::blocking`): no other code of the daemons calls tokio's `spawn_blocking` or
//! `block_in_place` itself, so the boundary stays one file to change.

use std::path::Path;

/// What the daemons are made of.
const CRATES: &[&str] = &[
    "node",
    "delivery",
    "jobs",
    "imap",
    "smtp",
    "drop-folder",
    "mailbox",
    "records",
    "service",
    "relay-client",
    "overlay",
    "daemon",
    "wire",
];

/// The boundary itself, and code that waits on something other than storage.
const ALLOWED: &[(&str, &str)] = &[
    ("records/src/blocking.rs", "the boundary"),
    (
        "node/src/demo/mod.rs",
        "waits on child processes of `wims demo`",
    ),
];

const CALLS: &[&str] = &["spawn_blocking(", "block_in_place("];

fn scan(root: &Path, dir: &Path, hits: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scan(root, &p, hits);
            continue;
        }
        let name = p.to_str().unwrap_or_default();
        // Unit tests may block as they like.
        if !name.ends_with(".rs") || name.ends_with("_tests.rs") {
            continue;
        }
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if ALLOWED.iter().any(|(f, _)| *f == rel) {
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap();
        let code = src.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            if !line.trim_start().starts_with("//") && CALLS.iter().any(|c| line.contains(c)) {
                hits.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
}

#[test]
fn storage_work_leaves_the_runtime_through_one_boundary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut hits = Vec::new();
    for krate in CRATES {
        scan(root, &root.join(krate).join("src"), &mut hits);
    }
    assert!(
        hits.is_empty(),
        "use mailbox::blocking (records::blocking) instead:\n{}",
        hits.join("\n")
    );
}

/// The scan sees a call in code, and not one in a comment or a unit test.
#[test]
fn the_scan_finds_a_direct_call() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("x/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("a.rs"),
        "// tokio::task::spawn_blocking(f)\nfn f() { tokio::task::block_in_place(g) }\n\
         #[cfg(test)]\nmod tests { fn t() { tokio::task::spawn_blocking(f); } }\n",
    )
    .unwrap();
    let mut hits = Vec::new();
    scan(dir.path(), &src, &mut hits);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].starts_with("x/src/a.rs:2:"), "{hits:?}");
}
