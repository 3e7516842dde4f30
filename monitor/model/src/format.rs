//! Sizes, rates, durations, percentages and times as a person reads them, in the language of
//! the texts given. Fluent's own number formatting knows no decimal comma, so numbers are
//! formatted here with the language's separator (`monitor-decimal-separator`) and handed to
//! Fluent as text.

use std::fmt::Write;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use i18n::I18n;

/// `value` with `places` decimals and the language's decimal separator.
pub fn decimal(t: &I18n, value: f64, places: usize) -> String {
    let plain = format!("{value:.places$}");
    if places == 0 {
        return plain;
    }
    plain.replace('.', &t.text("monitor-decimal-separator", &[]))
}

/// Binary units: the value shown below 1024 of the next unit, one decimal below 100.
const UNITS: [&str; 6] = [
    "monitor-size-bytes",
    "monitor-size-kib",
    "monitor-size-mib",
    "monitor-size-gib",
    "monitor-size-tib",
    "monitor-size-pib",
];

/// `bytes` in the largest binary unit that keeps the number below 1024: `1,5 MiB`.
pub fn size(t: &I18n, bytes: u64) -> String {
    if bytes < 1024 {
        return t.text(UNITS[0], &[("value", &bytes.to_string())]);
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    loop {
        value /= 1024.0;
        unit += 1;
        let places = if value < 99.95 { 1 } else { 0 };
        // Rounded as shown: 1023.96 KiB would read "1024 KiB", so it becomes 1.0 MiB.
        let shown: f64 = format!("{value:.places$}").parse().unwrap_or(value);
        if shown < 1024.0 || unit == UNITS.len() - 1 {
            return t.text(UNITS[unit], &[("value", &decimal(t, value, places))]);
        }
    }
}

/// A transfer rate: `1,5 MiB/s`.
pub fn rate(t: &I18n, bytes_per_second: u64) -> String {
    t.text("monitor-rate", &[("size", &size(t, bytes_per_second))])
}

/// A span of time in its two largest units: `42 s`, `3 min 05 s`, `2 h 10 min`, `3 d 4 h`.
pub fn duration(t: &I18n, seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let two = |n: u64| format!("{n:02}");
    if seconds < 60 {
        t.text("monitor-duration-seconds", &[("s", &s.to_string())])
    } else if seconds < 3_600 {
        t.text(
            "monitor-duration-minutes",
            &[("m", &m.to_string()), ("s", &two(s))],
        )
    } else if seconds < 86_400 {
        t.text(
            "monitor-duration-hours",
            &[("h", &h.to_string()), ("m", &two(m))],
        )
    } else {
        t.text(
            "monitor-duration-days",
            &[("d", &d.to_string()), ("h", &h.to_string())],
        )
    }
}

/// Time left, or a dash when the node does not know.
pub fn eta(t: &I18n, seconds: Option<u64>) -> String {
    match seconds {
        Some(s) => duration(t, s),
        None => t.text("monitor-eta-unknown", &[]),
    }
}

/// A fraction from 0 to 1 as a percentage with one decimal, rounded down so that a job
/// never reads 100 % before it is done.
pub fn percent(t: &I18n, fraction: f64) -> String {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let tenths = (f * 1000.0).floor() / 10.0;
    t.text("monitor-percent", &[("value", &decimal(t, tenths, 1))])
}

/// Unix seconds as a date and time at `utc_offset` seconds east of UTC, in the language's
/// pattern (`monitor-time-format`).
pub fn time(t: &I18n, unix: i64, utc_offset: i32) -> String {
    let offset = FixedOffset::east_opt(utc_offset).unwrap_or(Utc.fix());
    let Some(at) = DateTime::from_timestamp(unix, 0) else {
        return t.text("monitor-eta-unknown", &[]);
    };
    let at = at.with_timezone(&offset);
    let pattern = t.text("monitor-time-format", &[]);
    let mut out = String::new();
    // A pattern chrono cannot read falls back to RFC 3339 instead of failing.
    if write!(out, "{}", at.format(&pattern)).is_err() {
        return at.to_rfc3339();
    }
    out
}

/// Milliseconds as signed seconds with one decimal: `+1,2 s`, `-0,4 s`.
pub fn offset(t: &I18n, ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    let secs = decimal(t, ms.unsigned_abs() as f64 / 1000.0, 1);
    t.text(
        "monitor-offset-seconds",
        &[("value", &format!("{sign}{secs}"))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::load;

    #[test]
    fn sizes_in_binary_units() {
        let en = load("en-US").unwrap();
        assert_eq!(size(&en, 0), "0 B");
        assert_eq!(size(&en, 1023), "1023 B");
        assert_eq!(size(&en, 1024), "1.0 KiB");
        assert_eq!(size(&en, 1536), "1.5 KiB");
        assert_eq!(size(&en, 150 * 1024), "150 KiB");
        assert_eq!(size(&en, 1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(size(&en, 5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert!(size(&en, u64::MAX).ends_with("PiB"));
        let de = load("de-DE").unwrap();
        assert_eq!(size(&de, 1536), "1,5 KiB");
        assert_eq!(rate(&de, 1536), "1,5 KiB/s");
        assert_eq!(rate(&en, 10), "10 B/s");
    }

    #[test]
    fn durations_show_two_units() {
        let en = load("en-US").unwrap();
        assert_eq!(duration(&en, 0), "0 s");
        assert_eq!(duration(&en, 59), "59 s");
        assert_eq!(duration(&en, 65), "1 min 05 s");
        assert_eq!(duration(&en, 3 * 3600 + 7 * 60 + 9), "3 h 07 min");
        assert_eq!(duration(&en, 2 * 86_400 + 5 * 3600), "2 d 5 h");
        assert_eq!(eta(&en, None), "–");
        assert_eq!(eta(&en, Some(30)), "30 s");
        let de = load("de-DE").unwrap();
        assert_eq!(duration(&de, 2 * 86_400 + 5 * 3600), "2 T 5 h");
    }

    #[test]
    fn percentages_round_down() {
        let en = load("en-US").unwrap();
        assert_eq!(percent(&en, 0.0), "0.0%");
        assert_eq!(percent(&en, 0.4256), "42.5%");
        assert_eq!(percent(&en, 0.99999), "99.9%");
        assert_eq!(percent(&en, 1.0), "100.0%");
        assert_eq!(percent(&en, 7.0), "100.0%");
        assert_eq!(percent(&en, f64::NAN), "0.0%");
        let de = load("de-DE").unwrap();
        assert_eq!(percent(&de, 0.4256), "42,5\u{a0}%");
    }

    #[test]
    fn times_in_the_language_pattern_and_offset() {
        let en = load("en-US").unwrap();
        let de = load("de-DE").unwrap();
        // 2024-03-05 14:03:22 UTC
        let at = 1_709_647_402;
        assert_eq!(time(&en, at, 0), "2024-03-05 14:03:22");
        assert_eq!(time(&de, at, 3600), "05.03.2024 15:03:22");
        // An offset no zone has is taken as UTC.
        assert_eq!(time(&en, at, 100_000), "2024-03-05 14:03:22");
        assert_eq!(offset(&en, 1234), "+1.2 s");
        assert_eq!(offset(&de, -400), "-0,4 s");
    }
}
