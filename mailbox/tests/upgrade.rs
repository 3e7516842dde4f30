//! Stores of older formats opened by this version: upgraded in place, nothing lost, and
//! the upgrade repeatable when cut short.

use std::collections::BTreeMap;
use std::path::Path;

use mailbox::{FlagOp, StorageKey, Store};

mod common;

use common::{check, deliver, open_db};

/// Writes `records` ((folder, number, place, record)) as blocks of `span`: key folder id ‖
/// number / `span` (`key_width` bytes, big endian), each record framed by `frame`.
fn write_blocks(
    tree: &sled::Tree,
    records: Vec<(u64, u64, Vec<u8>)>,
    span: u64,
    key_width: usize,
    frame: impl Fn(u8, &[u8]) -> Vec<u8>,
) {
    let mut blocks: BTreeMap<(u64, u64), Vec<u8>> = BTreeMap::new();
    for (folder, n, record) in records {
        let block = blocks.entry((folder, n / span)).or_default();
        block.extend(frame((n % span) as u8, &record));
    }
    for ((folder, n), v) in blocks {
        let mut k = folder.to_be_bytes().to_vec();
        k.extend_from_slice(&n.to_be_bytes()[8 - key_width..]);
        tree.insert(k, v).unwrap();
    }
}

/// The states as (folder, UID, record), read from blocks of `span` UIDs.
fn read_state_blocks(tree: &sled::Tree, span: u64) -> Vec<(u64, u64, Vec<u8>)> {
    let mut out = Vec::new();
    for kv in tree.iter() {
        let (k, v) = kv.unwrap();
        let base = u64::from(u32::from_be_bytes(k[8..12].try_into().unwrap())) * span;
        let mut at = 0;
        while at < v.len() {
            let place = u64::from(v[at]);
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
            out.push((key_folder(&k), base + place, v[at..at + len].to_vec()));
            at += len;
        }
    }
    out
}

/// A state record framed as in a block: its place, a varint length, the record.
fn state_frame(place: u8, record: &[u8]) -> Vec<u8> {
    let mut v = vec![place];
    let mut n = record.len();
    while n >= 0x80 {
        v.push((n as u8) | 0x80);
        n >>= 7;
    }
    v.push(n as u8);
    v.extend_from_slice(record);
    v
}

/// Turns a store into what format 4 left: states and index in blocks of 128, in the trees
/// `state_blocks` and `changes`. With `leftovers`, the new trees stay, one stray state in them:
/// an upgrade to format 5 cut short.
fn make_format_4(dir: &Path, leftovers: bool) {
    let db = open_db(dir);
    let states = db.open_tree("message_states").unwrap();
    let index = db.open_tree("change_index").unwrap();
    let old_states = db.open_tree("state_blocks").unwrap();
    write_blocks(
        &old_states,
        read_state_blocks(&states, 256),
        128,
        4,
        state_frame,
    );
    let mut entries = Vec::new();
    for kv in index.iter() {
        let (k, v) = kv.unwrap();
        let base = u64::from_be_bytes(k[8..16].try_into().unwrap()) * 256;
        for e in v.chunks_exact(6) {
            entries.push((key_folder(&k), base + u64::from(e[0]), e[1..].to_vec()));
        }
    }
    let old_index = db.open_tree("changes").unwrap();
    write_blocks(&old_index, entries, 128, 8, |place, rest| {
        let mut v = vec![place];
        v.extend_from_slice(rest);
        v
    });
    if leftovers {
        let (k, _) = states.first().unwrap().unwrap();
        let stray = read_state_blocks(&states, 256).remove(0).2;
        let mut far = k[..8].to_vec();
        far.extend_from_slice(&999u32.to_be_bytes());
        states.insert(far, state_frame(7, &stray)).unwrap();
    } else {
        assert!(db.drop_tree("message_states").unwrap());
        assert!(db.drop_tree("change_index").unwrap());
    }
    db.insert(b"format", &4u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

/// Puts the states back as formats 1 to 3 kept them, one record per message in the tree
/// `states`, and stamps format 3. With `keep_blocks`, format 4's blocks stay too: an upgrade
/// to format 4 cut short after writing them.
fn unblock_states(db: &sled::Db, keep_blocks: bool) {
    let blocks = db.open_tree("state_blocks").unwrap();
    let states = db.open_tree("states").unwrap();
    for (folder, uid, record) in read_state_blocks(&blocks, 128) {
        states.insert(key_of(folder, uid as u32), record).unwrap();
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
    make_format_4(dir, false);
    let db = open_db(dir);
    unblock_states(&db, false);
    assert!(db.drop_tree("changes").unwrap());
    assert!(db.drop_tree("counters").unwrap());
    db.insert(b"format", &1u32.to_be_bytes()).unwrap();
    db.flush().unwrap();
}

/// Turns a store into what format 2 left: index entries without the flags in brief.
fn make_format_2(dir: &Path) {
    make_format_4(dir, false);
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
        works_on(store, dir.path(), a, inbox, &[1, 150, 299]);
    }
}

/// What an upgraded store must do: hold its other folder, take a flag change over its blocks
/// with the index kept exact, and keep only the current format's trees.
fn works_on(store: Store, dir: &Path, a: u64, inbox: u64, uids: &[u32]) {
    check(&store, a, inbox);
    let sent = store.folder(a, "Sent").unwrap().unwrap().id;
    assert_eq!(store.message_states(sent).unwrap().len(), 1);
    store
        .store_flags(a, inbox, uids, FlagOp::Add, &["$New"], None)
        .unwrap();
    check(&store, a, inbox);
    drop(store);
    assert_only_new_trees(dir);
}

/// The store holds its states and index in the trees of the current format only.
fn assert_only_new_trees(dir: &Path) {
    let db = open_db(dir);
    let names = db.tree_names();
    let has = |name: &str| names.iter().any(|n| &n[..] == name.as_bytes());
    for old in ["states", "state_blocks", "changes"] {
        assert!(!has(old), "the old tree {old} is gone");
    }
    assert!(has("message_states") && has("change_index"));
}

#[test]
fn a_format_4_store_gets_blocks_of_256() {
    for leftovers in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let key = StorageKey::generate();
        let (a, inbox, before, index) = {
            let store = Store::open(dir.path(), key.clone()).unwrap();
            let a = store.add_account("u@x.h", "pw").unwrap().id;
            let inbox = store.folder(a, "INBOX").unwrap().unwrap().id;
            // Five old blocks, four new ones, gaps from expunges, and modseqs spread by a
            // later change.
            for i in 0..600 {
                let flags: &[&str] = match i % 4 {
                    0 => &["\\Seen"],
                    1 => &[],
                    2 => &["\\Deleted"],
                    _ => &["$Work", "\\Flagged"],
                };
                deliver(&store, a, "INBOX", flags);
            }
            deliver(&store, a, "Sent", &["\\Seen"]);
            store.expunge(a, inbox, None).unwrap();
            let spread: Vec<u32> = (1..600).step_by(7).collect();
            store
                .store_flags(a, inbox, &spread, FlagOp::Add, &["\\Answered"], None)
                .unwrap();
            let index = store.changes_since(inbox, 0).unwrap();
            (a, inbox, store.message_states(inbox).unwrap(), index)
        };
        assert_eq!(before.len(), 450);
        make_format_4(dir.path(), leftovers);
        let store = reopen(dir.path(), &key);
        assert_eq!(store.message_states(inbox).unwrap(), before, "nothing lost");
        assert_eq!(
            store.changes_since(inbox, 0).unwrap(),
            index,
            "every entry kept, tombstones too"
        );
        works_on(store, dir.path(), a, inbox, &[1, 300, 599]);
    }
}

/// Stamped with the new format but stopped before the old trees were dropped: the next start
/// drops them, and reads nothing from them.
#[test]
fn old_trees_left_by_a_finished_upgrade_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    let (a, inbox, before) = {
        let store = Store::open(dir.path(), key.clone()).unwrap();
        let a = store.add_account("u@x.h", "pw").unwrap().id;
        let inbox = store.folder(a, "INBOX").unwrap().unwrap().id;
        deliver(&store, a, "INBOX", &["\\Seen"]);
        (a, inbox, store.message_states(inbox).unwrap())
    };
    {
        let db = open_db(dir.path());
        for old in ["states", "state_blocks", "changes"] {
            let t = db.open_tree(old).unwrap();
            t.insert(key_of(inbox, 7), &b"not a record"[..]).unwrap();
        }
        db.flush().unwrap();
    }
    let store = reopen(dir.path(), &key);
    assert_eq!(store.message_states(inbox).unwrap(), before);
    check(&store, a, inbox);
    drop(store);
    assert_only_new_trees(dir.path());
}

fn make_format_3(dir: &Path, keep_blocks: bool) {
    make_format_4(dir, false);
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
