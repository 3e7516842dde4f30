//! Storage work leaves the async runtime in one place, `records::blocking` (re-exported as
//! `mailbox::blocking`): no other code of the workspace calls tokio's `spawn_blocking` or
//! `block_in_place` itself, so the boundary stays one file to change.

use std::path::Path;

mod source;

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
    let mut files = Vec::new();
    source::rust_files(dir, &mut files);
    for p in files {
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // Unit tests may block as they like.
        if rel.ends_with("_tests.rs") || ALLOWED.iter().any(|(f, _)| *f == rel) {
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap();
        for (n, line) in source::code_lines(&src) {
            if CALLS.iter().any(|c| line.contains(c)) {
                hits.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
}

#[test]
fn storage_work_leaves_the_runtime_through_one_boundary() {
    let root = source::root();
    let mut hits = Vec::new();
    for krate in source::crates() {
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
