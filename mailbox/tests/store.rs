//! The store through its public API, on a real sled database and real blob files.

use std::io::{Read, Write};

use mailbox::{Error, FlagOp, SpecialUse, StorageKey, Store};

fn staged(store: &Store, body: &[u8]) -> mailbox::StagedMessage {
    let mut w = store.new_message().unwrap();
    w.write_all(body).unwrap();
    w.finish().unwrap()
}

fn blob_files(dir: &std::path::Path) -> usize {
    walk(&dir.join("blobs"))
}

fn walk(p: &std::path::Path) -> usize {
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                if e.file_name() == "tmp" {
                    0
                } else {
                    walk(&e.path())
                }
            } else {
                1
            }
        })
        .sum()
}

/// Opens a store dropped a moment ago: sled's flusher thread lets go of the file lock a little
/// after the store is dropped.
fn reopen(dir: &std::path::Path, key: StorageKey) -> Store {
    let started = std::time::Instant::now();
    loop {
        match Store::open(dir, key.clone()) {
            Err(Error::InUse) if started.elapsed() < std::time::Duration::from_secs(10) => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            other => break other.unwrap(),
        }
    }
}

#[test]
fn accounts_folders_and_isolation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    let a = store.add_account("Alice@A.h", "pw").unwrap();
    let b = store.add_account("bob@a.h", "pw2").unwrap();
    assert_eq!(a.address, "alice@a.h");
    assert!(matches!(
        store.add_account("alice@a.h", "x"),
        Err(Error::AccountExists)
    ));
    assert!(matches!(
        store.add_account("nope", "x"),
        Err(Error::InvalidAddress)
    ));
    assert!(store.verify_login("alice@a.h", "pw").unwrap().is_some());
    assert!(store.verify_login("alice@a.h", "bad").unwrap().is_none());
    assert!(store.verify_login("ghost@a.h", "pw").unwrap().is_none());
    let names: Vec<String> = store
        .folders(a.id)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for n in ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"] {
        assert!(names.contains(&n.to_string()), "{n} missing");
    }
    assert!(
        store
            .special_folder(a.id, SpecialUse::Sent)
            .unwrap()
            .is_some()
    );
    store.create_folder(a.id, "x/y/z").unwrap();
    assert!(store.folder(a.id, "x/y").unwrap().is_some());
    assert!(
        store.folder(b.id, "x/y/z").unwrap().is_none(),
        "folders are per account"
    );
    assert!(matches!(
        store.delete_folder(a.id, "x"),
        Err(Error::HasChildren)
    ));
    store.rename_folder(a.id, "x", "w").unwrap();
    assert!(store.folder(a.id, "w/y/z").unwrap().is_some());
    assert!(store.folder(a.id, "x/y/z").unwrap().is_none());
    assert!(matches!(
        store.delete_folder(a.id, "inbox"),
        Err(Error::SpecialFolder)
    ));
}

#[test]
fn deliver_copy_flag_expunge_and_blob_lifetime() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    let store = Store::open(dir.path(), key.clone()).unwrap();
    let a = store.add_account("a@x.h", "pw").unwrap();
    let body = b"Subject: hi\r\nFrom: a@x.h\r\n\r\nhello\r\n";
    let s = staged(&store, body);
    let d1 = store
        .deliver(&s, a.id, "INBOX", &["\\seen", "$Work"], None)
        .unwrap();
    let d2 = store.deliver(&s, a.id, "Sent", &[], None).unwrap();
    drop(s);
    assert_eq!(d1.uid, 1);
    assert_eq!(d2.uid, 1);
    assert_eq!(blob_files(dir.path()), 1, "one body shared by two copies");
    let inbox = store.folder(a.id, "INBOX").unwrap().unwrap();
    let st = store.message_state(inbox.id, 1).unwrap().unwrap();
    assert_eq!(st.flags, vec!["\\Seen".to_string(), "$Work".to_string()]);
    let meta = store.message_meta(inbox.id, 1).unwrap().unwrap();
    let mut back = Vec::new();
    store
        .open_body(&meta)
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, body);
    assert_eq!(meta.envelope.subject.as_deref(), Some("hi"));

    // Conditional store: a change after modseq 1 is a conflict.
    let ch = store
        .store_flags(a.id, inbox.id, &[1], FlagOp::Add, &["\\Flagged"], Some(0))
        .unwrap();
    assert_eq!(ch.conflicts, vec![1]);
    let ch = store
        .store_flags(a.id, inbox.id, &[1], FlagOp::Add, &["\\Deleted"], None)
        .unwrap();
    assert!(ch.state(0).has_flag("\\Deleted"));

    let archive = store.folder(a.id, "Archive").unwrap().unwrap();
    let (_, pairs) = store
        .copy_messages(a.id, inbox.id, &[1], archive.id)
        .unwrap();
    assert_eq!(pairs, vec![(1, 1)]);
    assert_eq!(store.expunge(a.id, inbox.id, None).unwrap(), vec![1]);
    assert!(store.message_meta(inbox.id, 1).unwrap().is_none());
    assert_eq!(
        blob_files(dir.path()),
        1,
        "still referenced by Sent and Archive"
    );

    // UIDs are never reused, even after expunge.
    let s = staged(&store, b"Subject: two\r\n\r\nx");
    assert_eq!(store.deliver(&s, a.id, "INBOX", &[], None).unwrap().uid, 2);

    store.remove_account("a@x.h").unwrap();
    assert_eq!(
        blob_files(dir.path()),
        0,
        "account removal keeps nothing behind"
    );
    assert!(store.account("a@x.h").unwrap().is_none());
}

#[test]
fn unfiled_and_orphaned_bodies_disappear() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    {
        let store = Store::open(dir.path(), key.clone()).unwrap();
        drop(staged(&store, b"never filed"));
        assert_eq!(blob_files(dir.path()), 0);
    }
    // What a crash between writing a body and filing it leaves: a file no record names, and a
    // half-written one.
    std::fs::create_dir_all(dir.path().join("blobs/ab")).unwrap();
    std::fs::write(dir.path().join("blobs/ab/cdef0123456789"), b"orphan").unwrap();
    std::fs::write(dir.path().join("blobs/tmp/000000000000002a"), b"half").unwrap();
    assert_eq!(blob_files(dir.path()), 1);
    let _store = reopen(dir.path(), key);
    assert_eq!(blob_files(dir.path()), 0, "collected at start");
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs/tmp"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_pinned_body_stays_readable_after_its_message_is_expunged() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    let a = store.add_account("u@x.h", "pw").unwrap().id;
    let inbox = store.folder(a, "INBOX").unwrap().unwrap().id;
    // Several segments, so reads after the removal go back to the file more than once.
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut filed = Vec::new();
    for _ in 0..2 {
        let m = staged(&store, &body);
        filed.push(store.deliver(&m, a, "INBOX", &[], None).unwrap().uid);
    }
    let metas: Vec<_> = filed
        .iter()
        .map(|&uid| store.message_meta(inbox, uid).unwrap().unwrap())
        .collect();
    let pin = store.pin_body(&metas[0]).unwrap().expect("there");
    let second = store.pin_body(&metas[0]).unwrap().expect("pinned twice");
    let mut early = store.open_body(&metas[0]).unwrap();
    store
        .store_flags(a, inbox, &filed, FlagOp::Add, &["\\Deleted"], None)
        .unwrap();
    store.expunge(a, inbox, None).unwrap();
    assert_eq!(blob_files(dir.path()), 0, "the files are gone");
    // A reader opened before, and two opened after through the pin, read in turns.
    let mut late = [
        store.open_body(&metas[0]).unwrap(),
        store.open_body(&metas[0]).unwrap(),
    ];
    let mut got = vec![Vec::new(); 3];
    let mut chunk = vec![0u8; 50_000];
    // Reads stop at segment ends: enough rounds for every reader to reach its end.
    for _ in 0..20 {
        for (r, out) in std::iter::once(&mut early)
            .chain(late.iter_mut())
            .zip(got.iter_mut())
        {
            let n = r.read(&mut chunk).unwrap();
            out.extend_from_slice(&chunk[..n]);
        }
    }
    assert!(got.iter().all(|g| *g == body));
    drop(pin);
    assert!(store.open_body(&metas[0]).is_ok(), "one pin still holds it");
    drop(second);
    assert!(store.open_body(&metas[0]).is_err(), "no pin, no body");
    assert!(store.open_body(&metas[1]).is_err(), "never pinned");
    assert!(store.pin_body(&metas[1]).unwrap().is_none(), "gone");
}

#[test]
fn state_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    let (acct, folder) = {
        let store = Store::open(dir.path(), key.clone()).unwrap();
        let a = store.add_account("a@x.h", "pw").unwrap();
        let s = staged(&store, b"Subject: keep\r\n\r\nbody");
        store.deliver(&s, a.id, "INBOX", &["$Keep"], None).unwrap();
        let f = store.folder(a.id, "INBOX").unwrap().unwrap();
        store
            .store_flags(a.id, f.id, &[1], FlagOp::Add, &["\\Flagged"], None)
            .unwrap();
        (a.id, f.id)
    };
    let store = reopen(dir.path(), key);
    let st = store.message_state(folder, 1).unwrap().unwrap();
    assert!(st.has_flag("$Keep") && st.has_flag("\\Flagged"));
    assert_eq!(
        store.folder_by_id(acct, folder).unwrap().unwrap().uidnext,
        2
    );
}

#[test]
fn header_block_comes_from_cache_or_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    let a = store.add_account("a@x.h", "pw").unwrap();
    let inbox = store.folder(a.id, "INBOX").unwrap().unwrap();
    let small = staged(&store, b"Subject: s\r\n\r\nbody");
    store.deliver(&small, a.id, "INBOX", &[], None).unwrap();
    // A header too large for the cache is read back from the encrypted body.
    let mut big = b"Subject: b\r\nX-Long: ".to_vec();
    big.extend(std::iter::repeat_n(b'y', 100 * 1024));
    big.extend_from_slice(b"\r\n\r\nbody");
    let s = staged(&store, &big);
    store.deliver(&s, a.id, "INBOX", &[], None).unwrap();
    assert_eq!(
        store.message_header(inbox.id, 1).unwrap().unwrap(),
        b"Subject: s\r\n\r\n"
    );
    let h = store.message_header(inbox.id, 2).unwrap().unwrap();
    assert_eq!(h, &big[..big.len() - 4]);
    assert!(store.message_header(inbox.id, 3).unwrap().is_none());
    // Copies keep their cached header; expunge drops it.
    let archive = store.folder(a.id, "Archive").unwrap().unwrap();
    store
        .copy_messages(a.id, inbox.id, &[1], archive.id)
        .unwrap();
    assert_eq!(
        store.message_header(archive.id, 1).unwrap().unwrap(),
        b"Subject: s\r\n\r\n"
    );
}

#[test]
fn a_store_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = StorageKey::generate();
    drop(Store::open(dir.path(), key.clone()).unwrap());
    {
        // sled's flusher thread lets go of the file lock a moment after the store is dropped.
        let started = std::time::Instant::now();
        let db = loop {
            match sled::open(dir.path().join("db")) {
                Ok(db) => break db,
                Err(e) if started.elapsed() > std::time::Duration::from_secs(10) => {
                    panic!("the dropped store still holds its lock: {e}")
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        };
        db.insert(b"format", &(mailbox::FORMAT + 1).to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let started = std::time::Instant::now();
    let opened = loop {
        match Store::open(dir.path(), key.clone()) {
            Err(Error::InUse) if started.elapsed() < std::time::Duration::from_secs(10) => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            other => break other,
        }
    };
    match opened {
        Err(Error::UnsupportedFormat { found, expected }) => {
            assert_eq!((found, expected), (mailbox::FORMAT + 1, mailbox::FORMAT));
        }
        other => panic!("expected UnsupportedFormat, got {:?}", other.err()),
    }
}

/// A folder holds at most `max_keywords` distinct keywords, each in one spelling: mail filed
/// with more is filed without the rest, a flag change or a copy that would pass the bound is
/// refused whole, and a keyword in another case takes the folder's spelling.
#[test]
fn a_folder_keeps_its_keywords_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    store.set_max_keywords(2);
    let a = store.add_account("k@x.h", "pw").unwrap();
    let inbox = store.folder(a.id, "INBOX").unwrap().unwrap();
    let flags = |folder: u64, uid: u32| {
        store
            .message_states(folder)
            .unwrap()
            .into_iter()
            .find(|(u, _)| *u == uid)
            .unwrap()
            .1
            .flags
    };
    let m = staged(&store, b"Subject: k\r\n\r\nx\r\n");
    let d = store
        .deliver(&m, a.id, "INBOX", &["$a", "\\Seen", "$A", "$b", "$c"], None)
        .unwrap();
    assert_eq!(flags(inbox.id, d.uid), ["$a", "\\Seen", "$b"]);
    assert!(!store.may_add_keywords(inbox.id).unwrap());

    let r = store.store_flags(a.id, inbox.id, &[d.uid], FlagOp::Add, &["$new"], None);
    assert!(matches!(r, Err(Error::TooManyKeywords)), "{r:?}");
    store
        .store_flags(a.id, inbox.id, &[d.uid], FlagOp::Replace, &["$B"], None)
        .unwrap();
    assert_eq!(flags(inbox.id, d.uid), ["$b"]);
    assert!(store.may_add_keywords(inbox.id).unwrap());

    // A copy brings the keywords of its messages: refused when they would not fit.
    store.create_folder(a.id, "Other").unwrap();
    let other = store.folder(a.id, "Other").unwrap().unwrap();
    let m = staged(&store, b"Subject: k\r\n\r\ny\r\n");
    let o = store
        .deliver(&m, a.id, "Other", &["$x", "$y"], None)
        .unwrap();
    let r = store.copy_messages(a.id, other.id, &[o.uid], inbox.id);
    assert!(matches!(r, Err(Error::TooManyKeywords)), "{r:?}");
    // Keywords about to be replaced still count; taken away first, they make room.
    let r = store.store_flags(
        a.id,
        other.id,
        &[o.uid],
        FlagOp::Replace,
        &["$B", "$Z"],
        None,
    );
    assert!(matches!(r, Err(Error::TooManyKeywords)), "{r:?}");
    store
        .store_flags(
            a.id,
            other.id,
            &[o.uid],
            FlagOp::Remove,
            &["$X", "$Y"],
            None,
        )
        .unwrap();
    store
        .store_flags(a.id, other.id, &[o.uid], FlagOp::Add, &["$B", "$Z"], None)
        .unwrap();
    let (_, pairs) = store
        .copy_messages(a.id, other.id, &[o.uid], inbox.id)
        .unwrap();
    assert_eq!(flags(inbox.id, pairs[0].1), ["$b", "$Z"]);
    assert_eq!(store.counters(inbox.id).unwrap().keywords.len(), 2);
}
