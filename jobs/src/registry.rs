//! The node's live list of jobs, as monitors see it. The code paths that do the work (delivery,
//! reception, collection, the drop folder, the update check) start a job here and move it on
//! through its [`JobHandle`]; every connected monitor gets the changes as events.
//!
//! What a handle does per chunk is cheap on purpose: it takes the job's own lock (nobody else
//! holds it but a ticker for a moment every 250 ms), bumps counters and writes one byte of the
//! per-chunk place table made when the chunk count became known. Byte counts, rates and the
//! chunk map go out from the ticker, at most four times a second per job; only changes of
//! state or stage go out at once. A node streaming to ten monitors during a large transfer
//! therefore does no work per chunk for them.
//!
//! Events travel through one bounded broadcast ring shared by all monitors: a monitor that
//! reads so slowly that the ring overtakes it is sent a fresh snapshot instead of a backlog.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use monitor_api::limits::{MAX_JOBS, MAX_NAME_BYTES, clip};
use monitor_api::{Activity, Direction, Event, Job, MessageType, NodeStatus};
use tokio::sync::broadcast;

use crate::feed::Feed;
use crate::now;
use crate::tracked::{JobHandle, Tracked};

pub use crate::feed::Published;

/// How often byte counts, rates and chunk maps go out.
pub const TICK: Duration = Duration::from_millis(250);

/// Finished jobs kept at most, whatever their age: the oldest go first.
const MAX_FINISHED: usize = 1_000;

/// Settings of the registry from `[monitor]`.
#[derive(Clone, Copy, Debug)]
pub struct RegistryConfig {
    /// Events the ring keeps for monitors that fall behind.
    pub queue_events: usize,
    /// How long a finished job stays in the list.
    pub keep_finished: Duration,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            queue_events: 1024,
            keep_finished: Duration::from_secs(600),
        }
    }
}

pub struct Registry {
    jobs: Mutex<HashMap<String, Arc<Tracked>>>,
    feed: Arc<Feed>,
    status: Mutex<NodeStatus>,
    config: RegistryConfig,
}

/// What a code path knows about a job when it starts it.
pub struct JobSpec<'a> {
    pub id: &'a str,
    pub account: &'a str,
    pub activity: Activity,
    pub direction: Direction,
    pub message_type: &'a str,
    pub peer: Option<&'a str>,
    pub size: u64,
}

impl Registry {
    pub fn new(config: RegistryConfig) -> Arc<Registry> {
        Arc::new(Registry {
            jobs: Mutex::default(),
            feed: Arc::new(Feed::new(config.queue_events)),
            status: Mutex::new(NodeStatus {
                node_version: env!("CARGO_PKG_VERSION").to_string(),
                ..NodeStatus::default()
            }),
            config,
        })
    }

    /// The events from now on; subscribe before taking a [`Registry::snapshot`], so nothing
    /// falls between the two (an event the snapshot already holds applies twice, harmlessly).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.feed.subscribe()
    }

    /// The job `spec.id`, made on first use and then the same one for every attempt: a job
    /// that comes back (a retry, a node that returned) counts one attempt more.
    pub fn start(self: &Arc<Self>, spec: JobSpec<'_>) -> JobHandle {
        let id = clip(spec.id, MAX_NAME_BYTES);
        let existing = self.jobs.lock().expect("job registry").get(id).cloned();
        if let Some(cell) = existing {
            let handle = JobHandle::new(self.feed.clone(), cell);
            handle.restart(spec.size);
            return handle;
        }
        let mut job = Job::new(
            id,
            &clip(spec.account, MAX_NAME_BYTES).to_ascii_lowercase(),
            spec.activity,
            spec.direction,
        );
        job.message_type = MessageType::from(spec.message_type.to_string());
        if !monitor_api::is_message_type(job.message_type.name()) {
            job.message_type = MessageType::Message;
        }
        job.peer = spec
            .peer
            .map(|p| clip(p, MAX_NAME_BYTES).to_ascii_lowercase());
        job.size = spec.size;
        job.state = monitor_api::JobState::Running;
        job.attempts = 1;
        job.started = Some(now());
        let cell = Arc::new(Tracked::new(job));
        let evicted = {
            let mut jobs = self.jobs.lock().expect("job registry");
            let evicted = evict_finished(&mut jobs, MAX_JOBS as usize - 1);
            jobs.insert(id.to_string(), cell.clone());
            evicted
        };
        for gone in evicted {
            self.removed(&gone);
        }
        let handle = JobHandle::new(self.feed.clone(), cell);
        handle.announce();
        handle
    }

    /// The job `id`, when it is in the list.
    pub fn get(self: &Arc<Self>, id: &str) -> Option<JobHandle> {
        let cell = self.jobs.lock().expect("job registry").get(id).cloned()?;
        Some(JobHandle::new(self.feed.clone(), cell))
    }

    /// The jobs' cells, taken out so the registry's lock is not held while each is read.
    fn cells(&self) -> Vec<Arc<Tracked>> {
        self.jobs
            .lock()
            .expect("job registry")
            .values()
            .cloned()
            .collect()
    }

    /// Every job `account` may see (`None`: all), newest first, at most [`MAX_JOBS`].
    pub fn snapshot(&self, account: Option<&str>) -> Vec<Job> {
        let cells = self.cells();
        let mut jobs: Vec<Job> = cells
            .iter()
            .filter(|c| account.is_none_or(|a| *c.account == *a))
            .map(|c| c.lock().job.clone())
            .collect();
        jobs.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
        jobs.truncate(MAX_JOBS as usize);
        jobs
    }

    pub fn status(&self) -> NodeStatus {
        self.status.lock().expect("node status").clone()
    }

    /// Replaces the node's status; monitors hear of it when it changed.
    pub fn set_status(&self, status: NodeStatus) {
        let mut current = self.status.lock().expect("node status");
        if *current == status {
            return;
        }
        *current = status.clone();
        self.feed.publish(None, Event::Status { status });
    }

    /// One round of the ticker: byte counts, rates and chunk maps of the jobs that moved, and
    /// the removal of jobs finished long enough ago.
    pub fn tick(&self) {
        let cells = self.cells();
        let now = Instant::now();
        let mut expired = Vec::new();
        for cell in cells {
            let mut live = cell.lock();
            if let Some(at) = live.finished_at {
                if now.duration_since(at) >= self.config.keep_finished {
                    expired.push(live.job.id.clone());
                }
                continue;
            }
            for event in live.flush(now) {
                self.feed.publish(Some(cell.account.clone()), event);
            }
        }
        if !expired.is_empty() {
            let mut jobs = self.jobs.lock().expect("job registry");
            for id in &expired {
                jobs.remove(id);
            }
        }
        for id in expired {
            self.removed(&id);
        }
    }

    fn removed(&self, cell: &str) {
        // Whose it was no longer matters to anyone: a monitor without the job ignores it.
        self.feed.publish(
            None,
            Event::JobRemoved {
                id: cell.to_string(),
            },
        );
    }

    /// Runs [`Registry::tick`] every [`TICK`] for as long as the node runs.
    pub async fn run_ticker(self: Arc<Self>) {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            self.tick();
        }
    }

    /// How many jobs are listed (for tests).
    pub fn len(&self) -> usize {
        self.jobs.lock().expect("job registry").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes room for one more job by dropping finished ones: beyond `keep` jobs in all, and
/// beyond [`MAX_FINISHED`] finished, the oldest finished go. Returns their ids.
fn evict_finished(jobs: &mut HashMap<String, Arc<Tracked>>, keep: usize) -> Vec<String> {
    let mut finished: Vec<(Instant, String)> = jobs
        .iter()
        .filter_map(|(id, c)| c.lock().finished_at.map(|at| (at, id.clone())))
        .collect();
    let over_total = jobs.len().saturating_sub(keep);
    let over_finished = finished.len().saturating_sub(MAX_FINISHED - 1);
    let drop = over_total.max(over_finished).min(finished.len());
    if drop == 0 {
        return Vec::new();
    }
    finished.sort();
    let gone: Vec<String> = finished.into_iter().take(drop).map(|(_, id)| id).collect();
    for id in &gone {
        jobs.remove(id);
    }
    gone
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
