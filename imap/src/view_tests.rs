//! The view against a real store: what another session's changes turn into.

use std::io::Write;

use mailbox::{FlagOp, StorageKey, Store};

use super::View;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    account: u64,
    folder: u64,
}

fn fixture(messages: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    let account = store.add_account("v@x.h", "pw").unwrap().id;
    let f = Fixture {
        folder: store.folder(account, "INBOX").unwrap().unwrap().id,
        _dir: dir,
        store,
        account,
    };
    for _ in 0..messages {
        deliver(&f, &[]);
    }
    f
}

fn deliver(f: &Fixture, flags: &[&str]) -> u32 {
    let mut w = f.store.new_message().unwrap();
    w.write_all(b"Subject: v\r\n\r\nbody\r\n").unwrap();
    let staged = w.finish().unwrap();
    f.store
        .deliver(&staged, f.account, "INBOX", flags, None)
        .unwrap()
        .uid
}

fn open(f: &Fixture, read_only: bool) -> View {
    let folder = f.store.folder(f.account, "INBOX").unwrap().unwrap();
    View::open(&f.store, None, f.account, &folder, read_only).unwrap()
}

fn refresh(f: &Fixture, v: &mut View, allow_expunge: bool) -> String {
    let mut out = Vec::new();
    v.refresh(&f.store, &mut out, allow_expunge).unwrap();
    String::from_utf8(out).unwrap()
}

fn store(f: &Fixture, uids: &[u32], op: FlagOp, flags: &[&str]) -> mailbox::FlagChange {
    f.store
        .store_flags(f.account, f.folder, uids, op, flags, None)
        .unwrap()
}

#[test]
fn another_sessions_changes_arrive_in_order() {
    let f = fixture(4);
    let mut v = open(&f, false);
    assert_eq!(v.exists(), 4);
    assert_eq!(v.recent_count(), 4, "the first session claims them");
    assert_eq!(refresh(&f, &mut v, true), "", "nothing happened");

    store(&f, &[3], FlagOp::Add, &["\\Flagged"]);
    store(&f, &[2, 4], FlagOp::Add, &["\\Deleted"]);
    f.store.expunge(f.account, f.folder, None).unwrap();
    let new = deliver(&f, &[]);
    assert_eq!(new, 5);
    assert_eq!(
        refresh(&f, &mut v, true),
        "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n\
         * 2 FETCH (FLAGS (\\Flagged \\Recent) UID 3)\r\n\
         * 3 EXISTS\r\n* 3 RECENT\r\n"
    );
    assert_eq!(v.uids(), &[1, 3, 5]);
    assert_eq!(refresh(&f, &mut v, true), "");
}

#[test]
fn sequence_numbers_are_found_after_the_previous_one_or_anywhere() {
    let f = fixture(5);
    store(&f, &[2], FlagOp::Add, &["\\Deleted"]);
    f.store.expunge(f.account, f.folder, Some(&[2])).unwrap();
    let v = open(&f, false);
    assert_eq!(v.seq_after(1, None), Some(1));
    assert_eq!(v.seq_after(3, Some(1)), Some(2));
    assert_eq!(v.seq_after(5, Some(2)), Some(4), "not the next: searched");
    assert_eq!(v.seq_after(1, Some(3)), Some(1), "behind: searched");
    assert_eq!(v.seq_after(2, Some(1)), None, "expunged");
    assert_eq!(v.seq_after(9, Some(4)), None, "past the end");
}

#[test]
fn expunges_wait_while_not_allowed() {
    let f = fixture(3);
    let mut v = open(&f, false);
    store(&f, &[1], FlagOp::Add, &["\\Deleted"]);
    f.store.expunge(f.account, f.folder, None).unwrap();
    store(&f, &[3], FlagOp::Add, &["\\Seen"]);
    assert_eq!(
        refresh(&f, &mut v, false),
        "* 3 FETCH (FLAGS (\\Seen \\Recent) UID 3)\r\n",
        "the flag change is told, the expunge waits"
    );
    assert_eq!(v.exists(), 3);
    assert_eq!(refresh(&f, &mut v, false), "");
    assert_eq!(refresh(&f, &mut v, true), "* 1 EXPUNGE\r\n");
    assert_eq!(v.uids(), &[2, 3]);
    assert_eq!(refresh(&f, &mut v, true), "");
}

#[test]
fn own_changes_are_not_echoed() {
    let f = fixture(2);
    let mut v = open(&f, false);
    let ch = store(&f, &[1], FlagOp::Add, &["\\Seen"]);
    v.absorb(&ch);
    store(&f, &[2], FlagOp::Add, &["\\Answered"]);
    assert_eq!(
        refresh(&f, &mut v, true),
        "* 2 FETCH (FLAGS (\\Answered \\Recent) UID 2)\r\n"
    );
}

#[test]
fn a_change_taken_in_moves_the_view_on_unless_another_came_first() {
    let f = fixture(3);
    let mut v = open(&f, false);
    let before = v.highest_modseq();
    let ch = store(&f, &[1, 2, 3], FlagOp::Add, &["\\Seen"]);
    assert_eq!(ch.modseqs, (before, before + 3));
    v.absorb(&ch);
    v.took_in(ch.modseqs);
    assert_eq!(v.highest_modseq(), before + 3);
    assert_eq!(refresh(&f, &mut v, true), "");

    // Another session's change before ours: the view stays where it was and reads both.
    store(&f, &[2], FlagOp::Add, &["\\Answered"]);
    let ch = store(&f, &[1], FlagOp::Add, &["\\Flagged"]);
    v.absorb(&ch);
    v.took_in(ch.modseqs);
    assert_eq!(v.highest_modseq(), before + 3);
    assert_eq!(
        refresh(&f, &mut v, true),
        "* 2 FETCH (FLAGS (\\Seen \\Answered \\Recent) UID 2)\r\n"
    );
    assert_eq!(v.highest_modseq(), before + 5);
}

#[test]
fn new_keywords_are_announced_before_they_show() {
    let f = fixture(0);
    deliver(&f, &["$Old"]);
    deliver(&f, &[]);
    let mut v = open(&f, true);
    v.condstore = true;
    let mut out = Vec::new();
    v.announce_flags(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Old)\r\n"),
        "{text}"
    );
    assert!(text.contains("[PERMANENTFLAGS ()]"), "read-only: {text}");

    let ch = store(&f, &[2], FlagOp::Add, &["$New"]);
    let modseq = ch.updated[0].modseq;
    let got = refresh(&f, &mut v, true);
    assert_eq!(
        got,
        format!(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $New $Old)\r\n\
             * OK [PERMANENTFLAGS ()] .\r\n\
             * 2 FETCH (FLAGS ($New \\Recent) UID 2 MODSEQ ({modseq}))\r\n"
        )
    );
    // Known now: told once only.
    store(&f, &[1], FlagOp::Add, &["$New"]);
    let got = refresh(&f, &mut v, true);
    assert!(
        got.starts_with("* 1 FETCH (FLAGS ($Old $New \\Recent) UID 1"),
        "{got}"
    );
}

#[test]
fn recent_goes_to_one_session_only() {
    let f = fixture(2);
    let mut a = open(&f, false);
    let mut b = open(&f, false);
    assert_eq!((a.recent_count(), b.recent_count()), (2, 0));
    deliver(&f, &[]);
    let got_b = refresh(&f, &mut b, true);
    let got_a = refresh(&f, &mut a, true);
    assert_eq!(got_b, "* 3 EXISTS\r\n* 1 RECENT\r\n");
    assert_eq!(got_a, "* 3 EXISTS\r\n* 2 RECENT\r\n");
    let ro = open(&f, true);
    assert_eq!(ro.recent_count(), 0, "all claimed");
    assert!(b.slot(3).unwrap().recent && !a.slot(3).unwrap().recent);
}

#[test]
fn a_message_filed_and_expunged_between_looks_is_never_shown() {
    let f = fixture(1);
    let mut v = open(&f, false);
    let uid = deliver(&f, &["\\Deleted"]);
    f.store.expunge(f.account, f.folder, Some(&[uid])).unwrap();
    let third = deliver(&f, &[]);
    assert_eq!(refresh(&f, &mut v, true), "* 2 EXISTS\r\n* 2 RECENT\r\n");
    assert_eq!(v.uids(), &[1, third]);
}

/// Fills the fixture's INBOX to `n` messages by copying what is there.
fn grow(f: &Fixture, n: u32) {
    let mut have = f.store.counters(f.folder).unwrap().messages;
    while have < n {
        let more = have.min(n - have);
        let uids: Vec<u32> = f.store.message_states(f.folder).unwrap()[..more as usize]
            .iter()
            .map(|(u, _)| *u)
            .collect();
        f.store
            .copy_messages(f.account, f.folder, &uids, f.folder)
            .unwrap();
        have += more;
    }
}

/// What a client is shown of every message: UID, flags and modseq.
fn shown(v: &View) -> Vec<(u32, String, u64)> {
    (1..=v.exists())
        .map(|seq| {
            let s = v.slot(seq).unwrap();
            (v.uids()[seq as usize - 1], v.flags_text(&s), s.modseq)
        })
        .collect()
}

#[test]
fn a_view_from_the_cache_equals_one_read_afresh() {
    let f = fixture(1);
    grow(&f, 2500);
    let cache = super::super::view_cache::ViewCache::default();
    let folder = || f.store.folder(f.account, "INBOX").unwrap().unwrap();
    let a = View::open(&f.store, Some(&cache), f.account, &folder(), false).unwrap();
    assert!(cache.get(f.account, f.folder).is_some(), "stored");
    assert_eq!(a.recent_count(), 2500);

    store(&f, &[3, 400, 2500], FlagOp::Add, &["$Later", "\\Deleted"]);
    store(&f, &[7], FlagOp::Add, &["\\Seen"]);
    f.store
        .expunge(f.account, f.folder, Some(&[400, 2500]))
        .unwrap();
    deliver(&f, &["$New"]);
    deliver(&f, &[]);
    f.store.claim_recent(f.account, f.folder).unwrap();
    deliver(&f, &[]);

    let b = View::open(&f.store, Some(&cache), f.account, &folder(), true).unwrap();
    let c = View::open(&f.store, None, f.account, &folder(), true).unwrap();
    assert_eq!(shown(&b), shown(&c));
    assert_eq!((b.exists(), b.recent_count()), (c.exists(), 1));
    assert_eq!(b.highest_modseq(), c.highest_modseq());
    assert_eq!(b.uidnext(), c.uidnext());
    let mut out = Vec::new();
    let mut b = b;
    b.announce_flags(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("$Later $New)"), "{text}");
    // The copy was brought up to date in the cache too.
    assert_eq!(
        cache.get(f.account, f.folder).unwrap().modseq,
        c.highest_modseq()
    );
}

/// Timings on a folder of 100k messages; run with
/// `cargo test -p imap --release --lib view::tests::timings -- --ignored --nocapture`.
#[test]
#[ignore]
fn timings_at_100k() {
    use std::time::Instant;
    const N: u32 = 100_000;
    let ms = |t: Instant| format!("{:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
    let f = fixture(1);
    let mut have = 1;
    while have < N {
        let n = have.min(N - have);
        let uids: Vec<u32> = (1..=n).collect();
        f.store
            .copy_messages(f.account, f.folder, &uids, f.folder)
            .unwrap();
        have += n;
    }
    let every = |k: u32| (1..=N).filter(|u| u % k == 0).collect::<Vec<_>>();
    store(&f, &every(3), FlagOp::Add, &["\\Seen"]);
    store(&f, &every(7), FlagOp::Add, &["$Work"]);

    let t = Instant::now();
    let mut v = open(&f, false);
    eprintln!("open (SELECT): {}", ms(t));
    let cache = super::super::view_cache::ViewCache::default();
    let folder = f.store.folder(f.account, "INBOX").unwrap().unwrap();
    View::open(&f.store, Some(&cache), f.account, &folder, false).unwrap();
    let t = Instant::now();
    View::open(&f.store, Some(&cache), f.account, &folder, false).unwrap();
    eprintln!("open from the cache: {}", ms(t));
    let t = Instant::now();
    let _second = open(&f, false);
    eprintln!("open again: {}", ms(t));
    let t = Instant::now();
    let folder = f.store.folder(f.account, "INBOX").unwrap().unwrap();
    let status = f.store.status(&folder).unwrap();
    eprintln!("status: {} ({status:?})", ms(t));
    let t = Instant::now();
    let mut out = Vec::new();
    for seq in 1..=v.exists() {
        v.fetch_flags_line(&mut out, seq, true);
    }
    eprintln!("FETCH 1:* FLAGS lines: {} ({} bytes)", ms(t), out.len());
    let t = Instant::now();
    assert_eq!(refresh(&f, &mut v, true), "");
    eprintln!("refresh, nothing new: {}", ms(t));
    store(&f, &[5], FlagOp::Add, &["\\Flagged"]);
    let t = Instant::now();
    refresh(&f, &mut v, true);
    eprintln!("refresh, one change: {}", ms(t));
    let all: Vec<u32> = (1..=N).collect();
    let t = Instant::now();
    store(&f, &all, FlagOp::Add, &["\\Answered"]);
    eprintln!("store_flags 1:* +\\Answered: {}", ms(t));
    let t = Instant::now();
    store(&f, &all, FlagOp::Add, &["\\Answered"]);
    eprintln!("store_flags 1:* +\\Answered again (no change): {}", ms(t));
    let t = Instant::now();
    let got = refresh(&f, &mut v, true);
    eprintln!(
        "refresh after another's STORE 1:*: {} ({} bytes)",
        ms(t),
        got.len()
    );
}
