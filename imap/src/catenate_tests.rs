//! CATENATE (RFC 4469): messages put together from texts and parts of stored messages.

use super::*;

/// Files under the store's blob folder: every staged or stored body is one.
fn blob_files(dir: &std::path::Path) -> usize {
    fn count(p: &std::path::Path) -> usize {
        std::fs::read_dir(p).map_or(0, |d| {
            d.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    count(&dir.join("blobs"))
}

fn fetch_body(c: &mut Client, seq: u32) -> String {
    let r = c.send(format!("f FETCH {seq} BODY.PEEK[]\r\n").as_bytes());
    let start = r.find("}\r\n").expect(&r) + 3;
    let end = r.rfind(")\r\nf OK").expect(&r);
    r[start..end].to_string()
}

#[test]
fn texts_and_url_parts_make_one_message() {
    let (_d, store) = store();
    let env = env(store);
    let mut c = Client::login(&env, "a@x.h");
    let r = append(&mut c, "From: a@x.h\r\nSubject: one\r\n\r\nfirst body\r\n");
    let validity = r
        .split("APPENDUID ")
        .nth(1)
        .and_then(|v| v.split(' ').next());
    let validity = validity.expect(&r);
    c.send(b"s SELECT INBOX\r\n");
    let cmd = format!(
        "c APPEND INBOX (\\Seen) CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)\" \
TEXT {{7+}}\r\nmiddle\n URL \"imap://a%40x.h@h/inbox;uidvalidity={validity}/;uid=1/;section=TEXT/;partial=6.4\" \
TEXT ~{{1+}}\r\n!)\r\n"
    );
    let r = c.send(cmd.as_bytes());
    assert!(r.contains("c OK [APPENDUID"), "{r}");
    assert_eq!(fetch_body(&mut c, 2), "Subject: one\r\n\r\nmiddle\nbody!");
    let r = c.send(b"f FETCH 2 FLAGS\r\n");
    assert!(r.contains("\\Seen"), "{r}");
    // With MULTIAPPEND, a whole message and a CATENATE one in one command.
    let r = c.send(b"m APPEND INBOX {3+}\r\nabc CATENATE (URL \"/INBOX/;uid=2\")\r\n");
    assert!(
        r.contains(&format!("m OK [APPENDUID {validity} 3:4]")),
        "{r}"
    );
    assert_eq!(fetch_body(&mut c, 4), fetch_body(&mut c, 2));
}

#[test]
fn a_bad_url_files_nothing_and_a_missing_folder_is_trycreate() {
    let (d, store) = store();
    let env = env(store);
    let mut c = Client::login(&env, "a@x.h");
    append(&mut c, "Subject: one\r\n\r\nbody\r\n");
    let before = blob_files(d.path());
    for url in [
        "/INBOX;UIDVALIDITY=99/;UID=1",
        "/INBOX/;UID=2",
        "/Nope/;UID=1",
        "/INBOX/;UID=1/;SECTION=BOGUS",
        "imap://b%40x.h@h/INBOX/;UID=1",
        "/INBOX/;UID=1/;URLAUTH=anonymous",
    ] {
        let cmd =
            format!("b APPEND INBOX {{1+}}\r\nx CATENATE (TEXT {{1+}}\r\ny URL \"{url}\")\r\n");
        let r = c.send(cmd.as_bytes());
        assert!(r.starts_with(&format!("b NO [BADURL \"{url}\"]")), "{r}");
    }
    assert_eq!(blob_files(d.path()), before, "staged texts are gone");
    let r = c.send(b"s STATUS INBOX (MESSAGES)\r\n");
    assert!(r.contains("(MESSAGES 1)"), "{r}");
    let r = c.send(b"t APPEND Nope CATENATE (URL \"/INBOX;UIDVALIDITY=99/;UID=1\")\r\n");
    assert!(r.starts_with("t NO [TRYCREATE]"), "{r}");
    let r = c.send(b"u APPEND INBOX CATENATE ()\r\n");
    assert!(r.starts_with("u BAD"), "{r}");
}

/// The attack: one small command naming a stored message over and over, to make a message
/// larger than any APPEND may be. Writing stops at the limit and nothing is filed or left.
#[test]
fn a_message_larger_than_an_append_may_be_is_refused() {
    let (d, store) = store();
    let mut env = env(store);
    Arc::get_mut(&mut env).unwrap().limits.max_append_size = 256 * 1024;
    let mut c = Client::login(&env, "a@x.h");
    append(
        &mut c,
        &format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(100_000)),
    );
    let before = blob_files(d.path());
    let url = " URL \"/INBOX/;UID=1\"";
    let cmd = format!(
        "b APPEND INBOX CATENATE (TEXT {{1+}}\r\ny{})\r\n",
        url.repeat(1000)
    );
    let r = c.send(cmd.as_bytes());
    assert!(r.starts_with("b NO [TOOBIG]"), "{r}");
    assert_eq!(blob_files(d.path()), before);
    // Two copies fit.
    let cmd = format!(
        "c APPEND INBOX CATENATE ({})\r\n",
        url.repeat(2).trim_start()
    );
    let r = c.send(cmd.as_bytes());
    assert!(r.contains("c OK [APPENDUID"), "{r}");
}
