//! The change index and the folder counters through the store's public API: every writer keeps
//! them exact.

use mailbox::{Change, FlagOp, StorageKey, Store};

mod common;

use common::{check, deliver};

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
