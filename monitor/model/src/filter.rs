//! Which jobs the table shows.

use std::collections::BTreeSet;

use i18n::I18n;
use monitor_api::{Direction, Job, JobState};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this account's jobs (addresses compare without regard to case).
    pub account: Option<String>,
    /// Only jobs in one of these states; empty lets every state through.
    pub states: BTreeSet<JobState>,
    pub direction: Option<Direction>,
    /// Leaves out done and failed jobs.
    pub hide_finished: bool,
}

impl Filter {
    pub fn matches(&self, job: &Job) -> bool {
        self.account
            .as_deref()
            .is_none_or(|a| a.eq_ignore_ascii_case(&job.account))
            && (self.states.is_empty() || self.states.contains(&job.state))
            && self.direction.is_none_or(|d| d == job.direction)
            && !(self.hide_finished && job.state.is_finished())
    }
}

/// The filter bar's choices, each with its label; `None` stands for "all".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choices {
    pub accounts: Vec<(Option<String>, String)>,
    pub states: Vec<(JobState, String)>,
    pub directions: Vec<(Option<Direction>, String)>,
    pub hide_finished: String,
}

/// The choices for a table whose jobs belong to `accounts`.
pub fn choices(t: &I18n, accounts: &[String]) -> Choices {
    let mut account_choices = vec![(None, t.text("monitor-filter-all-accounts", &[]))];
    account_choices.extend(accounts.iter().map(|a| (Some(a.clone()), a.clone())));
    let state = |s: JobState| {
        let id = match s {
            JobState::Queued => "monitor-state-queued",
            JobState::Running => "monitor-state-running",
            JobState::Retrying => "monitor-state-retrying",
            JobState::Waiting => "monitor-state-waiting",
            JobState::Done => "monitor-state-done",
            JobState::Failed => "monitor-state-failed",
        };
        (s, t.text(id, &[]))
    };
    Choices {
        accounts: account_choices,
        states: [
            JobState::Running,
            JobState::Queued,
            JobState::Retrying,
            JobState::Waiting,
            JobState::Done,
            JobState::Failed,
        ]
        .into_iter()
        .map(state)
        .collect(),
        directions: vec![
            (None, t.text("monitor-filter-all-directions", &[])),
            (Some(Direction::Up), t.text("monitor-filter-up", &[])),
            (Some(Direction::Down), t.text("monitor-filter-down", &[])),
        ],
        hide_finished: t.text("monitor-filter-hide-finished", &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor_api::Activity;

    fn job(account: &str, direction: Direction, state: JobState) -> Job {
        let mut j = Job::new("j", account, Activity::Delivery, direction);
        j.state = state;
        j
    }

    #[test]
    fn each_criterion_narrows() {
        let up_done = job("Ann@kapur.h", Direction::Up, JobState::Done);
        let down_running = job("bob@kapur.h", Direction::Down, JobState::Running);
        let all = Filter::default();
        assert!(all.matches(&up_done) && all.matches(&down_running));

        let ann = Filter {
            account: Some("ann@KAPUR.h".into()),
            ..Filter::default()
        };
        assert!(ann.matches(&up_done) && !ann.matches(&down_running));

        let down = Filter {
            direction: Some(Direction::Down),
            ..Filter::default()
        };
        assert!(!down.matches(&up_done) && down.matches(&down_running));

        let unfinished = Filter {
            hide_finished: true,
            ..Filter::default()
        };
        assert!(!unfinished.matches(&up_done) && unfinished.matches(&down_running));
        let failed = job("c@k.h", Direction::Up, JobState::Failed);
        assert!(!unfinished.matches(&failed));

        let states = Filter {
            states: [JobState::Failed, JobState::Done].into(),
            ..Filter::default()
        };
        assert!(states.matches(&up_done) && states.matches(&failed));
        assert!(!states.matches(&down_running));

        let both = Filter {
            account: Some("bob@kapur.h".into()),
            direction: Some(Direction::Up),
            ..Filter::default()
        };
        assert!(!both.matches(&down_running));
    }

    #[test]
    fn choices_offer_all_and_each() {
        let t = crate::texts::load("de-DE").unwrap();
        let c = choices(&t, &["ann@kapur.h".to_string()]);
        assert_eq!(c.accounts.len(), 2);
        assert_eq!(c.accounts[0].0, None);
        assert_eq!(
            c.accounts[1],
            (Some("ann@kapur.h".into()), "ann@kapur.h".into())
        );
        assert_eq!(c.states.len(), 6);
        assert_eq!(c.states[0], (JobState::Running, "läuft".into()));
        assert_eq!(c.directions.len(), 3);
        assert!(!c.hide_finished.starts_with("monitor-"));
    }
}
