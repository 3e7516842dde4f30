//! IMAP client input before imap-codec sees it: literal announcements, the command budget that
//! bounds what a client (a stranger, before login) can make the server hold, the rewrites of
//! ESEARCH/SEARCHRES/LIST-EXTENDED syntax, and LIST pattern matching. Nothing may panic; the
//! framing must agree with imap-codec about literals; a command must stay within its budget.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use imap_codec::CommandCodec;
use imap_codec::decode::{CommandDecodeError, Decoder};
use imap_codec::imap_types::core::LiteralMode;
use libfuzzer_sys::fuzz_target;
use node::fuzzing::imap::{
    Budget, Conn, Input, Refusal, decode_mutf7, encode_mutf7, list_match, literal_at_end,
    rewrite_list, strip_return, substitute, verb,
};
use node::net::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One line, as `read_command` hands it to `literal_at_end`.
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

/// The rewrites `Session::run` applies before parsing, then the parse.
fn rewrites(data: &[u8]) {
    let [n_uids, n_seqs, rest @ ..] = data else {
        return;
    };
    let uids: Vec<u32> = (1..=u32::from(*n_uids % 8)).map(|i| i * 3).collect();
    let seqs: Vec<u32> = (1..=u32::from(*n_seqs % 8)).collect();
    let _ = verb(rest);
    // APPEND is split per message before parsing; each part must parse or be refused whole.
    for part in node::fuzzing::imap::split_append(rest).unwrap_or_default() {
        let _ = CommandCodec::default().decode(&part.command);
    }
    // COMPRESS=DEFLATE input: any bytes inflate or fail, a piece at a time.
    let mut inflater = node::fuzzing::imap::Deflate::new();
    inflater.feed(rest);
    let mut out = Vec::new();
    while let Ok(n) = inflater.inflate(&mut out) {
        assert!(
            n <= node::fuzzing::imap::INFLATE_PIECE,
            "one inflate made {n} bytes"
        );
        if n == 0 {
            break;
        }
        out.clear();
    }
    let mut bytes = match substitute(rest, &uids, &seqs) {
        node::fuzzing::imap::Saved::Rewritten(b) => b,
        node::fuzzing::imap::Saved::Nothing => return,
        node::fuzzing::imap::Saved::Unchanged => rest.to_vec(),
    };
    if let Some((plain, _)) = strip_return(&bytes) {
        bytes = plain;
    }
    if let Some(node::fuzzing::imap::Rewrite::Plain(plain, _)) = rewrite_list(&bytes) {
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

struct Net {
    rt: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    store: mailbox::Store,
    _dir: tempfile::TempDir,
}

fn net() -> &'static Net {
    static N: OnceLock<Net> = OnceLock::new();
    N.get_or_init(|| {
        // `read_command` moves large APPEND bodies to the store with `block_in_place`, which
        // needs the multi-threaded runtime.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store =
            mailbox::Store::open(dir.path(), mailbox::StorageKey::from_bytes([9; 32])).unwrap();
        Net {
            rt,
            listener,
            store,
            _dir: dir,
        }
    })
}

/// Commands read from a client that sends `wire` and closes, under `budget`.
fn budget(data: &[u8]) {
    let [a, b, c, wire @ ..] = data else {
        return;
    };
    let budget = Budget {
        // The configuration refuses a zero budget.
        max_command: 1 + usize::from(u16::from_le_bytes([*a, *b])) % 20_000,
        max_append: [0, 100, 70_000, 1 << 20][usize::from(*c % 4)],
        max_append_messages: 1 + usize::from(*c >> 4),
    };
    let n = net();
    n.rt.block_on(async {
        let client = tokio::net::TcpStream::connect(n.listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = n.listener.accept().await.unwrap();
        // No TIME_WAIT: thousands of connections a second would use up the ports.
        client.set_zero_linger().unwrap();
        server.set_zero_linger().unwrap();
        let (mut rd, mut wr) = client.into_split();
        wr.write_all(wire).await.unwrap();
        wr.shutdown().await.unwrap();
        let drain = tokio::spawn(async move {
            let mut sink = Vec::new();
            let _ = rd.read_to_end(&mut sink).await;
            drop(wr);
        });
        let mut conn = Conn::new(Stream::Plain(server), Duration::from_secs(10));
        loop {
            match conn.read_command(&n.store, budget, "go").await {
                Ok(Input::Eof) | Err(_) => break,
                Ok(Input::Command { bytes, staged }) => {
                    if staged.is_empty() {
                        assert!(
                            bytes.len() <= budget.max_command,
                            "a {}-byte command passed a budget of {}",
                            bytes.len(),
                            budget.max_command
                        );
                    }
                    let _ = CommandCodec::default().decode(&bytes);
                }
                Ok(Input::Refused { reason, .. }) => {
                    if let Refusal::CommandTooLong { close: true }
                    | Refusal::TooManyMessages { close: true } = reason
                    {
                        break;
                    }
                }
            }
        }
        drop(conn);
        let _ = drain.await;
    });
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
