//! URLAUTH (RFC 4467): URLs signed by one session, fetched by others.

use super::*;

/// The one URL a `* GENURLAUTH` answer carries.
fn signed(r: &str) -> String {
    let l = r
        .lines()
        .find(|l| l.starts_with("* GENURLAUTH \""))
        .expect(r);
    l["* GENURLAUTH \"".len()..l.len() - 1].to_string()
}

fn sign(c: &mut Client, url: &str) -> String {
    let r = c.send(format!("g GENURLAUTH \"{url}\" INTERNAL\r\n").as_bytes());
    assert!(r.contains("g OK"), "{r}");
    signed(&r)
}

fn urlfetch(c: &mut Client, url: &str) -> String {
    let r = c.send(format!("u URLFETCH \"{url}\"\r\n").as_bytes());
    assert!(r.ends_with("u OK Completed\r\n"), "{r}");
    r
}

#[test]
fn a_signed_url_gives_its_part_until_the_key_is_reset() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    append(&mut a, "Subject: one\r\n\r\nthe body\r\n");
    let url = sign(&mut a, "imap://a@x.h/INBOX/;uid=1;urlauth=user+a@x.h");
    assert!(url.starts_with("imap://a@x.h/INBOX/;uid=1;urlauth=user+a@x.h:internal:"));
    let r = urlfetch(&mut a, &url);
    let body = "Subject: one\r\n\r\nthe body\r\n";
    assert!(
        r.starts_with(&format!(
            "* URLFETCH \"{url}\" {{{}}}\r\n{body}\r\n",
            body.len()
        )),
        "{r}"
    );
    let part = sign(
        &mut a,
        "imap://a@x.h/INBOX/;uid=1/;section=TEXT/;partial=4.4;urlauth=authuser",
    );
    let r = urlfetch(&mut a, &part);
    assert!(r.contains("{4}\r\nbody\r\n"), "{r}");
    // A token changed in one digit, or moved to another URL, is worth nothing.
    let last = url.chars().last().unwrap();
    let bent = format!(
        "{}{}",
        &url[..url.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let r = urlfetch(&mut a, &bent);
    assert!(r.starts_with(&format!("* URLFETCH \"{bent}\" NIL")), "{r}");
    let token = url.rsplit(':').next().unwrap();
    let moved = format!("imap://a@x.h/INBOX/;uid=2;urlauth=user+a@x.h:internal:{token}");
    assert!(urlfetch(&mut a, &moved).contains(" NIL"));
    // Two URLs in one command, one answer.
    let r = urlfetch(&mut a, &format!("{url}\" \"{part}"));
    assert_eq!(r.matches("* URLFETCH").count(), 1, "{r}");
    assert!(r.contains("{4}\r\nbody\r\n"), "{r}");
    let r = a.send(b"r RESETKEY INBOX\r\n");
    assert!(r.starts_with("r OK"), "{r}");
    assert!(urlfetch(&mut a, &url).contains(" NIL"));
    assert!(urlfetch(&mut a, &part).contains(" NIL"));
    let again = sign(&mut a, "imap://a@x.h/INBOX/;uid=1;urlauth=user+a@x.h");
    assert_ne!(again, url, "a new key");
    let r = a.send(b"r RESETKEY\r\n");
    assert!(r.starts_with("r OK"), "{r}");
    assert!(urlfetch(&mut a, &again).contains(" NIL"));
    let r = a.send(b"r RESETKEY Nope\r\n");
    assert!(r.starts_with("r NO [NONEXISTENT]"), "{r}");
}

#[test]
fn access_identifiers_decide_who_may_fetch() {
    let (_d, store) = store();
    store.add_account("b@x.h", "pw").unwrap();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "b@x.h");
    append(&mut a, "Subject: one\r\n\r\nthe body\r\n");
    let base = "imap://a@x.h/INBOX;UIDVALIDITY=";
    let r = a.send(b"s STATUS INBOX (UIDVALIDITY)\r\n");
    let v = r
        .split("UIDVALIDITY ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let for_b = sign(&mut a, &format!("{base}{v}/;uid=1;urlauth=user+b%40x.h"));
    let any_user = sign(&mut a, &format!("{base}{v}/;uid=1;urlauth=authuser"));
    let anyone = sign(&mut a, &format!("{base}{v}/;uid=1;urlauth=anonymous"));
    let only_a = sign(&mut a, &format!("{base}{v}/;uid=1;urlauth=user+a@x.h"));
    let submit = sign(&mut a, &format!("{base}{v}/;uid=1;urlauth=submit+a@x.h"));
    let expired = sign(
        &mut a,
        &format!("{base}{v}/;uid=1;expire=2001-01-01T00:00:00Z;urlauth=authuser"),
    );
    let later = sign(
        &mut a,
        &format!("{base}{v}/;uid=1;expire=2999-01-01T00:00:00Z;urlauth=authuser"),
    );
    for ok in [&for_b, &any_user, &anyone, &later] {
        assert!(urlfetch(&mut b, ok).contains("the body"), "{ok}");
    }
    for nil in [&only_a, &submit, &expired] {
        assert!(urlfetch(&mut b, nil).contains(" NIL"), "{nil}");
    }
    assert!(urlfetch(&mut a, &only_a).contains("the body"));
    // Nobody signs for another account, and b's reset leaves a's URLs alone.
    let r = b.send(b"g GENURLAUTH \"imap://a@x.h/INBOX/;uid=1;urlauth=anonymous\" INTERNAL\r\n");
    assert!(r.starts_with("g NO"), "{r}");
    b.send(b"r RESETKEY\r\n");
    assert!(urlfetch(&mut b, &any_user).contains("the body"));
}

#[test]
fn malformed_requests_are_refused() {
    let (_d, store) = store();
    let env = env(store);
    let (mut stranger, _) = Client::new(&env);
    let r = stranger.send(b"u URLFETCH \"imap://a@x.h/INBOX/;uid=1\"\r\n");
    assert!(r.starts_with("u BAD"), "{r}");
    let mut a = Client::login(&env, "a@x.h");
    append(&mut a, "Subject: one\r\n\r\nthe body\r\n");
    for (cmd, want) in [
        (
            "g GENURLAUTH \"imap://a@x.h/INBOX/;uid=1\" INTERNAL",
            "g BAD",
        ),
        (
            "g GENURLAUTH \"/INBOX/;uid=1;urlauth=anonymous\" INTERNAL",
            "g BAD",
        ),
        (
            "g GENURLAUTH \"imap://a@x.h/INBOX/;uid=1;urlauth=who\" INTERNAL",
            "g BAD",
        ),
        (
            "g GENURLAUTH \"imap://a@x.h/INBOX/;uid=1;urlauth=anonymous\" HMAC",
            "g NO",
        ),
        (
            "g GENURLAUTH \"imap://a@x.h/INBOX/;uid=1;urlauth=anonymous\"",
            "g BAD",
        ),
        (
            "g GENURLAUTH \"imap://a@x.h/Nope/;uid=1;urlauth=anonymous\" INTERNAL",
            "g NO",
        ),
        ("u URLFETCH", "u BAD"),
        ("u URLFETCH \"unterminated", "u BAD"),
    ] {
        let r = a.send(format!("{cmd}\r\n").as_bytes());
        assert!(r.starts_with(want), "{cmd}: {r}");
    }
}

#[test]
fn a_large_part_is_streamed_by_the_driver() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let big = format!("Subject: big\r\n\r\n{}\r\n", "z".repeat(300_000));
    append(&mut a, &big);
    let small = "Subject: small\r\n\r\nx\r\n";
    append(&mut a, small);
    let one = sign(&mut a, "imap://a@x.h/INBOX/;uid=1;urlauth=authuser");
    let two = sign(&mut a, "imap://a@x.h/INBOX/;uid=2;urlauth=authuser");
    let r = urlfetch(&mut a, &format!("{one}\" \"{two}"));
    let want = format!(
        "* URLFETCH \"{one}\" {{{}}}\r\n{big} \"{two}\" {{{}}}\r\n{small}\r\n",
        big.len(),
        small.len()
    );
    assert!(r.starts_with(&want), "{}", &r[..200]);
}

/// The attack: one command asking for the same part thousands of times. The answer goes out
/// in pieces as the driver sends them; the session never holds more than a piece.
#[test]
fn a_urlfetch_of_many_parts_is_sent_in_pieces() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let body = format!("Subject: mid\r\n\r\n{}\r\n", "m".repeat(60_000));
    append(&mut a, &body);
    let url = sign(&mut a, "imap://a@x.h/INBOX/;uid=1;urlauth=authuser");
    let many = vec![format!("\"{url}\""); 500].join(" ");
    let mut out = 0usize;
    let mut pieces = 0;
    let mut step = a.session.handle(Input::Command {
        bytes: format!("u URLFETCH {many}\r\n").into_bytes(),
        staged: Vec::new(),
    });
    loop {
        let held = a.take().len();
        assert!(held < 2 << 20, "{held} bytes held at once");
        out += held;
        match step {
            Step::Flush => {
                pieces += 1;
                step = a.session.resume();
            }
            Step::Read => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(pieces > 10, "{pieces}");
    assert!(out > 500 * 60_000, "{out}");
}

/// URLAUTH=BINARY (RFC 5524): a part decoded from its transfer encoding, its structure as the
/// client gets it, the stored form on request, and NIL where the encoding is unknown.
#[test]
fn urlfetch_gives_parts_decoded_with_their_structure() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    append(
        &mut a,
        "Subject: b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\
         Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         aGVs\r\nbG8=\r\n--x\r\nContent-Type: text/plain\r\n\
         Content-Transfer-Encoding: x-odd\r\n\r\nodd\r\n--x--\r\n",
    );
    let one = sign(
        &mut a,
        "imap://a@x.h/INBOX/;uid=1/;section=1;urlauth=authuser",
    );
    let two = sign(
        &mut a,
        "imap://a@x.h/INBOX/;uid=1/;section=2;urlauth=authuser",
    );
    let r = a.send(format!("u URLFETCH (\"{one}\" BODYPARTSTRUCTURE BINARY)\r\n").as_bytes());
    assert!(
        r.starts_with(&format!(
            "* URLFETCH \"{one}\" (BODYPARTSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \
             \"us-ascii\") NIL NIL \"7BIT\" 5 0 NIL NIL NIL NIL)) (BINARY ~{{5}}\r\nhello)\r\n"
        )),
        "{r}"
    );
    let r = a.send(format!("u URLFETCH (\"{one}\" BODY) (\"{two}\" BINARY)\r\n").as_bytes());
    assert!(
        r.starts_with(&format!(
            "* URLFETCH \"{one}\" (BODY {{10}}\r\naGVs\r\nbG8=) \"{two}\" (BINARY NIL)\r\n"
        )),
        "{r}"
    );
    // Alone, the structure is the stored one.
    let r = a.send(format!("u URLFETCH (\"{one}\" BODYPARTSTRUCTURE)\r\n").as_bytes());
    assert!(r.contains("\"BASE64\" 10 1 NIL"), "{r}");
    for bad in [
        format!("u URLFETCH (\"{one}\" BINARY BODY)\r\n"),
        format!("u URLFETCH (\"{one}\" SIZE)\r\n"),
        format!("u URLFETCH (\"{one}\" BINARY\r\n"),
    ] {
        let r = a.send(bad.as_bytes());
        assert!(r.starts_with("u BAD"), "{bad}: {r}");
    }
}
