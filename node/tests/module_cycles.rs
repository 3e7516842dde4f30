//! No two top-level modules of a crate use each other, directly or through others: each crate
//! reads bottom-up. A module's uses are its `crate::m` and `super::m` paths (the latter from
//! files directly under `src/`) outside comments and unit tests; a folder module counts as one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use source::{code_lines, rust_files};

mod source;

/// The identifiers that follow `prefix` in `code` (`crate::` → `m` of `crate::m`).
fn names_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::{c, d}}`: the first name of each item of the outer group.
            let (mut depth, mut start) = (0usize, 0usize);
            for (j, ch) in group.char_indices() {
                let at_end = match ch {
                    '{' => {
                        depth += 1;
                        false
                    }
                    '}' if depth == 0 => true,
                    '}' => {
                        depth -= 1;
                        false
                    }
                    ',' => depth == 0,
                    _ => false,
                };
                if at_end {
                    let item = group[start..j].trim();
                    out.push(
                        &item[..item
                            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap_or(item.len())],
                    );
                    start = j + 1;
                    if ch == '}' {
                        break;
                    }
                }
            }
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        out.push(&rest[..end]);
    }
    out
}

/// Module → the other modules it uses.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            let mut files = Vec::new();
            rust_files(&p, &mut files);
            modules.entry(name).or_default().extend(files);
        } else if p.extension().is_some_and(|x| x == "rs") && name != "lib" && name != "main" {
            modules.entry(name).or_default().push(p);
        }
    }
    let mut g = BTreeMap::new();
    for (name, files) in &modules {
        let mut uses = BTreeSet::new();
        for f in files {
            let src_text = std::fs::read_to_string(f).unwrap();
            let code: String = code_lines(&src_text)
                .into_iter()
                .map(|(_, l)| l)
                .collect::<Vec<_>>()
                .join("\n");
            let mut found = names_after(&code, "crate::");
            if f.parent() == Some(src) {
                found.extend(names_after(&code, "super::"));
            }
            for m in found {
                if m != name && modules.contains_key(m) {
                    uses.insert(m.to_string());
                }
            }
        }
        g.insert(name.clone(), uses);
    }
    g
}

/// The modules on some cycle, each cycle once, as `a → b → a`.
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    let mut reported: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for start in g.keys() {
        // Breadth-first from `start`, remembering how each module was reached.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = vec![start.as_str()];
        while let Some(at) = queue.pop() {
            for next in &g[at] {
                if next == start {
                    let mut path = vec![start.as_str()];
                    let mut back = at;
                    while back != start {
                        path.push(back);
                        back = came_from[back];
                    }
                    let set: BTreeSet<String> = path.iter().map(|s| s.to_string()).collect();
                    if reported.insert(set) {
                        path[1..].reverse();
                        out.push(format!("{} → {start}", path.join(" → ")));
                    }
                } else if !came_from.contains_key(next.as_str()) {
                    came_from.insert(next, at);
                    queue.insert(0, next);
                }
            }
        }
    }
    out
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut found = Vec::new();
    for krate in source::crates() {
        for c in cycles(&graph(&source::root().join(&krate).join("src"))) {
            found.push(format!("{krate}: {c}"));
        }
    }
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

/// The check sees a cycle through a folder module and a nested `use crate::{…}` group, and not
/// one that only a comment or a unit test would make.
#[test]
fn a_cycle_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("b")).unwrap();
    std::fs::write(src.join("a.rs"), "use crate::{c::{X, Y}, b::Z};\n").unwrap();
    std::fs::write(src.join("b/mod.rs"), "mod inner;\n").unwrap();
    std::fs::write(src.join("b/inner.rs"), "fn f() { crate::a::g() }\n").unwrap();
    std::fs::write(
        src.join("c.rs"),
        "// crate::a\n#[cfg(test)]\nmod tests { use crate::a; }\n",
    )
    .unwrap();
    assert_eq!(cycles(&graph(src)), ["a → b → a"]);
}
