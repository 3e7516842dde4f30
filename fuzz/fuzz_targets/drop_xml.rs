//! Drop files as a person or a program writes them: decoding and checking must never panic,
//! and a file that passes must compose into a message whose header says only what the file
//! asked for (no header lines smuggled in through names, subjects or addresses) with CRLF line
//! ends throughout.

#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use drop_folder::compose::{Envelope, Source, write_message};
use drop_folder::format::{decode_text, parse};
use libfuzzer_sys::fuzz_target;

/// Header fields the composer writes; anything else in a composed header was injected.
const FIELDS: &[&str] = &[
    "From: ",
    "To: ",
    "Cc: ",
    "Subject: ",
    "Date: ",
    "Message-ID: ",
    "In-Reply-To: ",
    "References: ",
    "MIME-Version: ",
    "X-Wims-Type: ",
    "Content-Type: ",
    "Content-Transfer-Encoding: ",
];

struct Fixture {
    types: Vec<String>,
    /// A small file every attachment is pointed at, so composing reads nothing else.
    attachment: tempfile::NamedTempFile,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut attachment = tempfile::NamedTempFile::new().unwrap();
        attachment.write_all(b"%PDF-1.4 not really\n").unwrap();
        Fixture {
            types: mailbox::MESSAGE_TYPES
                .iter()
                .map(|t| t.to_string())
                .collect(),
            attachment,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Ok(text) = decode_text(data) else {
        return;
    };
    let Ok(mut m) = parse(&text, &f.types) else {
        return;
    };
    let _ = m.recipients();
    for a in &mut m.attachments {
        a.path = f.attachment.path().to_path_buf();
    }
    let date = chrono::DateTime::parse_from_rfc3339("2030-01-01T10:00:00+01:00").unwrap();
    let env = Envelope {
        message_id: "fuzz.drop@node.h",
        date,
        in_reply_to: Some("parent@node.h"),
    };
    let mut out = Vec::new();
    // Where attachments may come from is the confinement's business (its own tests); here every
    // attachment is the fixture.
    write_message(&mut out, &m, &env, Source::Anywhere, 1024).unwrap();

    for (i, &b) in out.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(out.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
            b'\n' => assert!(i > 0 && out[i - 1] == b'\r', "bare LF at {i}"),
            _ => {}
        }
    }
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header ends");
    let header = std::str::from_utf8(&out[..end]).expect("header is UTF-8");
    for line in header.split("\r\n") {
        assert!(
            line.starts_with([' ', '\t']) || FIELDS.iter().any(|f| line.starts_with(f)),
            "unexpected header line {line:?}"
        );
    }

    let mut scanner = mailbox::mime::Scanner::new();
    scanner.feed(&out);
    let (envelope, _) = scanner.finish();
    let from = envelope.from.first().expect("a From address");
    let seen = format!(
        "{}@{}",
        from.mailbox.as_deref().unwrap_or(""),
        from.host.as_deref().unwrap_or("")
    );
    assert_eq!(
        seen.to_lowercase(),
        m.from.address,
        "From shows another address"
    );
});
