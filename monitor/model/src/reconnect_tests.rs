use super::*;
use crate::texts::load;

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

#[test]
fn delays_double_up_to_the_cap() {
    let waits: Vec<u64> = (1..=9).map(|n| delay(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(delay(u32::MAX), MAX_DELAY);
}

#[test]
fn a_failed_dial_waits_then_dials_again_with_growing_delays() {
    let mut c = Connection::new();
    assert_eq!(c.tick(s(0)), Action::Nothing);
    assert_eq!(c.next_tick(), None);
    assert_eq!(c.start(s(0)), Action::Dial);
    c.lost(s(0), Lost::Unreachable);
    assert_eq!(c.next_tick(), Some(s(1)));
    assert_eq!(c.tick(s(0)), Action::Nothing);
    assert_eq!(c.tick(s(1)), Action::Dial);
    assert!(matches!(c.phase(), Phase::Connecting { .. }));
    c.lost(s(1), Lost::Unreachable);
    assert_eq!(c.next_tick(), Some(s(3)));
    assert_eq!(c.tick(s(2)), Action::Nothing);
    assert_eq!(c.tick(s(3)), Action::Dial);
    c.lost(s(3), Lost::Unreachable);
    assert_eq!(
        c.phase(),
        &Phase::Waiting {
            until: s(7),
            attempt: 3,
            why: Lost::Unreachable
        }
    );
}

#[test]
fn an_unanswered_dial_times_out() {
    let mut c = Connection::new();
    c.start(s(10));
    assert_eq!(c.next_tick(), Some(s(10) + CONNECT_TIMEOUT));
    assert_eq!(c.tick(s(10) + CONNECT_TIMEOUT - s(1)), Action::Nothing);
    assert_eq!(c.tick(s(10) + CONNECT_TIMEOUT), Action::HangUp);
    assert!(matches!(
        c.phase(),
        Phase::Waiting {
            why: Lost::Unreachable,
            ..
        }
    ));
}

#[test]
fn silence_ends_a_connection_and_frames_keep_it() {
    let mut c = Connection::new();
    c.start(s(0));
    c.accepted(s(1));
    assert!(c.is_connected());
    c.heard(s(40));
    assert_eq!(c.tick(s(41)), Action::Nothing);
    assert_eq!(c.next_tick(), Some(s(40) + SILENCE_LIMIT));
    // An earlier instant reported late does not move the mark back.
    c.heard(s(5));
    assert_eq!(c.tick(s(40) + SILENCE_LIMIT), Action::HangUp);
    assert!(matches!(
        c.phase(),
        Phase::Waiting {
            why: Lost::Silent,
            ..
        }
    ));
}

#[test]
fn a_stable_connection_resets_the_delays() {
    let mut c = Connection::new();
    c.start(s(0));
    for at in [0, 1, 3] {
        c.tick(s(at));
        c.lost(s(at), Lost::Unreachable);
    }
    // Fourth failure in a row: 8 s.
    c.tick(s(7));
    c.accepted(s(7));
    c.lost(s(8), Lost::Closed);
    assert_eq!(c.next_tick(), Some(s(16)));
    // Connected long enough before it dropped: back to the first delay.
    c.tick(s(16));
    c.accepted(s(16));
    c.lost(s(16) + STABLE_AFTER, Lost::Closed);
    assert_eq!(c.next_tick(), Some(s(16) + STABLE_AFTER + FIRST_DELAY));
}

#[test]
fn a_resync_reconnects_at_once() {
    let mut c = Connection::new();
    c.start(s(0));
    c.accepted(s(0));
    c.lost(s(5), Lost::Resync);
    assert_eq!(c.tick(s(5)), Action::Dial);
}

#[test]
fn refusals_stop_retrying_unless_throttled() {
    let mut c = Connection::new();
    c.start(s(0));
    c.refused(s(0), Refusal::BadCredentials);
    assert_eq!(c.next_tick(), None);
    assert_eq!(c.tick(s(1000)), Action::Nothing);
    // A loss reported after the refusal does not start retries.
    c.lost(s(1000), Lost::Closed);
    assert!(matches!(c.phase(), Phase::Refused { .. }));

    c.start(s(1000));
    c.refused(s(1000), Refusal::TooManyAttempts { retry_after: 30 });
    assert_eq!(c.tick(s(1029)), Action::Nothing);
    assert_eq!(c.tick(s(1030)), Action::Dial);

    c.stop();
    assert_eq!(c.phase(), &Phase::Idle);
    assert_eq!(c.tick(s(5000)), Action::Nothing);
}

#[test]
fn the_state_reads_as_a_sentence() {
    let en = load("en-US").unwrap();
    let de = load("de-DE").unwrap();
    let mut c = Connection::new();
    assert_eq!(c.text(&en, s(0)), "Not connected");
    c.start(s(0));
    assert_eq!(c.text(&de, s(0)), "Verbindung wird aufgebaut …");
    c.lost(s(0), Lost::Silent);
    c.tick(s(1));
    c.lost(s(1), Lost::Closed);
    assert_eq!(
        c.text(&en, s(2)),
        "The node closed the connection. Reconnecting in 1 s (attempt 2)."
    );
    c.refused(s(3), Refusal::UnsupportedVersion { min: 4, max: 6 });
    let text = c.text(&en, s(3));
    assert!(text.contains('4') && text.contains('6'), "{text}");
    c.refused(s(3), Refusal::TooManyAttempts { retry_after: 90 });
    assert!(
        c.text(&en, s(33)).contains("1 min 00 s"),
        "{}",
        c.text(&en, s(33))
    );
    assert_ne!(
        refusal_text(&de, &Refusal::BadCredentials, None),
        refusal_text(&en, &Refusal::BadCredentials, None)
    );
    assert_ne!(
        refusal_text(&en, &Refusal::UnknownAccount, None),
        refusal_text(&en, &Refusal::BadCredentials, None)
    );
}
