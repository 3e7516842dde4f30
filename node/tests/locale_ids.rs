//! Every message id quoted in the code of the node and the crates whose texts it ships (the
//! IMAP core, the drop folder and its watcher) exists in the fallback locale.

mod source;

#[test]
fn every_used_id_exists() {
    let texts = node::i18n::load(node::i18n::FALLBACK).unwrap();
    let mut missing = Vec::new();
    for krate in ["node", "imap", "drop-folder", "drop-watch"] {
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
                let is_id = ["cli-", "imap-", "smtp-", "drop-", "demo-"]
                    .iter()
                    .any(|p| quoted.starts_with(p))
                    && !quoted.ends_with('-')
                    && quoted
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if is_id && texts.text(quoted, &[]) == quoted {
                    missing.push(format!("{}: {quoted}", f.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "ids missing from en-US: {missing:?}");
}

/// The same for the web interface, whose texts are a table of their own (`locales/*/web.ftl`).
#[test]
fn every_web_id_exists() {
    let texts = web::texts::shipped("en-US").unwrap();
    let mut files = Vec::new();
    source::rust_files(&source::root().join("web").join("src"), &mut files);
    let mut missing = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code: Vec<&str> = source::code_lines(&text)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        for quoted in code.join("\n").split('"').skip(1).step_by(2) {
            let is_id = quoted.starts_with("web-")
                && !quoted.ends_with('-')
                && quoted
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if is_id && !texts.has(quoted) {
                missing.push(format!("{}: {quoted}", f.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "web ids missing from en-US: {missing:?}"
    );
}
