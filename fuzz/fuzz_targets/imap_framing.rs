//! IMAP client input before imap-codec sees it: literal announcements, the command budget that
//! bounds what a client (a stranger, before login) can make the server hold, the rewrites of
//! ESEARCH/SEARCHRES/LIST-EXTENDED syntax, and LIST pattern matching. Nothing may panic; the
//! framing must agree with imap-codec about literals; a command must stay within its budget.

#![no_main]

use imap::append_ext::split as split_append;
use imap::compress::{Deflate, INFLATE_PIECE};
use imap::framing::{Budget, Frame, Framer, Refusal, literal_at_end};
use imap::list_ext::{Rewrite, rewrite as rewrite_list};
use imap::search_ext::{Saved, strip_return, substitute, verb};
use imap::syntax::{decode_mutf7, encode_mutf7, list_match};
use imap_codec::CommandCodec;
use imap_codec::decode::{CommandDecodeError, Decoder};
use imap_codec::imap_types::core::LiteralMode;
use libfuzzer_sys::fuzz_target;

/// One line, as the framer hands it to `literal_at_end`.
fn literal(data: &[u8]) {
    let line = match data.iter().position(|&b| b == b'\n') {
        Some(i) => &data[..=i],
        None => data,
    };
    let ours = literal_at_end(line);
    if let Some((n, _)) = ours {
        let body = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .expect("a line end");
        assert!(body.ends_with(b"}") && body.contains(&b'{'));
        assert!(n.to_string().len() <= 19);
    }
    // A literal imap-codec waits for, the framing must read; otherwise its bytes would be
    // taken for the next command.
    if let Err(CommandDecodeError::LiteralFound { length, mode, .. }) =
        CommandCodec::default().decode(line)
    {
        assert_eq!(
            ours,
            Some((u64::from(length), mode == LiteralMode::NonSync)),
            "imap-codec waits for a literal the framing does not read"
        );
    }
}

/// The rewrites the session applies before parsing, then the parse.
fn rewrites(data: &[u8]) {
    let [n_uids, n_seqs, rest @ ..] = data else {
        return;
    };
    let uids: Vec<u32> = (1..=u32::from(*n_uids % 8)).map(|i| i * 3).collect();
    let seqs: Vec<u32> = (1..=u32::from(*n_seqs % 8)).collect();
    let _ = verb(rest);
    // APPEND is split per message before parsing; each part must parse or be refused whole.
    for part in split_append(rest).unwrap_or_default() {
        let _ = CommandCodec::default().decode(&part.command);
    }
    // COMPRESS=DEFLATE input: any bytes inflate or fail, a piece at a time.
    let mut inflater = Deflate::new();
    inflater.feed(rest);
    let mut out = Vec::new();
    while let Ok(n) = inflater.inflate(&mut out) {
        assert!(n <= INFLATE_PIECE, "one inflate made {n} bytes");
        if n == 0 {
            break;
        }
        out.clear();
    }
    let mut bytes = match substitute(rest, &uids, &seqs) {
        Saved::Rewritten(b) => b,
        Saved::Nothing => return,
        Saved::Unchanged => rest.to_vec(),
    };
    if let Some((plain, _)) = strip_return(&bytes) {
        bytes = plain;
    }
    if let Some(Rewrite::Plain(plain, _)) = rewrite_list(&bytes) {
        bytes = plain;
    }
    let _ = CommandCodec::default().decode(&bytes);
}

/// LIST patterns against folder names, and folder names through modified UTF-7. The sizes are
/// what a client may send (a pattern in one command line) and what a folder name may be.
fn names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, name) = text.split_once('\0').unwrap_or((&text, "INBOX"));
    // Folder names are at most 512 bytes (`mailbox::normalize_folder_name`).
    let name = &name[..name.floor_char_boundary(512)];
    let _ = list_match(pattern, name, '/');
    assert_eq!(
        decode_mutf7(&encode_mutf7(name)).as_deref(),
        Some(name),
        "modified UTF-7 does not round-trip"
    );
    let _ = decode_mutf7(pattern);
}

/// Commands framed from `wire`, fed in pieces of varying size, under a budget: nothing may
/// panic, a command held whole must stay within its budget, every APPEND body is whole.
fn budget(data: &[u8]) {
    let [a, b, c, piece, wire @ ..] = data else {
        return;
    };
    let budget = Budget {
        // The configuration refuses a zero budget.
        max_command: 1 + usize::from(u16::from_le_bytes([*a, *b])) % 20_000,
        max_append: [0, 100, 70_000, 1 << 20][usize::from(*c % 4)],
        max_append_messages: 1 + usize::from(*c >> 4),
    };
    let mut framer = Framer::default();
    let mut chunks = wire.chunks(1 + usize::from(*piece));
    let (mut body_left, mut bodies) = (None::<u64>, 0usize);
    loop {
        match framer.next(&budget) {
            Frame::NeedInput => match chunks.next() {
                Some(c) => framer.feed(c),
                None => break,
            },
            Frame::Continue => {}
            Frame::BodyStart { len } => {
                assert!(body_left.is_none(), "a body started inside another");
                assert!(len <= budget.max_append, "a body over the limit");
                body_left = Some(len);
            }
            Frame::Body(b) => {
                let left = body_left.as_mut().expect("body bytes outside a body");
                *left = left
                    .checked_sub(b.len() as u64)
                    .expect("more body than announced");
            }
            Frame::BodyEnd => {
                assert_eq!(body_left.take(), Some(0), "a body ended early");
                bodies += 1;
                assert!(bodies <= budget.max_append_messages);
            }
            Frame::Command(bytes) => {
                if bodies == 0 {
                    assert!(
                        bytes.len() <= budget.max_command,
                        "a {}-byte command passed a budget of {}",
                        bytes.len(),
                        budget.max_command
                    );
                }
                bodies = 0;
                let _ = CommandCodec::default().decode(&bytes);
            }
            Frame::Refused { reason, .. } => {
                body_left = None;
                bodies = 0;
                if let Refusal::CommandTooLong { close: true }
                | Refusal::TooManyMessages { close: true } = reason
                {
                    break;
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => literal(rest),
        1 => rewrites(rest),
        2 => names(rest),
        _ => budget(rest),
    }
});
