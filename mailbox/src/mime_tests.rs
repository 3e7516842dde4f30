use super::*;

fn scan(raw: &[u8], step: usize) -> (Envelope, BodyPart) {
    let mut s = Scanner::new();
    for c in raw.chunks(step) {
        s.feed(c);
    }
    s.finish()
}

fn slice(raw: &[u8], off: u64, len: u64) -> &[u8] {
    &raw[off as usize..(off + len) as usize]
}

/// Every nested part's bytes lie inside its parent's body.
fn assert_nested(p: &BodyPart) {
    let (start, end) = (p.body_offset, p.body_offset + p.body_len);
    assert!(p.header_offset <= p.body_offset);
    for c in p.parts.iter().chain(p.message.as_ref().map(|m| &m.1)) {
        for (off, len) in [(c.header_offset, c.header_len), (c.body_offset, c.body_len)] {
            assert!(
                len == 0 || (start <= off && off + len <= end),
                "{c:?} outside {p:?}"
            );
        }
        assert_nested(c);
    }
}

#[test]
fn encapsulated_blank_header_before_a_delimiter_stays_inside() {
    for raw in [
        &b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: message/rfc822\n\n\n--XX--\n"[..],
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n--XX\r\n\r\n--XX--",
        b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\n--XX--\n",
    ] {
        for step in [1, 3, raw.len()] {
            let (_, p) = scan(raw, step);
            assert_nested(&p);
        }
    }
}

#[test]
fn simple_text_message() {
    let raw = b"From: Alice <alice@a.h>\r\nTo: bob@b.h\r\nSubject: Hi\r\nMessage-ID: <1@a.h>\r\n\r\nline one\r\nline two\r\n";
    for step in [1, 3, 1000] {
        let (env, part) = scan(raw, step);
        assert_eq!(env.subject.as_deref(), Some("Hi"));
        assert_eq!(env.from[0].mailbox.as_deref(), Some("alice"));
        assert_eq!(env.from[0].host.as_deref(), Some("a.h"));
        assert_eq!(env.from[0].name.as_deref(), Some("Alice"));
        assert_eq!(env.sender, env.from);
        assert_eq!(env.message_id.as_deref(), Some("<1@a.h>"));
        assert_eq!(
            (part.media_type.as_str(), part.subtype.as_str()),
            ("text", "plain")
        );
        assert_eq!(
            slice(raw, part.body_offset, part.body_len),
            b"line one\r\nline two\r\n"
        );
        assert_eq!(part.body_lines, 2);
    }
}

#[test]
fn multipart_with_nested_message() {
    let raw = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=YY\r\n\r\n--YY\r\n\r\ninner text\r\n--YY--\r\n\r\n--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n\r\nAAAA\r\nBBBB\r\n--XX--\r\nepilogue\r\n";
    for step in [1, 7, 10_000] {
        let (env, root) = scan(raw, step);
        assert_eq!(env.subject.as_deref(), Some("outer"));
        assert!(root.is_multipart());
        assert_eq!(root.parts.len(), 3);
        let p1 = &root.parts[0];
        assert_eq!(slice(raw, p1.body_offset, p1.body_len), b"hello");
        assert_eq!(
            p1.body_lines, 0,
            "the break before the delimiter is not the body's"
        );
        assert_eq!(
            p1.params,
            vec![("charset".to_string(), "utf-8".to_string())]
        );
        let p2 = &root.parts[1];
        let (ienv, inner) = &**p2.message.as_ref().unwrap();
        assert_eq!(ienv.subject.as_deref(), Some("inner"));
        assert!(inner.is_multipart());
        assert_eq!(inner.parts.len(), 1);
        assert_eq!(
            slice(raw, inner.parts[0].body_offset, inner.parts[0].body_len),
            b"inner text"
        );
        assert_eq!(inner.parts[0].subtype, "plain");
        let p3 = &root.parts[2];
        assert_eq!(slice(raw, p3.body_offset, p3.body_len), b"AAAA\r\nBBBB");
        assert_eq!(p3.encoding.as_deref(), Some("base64"));
        let (d, params) = p3.disposition.as_ref().unwrap();
        assert_eq!(d, "attachment");
        assert_eq!(params[0], ("filename".to_string(), "a.bin".to_string()));
        assert_eq!(
            slice(raw, p3.header_offset, p3.header_len).len() as u64,
            p3.header_len
        );
    }
}

#[test]
fn binary_body_with_nul() {
    let raw = b"From: user@domain.org\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\0-\xe4\n\r\n\n\n";
    let (_, p) = scan(raw, 1000);
    assert_eq!(p.body_len, 8, "{p:?}");
}

#[test]
fn lines_are_counted_by_line_feeds() {
    let long = "x".repeat(5000);
    let raw = format!(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhello\r\n\r\n--b\r\n\r\n{long}\r\n--b--\r\n"
    );
    for step in [1, 100, 100_000] {
        let (_, root) = scan(raw.as_bytes(), step);
        let (p1, p2) = (&root.parts[0], &root.parts[1]);
        assert_eq!(
            slice(raw.as_bytes(), p1.body_offset, p1.body_len),
            b"hello\r\n"
        );
        assert_eq!(p1.body_lines, 1);
        // A long line's terminator is found even though only its start is kept.
        assert_eq!(p2.body_len, 5000);
        assert_eq!(p2.body_lines, 0);
    }
    let (_, p) = scan(b"Subject: x\r\n\r\none\r\ntwo", 3);
    assert_eq!(
        p.body_lines, 1,
        "an unterminated last line has no line feed"
    );
}

#[test]
fn header_only_and_garbage_do_not_panic() {
    let (_, p) = scan(b"Subject: x", 2);
    assert_eq!(p.body_len, 0);
    let (_, p) = scan(b"", 1);
    assert_eq!(p.body_len, 0);
    let (_, p) = scan(
        b"Content-Type: multipart/mixed; boundary=Q\r\n\r\n--Q\r\n--Q\r\n--Q--",
        1,
    );
    assert_eq!(p.parts.len(), 2);
    let (_, p) = scan(&[0xff, b'\n', b'\n', 0, 1, 2], 1);
    assert_eq!(p.body_len, 3);
}

fn count_parts(p: &BodyPart) -> usize {
    1 + p.parts.iter().map(count_parts).sum::<usize>()
        + p.message.as_ref().map_or(0, |m| count_parts(&m.1))
}

fn depth(p: &BodyPart) -> usize {
    1 + p
        .parts
        .iter()
        .map(depth)
        .chain(p.message.as_ref().map(|m| depth(&m.1)))
        .max()
        .unwrap_or(0)
}

#[test]
fn a_million_empty_parts_stop_at_the_part_cap() {
    let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    raw.extend(b"--b\r\n\r\n".repeat(1_000_000));
    raw.extend_from_slice(b"--b--\r\n");
    let limits = MimeLimits {
        max_parts: 100,
        max_depth: 32,
    };
    let mut s = Scanner::with_limits(limits);
    for c in raw.chunks(65536) {
        s.feed(c);
    }
    let (_, part) = s.finish();
    assert_eq!(count_parts(&part), 100);
    // The rest is the last part's body, so every byte is still accounted for.
    let last = part.parts.last().unwrap();
    assert_eq!(last.body_offset + last.body_len, raw.len() as u64);
}

#[test]
fn nesting_stops_at_the_depth_cap() {
    let mut raw = Vec::new();
    for i in 0..200 {
        raw.extend(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").bytes(),
        );
    }
    raw.extend_from_slice(b"\r\ninnermost\r\n");
    let (_, part) = scan(&raw, 4096);
    assert_eq!(depth(&part), MimeLimits::default().max_depth);
    let lim = MimeLimits {
        max_parts: 5000,
        max_depth: 4,
    };
    let mut s = Scanner::with_limits(lim);
    s.feed(&raw);
    assert_eq!(depth(&s.finish().1), 4);
}
