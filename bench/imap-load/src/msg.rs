//! Deterministic, realistic-looking messages: the same seed gives the same bytes, so every
//! server under test holds the same mailboxes.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Words subjects are drawn from; `SEARCH SUBJECT` looks for one of them.
pub const SUBJECT_WORDS: &[&str] = &[
    "quarterly",
    "budget",
    "meeting",
    "invoice",
    "release",
    "review",
    "draft",
    "schedule",
    "report",
    "holiday",
    "contract",
    "roadmap",
    "migration",
    "backup",
    "security",
    "proposal",
    "feedback",
    "agenda",
    "minutes",
    "travel",
    "hiring",
    "launch",
    "outage",
    "newsletter",
    "reminder",
    "summary",
    "offsite",
    "invitation",
];

/// (first name, last name, domain) of the people mail comes from; `SEARCH FROM` looks for a
/// last name.
pub const SENDERS: &[(&str, &str, &str)] = &[
    ("Alice", "Kapur", "kapur.h"),
    ("Bruno", "Lefebvre", "example.org"),
    ("Chen", "Wei", "lab.example.net"),
    ("Dana", "Okafor", "example.com"),
    ("Emil", "Svensson", "mail.example.se"),
    ("Fatima", "Haddad", "example.org"),
    ("Giulia", "Romano", "studio.example.it"),
    ("Hiroshi", "Tanaka", "example.jp"),
    ("Ines", "Duarte", "example.pt"),
    ("Jonas", "Becker", "firma.example.de"),
    ("Kira", "Ivanova", "example.net"),
    ("Liam", "Murphy", "example.ie"),
    ("Maya", "Cohen", "example.com"),
    ("Noah", "Schmidt", "example.de"),
    ("Olga", "Nowak", "example.pl"),
    ("Pedro", "Alvarez", "example.es"),
    ("Quinn", "Taylor", "lists.example.org"),
    ("Rosa", "Martins", "example.br"),
    ("Sven", "Larsen", "example.dk"),
    ("Tara", "Singh", "example.in"),
];

const BODY_WORDS: &[&str] = &[
    "the",
    "project",
    "we",
    "should",
    "have",
    "a",
    "look",
    "at",
    "numbers",
    "before",
    "next",
    "week",
    "please",
    "find",
    "attached",
    "and",
    "let",
    "me",
    "know",
    "if",
    "anything",
    "is",
    "missing",
    "thanks",
    "for",
    "your",
    "quick",
    "reply",
    "I",
    "think",
    "this",
    "works",
    "but",
    "team",
    "needs",
    "more",
    "time",
    "on",
    "the",
    "server",
    "side",
    "deployment",
    "went",
    "fine",
    "yesterday",
    "customers",
    "asked",
    "about",
    "pricing",
    "changes",
    "Grüße",
    "naïve",
    "façade",
    "über",
    "déjà",
    "vu",
    "with",
    "from",
    "to",
    "meeting",
    "notes",
    "agreed",
    "follow-up",
    "tomorrow",
    "morning",
    "office",
    "remote",
    "budget",
    "review",
];

/// Base of the generated Date: headers (2025-01-01T00:00:00Z).
const EPOCH: i64 = 1_735_689_600;

pub struct Message {
    pub bytes: Vec<u8>,
    /// INTERNALDATE for APPEND, e.g. `01-Jan-2025 10:00:00 +0000`.
    pub internal_date: String,
}

/// Plain text paragraphs of about `size` bytes, lines under 80 characters.
fn text_body(rng: &mut StdRng, size: usize, ascii_only: bool) -> String {
    let mut out = String::with_capacity(size + 100);
    let mut line = String::new();
    while out.len() < size {
        let w = if ascii_only {
            *BODY_WORDS[..50].choose(rng).expect("non-empty")
        } else {
            *BODY_WORDS.choose(rng).expect("non-empty")
        };
        if line.len() + w.len() + 1 > 72 {
            out.push_str(&line);
            out.push_str("\r\n");
            line.clear();
            if rng.gen_ratio(1, 8) {
                out.push_str("\r\n");
            }
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    out.push_str(&line);
    out.push_str("\r\n");
    out
}

/// Random base64 text of about `size` bytes in 76-character lines (stands for a binary
/// attachment).
fn base64_body(rng: &mut StdRng, size: usize) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(size + size / 76 * 2 + 4);
    let mut col = 0;
    for _ in 0..size.div_ceil(4) * 4 {
        out.push(B64[rng.gen_range(0..64)] as char);
        col += 1;
        if col == 76 {
            out.push_str("\r\n");
            col = 0;
        }
    }
    if col > 0 {
        out.push_str("\r\n");
    }
    out
}

fn rfc2822(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .expect("valid timestamp")
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

fn imap_date(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .expect("valid timestamp")
        .format("%d-%b-%Y %H:%M:%S +0000")
        .to_string()
}

/// A random subject word and sender last name, for SEARCH.
pub fn search_terms(rng: &mut StdRng) -> (&'static str, &'static str) {
    (
        SUBJECT_WORDS.choose(rng).expect("non-empty"),
        SENDERS.choose(rng).expect("non-empty").1,
    )
}

/// Builds message number `idx` for `to` (an address). Size is 2–50 KiB, most of them small.
pub fn build(rng: &mut StdRng, to: &str, idx: u64) -> Message {
    let u: f64 = rng.r#gen();
    let size = 2048 + (u * u * 49_152.0) as usize;
    let ts = EPOCH - 40 * 86_400 + (idx as i64) * 3_413 + rng.gen_range(0..3_000);
    let (first, last, domain) = *SENDERS.choose(rng).expect("non-empty");
    let from_addr = format!(
        "{}.{}@{}",
        first.to_lowercase(),
        last.to_lowercase(),
        domain
    );
    let n_words = rng.gen_range(3..=7);
    let subject: Vec<&str> = SUBJECT_WORDS
        .choose_multiple(rng, n_words)
        .copied()
        .collect();
    let mut subject = subject.join(" ");
    let reply = rng.gen_ratio(1, 5);
    if reply {
        subject = format!("Re: {subject}");
    }
    if rng.gen_ratio(1, 10) {
        // An RFC 2047 encoded word ("Grüße") in front of the plain words.
        subject = format!("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_{first}?= {subject}");
    }
    let msgid = format!("<{:016x}.{idx}@{domain}>", rng.r#gen::<u64>());
    let mut h = String::with_capacity(1024);
    h.push_str(&format!("Return-Path: <{from_addr}>\r\n"));
    h.push_str(&format!(
        "Received: from mail.{domain} (mail.{domain} [192.0.2.{}])\r\n\tby mx.bench.h with ESMTPS id {:012x}\r\n\tfor <{to}>; {}\r\n",
        rng.gen_range(1..255),
        rng.r#gen::<u64>() & 0xffff_ffff_ffff,
        rfc2822(ts + 2)
    ));
    h.push_str(&format!(
        "Received: from [10.{}.{}.{}] by mail.{domain} with ESMTPSA; {}\r\n",
        rng.gen_range(0..255),
        rng.gen_range(0..255),
        rng.gen_range(1..255),
        rfc2822(ts + 1)
    ));
    h.push_str(&format!("Date: {}\r\n", rfc2822(ts)));
    h.push_str(&format!("From: \"{first} {last}\" <{from_addr}>\r\n"));
    h.push_str(&format!("To: <{to}>\r\n"));
    if rng.gen_ratio(3, 10) {
        let (f2, l2, d2) = *SENDERS.choose(rng).expect("non-empty");
        h.push_str(&format!(
            "Cc: \"{f2} {l2}\" <{}.{}@{d2}>\r\n",
            f2.to_lowercase(),
            l2.to_lowercase()
        ));
    }
    h.push_str(&format!("Subject: {subject}\r\n"));
    h.push_str(&format!("Message-ID: {msgid}\r\n"));
    if reply {
        let parent = format!("<{:016x}@{domain}>", rng.r#gen::<u64>());
        h.push_str(&format!(
            "In-Reply-To: {parent}\r\nReferences: {parent}\r\n"
        ));
    }
    h.push_str("MIME-Version: 1.0\r\n");
    h.push_str("User-Agent: Mozilla/5.0 Thunderbird/128.5.0\r\n");

    let kind = rng.gen_range(0..20);
    let body = if kind < 12 {
        h.push_str("Content-Type: text/plain; charset=UTF-8; format=flowed\r\n");
        h.push_str("Content-Transfer-Encoding: 8bit\r\n");
        text_body(rng, size.saturating_sub(h.len()), false)
    } else if kind < 17 {
        let b = format!(
            "------------alt{:012x}",
            rng.r#gen::<u64>() & 0xffff_ffff_ffff
        );
        h.push_str(&format!(
            "Content-Type: multipart/alternative;\r\n boundary=\"{b}\"\r\n"
        ));
        let part = size.saturating_sub(h.len() + 400);
        let text = text_body(rng, part * 2 / 5, true);
        let html_text = text_body(rng, part * 3 / 5, true);
        let html = html_text
            .split("\r\n\r\n")
            .map(|p| format!("<p>{p}</p>"))
            .collect::<Vec<_>>()
            .join("\r\n");
        format!(
            "This is a multi-part message in MIME format.\r\n--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{text}\r\n--{b}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body>\r\n{html}\r\n</body></html>\r\n--{b}--\r\n"
        )
    } else {
        let b = format!(
            "------------mix{:012x}",
            rng.r#gen::<u64>() & 0xffff_ffff_ffff
        );
        h.push_str(&format!(
            "Content-Type: multipart/mixed;\r\n boundary=\"{b}\"\r\n"
        ));
        let text_size = 600 + rng.gen_range(0..800);
        let text = text_body(rng, text_size, false);
        let att = base64_body(rng, size.saturating_sub(h.len() + text.len() + 500));
        let name = format!(
            "{}-{idx}.pdf",
            SUBJECT_WORDS.choose(rng).expect("non-empty")
        );
        format!(
            "This is a multi-part message in MIME format.\r\n--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n--{b}\r\nContent-Type: application/pdf; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{att}\r\n--{b}--\r\n"
        )
    };
    let mut bytes = h.into_bytes();
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body.as_bytes());
    Message {
        bytes,
        internal_date: imap_date(ts + 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn deterministic_and_well_formed() {
        let mut sizes = Vec::new();
        for idx in 0..200 {
            let a = build(&mut StdRng::seed_from_u64(idx), "user1@bench.h", idx);
            let b = build(&mut StdRng::seed_from_u64(idx), "user1@bench.h", idx);
            assert_eq!(a.bytes, b.bytes);
            assert!(!a.bytes.contains(&0));
            let text = String::from_utf8(a.bytes).expect("utf-8");
            for line in text.split("\r\n") {
                assert!(line.len() < 998);
                assert!(!line.contains('\n') && !line.contains('\r'));
            }
            sizes.push(text.len());
        }
        let min = *sizes.iter().min().expect("some");
        let max = *sizes.iter().max().expect("some");
        assert!(min >= 1900 && max <= 54 * 1024, "{min}..{max}");
        let mean = sizes.iter().sum::<usize>() / sizes.len();
        assert!((10_000..30_000).contains(&mean), "mean {mean}");
    }
}
