//! Sessions driven in memory, several at once on one store: the bytes a client sends go
//! through the framer, the session's steps are carried out here as a driver would.

use std::io::{Read, Write};
use std::sync::Arc;

use mailbox::{StorageKey, Store};

use crate::framing::{Frame, Framer, Input};
use crate::{Env, Limits, Session, Step};

const LOCALES: &[(&str, &[&str])] = &[("en-US", &[include_str!("../../locales/en-US/imap.ftl")])];

pub(crate) fn env(store: Store) -> Arc<Env> {
    Arc::new(Env {
        store,
        views: Default::default(),
        texts: Arc::new(i18n::I18n::new(LOCALES, "en-US").unwrap()),
        product: "Test".into(),
        limits: Limits {
            max_command_size: 64 * 1024,
            max_command_size_before_login: 1024,
            max_append_size: 10 << 20,
            max_append_messages: 10,
            allow_plaintext_auth: true,
            default_quota_mib: 0,
            max_search_contexts: 2,
            max_context_messages: 1000,
        },
    })
}

/// A client and the driver in one: what it sends is framed and handled, what the session
/// answers (bodies included) is collected as text.
pub(crate) struct Client {
    pub(crate) session: Session,
    framer: Framer,
    env: Arc<Env>,
    /// The last step that was not carried out: `Idle` or `Close`.
    pub(crate) parked: Option<Step>,
    /// How many times the session asked to have its output sent before going on.
    pub(crate) flushes: usize,
}

impl Client {
    pub(crate) fn new(env: &Arc<Env>) -> (Client, String) {
        let mut c = Client {
            session: Session::new(env.clone(), "test", false),
            framer: Framer::default(),
            env: env.clone(),
            parked: None,
            flushes: 0,
        };
        let greeting = c.take();
        (c, greeting)
    }

    pub(crate) fn take(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(self.session.output())).into_owned()
    }

    /// Sends `bytes` and returns everything the server wrote in answer.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> String {
        let mut text = self.take();
        self.framer.feed(bytes);
        let mut staged = Vec::new();
        let mut writer = None;
        loop {
            let budget = self.session.budget();
            let input = match self.framer.next(&budget) {
                Frame::NeedInput => return text + &self.take(),
                Frame::Continue => {
                    text.push_str("+ go\r\n");
                    continue;
                }
                Frame::BodyStart { .. } => {
                    writer = Some(self.env.store.new_message().unwrap());
                    continue;
                }
                Frame::Body(b) => {
                    writer.as_mut().unwrap().write_all(b).unwrap();
                    continue;
                }
                Frame::BodyEnd => {
                    staged.push(writer.take().unwrap().finish().unwrap());
                    continue;
                }
                Frame::Command(bytes) => Input::Command {
                    bytes,
                    staged: std::mem::take(&mut staged),
                },
                Frame::Refused { tag, reason } => Input::Refused { tag, reason },
            };
            let step = self.session.handle(input);
            self.carry_out(step, &mut text);
        }
    }

    fn carry_out(&mut self, mut step: Step, text: &mut String) {
        loop {
            text.push_str(&self.take());
            step = match step {
                Step::Read => return,
                Step::Send(mut body) => {
                    let mut bytes = Vec::new();
                    body.reader.read_to_end(&mut bytes).unwrap();
                    assert_eq!(bytes.len() as u64, body.len);
                    text.push_str(&String::from_utf8_lossy(&bytes));
                    self.session.resume()
                }
                Step::Flush => {
                    self.flushes += 1;
                    self.session.resume()
                }
                Step::Verify { user, password } => {
                    let account = self.env.store.account(&user).unwrap();
                    let r = match account {
                        Some(a) if password == "pw" => Ok(a),
                        _ => Err("refused"),
                    };
                    self.session.verified(r)
                }
                Step::StartTls => {
                    self.session.tls_started();
                    Step::Read
                }
                Step::Compress => Step::Read,
                s @ (Step::Idle { .. } | Step::Close) => {
                    self.parked = Some(s);
                    return;
                }
            }
        }
    }

    /// The store changed: what the session says of it, as a driver watching the store hears.
    pub(crate) fn changed(&mut self) -> String {
        let mut text = self.take();
        let step = self.session.changed();
        self.carry_out(step, &mut text);
        text
    }

    pub(crate) fn login(env: &Arc<Env>, user: &str) -> Client {
        let (mut c, _) = Client::new(env);
        let r = c.send(format!("l LOGIN {user} pw\r\n").as_bytes());
        assert!(r.starts_with("l OK [CAPABILITY"), "{r}");
        c
    }
}

pub(crate) fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StorageKey::generate()).unwrap();
    store.add_account("a@x.h", "pw").unwrap();
    (dir, store)
}

pub(crate) fn append(c: &mut Client, body: &str) -> String {
    c.send(format!("ap APPEND INBOX {{{}}}\r\n{body}\r\n", body.len()).as_bytes())
}

#[test]
fn greeting_login_and_a_wrong_password() {
    let (_d, store) = store();
    let env = env(store);
    let (mut c, greeting) = Client::new(&env);
    assert!(
        greeting.starts_with("* OK [CAPABILITY IMAP4rev1"),
        "{greeting}"
    );
    assert!(greeting.contains("Test"), "{greeting}");
    let r = c.send(b"1 LOGIN a@x.h nope\r\n");
    assert!(r.starts_with("1 NO [AUTHENTICATIONFAILED]"), "{r}");
    let r = c.send(b"2 SELECT INBOX\r\n");
    assert!(r.starts_with("2 BAD"), "{r}");
    // AUTHENTICATE PLAIN with its response after a continuation.
    let r = c.send(b"3 AUTHENTICATE PLAIN\r\n");
    assert_eq!(r, "+ \r\n");
    let r = c.send(b"AGFAeC5oAHB3\r\n");
    assert!(r.starts_with("3 OK [CAPABILITY"), "{r}");
    assert!(c.session.account_id().is_some());
}

#[test]
fn two_sessions_on_one_mailbox_see_each_others_changes() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    let r = a.send(b"s SELECT INBOX\r\n");
    assert!(r.contains("* 0 EXISTS"), "{r}");
    let r = append(&mut b, "Subject: one\r\n\r\nhello\r\n");
    assert!(r.contains("+ go") && r.contains("ap OK [APPENDUID"), "{r}");
    let r = a.send(b"n NOOP\r\n");
    assert!(
        r.contains("* 1 EXISTS\r\n") && r.contains("* 1 RECENT"),
        "{r}"
    );
    b.send(b"s SELECT INBOX\r\n");
    let r = b.send(b"f STORE 1 +FLAGS (\\Flagged)\r\n");
    assert!(r.contains("* 1 FETCH (FLAGS (\\Flagged))"), "{r}");
    let r = a.send(b"n NOOP\r\n");
    assert!(r.contains("* 1 FETCH (FLAGS (\\Flagged \\Recent)"), "{r}");
    let r = b.send(b"x STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx2 EXPUNGE\r\n");
    assert!(r.contains("* 1 EXPUNGE") && r.contains("x2 OK"), "{r}");
    // Not in FETCH: an expunge is told only when the client may hear of it.
    let r = a.send(b"f FETCH 1:* FLAGS\r\n");
    assert!(!r.contains("EXPUNGE"), "{r}");
    let r = a.send(b"n NOOP\r\n");
    assert!(r.contains("* 1 EXPUNGE"), "{r}");
}

#[test]
fn a_large_body_goes_out_as_a_literal_the_driver_streams() {
    let (_d, store) = store();
    let env = env(store);
    let mut c = Client::login(&env, "a@x.h");
    let big = format!("Subject: big\r\n\r\n{}\r\n", "0123456789".repeat(20_000));
    append(&mut c, &big);
    c.send(b"s SELECT INBOX\r\n");
    let mut sends = 0;
    let step = c.session.handle(Input::Command {
        bytes: b"f FETCH 1 (UID BODY.PEEK[])\r\n".to_vec(),
        staged: Vec::new(),
    });
    let mut text = String::new();
    if let Step::Send(body) = &step {
        sends += 1;
        assert_eq!(body.len, big.len() as u64);
    }
    c.carry_out(step, &mut text);
    assert_eq!(sends, 1);
    assert!(text.starts_with(&format!("* 1 FETCH (UID 1 BODY[] {{{}}}\r\n", big.len())));
    assert!(
        text.contains(&format!("{big})\r\n")),
        "the body and the end of the response"
    );
    assert!(text.lines().last().unwrap().starts_with("f OK"), "{text}");
}

#[test]
fn idle_reports_what_another_session_does() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    a.send(b"s SELECT INBOX\r\n");
    let r = a.send(b"i IDLE\r\n");
    assert!(r.starts_with("+ "), "{r}");
    assert!(matches!(a.parked.take(), Some(Step::Idle { .. })));
    append(&mut b, "Subject: x\r\n\r\ny\r\n");
    a.session.changed();
    assert!(a.take().contains("* 1 EXISTS"));
    let r = a.send(b"DONE\r\n");
    assert!(r.starts_with("i OK"), "{r}");
}

#[test]
fn refusals_name_the_tag_and_closing_ones_say_bye() {
    let (_d, store) = store();
    let env = env(store);
    let (mut c, _) = Client::new(&env);
    let long = format!("t1 LOGIN {}\r\n", "x".repeat(2000));
    let r = c.send(long.as_bytes());
    assert!(r.starts_with("t1 BAD"), "{r}");
    // Before login a literal past the small budget is never asked for.
    let r = c.send(b"t2 LOGIN a {5000+}\r\n");
    assert!(
        r.starts_with("t2 BAD [LIMIT]") && r.contains("* BYE"),
        "{r}"
    );
    assert!(matches!(c.parked, Some(Step::Close)));
}

#[test]
fn logout_closes() {
    let (_d, store) = store();
    let env = env(store);
    let mut c = Client::login(&env, "a@x.h");
    let r = c.send(b"z LOGOUT\r\n");
    assert!(r.starts_with("* BYE") && r.contains("z OK"), "{r}");
    assert!(matches!(c.parked, Some(Step::Close)));
}

fn number_after(text: &str, key: &str) -> u64 {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[test]
fn qresync_tells_what_vanished_and_changed_since_a_modseq() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    let mut b = Client::login(&env, "a@x.h");
    for n in 1..=4 {
        append(&mut b, &format!("Subject: {n}\r\n\r\nbody\r\n"));
    }
    let r = a.send(b"q SELECT INBOX (QRESYNC (1 1))\r\n");
    assert!(r.starts_with("q BAD"), "QRESYNC before ENABLE: {r}");
    let r = a.send(b"e ENABLE QRESYNC\r\n");
    assert!(r.starts_with("* ENABLED QRESYNC\r\n"), "{r}");
    let r = a.send(b"s SELECT INBOX\r\n");
    let (validity, modseq) = (
        number_after(&r, "UIDVALIDITY "),
        number_after(&r, "HIGHESTMODSEQ "),
    );
    a.send(b"u UNSELECT\r\n");
    b.send(b"s SELECT INBOX\r\n");
    b.send(b"f STORE 2 +FLAGS (\\Seen)\r\nd STORE 3 +FLAGS (\\Deleted)\r\nx EXPUNGE\r\n");
    let r = a.send(format!("s SELECT INBOX (QRESYNC ({validity} {modseq} 1:4))\r\n").as_bytes());
    assert!(r.contains("* VANISHED (EARLIER) 3\r\n"), "{r}");
    assert!(
        r.contains("* 2 FETCH (FLAGS (\\Seen) UID 2 MODSEQ ("),
        "{r}"
    );
    assert!(
        !r.contains("UID 1 ") && !r.contains("UID 4 "),
        "unchanged ones: {r}"
    );
    // Known UIDs narrow what is told.
    a.send(b"u UNSELECT\r\n");
    let r = a.send(format!("s SELECT INBOX (QRESYNC ({validity} {modseq} 4))\r\n").as_bytes());
    assert!(!r.contains("VANISHED"), "{r}");
    // A different UIDVALIDITY: nothing incremental.
    a.send(b"u UNSELECT\r\n");
    let r = a.send(format!("s SELECT INBOX (QRESYNC ({} {modseq}))\r\n", validity + 1).as_bytes());
    assert!(!r.contains("VANISHED") && !r.contains("FETCH"), "{r}");
    // Expunges by another session come as VANISHED, not EXPUNGE.
    b.send(b"d STORE 1 +FLAGS (\\Deleted)\r\nx EXPUNGE\r\n");
    let r = a.send(b"n NOOP\r\n");
    assert!(
        r.contains("* VANISHED 1\r\n") && !r.contains("EXPUNGE"),
        "{r}"
    );
    let r =
        a.send(format!("v UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)\r\n").as_bytes());
    assert!(r.starts_with("* VANISHED (EARLIER) 1,3\r\n"), "{r}");
    assert!(r.contains("FLAGS (\\Seen) UID 2"), "{r}");
    let r = a.send(b"v2 FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n");
    assert!(r.starts_with("v2 BAD"), "VANISHED without UID: {r}");
}

#[test]
fn an_over_long_answer_to_authenticate_completes_that_command() {
    let (_d, store) = store();
    let env = env(store);
    let (mut c, _) = Client::new(&env);
    assert_eq!(c.send(b"a1 AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    let r = c.send(format!("{}\r\n", "QUFB".repeat(1000)).as_bytes());
    assert!(r.starts_with("a1 BAD"), "{r}");
    // The connection goes on.
    let r = c.send(b"a2 NOOP\r\n");
    assert!(r.starts_with("a2 OK"), "{r}");
}

#[path = "search_context_tests.rs"]
mod search_context;

#[path = "catenate_tests.rs"]
mod catenate;

#[path = "urlauth_tests.rs"]
mod urlauth;

/// A client piling keywords onto a folder is stopped at the folder's limit: a STORE that
/// would pass it is refused whole with `[LIMIT]`, PERMANENTFLAGS stops offering `\*` once the
/// folder is full, a keyword in another case is the folder's own spelling of it, and APPEND
/// files the message without the keywords that do not fit.
#[test]
fn keywords_past_the_folders_limit_are_refused() {
    let (_d, store) = store();
    store.set_max_keywords(4);
    let env = env(store);
    let mut c = Client::login(&env, "a@x.h");
    append(&mut c, "Subject: one\r\n\r\nhello\r\n");
    let r = c.send(b"s SELECT INBOX\r\n");
    assert!(
        r.contains("[PERMANENTFLAGS (") && r.contains(" \\*)]"),
        "{r}"
    );
    // One command with thousands of keywords: nothing of it is stored.
    let many: Vec<String> = (0..2000).map(|i| format!("$k{i}")).collect();
    let r = c.send(format!("a STORE 1 +FLAGS ({})\r\n", many.join(" ")).as_bytes());
    assert!(r.starts_with("a NO [LIMIT]"), "{r}");
    let r = c.send(b"f FETCH 1 FLAGS\r\n");
    assert!(r.contains("* 1 FETCH (FLAGS (\\Recent))"), "{r}");
    // Up to the limit; then the folder is full and says so.
    let r = c.send(b"b STORE 1 +FLAGS ($a $b $c)\r\n");
    assert!(r.contains("b OK"), "{r}");
    let r = c.send(b"c STORE 1 +FLAGS ($d)\r\n");
    assert!(r.contains("c OK"), "{r}");
    assert!(
        r.contains("[PERMANENTFLAGS (") && !r.contains("\\*)]"),
        "{r}"
    );
    let r = c.send(b"d STORE 1 +FLAGS ($e)\r\n");
    assert!(r.starts_with("d NO [LIMIT]"), "{r}");
    // Case variants are the keywords the folder has, not new ones.
    let r = c.send(b"e STORE 1 FLAGS ($A $B $C $D)\r\n");
    assert!(r.contains("FLAGS ($a $b $c $d"), "{r}");
    let r = c.send(b"e2 STORE 1 FLAGS ($a $b)\r\n");
    assert!(r.contains("e2 OK"), "{r}");
    // Room for two again: APPEND files the message, without the keyword that does not fit.
    let body = "Subject: two\r\n\r\nhello\r\n";
    let r = c.send(
        format!(
            "g APPEND INBOX ($new $x $y $B) {{{}}}\r\n{body}\r\n",
            body.len()
        )
        .as_bytes(),
    );
    assert!(r.contains("g OK [APPENDUID"), "{r}");
    let r = c.send(b"h FETCH 2 FLAGS\r\n");
    assert!(r.contains("* 2 FETCH (FLAGS ($new $x $b"), "{r}");
}

/// A STORE of many messages is made and told in parts, the responses of each sent before the
/// next is made; the client sees every message once, in order, and one tagged answer.
#[test]
fn a_large_store_is_told_in_parts() {
    let (_d, store) = store();
    let env = env(store);
    let mut a = Client::login(&env, "a@x.h");
    for i in 0..20 {
        append(&mut a, &format!("Subject: {i}\r\n\r\nhi\r\n"));
    }
    a.send(b"s SELECT INBOX\r\n");
    let mut b = Client::login(&env, "a@x.h");
    b.send(b"s SELECT INBOX\r\n");
    let r = a.send(b"f STORE 1:* +FLAGS (\\Flagged)\r\n");
    let lines: Vec<&str> = r.lines().collect();
    assert_eq!(lines.len(), 21, "{r}");
    for (i, line) in lines[..20].iter().enumerate() {
        assert!(
            line.starts_with(&format!("* {} FETCH (FLAGS (\\Flagged", i + 1)),
            "{r}"
        );
    }
    assert!(lines[20].starts_with("f OK"), "{r}");
    assert_eq!(
        a.flushes,
        2,
        "three parts of {}",
        crate::session::store_job::PART
    );
    // Silent: nothing to send between the parts.
    let r = a.send(b"g STORE 1:* -FLAGS.SILENT (\\Flagged)\r\n");
    assert!(r.starts_with("g OK"), "{r}");
    assert_eq!(a.flushes, 2);
    // Conflicts from every part are named together.
    let r = a.send(b"m FETCH 20 (MODSEQ)\r\n");
    let known: u64 = r
        .split("MODSEQ (")
        .nth(1)
        .and_then(|t| t.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{r}"));
    let r = b.send(b"c STORE 3,12,19 +FLAGS.SILENT (\\Seen)\r\n");
    assert!(r.contains("c OK"), "{r}");
    let r = a.send(format!("u STORE 1:* (UNCHANGEDSINCE {known}) +FLAGS ($Done)\r\n").as_bytes());
    assert!(r.contains("u OK [MODIFIED 3,12,19]"), "{r}");
    // The 17 changed, then what the other session did to the three.
    let changed = r
        .lines()
        .filter(|l| l.contains("FETCH") && l.contains("$Done"));
    assert_eq!(changed.count(), 17, "{r}");
    assert_eq!(r.lines().filter(|l| l.contains("FETCH")).count(), 20, "{r}");
    let r = b.send(b"n NOOP\r\n");
    let done = r
        .lines()
        .filter(|l| l.contains("FETCH") && l.contains("$Done"));
    assert_eq!(done.count(), 17, "{r}");
}
