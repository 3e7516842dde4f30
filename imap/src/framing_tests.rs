use super::*;

const AFTER_LOGIN: Budget = Budget {
    max_command: 1024,
    max_append: 100,
    max_append_messages: 2,
};

/// Every frame the framer gives for `input`, fed in pieces of `piece` bytes, with bodies
/// gathered as `Body(bytes)` strings.
fn frames(input: &[u8], piece: usize, budget: Budget) -> Vec<String> {
    let mut f = Framer::default();
    let mut out = Vec::new();
    let mut chunks = input.chunks(piece);
    let mut body = Vec::new();
    loop {
        match f.next(&budget) {
            Frame::NeedInput => match chunks.next() {
                Some(c) => f.feed(c),
                None => return out,
            },
            Frame::Continue => out.push("+".into()),
            Frame::BodyStart { len } => out.push(format!("start {len}")),
            Frame::Body(b) => body.extend_from_slice(b),
            Frame::BodyEnd => {
                out.push(format!("body {}", String::from_utf8_lossy(&body)));
                body.clear();
            }
            Frame::Command(c) => out.push(String::from_utf8_lossy(&c).into_owned()),
            Frame::Refused { tag, reason } => out.push(format!("refused {tag} {reason:?}")),
        }
    }
}

#[test]
fn literal_announcements() {
    assert_eq!(
        literal_at_end(b"A1 APPEND INBOX {310}\r\n"),
        Some((310, false))
    );
    assert_eq!(
        literal_at_end(b"A1 APPEND INBOX {310+}\r\n"),
        Some((310, true))
    );
    assert_eq!(literal_at_end(b"A1 LOGIN a b\r\n"), None);
    assert_eq!(literal_at_end(b"A1 X {}\r\n"), None);
    assert_eq!(literal_at_end(b"A1 X {99999999999999999999}\r\n"), None);
}

#[test]
fn lines_and_literals_in_any_pieces() {
    let input = b"a1 NOOP\r\na2 LOGIN {3}\r\nbob {2+}\r\npw\r\n";
    for piece in [1, 2, 5, 100] {
        assert_eq!(
            frames(input, piece, AFTER_LOGIN),
            ["a1 NOOP\r\n", "+", "a2 LOGIN {3}\r\nbob {2+}\r\npw\r\n"],
            "pieces of {piece}"
        );
    }
}

#[test]
fn append_bodies_are_handed_out_and_stand_as_empty_literals() {
    let input = b"a1 APPEND INBOX (\\Seen) {5}\r\nhello {3+}\r\nbye\r\n";
    for piece in [1, 3, 100] {
        assert_eq!(
            frames(input, piece, AFTER_LOGIN),
            [
                "+",
                "start 5",
                "body hello",
                "start 3",
                "body bye",
                "a1 APPEND INBOX (\\Seen) {0}\r\n {0}\r\n\r\n"
            ]
        );
    }
}

#[test]
fn a_folder_name_literal_stays_in_the_command() {
    assert_eq!(
        frames(b"a1 APPEND {5+}\r\nINBOX {2+}\r\nhi\r\n", 4, AFTER_LOGIN),
        ["start 2", "body hi", "a1 APPEND {5+}\r\nINBOX {0}\r\n\r\n"]
    );
}

#[test]
fn catenate_texts_are_staged_and_its_urls_stay() {
    let input =
        b"a1 APPEND INBOX CATENATE (TEXT {3+}\r\nabc URL {6+}\r\n/B/;u= TEXT {2+}\r\nde)\r\n";
    assert_eq!(
        frames(input, 7, AFTER_LOGIN),
        [
            "start 3",
            "body abc",
            "start 2",
            "body de",
            "a1 APPEND INBOX CATENATE (TEXT {0}\r\n URL {6+}\r\n/B/;u= TEXT {0}\r\n)\r\n"
        ]
    );
}

#[test]
fn before_login_nothing_is_staged() {
    let stranger = Budget {
        max_command: 64,
        max_append: 0,
        max_append_messages: 0,
    };
    // Too large for the command: refused without a continuation, and the literal announced
    // as non-synchronising closes the connection (its bytes are never read).
    assert_eq!(
        frames(b"a1 APPEND INBOX {100}\r\n", 7, stranger),
        ["refused a1 CommandTooLong { close: false }"]
    );
    assert_eq!(
        frames(b"a1 APPEND INBOX {100+}\r\n", 7, stranger),
        ["refused a1 CommandTooLong { close: true }"]
    );
}

#[test]
fn an_oversized_body_is_refused_or_skipped() {
    assert_eq!(
        frames(b"a1 APPEND INBOX {101}\r\na2 NOOP\r\n", 8, AFTER_LOGIN),
        ["refused a1 TooBig", "a2 NOOP\r\n"]
    );
    let skipped = format!(
        "a1 APPEND INBOX {{101+}}\r\n{} x\r\na2 NOOP\r\n",
        "y".repeat(101)
    );
    assert_eq!(
        frames(skipped.as_bytes(), 8, AFTER_LOGIN),
        ["refused a1 TooBig", "a2 NOOP\r\n"]
    );
}

#[test]
fn too_many_messages() {
    assert_eq!(
        frames(
            b"a1 APPEND INBOX {1+}\r\na {1+}\r\nb {1+}\r\nc\r\n",
            100,
            AFTER_LOGIN
        )[4..],
        ["refused a1 TooManyMessages { close: true }", "c\r\n"]
    );
}

#[test]
fn a_long_line_is_refused_with_its_tag_however_it_arrives() {
    let long = format!("t1 LOGIN {}\r\nt2 NOOP\r\n", "x".repeat(2000));
    for piece in [1, 100, 5000] {
        assert_eq!(
            frames(long.as_bytes(), piece, AFTER_LOGIN),
            ["refused t1 LineTooLong", "t2 NOOP\r\n"],
            "pieces of {piece}"
        );
    }
    // A tag that could not be one is not echoed.
    assert_eq!(
        frames(
            format!("t{{1 {}\r\n", "x".repeat(2000)).as_bytes(),
            64,
            AFTER_LOGIN
        ),
        ["refused * LineTooLong"]
    );
}

#[test]
fn a_body_that_cannot_be_staged_is_skipped() {
    let mut f = Framer::default();
    f.feed(b"a1 APPEND INBOX {4+}\r\nabcd\r\na2 NOOP\r\n");
    assert_eq!(f.next(&AFTER_LOGIN), Frame::BodyStart { len: 4 });
    f.skip_body();
    assert_eq!(
        f.next(&AFTER_LOGIN),
        Frame::Refused {
            tag: "a1".into(),
            reason: Refusal::Store
        }
    );
    assert_eq!(
        f.next(&AFTER_LOGIN),
        Frame::Command(b"a2 NOOP\r\n".to_vec())
    );
}
