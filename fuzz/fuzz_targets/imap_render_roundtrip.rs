//! What the IMAP server writes about a message from anyone: the MIME scanner's ENVELOPE and
//! BODYSTRUCTURE, flag lists and folder names, rendered as the server renders them, must form
//! a response a client's parser (imap-codec) reads completely. The scanner must also give the
//! same structure however the message is sliced, with every part inside the message.

#![no_main]

use imap::render::{body_structure, envelope, find_part};
use imap::syntax::{decode_mutf7, encode_mutf7, flag_list, internal_date, string, string_utf8};
use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder;
use libfuzzer_sys::fuzz_target;
use mailbox::mime::Scanner;
use mailbox::{BodyPart, Envelope};

/// Deepest body nesting imap-codec parses (it stops at a fixed recursion depth). Deeper
/// structures are valid IMAP, so they are not held against the renderer.
const PARSER_DEPTH: usize = 7;

fn depth(p: &BodyPart) -> usize {
    1 + p
        .parts
        .iter()
        .map(depth)
        .chain(p.message.as_ref().map(|m| depth(&m.1)))
        .max()
        .unwrap_or(0)
}

/// Whether the bytes `off..off + len` lie within `start..end`; an empty range may lie anywhere.
fn inside(off: u64, len: u64, start: u64, end: u64) -> bool {
    len == 0 || (start <= off && off + len <= end)
}

/// Every part lies inside the message, and the bytes of a nested part inside its parent's
/// body: a FETCH of BODY[section] serves exactly these ranges.
fn check_offsets(p: &BodyPart, size: u64) {
    assert!(p.header_offset <= p.body_offset);
    assert!(p.body_offset <= size, "part starts past the message");
    assert!(
        inside(p.header_offset, p.header_len, 0, size),
        "header past the message"
    );
    assert!(
        inside(p.body_offset, p.body_len, 0, size),
        "body past the message"
    );
    let (start, end) = (p.body_offset, p.body_offset + p.body_len);
    let nested = p.parts.iter().chain(p.message.as_ref().map(|m| &m.1));
    for c in nested {
        assert!(
            inside(c.header_offset, c.header_len, start, end),
            "a part's header lies outside its parent's body"
        );
        assert!(
            inside(c.body_offset, c.body_len, start, end),
            "a part's body lies outside its parent's body"
        );
        check_offsets(c, size);
    }
}

/// Parses one complete response; a failure is a response the server should not have sent.
fn must_parse(line: &[u8]) {
    match ResponseCodec::default().decode(line) {
        Ok((rest, _)) => assert!(
            rest.is_empty(),
            "response parsed with {} bytes left over: {:?}",
            rest.len(),
            String::from_utf8_lossy(line)
        ),
        Err(e) => panic!(
            "response does not parse ({e:?}): {:?}",
            String::from_utf8_lossy(line)
        ),
    }
}

fn scan(raw: &[u8], step: usize) -> (Envelope, BodyPart, Option<Vec<u8>>) {
    let mut s = Scanner::new();
    for piece in raw.chunks(step.max(1)) {
        s.feed(piece);
    }
    s.finish_with_header()
}

fuzz_target!(|data: &[u8]| {
    let [opts, flags_len, name_len, rest @ ..] = data else {
        return;
    };
    let (flags, rest) = rest.split_at(rest.len().min(usize::from(*flags_len % 64)));
    let (name, raw) = rest.split_at(rest.len().min(usize::from(*name_len % 64)));

    let whole = scan(raw, raw.len());
    let sliced = scan(raw, usize::from(opts >> 1));
    assert_eq!(whole, sliced, "slicing changed the structure");
    let (env, part, header) = whole;
    check_offsets(&part, raw.len() as u64);
    if let Some(h) = &header {
        assert_eq!(
            h.as_slice(),
            &raw[..(part.header_len as usize).min(raw.len())]
        );
    }
    for path in [&[1][..], &[1, 1], &[2], &[1, 2, 1]] {
        if let Some(p) = find_part(&part, path) {
            check_offsets(p, raw.len() as u64);
        }
    }

    // A FETCH response carrying everything rendered from the message.
    let flags: Vec<String> = String::from_utf8_lossy(flags)
        .split(' ')
        .map(str::to_string)
        .chain(mailbox::type_keyword("invoice"))
        .chain(["\\Recent".to_string()])
        .collect();
    let mut line = format!("* 1 FETCH (FLAGS {} ENVELOPE ", flag_list(&flags)).into_bytes();
    envelope(&mut line, &env);
    if depth(&part) <= PARSER_DEPTH {
        line.extend_from_slice(b" BODYSTRUCTURE ");
        body_structure(&mut line, &part, true, false);
        line.extend_from_slice(b" BODY ");
        body_structure(&mut line, &part, false, false);
    }
    line.extend_from_slice(
        format!(
            " INTERNALDATE {} RFC822.SIZE {} UID 7)\r\n",
            internal_date(i64::from(u32::from_le_bytes([
                *opts, *flags_len, *name_len, 0
            ]))),
            raw.len()
        )
        .as_bytes(),
    );
    must_parse(&line);

    // A folder name as LIST shows it: modified UTF-7 for IMAP4rev1, UTF-8 for IMAP4rev2.
    if let Ok(name) = mailbox::normalize_folder_name(&String::from_utf8_lossy(name)) {
        let mutf7 = encode_mutf7(&name);
        assert_eq!(decode_mutf7(&mutf7).as_deref(), Some(name.as_str()));
        let mut l = b"* LIST (\\HasNoChildren) \"/\" ".to_vec();
        if opts & 1 == 0 {
            string(&mut l, &mutf7);
        } else {
            string_utf8(&mut l, &name);
        }
        l.extend_from_slice(b"\r\n");
        must_parse(&l);
    }
});
