//! Ordering the job table by any of its columns.

use std::cmp::Ordering;

use i18n::I18n;
use monitor_api::{Activity, Job, JobState};

/// A column of the job table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    /// The subject, else the peer.
    Name,
    /// Message type (or what the job is, for drop files and updates).
    Type,
    Direction,
    Size,
    Progress,
    State,
    Rate,
    Eta,
    /// The peer and the way the data went.
    Path,
    Attempts,
    Account,
    Started,
}

impl Column {
    /// Every column, in the table's default order.
    pub const ALL: [Column; 12] = [
        Column::Name,
        Column::Type,
        Column::Direction,
        Column::Size,
        Column::Progress,
        Column::State,
        Column::Rate,
        Column::Eta,
        Column::Path,
        Column::Attempts,
        Column::Account,
        Column::Started,
    ];

    /// The column's header.
    pub fn title(self, t: &I18n) -> String {
        let id = match self {
            Column::Name => "monitor-column-name",
            Column::Type => "monitor-column-type",
            Column::Direction => "monitor-column-direction",
            Column::Size => "monitor-column-size",
            Column::Progress => "monitor-column-progress",
            Column::State => "monitor-column-state",
            Column::Rate => "monitor-column-rate",
            Column::Eta => "monitor-column-eta",
            Column::Path => "monitor-column-path",
            Column::Attempts => "monitor-column-attempts",
            Column::Account => "monitor-column-account",
            Column::Started => "monitor-column-started",
        };
        t.text(id, &[])
    }
}

/// Which column the table is ordered by, and which way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first, as a transfer list shows them.
    fn default() -> Self {
        Sort {
            column: Column::Started,
            descending: true,
        }
    }
}

impl Sort {
    /// The order after a click on `column`'s header: the same column turns around, another
    /// starts ascending.
    pub fn clicked(self, column: Column) -> Sort {
        Sort {
            column,
            descending: column == self.column && !self.descending,
        }
    }
}

/// Working jobs first, then the ones that wait, then the finished.
fn state_rank(s: JobState) -> u8 {
    match s {
        JobState::Running => 0,
        JobState::Retrying => 1,
        JobState::Queued => 2,
        JobState::Waiting => 3,
        JobState::Failed => 4,
        JobState::Done => 5,
    }
}

fn type_key(job: &Job) -> (u8, &str) {
    match job.activity {
        Activity::DropFile => (1, ""),
        Activity::Update => (2, ""),
        _ => (0, job.message_type.name()),
    }
}

/// Names compare without regard to case; an absent one after every present one.
fn text_order(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// An unknown number after every known one, whichever the direction.
fn known_first<T: Ord>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if descending => b.cmp(&a),
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// How `a` and `b` compare under `by`; `Equal` leaves them in the table's own order.
pub fn compare(a: &Job, b: &Job, by: Sort) -> Ordering {
    let flip = |o: Ordering| if by.descending { o.reverse() } else { o };
    // Tenths of a percent: an order that floating point noise cannot disturb.
    let permille = |j: &Job| j.progress.fraction().map(|f| (f * 1000.0) as u32);
    match by.column {
        Column::Name => flip(text_order(
            a.subject.as_deref().or(a.peer.as_deref()),
            b.subject.as_deref().or(b.peer.as_deref()),
        )),
        Column::Type => flip(type_key(a).cmp(&type_key(b))),
        Column::Direction => flip(a.direction.cmp(&b.direction)),
        Column::Size => flip(a.size.cmp(&b.size)),
        Column::Progress => flip(permille(a).unwrap_or(0).cmp(&permille(b).unwrap_or(0))),
        Column::State => flip(state_rank(a.state).cmp(&state_rank(b.state))),
        Column::Rate => flip(a.rate.cmp(&b.rate)),
        Column::Eta => known_first(a.eta, b.eta, by.descending),
        Column::Path => flip(text_order(a.peer.as_deref(), b.peer.as_deref())),
        Column::Attempts => flip(a.attempts.cmp(&b.attempts)),
        Column::Account => flip(text_order(Some(&a.account), Some(&b.account))),
        Column::Started => known_first(a.started, b.started, by.descending),
    }
}
