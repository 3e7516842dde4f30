//! The session's rules, driven line by line without sockets.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

fn i18n() -> &'static I18n {
    use std::sync::OnceLock;
    static I: OnceLock<I18n> = OnceLock::new();
    I.get_or_init(|| I18n::new(crate::TEXTS, "en-US").unwrap())
}

fn limits() -> Limits {
    Limits {
        hostname: "node.kapur.h".into(),
        product: "WIMS".into(),
        max_message_size: 1000,
        max_recipients: 3,
    }
}

fn alice() -> User {
    User {
        id: 1,
        address: "alice@kapur.h".into(),
    }
}

fn bob() -> User {
    User {
        id: 2,
        address: "bob@kapur.h".into(),
    }
}

fn code(step: &Step) -> u16 {
    match step {
        Step::Reply(r) | Step::Quit(r) | Step::Close(r) | Step::StartTls(r) => r.code,
        Step::SkipBdat { reply, .. } => reply.code,
        other => panic!("not a reply: {other:?}"),
    }
}

fn text(step: &Step) -> String {
    match step {
        Step::Reply(r) | Step::Quit(r) | Step::Close(r) | Step::StartTls(r) => {
            String::from_utf8(r.to_bytes()).unwrap()
        }
        Step::SkipBdat { reply, .. } => String::from_utf8(reply.to_bytes()).unwrap(),
        other => panic!("not a reply: {other:?}"),
    }
}

fn send(s: &mut Session<'_>, line: &str) -> Step {
    s.line(format!("{line}\r\n").as_bytes())
}

/// A session past STARTTLS, EHLO and a successful AUTH PLAIN as alice.
fn logged_in() -> Session<'static> {
    let mut s = Session::new(i18n(), limits(), true);
    assert_eq!(code(&send(&mut s, "EHLO client.test")), 250);
    let creds = B64.encode(b"\0alice@kapur.h\0secret");
    match send(&mut s, &format!("AUTH PLAIN {creds}")) {
        Step::Authenticate { user, password } => {
            assert_eq!(
                (user.as_str(), password.as_str()),
                ("alice@kapur.h", "secret")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(&s.auth_done(AuthOutcome::Ok, Some(alice()))), 235);
    s
}

fn with_recipient() -> Session<'static> {
    let mut s = logged_in();
    assert_eq!(code(&send(&mut s, "MAIL FROM:<Alice@Kapur.h>")), 250);
    let step = send(&mut s, "RCPT TO:<bob@kapur.h>");
    assert_eq!(
        step,
        Step::LookupRecipient {
            address: "bob@kapur.h".into()
        }
    );
    assert_eq!(
        code(&s.recipient_done("bob@kapur.h", Lookup::Found(bob()))),
        250
    );
    s
}

#[test]
fn greeting_names_the_host() {
    let s = Session::new(i18n(), limits(), false);
    let g = String::from_utf8(s.greeting().to_bytes()).unwrap();
    assert!(g.starts_with("220 node.kapur.h ESMTP "), "{g}");
    assert!(g.contains("WIMS"));
}

#[test]
fn ehlo_offers_auth_only_after_tls() {
    let mut s = Session::new(i18n(), limits(), false);
    let t = text(&send(&mut s, "EHLO client.test"));
    for ext in [
        "PIPELINING",
        "SIZE 1000",
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
    ] {
        assert!(
            t.contains(&format!("250-{ext}\r\n")) || t.contains(&format!("250 {ext}\r\n")),
            "{ext}: {t}"
        );
    }
    assert!(!t.contains("AUTH"), "{t}");
    assert!(matches!(send(&mut s, "STARTTLS"), Step::StartTls(r) if r.code == 220));
    s.tls_started();
    // The EHLO before the handshake no longer counts.
    assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 503);
    let t = text(&send(&mut s, "EHLO client.test"));
    assert!(t.contains("AUTH PLAIN LOGIN"), "{t}");
    assert!(!t.contains("STARTTLS"), "{t}");
    assert_eq!(code(&send(&mut s, "STARTTLS")), 503);
}

#[test]
fn auth_and_mail_are_refused_before_tls() {
    let mut s = Session::new(i18n(), limits(), false);
    send(&mut s, "EHLO client.test");
    let creds = B64.encode(b"\0alice@kapur.h\0secret");
    let step = send(&mut s, &format!("AUTH PLAIN {creds}"));
    assert_eq!(code(&step), 538);
    assert!(text(&step).starts_with("538 5.7.11 "));
    let step = send(&mut s, "AUTH LOGIN");
    assert_eq!(code(&step), 538);
    let step = send(&mut s, "MAIL FROM:<alice@kapur.h>");
    assert!(text(&step).starts_with("530 5.7.0 "));
}

#[test]
fn mail_requires_auth() {
    let mut s = Session::new(i18n(), limits(), true);
    send(&mut s, "EHLO client.test");
    assert!(text(&send(&mut s, "MAIL FROM:<alice@kapur.h>")).starts_with("530 5.7.0 "));
    assert_eq!(code(&send(&mut s, "RCPT TO:<bob@kapur.h>")), 530);
    assert_eq!(code(&send(&mut s, "DATA")), 530);
    let step = send(&mut s, "BDAT 5 LAST");
    assert!(matches!(step, Step::SkipBdat { size: 5, ref reply } if reply.code == 530));
}

#[test]
fn auth_plain_with_challenge_and_cancel() {
    let mut s = Session::new(i18n(), limits(), true);
    send(&mut s, "EHLO client.test");
    let step = send(&mut s, "AUTH PLAIN");
    assert_eq!(text(&step), "334 \r\n");
    assert!(s.awaiting_auth());
    assert_eq!(code(&send(&mut s, "*")), 501);
    assert!(!s.awaiting_auth());
    send(&mut s, "AUTH PLAIN");
    let step = send(&mut s, &B64.encode(b"alice@kapur.h\0alice@kapur.h\0pw"));
    assert!(matches!(step, Step::Authenticate { ref user, .. } if user == "alice@kapur.h"));
    // Authorising as someone else is refused without a password check.
    send(&mut s, "AUTH PLAIN");
    let step = send(&mut s, &B64.encode(b"bob@kapur.h\0alice@kapur.h\0pw"));
    assert_eq!(code(&step), 535);
    assert_eq!(code(&send(&mut s, "AUTH PLAIN !!notbase64")), 501);
}

#[test]
fn auth_login_both_ways() {
    let mut s = Session::new(i18n(), limits(), true);
    send(&mut s, "EHLO client.test");
    assert_eq!(text(&send(&mut s, "AUTH LOGIN")), "334 VXNlcm5hbWU6\r\n");
    assert_eq!(
        text(&send(&mut s, &B64.encode("alice@kapur.h"))),
        "334 UGFzc3dvcmQ6\r\n"
    );
    let step = send(&mut s, &B64.encode("pw"));
    assert_eq!(
        step,
        Step::Authenticate {
            user: "alice@kapur.h".into(),
            password: "pw".into()
        }
    );
    // smtplib's form: the user name as initial response.
    let line = format!("AUTH LOGIN {}", B64.encode("alice@kapur.h"));
    assert_eq!(text(&send(&mut s, &line)), "334 UGFzc3dvcmQ6\r\n");
    assert!(matches!(
        send(&mut s, &B64.encode("pw")),
        Step::Authenticate { .. }
    ));
    assert_eq!(code(&send(&mut s, "AUTH CRAM-MD5")), 504);
}

#[test]
fn repeated_auth_failures_close() {
    let mut s = Session::new(i18n(), limits(), true);
    send(&mut s, "EHLO client.test");
    for _ in 1..MAX_AUTH_FAILURES {
        assert_eq!(code(&s.auth_done(AuthOutcome::Invalid, None)), 535);
    }
    assert!(matches!(s.auth_done(AuthOutcome::Invalid, None), Step::Close(r) if r.code == 421));
    assert_eq!(code(&s.auth_done(AuthOutcome::Unavailable, None)), 454);
}

#[test]
fn sender_must_be_the_account() {
    let mut s = logged_in();
    assert_eq!(code(&send(&mut s, "AUTH PLAIN AGFAYg==")), 503);
    for bad in ["<bob@kapur.h>", "<alice@elsewhere.h>", "<>"] {
        let step = send(&mut s, &format!("MAIL FROM:{bad}"));
        assert!(
            text(&step).starts_with("553 5.7.1 "),
            "{bad}: {}",
            text(&step)
        );
    }
    let step = send(
        &mut s,
        "MAIL FROM:<ALICE@kapur.h> BODY=8BITMIME SMTPUTF8 AUTH=<>",
    );
    assert!(text(&step).starts_with("250 2.1.0 "), "{}", text(&step));
    assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 503);
}

#[test]
fn size_parameter_over_the_limit() {
    let mut s = logged_in();
    let step = send(&mut s, "MAIL FROM:<alice@kapur.h> SIZE=1001");
    assert!(text(&step).starts_with("552 5.3.4 "));
    assert_eq!(
        code(&send(&mut s, "MAIL FROM:<alice@kapur.h> SIZE=1000")),
        250
    );
}

#[test]
fn unsupported_parameters() {
    let mut s = logged_in();
    assert_eq!(
        code(&send(&mut s, "MAIL FROM:<alice@kapur.h> BODY=BINARYMIME")),
        555
    );
    assert_eq!(
        code(&send(&mut s, "MAIL FROM:<alice@kapur.h> RET=FULL")),
        555
    );
    assert_eq!(
        code(&send(&mut s, "MAIL FROM:<alice@kapur.h> FOO=BAR")),
        555
    );
    assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 250);
    assert_eq!(
        code(&send(&mut s, "RCPT TO:<bob@kapur.h> NOTIFY=NEVER")),
        555
    );
}

#[test]
fn non_ascii_addresses_need_smtputf8() {
    let mut s = logged_in();
    assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 250);
    let step = send(&mut s, "RCPT TO:<jürgen@kapur.h>");
    assert!(text(&step).starts_with("553 5.6.7 "));
    send(&mut s, "RSET");
    assert_eq!(
        code(&send(&mut s, "MAIL FROM:<alice@kapur.h> SMTPUTF8")),
        250
    );
    assert!(matches!(
        send(&mut s, "RCPT TO:<jürgen@kapur.h>"),
        Step::LookupRecipient { .. }
    ));
}

#[test]
fn recipients_local_foreign_duplicate_and_limit() {
    let mut s = with_recipient();
    assert_eq!(s.sole_recipient(), Some("bob@kapur.h"));
    send(&mut s, "RCPT TO:<carol@elsewhere.h>");
    let step = s.recipient_done("carol@elsewhere.h", Lookup::NotHosted);
    assert!(text(&step).starts_with("550 5.1.1 "), "{}", text(&step));
    assert!(text(&step).contains("carol@elsewhere.h"));
    assert_eq!(code(&send(&mut s, "RCPT TO:<>")), 501);
    // A duplicate needs no lookup but still counts against the limit.
    assert_eq!(code(&send(&mut s, "RCPT TO:<BOB@kapur.h>")), 250);
    assert!(matches!(
        send(&mut s, "RCPT TO:<alice@kapur.h>"),
        Step::LookupRecipient { .. }
    ));
    assert_eq!(
        code(&s.recipient_done("alice@kapur.h", Lookup::Found(alice()))),
        250
    );
    assert_eq!(s.sole_recipient(), None);
    let step = send(&mut s, "RCPT TO:<bob@kapur.h>");
    assert!(text(&step).starts_with("452 4.5.3 "));
    let plan = s.plan().unwrap();
    assert_eq!(plan.sender, alice());
    assert_eq!(plan.recipients, vec![bob(), alice()]);
}

#[test]
fn data_sequence() {
    let mut s = logged_in();
    assert_eq!(code(&send(&mut s, "DATA")), 503);
    send(&mut s, "MAIL FROM:<alice@kapur.h>");
    assert!(text(&send(&mut s, "DATA")).starts_with("554 5.5.1 "));
    send(&mut s, "RCPT TO:<bob@kapur.h>");
    s.recipient_done("bob@kapur.h", Lookup::Found(bob()));
    assert_eq!(send(&mut s, "DATA"), Step::Data);
    assert_eq!(s.data_opened().code, 354);
    assert!(s.body_in_progress());
    assert!(text(&s.message_done(Outcome::Delivered)).starts_with("250 2.0.0 "));
    assert!(!s.body_in_progress());
    assert!(s.plan().is_none());
    assert_eq!(code(&send(&mut s, "RCPT TO:<bob@kapur.h>")), 503);
}

#[test]
fn data_too_big_or_failed_ends_the_transaction() {
    let mut s = with_recipient();
    assert_eq!(send(&mut s, "DATA"), Step::Data);
    s.data_opened();
    assert!(text(&s.message_done(Outcome::TooBig)).starts_with("552 5.3.4 "));
    let mut s = with_recipient();
    send(&mut s, "DATA");
    assert!(text(&s.data_refused()).starts_with("451 4.3.0 "));
    assert_eq!(code(&send(&mut s, "DATA")), 503);
}

#[test]
fn bdat_chunks_and_limits() {
    let mut s = with_recipient();
    assert_eq!(
        send(&mut s, "BDAT 400"),
        Step::Bdat {
            size: 400,
            last: false
        }
    );
    assert!(text(&s.chunk_done(400, true)).starts_with("250 2.0.0 "));
    assert_eq!(code(&send(&mut s, "DATA")), 503);
    assert_eq!(code(&send(&mut s, "RCPT TO:<alice@kapur.h>")), 503);
    assert_eq!(
        send(&mut s, "BDAT 600"),
        Step::Bdat {
            size: 600,
            last: false
        }
    );
    // One octet over the limit: refused, skipped, and the transaction is gone.
    let step = send(&mut s, "BDAT 1 LAST");
    assert!(matches!(step, Step::SkipBdat { size: 1, ref reply } if reply.code == 552));
    assert!(!s.body_in_progress());
    let step = send(&mut s, "BDAT 3 LAST");
    assert!(matches!(step, Step::SkipBdat { size: 3, ref reply } if reply.code == 503));
}

#[test]
fn bdat_zero_last() {
    let mut s = with_recipient();
    assert_eq!(
        send(&mut s, "BDAT 0 LAST"),
        Step::Bdat {
            size: 0,
            last: true
        }
    );
    assert_eq!(s.plan().unwrap().recipients, vec![bob()]);
    assert_eq!(code(&s.message_done(Outcome::Delivered)), 250);
}

#[test]
fn bdat_without_recipients_is_skipped() {
    let mut s = logged_in();
    send(&mut s, "MAIL FROM:<alice@kapur.h>");
    let step = send(&mut s, "BDAT 10 LAST");
    assert!(matches!(step, Step::SkipBdat { size: 10, ref reply } if reply.code == 554));
}

#[test]
fn rset_helo_and_simple_commands() {
    let mut s = with_recipient();
    assert_eq!(code(&send(&mut s, "RSET")), 250);
    assert!(s.plan().is_none());
    assert!(text(&send(&mut s, "NOOP")).starts_with("250 2.0.0"));
    assert!(text(&send(&mut s, "VRFY bob")).starts_with("252 "));
    let help = text(&send(&mut s, "HELP"));
    assert!(help.starts_with("214"), "{help}");
    assert_eq!(code(&send(&mut s, "EXPN list")), 502);
    assert!(matches!(send(&mut s, "QUIT"), Step::Quit(r) if r.code == 221));
    // HELO starts over but keeps the login.
    send(&mut s, "MAIL FROM:<alice@kapur.h>");
    assert_eq!(
        text(&send(&mut s, "HELO other.test")),
        "250 node.kapur.h Hello other.test\r\n"
    );
    assert!(s.plan().is_none());
    assert_eq!(code(&send(&mut s, "MAIL FROM:<alice@kapur.h>")), 250);
}

#[test]
fn malformed_commands_then_too_many_errors() {
    let mut s = Session::new(i18n(), limits(), true);
    assert!(text(&send(&mut s, "FROB")).starts_with("500 5.5.1 "));
    assert!(text(&send(&mut s, "MAIL TO:<x@y>")).starts_with("501 "));
    assert!(text(&send(&mut s, "EHLO")).starts_with("501 "));
    assert!(text(&send(&mut s, "")).starts_with("500 "));
    assert!(text(&s.line_too_long()).starts_with("500 5.5.2 "));
    // The session still works after errors.
    assert_eq!(code(&send(&mut s, "EHLO client.test")), 250);
    for _ in 5..MAX_ERRORS - 1 {
        assert_eq!(code(&send(&mut s, "FROB")), 500);
    }
    assert!(matches!(send(&mut s, "FROB"), Step::Close(r) if r.code == 421));
}

#[test]
fn auth_line_too_long_cancels_the_exchange() {
    let mut s = Session::new(i18n(), limits(), true);
    send(&mut s, "EHLO client.test");
    send(&mut s, "AUTH PLAIN");
    assert!(text(&s.line_too_long()).starts_with("500 5.5.6 "));
    assert!(!s.awaiting_auth());
}

#[test]
fn bare_lf_lines_are_commands_too() {
    let mut s = Session::new(i18n(), limits(), true);
    assert_eq!(code(&s.line(b"NOOP\n")), 250);
}
