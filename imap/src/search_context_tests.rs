//! Live SEARCH and SORT results (RFC 5267): what a session tells of changes to them.

use super::*;

fn with_messages(bodies: &[&str]) -> (tempfile::TempDir, Arc<Env>, Client, Client) {
    let (d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    for body in bodies {
        append(&mut b, body);
    }
    b.send(b"s SELECT INBOX\r\n");
    a.send(b"s SELECT INBOX\r\n");
    (d, env, a, b)
}

fn esearch_lines(r: &str) -> Vec<&str> {
    r.lines().filter(|l| l.starts_with("* ESEARCH")).collect()
}

#[test]
fn a_sort_context_follows_another_sessions_changes_by_position() {
    let small = "Subject: s\r\n\r\nx\r\n";
    let mid = "Subject: m\r\n\r\nxxxxxxxxxx\r\n";
    let big = "Subject: b\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
    let (_d, _env, mut a, mut b) = with_messages(&[small, mid, big]);
    let r = a.send(b"s UID SORT RETURN (UPDATE) (REVERSE SIZE) US-ASCII FLAGGED\r\n");
    assert_eq!(esearch_lines(&r), ["* ESEARCH (TAG \"s\") UID"], "{r}");
    b.send(b"f STORE 1,3 +FLAGS (\\Flagged)\r\n");
    let r = a.send(b"n NOOP\r\n");
    // Largest first: 3 takes position 1, then 1 position 2.
    assert_eq!(
        esearch_lines(&r),
        ["* ESEARCH (TAG \"s\") UID ADDTO (1 3 2 1)"],
        "{r}"
    );
    let huge = format!("Subject: h\r\n\r\n{}\r\n", "y".repeat(100));
    let cmd = format!(
        "ap APPEND INBOX (\\Flagged) {{{}}}\r\n{huge}\r\n",
        huge.len()
    );
    b.send(cmd.as_bytes());
    let r = a.send(b"n NOOP\r\n");
    let exists = r.find("* 4 EXISTS").expect("EXISTS");
    let add = r.find("* ESEARCH (TAG \"s\") UID ADDTO (1 4)").expect(&r);
    assert!(exists < add, "{r}");
    b.send(b"u STORE 3 -FLAGS (\\Flagged)\r\n");
    let r = a.send(b"n NOOP\r\n");
    assert_eq!(
        esearch_lines(&r),
        ["* ESEARCH (TAG \"s\") UID REMOVEFROM (2 3)"],
        "{r}"
    );
    b.send(b"d STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx EXPUNGE\r\n");
    let r = a.send(b"n NOOP\r\n");
    // Told before the EXPUNGE, while the message still has its number.
    let remove = r
        .find("* ESEARCH (TAG \"s\") UID REMOVEFROM (2 1)")
        .expect(&r);
    assert!(remove < r.find("* 1 EXPUNGE").expect(&r), "{r}");
    // What the updates built is what a new SORT finds.
    let r = a.send(b"t UID SORT RETURN (ALL) (REVERSE SIZE) US-ASCII FLAGGED\r\n");
    assert!(r.contains("* ESEARCH (TAG \"t\") UID ALL 4\r\n"), "{r}");
}

#[test]
fn a_search_context_speaks_sequence_numbers_and_hears_its_own_changes() {
    let m = "Subject: m\r\n\r\nbody\r\n";
    let (_d, _env, mut a, _b) = with_messages(&[m, m, m, m]);
    let r = a.send(b"s SEARCH RETURN (UPDATE COUNT) SEEN\r\n");
    assert!(r.contains("* ESEARCH (TAG \"s\") COUNT 0\r\n"), "{r}");
    let r = a.send(b"f STORE 2:4 +FLAGS (\\Seen)\r\n");
    assert!(r.contains("* ESEARCH (TAG \"s\") ADDTO (0 2:4)\r\n"), "{r}");
    let r = a.send(b"d STORE 2 +FLAGS (\\Deleted)\r\n");
    assert!(esearch_lines(&r).is_empty(), "{r}");
    let r = a.send(b"x EXPUNGE\r\n");
    let remove = r.find("* ESEARCH (TAG \"s\") REMOVEFROM (0 2)").expect(&r);
    assert!(remove < r.find("* 2 EXPUNGE").expect(&r), "{r}");
    let r = a.send(b"u STORE 2 -FLAGS (\\Seen)\r\n");
    assert!(
        r.contains("* ESEARCH (TAG \"s\") REMOVEFROM (0 2)\r\n"),
        "{r}"
    );
    let r = a.send(b"c CANCELUPDATE \"s\"\r\n");
    assert!(r.starts_with("c OK"), "{r}");
    let r = a.send(b"f STORE 1 +FLAGS (\\Seen)\r\n");
    assert!(esearch_lines(&r).is_empty(), "{r}");
    let r = a.send(b"c CANCELUPDATE\r\n");
    assert!(r.starts_with("c BAD"), "{r}");
    // A new folder ends every context.
    a.send(b"s2 SEARCH RETURN (UPDATE) UNSEEN\r\ns3 SELECT INBOX\r\n");
    let r = a.send(b"f STORE 1 -FLAGS (\\Seen)\r\n");
    assert!(esearch_lines(&r).is_empty(), "{r}");
    let r = a.send(b"u UNSELECT\r\nc CANCELUPDATE \"s3\"\r\n");
    assert!(r.contains("c BAD"), "{r}");
}

/// A client opening live searches without end: past `max_search_contexts` (2 here) each is
/// answered without updates, so the work every change costs stays bounded.
#[test]
fn live_searches_past_the_limit_get_no_updates() {
    let m = "Subject: m\r\n\r\nbody\r\n";
    let (_d, _env, mut a, _b) = with_messages(&[m, m]);
    let mut many = Vec::new();
    for i in 0..1000 {
        many.extend_from_slice(format!("c{i} SEARCH RETURN (UPDATE) SEEN\r\n").as_bytes());
    }
    let r = a.send(&many);
    assert_eq!(r.matches("[NOUPDATE ").count(), 998, "{}", &r[..400]);
    assert_eq!(r.matches(" OK ").count(), 1000);
    assert!(r.contains("* NO [NOUPDATE \"c999\"]"));
    let r = a.send(b"f STORE 1 +FLAGS (\\Seen)\r\n");
    assert_eq!(
        esearch_lines(&r),
        [
            "* ESEARCH (TAG \"c0\") ADDTO (0 1)",
            "* ESEARCH (TAG \"c1\") ADDTO (0 1)"
        ],
        "{r}"
    );
    // Cancelling one makes room for another.
    let r = a.send(b"x CANCELUPDATE \"c0\"\r\ny SEARCH RETURN (UPDATE) UNSEEN\r\n");
    assert!(!r.contains("NOUPDATE"), "{r}");
}

/// Live results of a large folder hold memory for every message they name: past the budget a
/// search gets no updates, and one that grows past it ends.
#[test]
fn live_results_stay_within_the_message_budget() {
    let m = "Subject: m\r\n\r\nbody\r\n";
    let (_d, mut env, _, _) = with_messages(&[m, m, m, m, m]);
    Arc::get_mut(&mut env).unwrap().limits.max_context_messages = 3;
    let mut a = Client::login(&env, "a@x.h");
    a.send(b"s SELECT INBOX\r\n");
    let r = a.send(b"big SORT RETURN (UPDATE) (SUBJECT) US-ASCII ALL\r\n");
    assert!(r.contains("* NO [NOUPDATE \"big\"]"), "{r}");
    let r = a.send(b"s SEARCH RETURN (UPDATE) SEEN\r\n");
    assert!(!r.contains("NOUPDATE"), "{r}");
    let r = a.send(b"f STORE 1:2 +FLAGS (\\Seen)\r\n");
    assert!(r.contains("* ESEARCH (TAG \"s\") ADDTO (0 1:2)"), "{r}");
    let r = a.send(b"f STORE 3:4 +FLAGS (\\Seen)\r\n");
    assert!(r.contains("* NO [NOUPDATE \"s\"]"), "{r}");
    assert!(!r.contains("* ESEARCH"), "{r}");
    let r = a.send(b"f STORE 1:4 -FLAGS (\\Seen)\r\n");
    assert!(!r.contains("* ESEARCH"), "ended: {r}");
}
