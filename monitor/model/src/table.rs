//! The job table as the node last described it: built from a snapshot, kept up to date by
//! events. Applying is idempotent (an event seen twice, or older than the snapshot, changes
//! nothing) and never fails: what does not fit (an event for a job the table does not have,
//! a frame out of turn) is ignored and said so.

use std::collections::HashMap;

use monitor_api::limits::MAX_JOBS;
use monitor_api::{Event, Job, JobState, NodeStatus, ServerFrame};

use crate::filter::Filter;
use crate::sort::{self, Sort};

/// What applying a frame did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The table or the status changed: redraw.
    Changed,
    /// Taken, but nothing visible changed.
    Unchanged,
    Ignored(Ignored),
}

/// Why a frame changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// An event the table already has (its number is not above the last one's).
    Stale,
    /// About a job the table does not have.
    UnknownJob,
    /// An event before a snapshot completed, or a snapshot job outside a snapshot.
    OutOfTurn,
    /// A new job while the table holds [`MAX_JOBS`] unfinished ones.
    Full,
    /// Not a frame the table deals with (the handshake's).
    NotForTable,
}

#[derive(Clone, Debug)]
struct Entry {
    job: Job,
    /// When the table first saw the job: ties in sorting keep this order.
    order: u64,
}

/// A snapshot being received.
#[derive(Debug)]
struct Loading {
    seq: u64,
    now: i64,
    status: NodeStatus,
    expected: u32,
    jobs: HashMap<String, Job>,
    order: Vec<String>,
}

#[derive(Debug, Default)]
pub struct JobTable {
    jobs: HashMap<String, Entry>,
    next_order: u64,
    status: NodeStatus,
    /// The number of the last event applied.
    seq: u64,
    /// The node's clock at the last snapshot or heartbeat, Unix seconds.
    now: i64,
    loading: Option<Loading>,
    synced: bool,
    /// An event number was skipped: the table may miss something until the next snapshot.
    gap: bool,
}

impl JobTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot completed and events are being applied.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// An event was missed: the connection should be renewed for a fresh snapshot.
    pub fn needs_resync(&self) -> bool {
        self.gap
    }

    pub fn status(&self) -> &NodeStatus {
        &self.status
    }

    /// The node's clock as last heard, Unix seconds.
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.get(id).map(|e| &e.job)
    }

    /// Every job, in the order the table first saw them.
    pub fn jobs(&self) -> Vec<&Job> {
        let mut all: Vec<&Entry> = self.jobs.values().collect();
        all.sort_by_key(|e| e.order);
        all.into_iter().map(|e| &e.job).collect()
    }

    /// The accounts that have jobs, sorted, for the account filter.
    pub fn accounts(&self) -> Vec<String> {
        let mut out: Vec<String> = self.jobs.values().map(|e| e.job.account.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The jobs `filter` lets through, ordered by `sort`; equal keys keep the order the table
    /// first saw the jobs in.
    pub fn view(&self, filter: &Filter, by: Sort) -> Vec<&Job> {
        let mut rows: Vec<&Entry> = self
            .jobs
            .values()
            .filter(|e| filter.matches(&e.job))
            .collect();
        rows.sort_by(|a, b| sort::compare(&a.job, &b.job, by).then(a.order.cmp(&b.order)));
        rows.into_iter().map(|e| &e.job).collect()
    }

    /// Forgets everything, for a new connection.
    pub fn clear(&mut self) {
        *self = JobTable {
            next_order: self.next_order,
            ..JobTable::default()
        };
    }

    pub fn apply(&mut self, frame: ServerFrame) -> Applied {
        match frame {
            ServerFrame::SnapshotStart {
                seq,
                now,
                jobs,
                status,
            } => {
                self.loading = Some(Loading {
                    seq,
                    now,
                    status,
                    expected: jobs.min(MAX_JOBS),
                    jobs: HashMap::new(),
                    order: Vec::new(),
                });
                Applied::Unchanged
            }
            ServerFrame::SnapshotJob { job } => {
                let Some(l) = &mut self.loading else {
                    return Applied::Ignored(Ignored::OutOfTurn);
                };
                if !l.jobs.contains_key(&job.id) {
                    if l.order.len() >= l.expected as usize {
                        return Applied::Ignored(Ignored::Full);
                    }
                    l.order.push(job.id.clone());
                }
                l.jobs.insert(job.id.clone(), *job);
                Applied::Unchanged
            }
            ServerFrame::SnapshotEnd => self.finish_snapshot(),
            ServerFrame::Event { seq, event } => self.event(seq, event),
            ServerFrame::Heartbeat { now } => {
                self.now = now;
                Applied::Unchanged
            }
            ServerFrame::Accepted(_) | ServerFrame::Refused { .. } => {
                Applied::Ignored(Ignored::NotForTable)
            }
        }
    }

    fn finish_snapshot(&mut self) -> Applied {
        let Some(mut l) = self.loading.take() else {
            return Applied::Ignored(Ignored::OutOfTurn);
        };
        let mut jobs = HashMap::with_capacity(l.order.len());
        for id in l.order {
            let Some(job) = l.jobs.remove(&id) else {
                continue;
            };
            // A job the table had keeps its place among equals.
            let order = match self.jobs.get(&id) {
                Some(e) => e.order,
                None => self.take_order(),
            };
            jobs.insert(id, Entry { job, order });
        }
        self.jobs = jobs;
        self.status = l.status;
        self.seq = l.seq;
        self.now = l.now;
        self.synced = true;
        self.gap = false;
        Applied::Changed
    }

    fn take_order(&mut self) -> u64 {
        self.next_order += 1;
        self.next_order
    }

    fn event(&mut self, seq: u64, event: Event) -> Applied {
        if !self.synced || self.loading.is_some() {
            return Applied::Ignored(Ignored::OutOfTurn);
        }
        if seq <= self.seq {
            return Applied::Ignored(Ignored::Stale);
        }
        if seq > self.seq + 1 {
            self.gap = true;
        }
        self.seq = seq;
        match event {
            Event::JobAdded { job } => self.add(*job),
            Event::JobRemoved { id } => match self.jobs.remove(&id) {
                Some(_) => Applied::Changed,
                None => Applied::Unchanged,
            },
            Event::Status { status } => {
                if self.status == status {
                    return Applied::Unchanged;
                }
                self.status = status;
                Applied::Changed
            }
            other => {
                let Some(entry) = other.job_id().and_then(|id| self.jobs.get_mut(id)) else {
                    return Applied::Ignored(Ignored::UnknownJob);
                };
                let before = entry.job.clone();
                update(&mut entry.job, other);
                if entry.job == before {
                    Applied::Unchanged
                } else {
                    Applied::Changed
                }
            }
        }
    }

    fn add(&mut self, job: Job) -> Applied {
        if let Some(e) = self.jobs.get_mut(&job.id) {
            if e.job == job {
                return Applied::Unchanged;
            }
            e.job = job;
            return Applied::Changed;
        }
        if self.jobs.len() >= MAX_JOBS as usize {
            // Room is made from the oldest finished job; unfinished ones are never dropped.
            let oldest = self
                .jobs
                .values()
                .filter(|e| e.job.state.is_finished())
                .min_by_key(|e| e.order)
                .map(|e| e.job.id.clone());
            match oldest {
                Some(id) => {
                    self.jobs.remove(&id);
                }
                None => return Applied::Ignored(Ignored::Full),
            }
        }
        let order = self.take_order();
        self.jobs.insert(job.id.clone(), Entry { job, order });
        Applied::Changed
    }
}

/// Applies an event about `job` to it.
fn update(job: &mut Job, event: Event) {
    match event {
        Event::JobProgress {
            state,
            progress,
            stage,
            rate,
            eta,
            attempts,
            link,
            ..
        } => {
            job.state = state;
            job.progress = progress;
            job.rate = rate;
            job.eta = eta;
            job.attempts = attempts;
            if link.is_some() {
                job.link = link;
            }
            if let Some(s) = stage {
                if job.started.is_none() {
                    job.started = s.started;
                }
                job.put_stage(s);
            }
            if state == JobState::Running {
                job.next_attempt = None;
            }
        }
        Event::ChunksPlaced {
            first,
            count,
            place,
            ..
        } => {
            // Without a map the message's size in chunks is unknown; the node sends the
            // whole map first.
            if let Some(map) = &mut job.chunks {
                map.set(first, count, place);
            }
        }
        Event::ChunkMap { map, .. } => job.chunks = Some(map),
        Event::JobFinished { at, .. } => {
            job.state = JobState::Done;
            job.finished = Some(at);
            job.progress.done = job.progress.total;
            job.rate = 0;
            job.eta = None;
            job.error = None;
            job.next_attempt = None;
        }
        Event::JobFailed {
            at,
            error,
            retry_at,
            ..
        } => {
            job.error = Some(error);
            job.rate = 0;
            job.eta = None;
            job.next_attempt = retry_at;
            match retry_at {
                Some(_) => job.state = JobState::Retrying,
                None => {
                    job.state = JobState::Failed;
                    job.finished = Some(at);
                }
            }
        }
        Event::JobAdded { .. } | Event::JobRemoved { .. } | Event::Status { .. } => {}
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
