//! Every message id quoted in the code of the node and the crates whose texts it ships (the
//! admin requests, the IMAP core, the drop folder and its watcher, the web interface) exists in the fallback locale.

mod source;

/// The quoted ids with one of `prefixes` in the sources of `crates` that `exists` does not
/// know, as `file: id`.
fn missing_ids(crates: &[&str], prefixes: &[&str], exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut missing = Vec::new();
    for krate in crates {
        let mut files = Vec::new();
        source::rust_files(&source::root().join(krate).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code: Vec<&str> = source::code_lines(&text)
                .into_iter()
                .map(|(_, l)| l)
                .collect();
            // File by file, so one file's odd quote cannot shift what the next one quotes.
            for quoted in code.join("\n").split('"').skip(1).step_by(2) {
                let is_id = prefixes.iter().any(|p| quoted.starts_with(p))
                    && !quoted.ends_with('-')
                    && quoted
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if is_id && !exists(quoted) {
                    missing.push(format!("{}: {quoted}", f.display()));
                }
            }
        }
    }
    missing
}

#[test]
fn every_used_id_exists() {
    let texts = node::i18n::load(node::i18n::FALLBACK).unwrap();
    let missing = missing_ids(
        &["node", "admin", "imap", "drop-folder", "drop-watch"],
        &["cli-", "admin-", "imap-", "smtp-", "drop-", "demo-"],
        |id| texts.text(id, &[]) != id,
    );
    assert!(missing.is_empty(), "ids missing from en-US: {missing:?}");
}

/// The same for the web interface, whose texts are a table of their own (`locales/*/web.ftl`,
/// with the admin requests' failures from `admin.ftl` for the operator pages).
#[test]
fn every_web_id_exists() {
    let texts = web::texts::shipped("en-US").unwrap();
    let missing = missing_ids(&["web", "admin"], &["web-", "admin-"], |id| texts.has(id));
    assert!(
        missing.is_empty(),
        "web ids missing from en-US: {missing:?}"
    );
}
