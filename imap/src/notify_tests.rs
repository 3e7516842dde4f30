//! NOTIFY between sessions on one store: what a watching session is told when another one
//! changes folders, names and subscriptions.

use crate::session_tests::{Client, append, env, store};

#[test]
fn status_of_other_folders_initially_and_as_they_change() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    b.send(b"c CREATE box2\r\n");
    b.send(b"ap APPEND box2 {9}\r\nSubject: \r\n");
    let r = a.send(b"n NOTIFY SET STATUS (mailboxes box2 (MessageNew MessageExpunge))\r\n");
    assert!(
        r.starts_with("* STATUS \"box2\" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ") && r.contains("n OK"),
        "{r}"
    );
    let r = a.send(b"n NOTIFY SET (mailboxes box2 (MessageNew MessageExpunge FlagChange))\r\n");
    assert!(
        r.starts_with("n OK"),
        "without STATUS nothing is told at once: {r}"
    );
    assert_eq!(a.changed(), "", "nothing changed");
    b.send(b"ap APPEND box2 {9}\r\nSubject: \r\n");
    let r = a.changed();
    assert!(
        r.starts_with("* STATUS \"box2\" (MESSAGES 2 UIDNEXT 3 UIDVALIDITY "),
        "{r}"
    );
    assert!(r.contains(" HIGHESTMODSEQ "), "{r}");
    // A change elsewhere is not told.
    append(&mut b, "Subject: x\r\n\r\ny\r\n");
    assert_eq!(a.changed(), "");
    b.send(b"s SELECT box2\r\n");
    b.send(b"st STORE 1 +FLAGS (\\Flagged)\r\n");
    let r = a.changed();
    assert!(
        r.starts_with("* STATUS \"box2\" (MESSAGES 2 ") && r.contains("HIGHESTMODSEQ"),
        "{r}"
    );
    let r = a.send(b"n NOTIFY NONE\r\n");
    assert!(r.starts_with("n OK"), "{r}");
    assert!(a.session.watching().is_none());
}

#[test]
fn names_and_subscriptions() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    b.send(b"c CREATE old\r\n");
    let r = a.send(b"n NOTIFY SET (personal (MailboxName SubscriptionChange))\r\n");
    assert!(r.starts_with("n OK"), "{r}");
    assert!(a.session.watching().is_some());
    b.send(b"c CREATE fresh\r\n");
    assert_eq!(a.changed(), "* LIST () \"/\" \"fresh\"\r\n");
    b.send(b"r RENAME old new\r\n");
    assert_eq!(
        a.changed(),
        "* LIST () \"/\" \"new\" (\"OLDNAME\" (\"old\"))\r\n"
    );
    b.send(b"d DELETE fresh\r\n");
    assert_eq!(a.changed(), "* LIST (\\NonExistent) \"/\" \"fresh\"\r\n");
    b.send(b"s SUBSCRIBE new\r\n");
    assert_eq!(a.changed(), "* LIST (\\Subscribed) \"/\" \"new\"\r\n");
    b.send(b"s UNSUBSCRIBE new\r\n");
    assert_eq!(a.changed(), "* LIST () \"/\" \"new\"\r\n");
}

#[test]
fn new_messages_in_the_selected_folder_come_with_the_asked_fetch() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    a.send(b"s SELECT INBOX\r\n");
    let r = a.send(
        b"n NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) \
          MessageExpunge)) (inboxes (MessageNew MessageExpunge))\r\n",
    );
    assert!(r.starts_with("n OK"), "{r}");
    append(&mut b, "Subject: hello\r\n\r\nbody\r\n");
    let r = a.changed();
    assert!(r.starts_with("* 1 EXISTS\r\n"), "{r}");
    assert!(
        r.contains(
            "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: hello\r\n\r\n)"
        ),
        "{r}"
    );
    // The selected folder gets no STATUS of its own, and no command was completed.
    assert!(!r.contains("STATUS") && !r.contains(" OK"), "{r}");
    b.send(b"s SELECT INBOX\r\nst STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n");
    assert!(a.changed().contains("* 1 EXPUNGE"));
}

#[test]
fn unsupported_events_and_bad_syntax() {
    let (_d, store) = store();
    let env = env(store);
    let (mut c, _) = Client::new(&env);
    assert!(
        c.send(b"n NOTIFY NONE\r\n").starts_with("n BAD"),
        "before login"
    );
    let mut a = Client::login(&env, "a@x.h");
    let r = a.send(b"n NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))\r\n");
    assert!(r.starts_with("n NO [BADEVENT ("), "{r}");
    let r = a.send(b"n NOTIFY SET (selected (MessageNew))\r\n");
    assert!(r.starts_with("n BAD"), "{r}");
    let r = a.send(b"n NOTIFY SET (selected (MessageNew (NOSUCH) MessageExpunge))\r\n");
    assert!(r.starts_with("n BAD"), "{r}");
    assert!(a.session.watching().is_none());
}

#[test]
fn idle_under_notify_tells_other_folders_too() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    b.send(b"c CREATE other\r\n");
    a.send(b"s SELECT INBOX\r\n");
    a.send(b"n NOTIFY SET (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge))\r\n");
    let r = a.send(b"i IDLE\r\n");
    assert!(r.starts_with("+ "), "{r}");
    b.send(b"ap APPEND other {9}\r\nSubject: \r\n");
    append(&mut b, "Subject: x\r\n\r\ny\r\n");
    let r = a.changed();
    assert!(
        r.contains("* 1 EXISTS") && r.contains("* STATUS \"other\" (MESSAGES 1 UIDNEXT 2 "),
        "{r}"
    );
    assert!(a.send(b"DONE\r\n").starts_with("i OK"));
}
