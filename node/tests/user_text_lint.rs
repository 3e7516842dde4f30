//! Every text a person reads comes from Fluent. This lint looks for prose in string literals of
//! the node's code: two words or more, outside comments, log lines, invariant messages
//! (`expect`), typed error details (`#[error]`, wrapped in localized text by the callers) and
//! protocol syntax (anything carrying CRLF). What is left must be in `locales/`.
//!
//! clap's derives turn doc comments and `help`/`about` attributes into help texts, in English
//! whatever the user's language; the command line takes its texts from Fluent instead
//! (`src/cli.rs`), so any of those in a derived item is a finding too.

use std::path::Path;

mod source;

/// Internal strings that look like prose but never reach a person as such.
const ALLOWED: &[&str] = &[
    // io::Error payload for an over-long IMAP line, answered with a localized BAD.
    "line too long",
    // An invariant of the SMTP body sink, logged, never sent.
    "body writer missing",
    // IMAP ID response syntax: "name" is the RFC 2971 field key.
    "* ID (\\\"name\\\" ",
    // SMTP command syntax the demo's own client sends.
    "EHLO demo",
    // clap's own English words, looked for on localized help pages in tests.
    "Print help",
];

/// HTTP syntax of the web interface's headers and page head, which reads like words but is
/// for browsers: literals starting so are not prose.
const HTTP_SYNTAX: &[&str] = &[
    "attachment; filename=",
    "width=device-width",
    "text/css;",
    "default-src ",
    "no-store, ",
];

/// Calls whose text is a log line or a protocol detail for the peer's log, never shown to a
/// person as such: tracing macros, refusal details on the wire, retry reasons of delivery
/// jobs, typed error payloads.
const LOG_OR_DETAIL: &[&str] = &[
    "tracing::",
    "trace!",
    "debug!",
    "info!",
    "warn!",
    "error!",
    "refuse(",
    "Refusal::new(",
    "Failure::",
    "retry(",
    "detail(",
    "HostError::",
];

fn is_prose(lit: &str) -> bool {
    // Format placeholders are names, not words.
    let mut plain = String::new();
    let mut depth = 0;
    for c in lit.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let lit = plain.as_str();
    let words: Vec<&str> = lit
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .collect();
    // Two words, the second in lower case, read as a sentence fragment.
    lit.contains(' ')
        && words
            .windows(2)
            .any(|w| w[1].chars().all(|c| c.is_ascii_lowercase()))
}

fn literals(line: &str) -> Vec<String> {
    // Character literals holding a quote would open a string that is not there.
    let line = line.replace("'\\\"'", "''").replace("'\"'", "''");
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        s.push('\\');
                        s.extend(chars.next());
                    }
                    '"' => break,
                    c => s.push(c),
                }
            }
            out.push(s);
        }
    }
    out
}

fn scan(dir: &Path, hits: &mut Vec<String>) {
    let mut files = Vec::new();
    source::rust_files(dir, &mut files);
    for p in files {
        // A unit test module kept in a file of its own (`#[cfg(test)] #[path = "x_tests.rs"]`).
        if p.file_stem()
            .and_then(|x| x.to_str())
            .is_some_and(|s| s.ends_with("_tests"))
        {
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap();
        let code = src.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, text) in clap_texts(code) {
            hits.push(format!("{}:{}: clap help text {text}", p.display(), n + 1));
        }
        // Open parentheses of a log or detail call that spans several lines.
        let mut open = 0i32;
        for (n, line) in code.lines().enumerate() {
            let t = line.trim();
            let depth = |s: &str| {
                s.chars().filter(|&c| c == '(').count() as i32
                    - s.chars().filter(|&c| c == ')').count() as i32
            };
            if open > 0 {
                open += depth(t);
                continue;
            }
            if let Some(at) = LOG_OR_DETAIL.iter().filter_map(|m| t.find(m)).min() {
                open = depth(&t[at..]).max(0);
                continue;
            }
            let skip = t.starts_with("//") || t.starts_with("#[error(") || t.contains(".expect(");
            if skip {
                continue;
            }
            for lit in literals(t) {
                if lit.contains("\\r\\n")
                    || ALLOWED.contains(&lit.as_str())
                    || HTTP_SYNTAX.iter().any(|h| lit.starts_with(h))
                {
                    continue;
                }
                if is_prose(&lit) {
                    hits.push(format!("{}:{}: \"{lit}\"", p.display(), n + 1));
                }
            }
        }
    }
}

/// Attribute keys whose value clap shows on a help page.
const CLAP_TEXT_KEYS: &[&str] = &[
    "help",
    "long_help",
    "about",
    "long_about",
    "before_help",
    "before_long_help",
    "after_help",
    "after_long_help",
    "help_heading",
    "next_help_heading",
    "subcommand_help_heading",
    "help_template",
];

/// Whether a `#[derive(...)]` line derives one of clap's command line traits.
fn is_clap_derive(line: &str) -> bool {
    line.starts_with("#[derive(")
        && line
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|w| matches!(w, "Parser" | "Subcommand" | "Args"))
}

/// `line` without its string literals, so that a value (`value_name = "help"`) is not read as
/// a key.
fn without_literals(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (in_str, c) {
            (true, '\\') => {
                chars.next();
            }
            (_, '"') => in_str = !in_str,
            (false, c) => out.push(c),
            (true, _) => {}
        }
    }
    out
}

/// Help texts in clap-derived items of `code`: doc comments on the item and inside it, and
/// attributes that set a text. Returns (line index, the offending line).
fn clap_texts(code: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = code.lines().map(str::trim).collect();
    let mut hits = Vec::new();
    let mut n = 0;
    while n < lines.len() {
        if !is_clap_derive(lines[n]) {
            n += 1;
            continue;
        }
        // Doc comments and attributes just above the derive belong to the same item.
        let mut above = n;
        while above > 0
            && (lines[above - 1].starts_with("///") || lines[above - 1].starts_with("#["))
        {
            above -= 1;
        }
        let mut depth = 0i32;
        let mut opened = false;
        let mut at = above;
        while at < lines.len() {
            let line = lines[at];
            let is_doc = line.starts_with("///") || line.starts_with("#[doc");
            let bare = without_literals(line);
            let is_attr = ["#[arg(", "#[command(", "#[clap(", "#[group("]
                .iter()
                .any(|a| bare.starts_with(a));
            let sets_text = is_attr
                && bare
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .any(|w| CLAP_TEXT_KEYS.contains(&w));
            if is_doc || sets_text {
                hits.push((at, line.to_string()));
            }
            if !line.starts_with("//") {
                depth += bare.matches('{').count() as i32 - bare.matches('}').count() as i32;
                opened |= bare.contains('{');
                // A unit struct ends at its semicolon.
                if (opened && depth <= 0) || (!opened && bare.ends_with(';')) {
                    break;
                }
            }
            at += 1;
        }
        n = at + 1;
    }
    hits
}

#[test]
fn no_user_facing_literals_in_code() {
    let mut hits = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The node's own code and the crates it is made of.
    for dir in [
        "src",
        "../imap/src",
        "../smtp/src",
        "../drop-folder/src",
        "../drop-watch/src",
        "../endpoints/src",
        "../monitor/endpoint/src",
        "../daemon/src",
        "../delivery/src",
        "../jobs/src",
        "../web/src",
    ] {
        scan(&root.join(dir), &mut hits);
    }
    assert!(
        hits.is_empty(),
        "texts a person reads belong in locales/*.ftl:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_lint_sees_prose() {
    assert!(is_prose("could not open the file"));
    assert!(!is_prose("imap-greeting"));
    assert!(!is_prose("* OK [CAPABILITY"));
    assert!(!is_prose("READ-WRITE"));
    assert!(!is_prose("* CAPABILITY {caps}"));
    assert!(literals("match c { '\"' => 1 }").is_empty());
}

#[test]
fn the_lint_sees_clap_help_texts() {
    let src = r#"
/// Not a clap item.
struct Plain {
    /// A field.
    a: u8,
}

/// The tool.
#[derive(Parser)]
#[command(name = "x", about)]
struct Cli {
    #[arg(long, value_name = "help")]
    data: Option<String>,
    /// Log level.
    #[arg(long, help = "Level")]
    level: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    #[command(long_about = "Runs")]
    Run,
    Stop { #[arg(value_name = "N")] n: u8 },
}

#[derive(Debug, Clone)]
struct After {
    /// Fine again.
    b: u8,
}
"#;
    let found: Vec<String> = clap_texts(src).into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        found,
        [
            "/// The tool.",
            "#[command(name = \"x\", about)]",
            "/// Log level.",
            "#[arg(long, help = \"Level\")]",
            "#[command(long_about = \"Runs\")]",
        ]
    );
}
