use super::*;

#[test]
fn names() {
    assert!(is_drop_file("a.xml"));
    assert!(is_drop_file("A.XML"));
    assert!(!is_drop_file("a.xml.part"));
    assert!(!is_drop_file(".a.xml"));
    assert_eq!(
        job_of("0123456789abcdef.inv.xml"),
        Some(("0123456789abcdef", "inv.xml"))
    );
    assert_eq!(job_of("inv.xml"), None);
    assert_eq!(split_ext("inv.2.xml"), ("inv.2", ".xml"));
}

#[test]
fn the_next_round_comes_when_a_file_settles_or_is_due() {
    let settle = Duration::from_secs(2);
    let poll = Duration::from_secs(3600);
    let seen = |ago: Duration| Seen {
        len: 1,
        modified: None,
        since: Instant::now() - ago,
    };
    assert_eq!(next_due([].iter(), [].iter(), settle, poll), poll);
    let fresh = [seen(Duration::ZERO)];
    let wait = next_due(fresh.iter(), [].iter(), settle, poll);
    assert!(wait <= settle && wait > Duration::from_secs(1), "{wait:?}");
    // Settled but not taken (the rename failed): no spinning, the poll decides.
    let stuck = [seen(Duration::from_secs(60))];
    assert_eq!(next_due(stuck.iter(), [].iter(), settle, poll), poll);
    let due = [Utc::now() + chrono::Duration::seconds(30)];
    let wait = next_due([].iter(), due.iter(), settle, poll);
    assert!(wait <= Duration::from_secs(30) && wait > Duration::from_secs(25));
    let past = [Utc::now() - chrono::Duration::seconds(30)];
    assert_eq!(
        next_due([].iter(), past.iter(), settle, poll),
        Duration::ZERO
    );
}
