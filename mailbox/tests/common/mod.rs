//! What the store's tests share: delivering a message, the index's invariants, the database
//! under a dropped store.

// Each test file takes what it needs of these.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use mailbox::{Change, Listed, Store, system_flag_bit};

pub fn deliver(store: &Store, account: u64, folder: &str, flags: &[&str]) -> u32 {
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
pub fn check(store: &Store, account: u64, folder: u64) -> Vec<Change> {
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
pub fn names(uid: u32, flags: Listed<'_>) -> BTreeSet<String> {
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

/// The store's database, once the dropped store has let go of it.
pub fn open_db(dir: &Path) -> sled::Db {
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
