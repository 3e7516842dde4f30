//! The change index and the folder counters through the store's public API: every writer keeps
//! them exact, and a store of the previous format gets them when opened.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use mailbox::{Change, FlagOp, Listed, StorageKey, Store, system_flag_bit};

fn deliver(store: &Store, account: u64, folder: &str, flags: &[&str]) -> u32 {
    let mut w = store.new_message().unwrap();
    w.write_all(b"Subject: c\r\nFrom: a@x.h\r\n\r\nbody\r\n")
        .unwrap();
    let staged = w.finish().unwrap();
    store
        .deliver(&staged, account, folder, flags, None)
        .unwrap()
        .uid
}

/// The invariants: one entry per live message, at its modseq; tombstones only for UIDs that
/// are gone; no entry above the folder's modseq; counters equal to a recount.
fn check(store: &Store, account: u64, folder: u64) -> Vec<Change> {
    let f = store.folder_by_id(account, folder).unwrap().unwrap();
    let states: BTreeMap<u32, u64> = store
        .message_states(folder)
        .unwrap()
        .into_iter()
        .map(|(u, s)| (u, s.modseq))
        .collect();
    let changes = store.changes_since(folder, 0).unwrap();
    let mut live = BTreeMap::new();
    let mut tombs = BTreeSet::new();
    let mut last = 0;
    for c in &changes {
        assert!(c.modseq > last, "entries in modseq order: {changes:?}");
        last = c.modseq;
        assert!(c.modseq <= f.highest_modseq);
        match &c.state {
            Some(st) => {
                assert_eq!(st.modseq, c.modseq, "entry at the state's modseq");
                assert!(live.insert(c.uid, c.modseq).is_none(), "one entry per UID");
            }
            None => {
                assert!(tombs.insert(c.uid), "one tombstone per UID");
            }
        }
    }
    assert_eq!(live, states, "every live message indexed");
    // The listing from the index is the folder as its states have it, flags included.
    let full = store.message_states(folder).unwrap();
    let mut listed = Vec::new();
    store
        .list_folder(account, folder, |uid, modseq, flags| {
            listed.push((uid, modseq, names(uid, flags)));
        })
        .unwrap();
    let want: Vec<_> = full
        .iter()
        .map(|(u, s)| {
            (
                *u,
                s.modseq,
                s.flags.iter().cloned().collect::<BTreeSet<_>>(),
            )
        })
        .collect();
    assert_eq!(listed, want, "listing from the index");
    // Catching up from the start tells the same flags, tombstones as `None`.
    let mut visited = Vec::new();
    store
        .visit_changes(folder, 0, f.highest_modseq, |uid, modseq, flags| {
            visited.push((uid, modseq, flags.map(|l| names(uid, l))));
        })
        .unwrap();
    let from_states: Vec<_> = changes
        .iter()
        .map(|c| {
            let flags = c
                .state
                .as_ref()
                .map(|st| st.flags.iter().cloned().collect());
            (c.uid, c.modseq, flags)
        })
        .collect();
    assert_eq!(visited, from_states, "changes from the index");
    assert!(tombs.iter().all(|u| !states.contains_key(u)));
    assert_eq!(
        store.counters(folder).unwrap(),
        store.recount(folder).unwrap()
    );
    changes
}

/// The flag names the index gives for a message; a state only when it has other flags.
fn names(uid: u32, flags: Listed<'_>) -> BTreeSet<String> {
    match flags {
        Listed::System(bits) => mailbox::SYSTEM_FLAG_BITS
            .iter()
            .filter(|(_, b)| bits & b != 0)
            .map(|(n, _)| n.to_string())
            .collect(),
        Listed::State(st) => {
            assert!(st.flags().any(|f| system_flag_bit(f) == 0), "{uid}");
            st.flags().map(str::to_string).collect()
        }
    }
}

fn setup() -> (tempfile::TempDir, Store, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    let a = store.add_account("c@x.h", "pw").unwrap();
    let inbox = store.folder(a.id, "INBOX").unwrap().unwrap().id;
    (dir, store, a.id, inbox)
}

/// A flag change hands each distinct resulting list out once, messages it leaves alone keep
/// their modseq, and the counters move as a recount has them.
#[test]
fn a_flag_change_reports_each_distinct_list_once() {
    let (_dir, store, a, inbox) = setup();
    for flags in [
        &[][..],
        &["\\Seen"],
        &["$A"],
        &["\\Seen"],
        &[],
        &["\\Flagged"],
    ] {
        deliver(&store, a, "INBOX", flags);
    }
    let before = store
        .folder_by_id(a, inbox)
        .unwrap()
        .unwrap()
        .highest_modseq;
    let ch = store
        .store_flags(
            a,
            inbox,
            &[1, 2, 3, 4, 5, 6, 9],
            FlagOp::Add,
            &["\\flagged"],
            None,
        )
        .unwrap();
    let got: Vec<(u32, u64, Vec<String>)> = ch
        .updated
        .iter()
        .map(|u| (u.uid, u.modseq, ch.flags(u).to_vec()))
        .collect();
    let l = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got,
        vec![
            (1, before + 1, l(&["\\Flagged"])),
            (2, before + 2, l(&["\\Seen", "\\Flagged"])),
            (3, before + 3, l(&["$A", "\\Flagged"])),
            (4, before + 4, l(&["\\Seen", "\\Flagged"])),
            (5, before + 5, l(&["\\Flagged"])),
            (6, 7, l(&["\\Flagged"])),
        ]
    );
    assert_eq!(ch.lists.len(), 3, "{:?}", ch.lists);
    assert_eq!(ch.modseqs, (before, before + 5));
    assert_eq!(ch.state(1).flags, l(&["\\Seen", "\\Flagged"]));
    check(&store, a, inbox);
    let c = store.counters(inbox).unwrap();
    assert_eq!((c.messages, c.unseen), (6, 4));
    assert_eq!(c.keywords, vec![("$A".to_string(), 1)]);

    // Taken away again: one move per distinct list, back to where they were.
    let ch = store
        .store_flags(
            a,
            inbox,
            &[1, 2, 3, 4, 5],
            FlagOp::Remove,
            &["\\Flagged"],
            None,
        )
        .unwrap();
    assert_eq!(ch.lists.len(), 3, "{:?}", ch.lists);
    assert_eq!(ch.flags(&ch.updated[2]), l(&["$A"]));
    check(&store, a, inbox);
}

#[test]
fn deliver_store_expunge_keep_one_entry_per_message() {
    let (_dir, store, a, inbox) = setup();
    for flags in [&[][..], &["\\Seen"], &["$Work", "\\Deleted"]] {
        deliver(&store, a, "INBOX", flags);
    }
    let changes = check(&store, a, inbox);
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.uid, c.modseq))
            .collect::<Vec<_>>(),
        vec![(1, 2), (2, 3), (3, 4)]
    );
    let c = store.counters(inbox).unwrap();
    assert_eq!((c.messages, c.unseen, c.deleted), (3, 2, 1));
    assert_eq!(c.keywords, vec![("$Work".to_string(), 1)]);
    assert_eq!(store.folder_keywords(inbox).unwrap(), vec!["$Work"]);

    store
        .store_flags(a, inbox, &[1, 2], FlagOp::Add, &["\\Seen", "$Work"], None)
        .unwrap();
    let since = store.changes_since(inbox, 4).unwrap();
    assert_eq!(
        since.iter().map(|c| (c.uid, c.modseq)).collect::<Vec<_>>(),
        vec![(1, 5), (2, 6)]
    );
    assert!(since[0].state.as_ref().unwrap().has_flag("$work"));
    check(&store, a, inbox);
    // Unchanged flags write nothing.
    store
        .store_flags(a, inbox, &[1], FlagOp::Add, &["\\Seen"], None)
        .unwrap();
    assert!(store.changes_since(inbox, 6).unwrap().is_empty());

    assert_eq!(store.expunge(a, inbox, None).unwrap(), vec![3]);
    let since = store.changes_since(inbox, 6).unwrap();
    assert_eq!(
        since,
        vec![Change {
            uid: 3,
            modseq: 7,
            state: None
        }]
    );
    let c = store.counters(inbox).unwrap();
    assert_eq!((c.messages, c.unseen, c.deleted), (2, 0, 0));
    assert_eq!(c.keywords, vec![("$Work".to_string(), 2)]);
    store
        .store_flags(a, inbox, &[1, 2], FlagOp::Remove, &["$work"], None)
        .unwrap();
    assert!(
        store.folder_keywords(inbox).unwrap().is_empty(),
        "last use gone"
    );
    // Two changes far apart are looked up one by one rather than scanned for.
    for _ in 0..20 {
        deliver(&store, a, "INBOX", &[]);
    }
    let h = store
        .folder_by_id(a, inbox)
        .unwrap()
        .unwrap()
        .highest_modseq;
    store
        .store_flags(a, inbox, &[1, 23], FlagOp::Add, &["\\Answered"], None)
        .unwrap();
    let since = store.changes_since(inbox, h).unwrap();
    assert_eq!(
        since.iter().map(|c| (c.uid, c.modseq)).collect::<Vec<_>>(),
        vec![(1, h + 1), (23, h + 2)]
    );
    assert!(
        since
            .iter()
            .all(|c| c.state.as_ref().unwrap().has_flag("\\Answered"))
    );
    store.expunge(a, inbox, Some(&[])).unwrap();
    // The tombstone stays however much changes after it.
    let all = check(&store, a, inbox);
    assert!(all.iter().any(|c| c.uid == 3 && c.state.is_none()));
    let sizes: u64 = store
        .message_states(inbox)
        .unwrap()
        .iter()
        .map(|(u, _)| *u)
        .map(|u| store.message_meta(inbox, u).unwrap().unwrap().size)
        .sum();
    assert_eq!(store.folder_size(inbox).unwrap(), sizes);
}

#[test]
fn copy_move_rename_and_delete() {
    let (_dir, store, a, inbox) = setup();
    for i in 0..5 {
        deliver(&store, a, "INBOX", if i % 2 == 0 { &["$A"] } else { &[] });
    }
    let archive = store.folder(a, "Archive").unwrap().unwrap().id;
    store.copy_messages(a, inbox, &[1, 2], archive).unwrap();
    store.move_messages(a, inbox, &[3, 4], archive).unwrap();
    check(&store, a, inbox);
    let arch = check(&store, a, archive);
    assert_eq!(arch.len(), 4);
    assert_eq!(store.counters(archive).unwrap().messages, 4);
    let since = store.changes_since(inbox, 0).unwrap();
    let tombs: Vec<u32> = since
        .iter()
        .filter(|c| c.state.is_none())
        .map(|c| c.uid)
        .collect();
    assert_eq!(tombs, vec![3, 4], "moved away: tombstones in the source");
    // A folder copied into itself.
    store.copy_messages(a, inbox, &[1, 5], inbox).unwrap();
    check(&store, a, inbox);

    // Renaming INBOX moves its messages; the new folder is indexed like any other.
    store.rename_folder(a, "INBOX", "Old").unwrap();
    let old = store.folder(a, "Old").unwrap().unwrap().id;
    check(&store, a, inbox);
    assert_eq!(store.counters(inbox).unwrap().messages, 0);
    assert_eq!(check(&store, a, old).len(), 5);
    store.rename_folder(a, "Old", "Older").unwrap();
    assert_eq!(check(&store, a, old).len(), 5, "the folder id stays");

    store.delete_folder(a, "Older").unwrap();
    assert!(store.changes_since(old, 0).unwrap().is_empty());
    assert_eq!(store.counters(old).unwrap(), Default::default());
}

#[test]
fn concurrent_writers_keep_the_index_exact() {
    let (_dir, store, a, inbox) = setup();
    for _ in 0..20 {
        deliver(&store, a, "INBOX", &[]);
    }
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..30u32 {
                    let uid = (i * 7 + t) % 20 + 1;
                    match (i + t) % 5 {
                        0 => {
                            deliver(&store, a, "INBOX", &["$T"]);
                        }
                        1 => {
                            store
                                .store_flags(
                                    a,
                                    inbox,
                                    &[uid, uid + 1],
                                    FlagOp::Add,
                                    &["\\Seen"],
                                    None,
                                )
                                .unwrap();
                        }
                        2 => {
                            store
                                .store_flags(
                                    a,
                                    inbox,
                                    &[uid],
                                    FlagOp::Replace,
                                    &["$K", "\\Deleted"],
                                    None,
                                )
                                .unwrap();
                        }
                        3 => {
                            store.expunge(a, inbox, Some(&[uid])).unwrap();
                        }
                        _ => {
                            store.copy_messages(a, inbox, &[uid], inbox).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    // A reader catching up while they write never sees an entry twice or out of order.
    let mut seen = 0;
    for _ in 0..50 {
        let f = store.folder_by_id(a, inbox).unwrap().unwrap();
        let mut last = seen;
        store
            .visit_changes(inbox, seen, f.highest_modseq, |_, m, _| {
                assert!(m > last);
                last = m;
            })
            .unwrap();
        seen = f.highest_modseq;
    }
    for t in threads {
        t.join().unwrap();
    }
    check(&store, a, inbox);
}

/// The store's database, once the dropped store has let go of it.
fn open_db(dir: &Path) -> sled::Db {
    let started = std::time::Instant::now();
    // sled's flusher thread lets go of the file lock a moment after the store is dropped.
    loop {
        match sled::open(dir.join("db")) {
            Ok(db) => break db,
            Err(e) if started.elapsed() > std::time::Duration::from_secs(10) => {
                panic!("the dropped store still holds its lock: {e}")
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}

/// Puts the states back as formats 1 to 3 kept them, one record per message in the tree
/// `states`, and stamps format 3. With `keep_blocks`, the blocks stay too: an upgrade to format
/// 4 cut short after writing them.
fn unblock_states(db: &sled::Db, keep_blocks: bool) {
    let blocks = db.open_tree("state_blocks").unwrap();
    let states = db.open_tree("states").unwrap();
    for kv in blocks.iter() {
        let (k, v) = kv.unwrap();
        let base = u32::from_be_bytes(k[8..12].try_into().unwrap()) * 128;
        let mut at = 0;
        while at < v.len() {
            let place = u32::from(v[at]);
            let (mut len, mut shift) = (0usize, 0);
            loop {
                at += 1;
                len |= usize::from(v[at] & 0x7f) << shift;
                shift += 7;
                if v[at] & 0x80 == 0 {
                    break;
                }
            }
            at += 1;
            states
                .insert(key_of(key_folder(&k), base + place), &v[at..at + len])
                .unwrap();
            at += len;
        }
    }
    if !keep_blocks {
        assert!(db.drop_tree("state_blocks").unwrap());
    }
    db.insert(b"format", &3u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

fn key_folder(k: &[u8]) -> u64 {
    u64::from_be_bytes(k[..8].try_into().unwrap())
}

/// Turns a store into what format 1 left: no change index, no counters.
fn make_format_1(dir: &Path) {
    let db = open_db(dir);
    unblock_states(&db, false);
    assert!(db.drop_tree("changes").unwrap());
    assert!(db.drop_tree("counters").unwrap());
    db.insert(b"format", &1u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

/// Turns a store into what format 2 left: index entries without the flags in brief.
fn make_format_2(dir: &Path) {
    let db = open_db(dir);
    unblock_states(&db, false);
    let changes = db.open_tree("changes").unwrap();
    for kv in changes.iter() {
        let (k, v) = kv.unwrap();
        let mut v = v.to_vec();
        for e in v.chunks_exact_mut(6) {
            if e[5] != 1 {
                e[5] = 0;
            }
        }
        changes.insert(k, v).unwrap();
    }
    db.insert(b"format", &2u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

fn reopen(dir: &Path, key: &StorageKey) -> Store {
    let started = std::time::Instant::now();
    loop {
        match Store::open(dir, key.clone()) {
            Err(mailbox::Error::InUse) if started.elapsed().as_secs() < 10 => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            other => break other.unwrap(),
        }
    }
}

#[test]
fn a_format_1_store_is_upgraded_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    let (a, inbox, sent, before) = {
        let store = Store::open(dir.path(), key.clone()).unwrap();
        let a = store.add_account("u@x.h", "pw").unwrap().id;
        let inbox = store.folder(a, "INBOX").unwrap().unwrap().id;
        for flags in [&["\\Seen"][..], &[], &["$Label1"], &["\\Deleted"]] {
            deliver(&store, a, "INBOX", flags);
        }
        deliver(&store, a, "Sent", &["\\Seen"]);
        store.expunge(a, inbox, None).unwrap();
        store
            .store_flags(a, inbox, &[2], FlagOp::Add, &["\\Flagged"], None)
            .unwrap();
        let sent = store.folder(a, "Sent").unwrap().unwrap().id;
        (a, inbox, sent, store.message_states(inbox).unwrap())
    };
    make_format_1(dir.path());
    let store = reopen(dir.path(), &key);
    assert_eq!(store.message_states(inbox).unwrap(), before, "nothing lost");
    let changes = check(&store, a, inbox);
    assert_eq!(
        changes.len(),
        3,
        "live messages indexed; old expunges are not known"
    );
    check(&store, a, sent);
    let c = store.counters(inbox).unwrap();
    assert_eq!((c.messages, c.unseen, c.deleted), (3, 2, 0));
    assert_eq!(store.folder_keywords(inbox).unwrap(), vec!["$Label1"]);
    // The upgraded store works on as a new one.
    deliver(&store, a, "INBOX", &[]);
    store.expunge(a, inbox, Some(&[1])).unwrap();
    check(&store, a, inbox);
    drop(store);
    let store = reopen(dir.path(), &key);
    check(&store, a, inbox);
}

#[test]
fn a_format_2_store_gets_the_flags_in_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    let (a, inbox, before, tombstones) = {
        let store = Store::open(dir.path(), key.clone()).unwrap();
        let a = store.add_account("u@x.h", "pw").unwrap().id;
        let inbox = store.folder(a, "INBOX").unwrap().unwrap().id;
        for flags in [
            &["\\Seen"][..],
            &[],
            &["$Label1", "\\Answered"],
            &["\\Deleted"],
        ] {
            deliver(&store, a, "INBOX", flags);
        }
        store.expunge(a, inbox, None).unwrap();
        let tombstones = store
            .changes_since(inbox, 0)
            .unwrap()
            .into_iter()
            .filter(|c| c.state.is_none())
            .count();
        (a, inbox, store.message_states(inbox).unwrap(), tombstones)
    };
    assert_eq!(tombstones, 1);
    make_format_2(dir.path());
    let store = reopen(dir.path(), &key);
    assert_eq!(store.message_states(inbox).unwrap(), before, "nothing lost");
    let changes = check(&store, a, inbox);
    assert_eq!(
        changes.iter().filter(|c| c.state.is_none()).count(),
        tombstones,
        "tombstones kept"
    );
    drop(store);
    let store = reopen(dir.path(), &key);
    check(&store, a, inbox);
}

#[test]
fn a_format_3_store_gets_its_states_in_blocks() {
    for keep_blocks in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let key = StorageKey::generate();
        let (a, inbox, before) = {
            let store = Store::open(dir.path(), key.clone()).unwrap();
            let a = store.add_account("u@x.h", "pw").unwrap().id;
            let inbox = store.folder(a, "INBOX").unwrap().unwrap().id;
            // Three blocks, the middle one with gaps, and a second folder.
            for i in 0..300 {
                let long = format!("$K{}", "x".repeat(i % 140));
                let flags: &[&str] = match i % 4 {
                    0 => &["\\Seen"],
                    1 => &[],
                    2 => &["\\Deleted"],
                    _ => &[long.as_str(), "\\Flagged"],
                };
                deliver(&store, a, "INBOX", flags);
            }
            deliver(&store, a, "Sent", &["\\Seen"]);
            store.expunge(a, inbox, None).unwrap();
            (a, inbox, store.message_states(inbox).unwrap())
        };
        assert_eq!(before.len(), 225);
        make_format_3(dir.path(), keep_blocks);
        let store = reopen(dir.path(), &key);
        assert_eq!(store.message_states(inbox).unwrap(), before, "nothing lost");
        check(&store, a, inbox);
        let sent = store.folder(a, "Sent").unwrap().unwrap().id;
        assert_eq!(store.message_states(sent).unwrap().len(), 1);
        store
            .store_flags(a, inbox, &[1, 150, 299], FlagOp::Add, &["$New"], None)
            .unwrap();
        check(&store, a, inbox);
        drop(store);
        let db = open_db(dir.path());
        assert!(
            !db.tree_names().iter().any(|n| &n[..] == b"states"),
            "the old tree is gone"
        );
    }
}

fn make_format_3(dir: &Path, keep_blocks: bool) {
    let db = open_db(dir);
    unblock_states(&db, keep_blocks);
}

#[test]
fn the_upgrade_separates_messages_that_share_a_modseq() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    let (a, inbox) = {
        let store = Store::open(dir.path(), key.clone()).unwrap();
        let a = store.add_account("u@x.h", "pw").unwrap().id;
        for _ in 0..3 {
            deliver(&store, a, "INBOX", &[]);
        }
        (a, store.folder(a, "INBOX").unwrap().unwrap().id)
    };
    make_format_1(dir.path());
    {
        // An odd store: messages 2 and 3 carry the modseq of message 1.
        let db = sled::open(dir.path().join("db")).unwrap();
        let states = db.open_tree("states").unwrap();
        let first = states.get(key_of(inbox, 1)).unwrap().unwrap();
        for uid in [2, 3] {
            states.insert(key_of(inbox, uid), first.clone()).unwrap();
        }
        db.flush().unwrap();
    }
    let store = reopen(dir.path(), &key);
    let changes = check(&store, a, inbox);
    assert_eq!(changes.len(), 3);
    let f = store.folder_by_id(a, inbox).unwrap().unwrap();
    assert_eq!(f.highest_modseq, changes.last().unwrap().modseq);
}

fn key_of(folder: u64, uid: u32) -> Vec<u8> {
    let mut k = folder.to_be_bytes().to_vec();
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

#[test]
fn status_counts_recent_on_either_side_of_the_mark() {
    let (_dir, store, a, inbox) = setup();
    let status = |s: &Store| {
        let f = s.folder_by_id(a, inbox).unwrap().unwrap();
        s.status(&f).unwrap()
    };
    for _ in 0..2 {
        deliver(&store, a, "INBOX", &[]);
    }
    assert_eq!(status(&store).recent, 2, "never claimed");
    assert_eq!(store.claim_recent(a, inbox).unwrap(), (0, 2));
    // Nothing new: an empty claim.
    assert_eq!(store.claim_recent(a, inbox).unwrap(), (2, 2));
    assert_eq!(status(&store).recent, 0);
    for _ in 0..8 {
        deliver(&store, a, "INBOX", &["\\Deleted"]);
    }
    store.expunge(a, inbox, Some(&[4, 5])).unwrap();
    // Mark 2 of 10: counted below the mark.
    let s = status(&store);
    assert_eq!((s.messages, s.recent, s.unseen, s.deleted), (8, 6, 8, 6));
    assert_eq!(store.claim_recent(a, inbox).unwrap(), (2, 10));
    deliver(&store, a, "INBOX", &[]);
    // Mark 10 of 11: counted above it.
    assert_eq!(status(&store).recent, 1);
}
