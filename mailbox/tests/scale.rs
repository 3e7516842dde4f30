//! Timings of the store paths an IMAP session uses on a large folder. Ignored by default:
//! run with `cargo test -p mailbox --release --test scale -- --ignored --nocapture`.

use std::io::Write;
use std::time::Instant;

use mailbox::{FlagOp, StorageKey, Store};

/// The folder's size; `SCALE_N` in the environment sets another.
fn messages() -> u32 {
    std::env::var("SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn ms(t: Instant) -> String {
    format!("{:.1} ms", t.elapsed().as_secs_f64() * 1000.0)
}

/// Fills INBOX with `messages()` copies of one body by doubling copies, without flags.
fn fill(store: &Store, account: u64) -> u64 {
    let total = messages();
    let mut w = store.new_message().unwrap();
    w.write_all(b"Subject: scale\r\nFrom: a@x.h\r\n\r\nbody\r\n")
        .unwrap();
    let staged = w.finish().unwrap();
    store.deliver(&staged, account, "INBOX", &[], None).unwrap();
    let inbox = store.folder(account, "INBOX").unwrap().unwrap();
    let mut have = 1u32;
    while have < total {
        let n = have.min(total - have);
        let uids: Vec<u32> = (1..=n).collect();
        store
            .copy_messages(account, inbox.id, &uids, inbox.id)
            .unwrap();
        have += n;
    }
    inbox.id
}

/// Gives every third message \Seen, every seventh `$Work` and every 500th \Deleted.
fn set_flags(store: &Store, account: u64, folder: u64) {
    let total = messages();
    let every = |k: u32| (1..=total).filter(|u| u % k == 0).collect::<Vec<_>>();
    store
        .store_flags(account, folder, &every(3), FlagOp::Add, &["\\Seen"], None)
        .unwrap();
    store
        .store_flags(account, folder, &every(7), FlagOp::Add, &["$Work"], None)
        .unwrap();
    store
        .store_flags(
            account,
            folder,
            &every(500),
            FlagOp::Add,
            &["\\Deleted"],
            None,
        )
        .unwrap();
}

#[test]
#[ignore]
fn timings_at_100k() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    let a = store.add_account("scale@x.h", "pw").unwrap();
    let t = Instant::now();
    let folder = fill(&store, a.id);
    let total = messages();
    eprintln!("fill {total}: {}", ms(t));
    let t = Instant::now();
    let mut n = 0;
    store.list_folder(a.id, folder, |_, _, _| n += 1).unwrap();
    eprintln!("list_folder, no flags yet: {} ({n} messages)", ms(t));
    let t = Instant::now();
    set_flags(&store, a.id, folder);
    eprintln!(
        "\\Seen on every 3rd, $Work on every 7th, \\Deleted on every 500th: {}",
        ms(t)
    );
    let f = store.folder_by_id(a.id, folder).unwrap().unwrap();

    for _ in 0..3 {
        let t = Instant::now();
        let states = store.message_states(folder).unwrap();
        eprintln!("message_states: {} ({} records)", ms(t), states.len());
    }
    for _ in 0..2 {
        let t = Instant::now();
        let mut n = 0;
        store
            .scan_states(folder, 0..=u32::MAX, |_, _| n += 1)
            .unwrap();
        eprintln!("scan_states: {} ({n} records)", ms(t));
    }
    for _ in 0..2 {
        let t = Instant::now();
        let mut n = 0;
        store.list_folder(a.id, folder, |_, _, _| n += 1).unwrap();
        eprintln!("list_folder: {} ({n} messages)", ms(t));
    }
    let t = Instant::now();
    let changes = store.changes_since(folder, 0).unwrap();
    eprintln!("changes_since(0): {} ({} entries)", ms(t), changes.len());
    let h = store
        .folder_by_id(a.id, folder)
        .unwrap()
        .unwrap()
        .highest_modseq;
    let t = Instant::now();
    let changes = store.changes_since(folder, h - 1000).unwrap();
    eprintln!(
        "changes_since(top - 1000): {} ({} entries)",
        ms(t),
        changes.len()
    );
    let t = Instant::now();
    let s = store.status(&f).unwrap();
    eprintln!("status: {} ({s:?})", ms(t));
    let t = Instant::now();
    let size = store.folder_size(folder).unwrap();
    eprintln!("folder_size: {} ({size})", ms(t));
    let all: Vec<u32> = (1..=total).collect();
    let t = Instant::now();
    store
        .store_flags(a.id, folder, &all, FlagOp::Add, &["\\Flagged"], None)
        .unwrap();
    eprintln!("store_flags 1:* +\\Flagged: {}", ms(t));
    let t = Instant::now();
    store
        .store_flags(a.id, folder, &all, FlagOp::Add, &["\\Flagged"], None)
        .unwrap();
    eprintln!("store_flags 1:* +\\Flagged again (no change): {}", ms(t));
    // The imap-scale benchmark's catch-up step: 1000 messages spread over the whole folder.
    let spread: Vec<u32> = (0..1000).map(|i| 1 + i * total / 1000).collect();
    for flag in ["$A", "$B", "$C"] {
        let t = Instant::now();
        store
            .store_flags(a.id, folder, &spread, FlagOp::Add, &[flag], None)
            .unwrap();
        eprintln!("store_flags of 1000 spread +{flag}: {}", ms(t));
    }
    // EXPUNGE of the same 1000, then of every other message left.
    store
        .store_flags(a.id, folder, &spread, FlagOp::Add, &["\\Deleted"], None)
        .unwrap();
    let t = Instant::now();
    let gone = store.expunge(a.id, folder, None).unwrap();
    eprintln!(
        "expunge the 1000 spread and every 500th: {} ({} gone)",
        ms(t),
        gone.len()
    );
    let half: Vec<u32> = all.iter().copied().filter(|u| u % 2 == 0).collect();
    store
        .store_flags(a.id, folder, &half, FlagOp::Add, &["\\Deleted"], None)
        .unwrap();
    let t = Instant::now();
    let gone = store.expunge(a.id, folder, None).unwrap();
    eprintln!(
        "expunge every other message: {} ({} gone)",
        ms(t),
        gone.len()
    );
    let t = Instant::now();
    let mut n = 0;
    store.list_folder(a.id, folder, |_, _, _| n += 1).unwrap();
    eprintln!("list_folder after: {} ({n} messages)", ms(t));
}
