//! One job's live state and the calls the node's code paths make on it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use monitor_api::limits::{MAX_CHUNKS, MAX_NAME_BYTES, MAX_SERVERS, clip};
use monitor_api::{
    ChunkMap, Event, Job, JobState, Link, Place, Progress, Stage, StageProgress, StageState,
    UserText,
};

use crate::feed::Feed;
use crate::{now, subject_text};

/// The span rates are measured over.
const RATE_WINDOW: Duration = Duration::from_secs(5);
/// Samples a window holds at most: one per tick, and a few to spare.
const SAMPLES: usize = 24;

pub(crate) struct Tracked {
    /// Whose job it is, shared with every event about it.
    pub account: Arc<str>,
    state: Mutex<Live>,
}

impl Tracked {
    pub fn new(job: Job) -> Self {
        Tracked {
            account: Arc::from(job.account.as_str()),
            state: Mutex::new(Live::new(job)),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Live> {
        // A panic elsewhere must not silence the monitor: the state is plain data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) struct Live {
    pub job: Job,
    /// Where each chunk is; empty until the chunk count is known.
    places: Vec<Place>,
    /// The stage per-chunk bytes count towards: an index into `job.stages`.
    current: Option<usize>,
    /// Bytes handled by any stage so far: what rates are measured on.
    moved: u64,
    samples: VecDeque<(Instant, u64)>,
    progress_dirty: bool,
    map_dirty: bool,
    pub finished_at: Option<Instant>,
}

impl Live {
    fn new(job: Job) -> Self {
        Live {
            job,
            places: Vec::new(),
            current: None,
            moved: 0,
            samples: VecDeque::with_capacity(SAMPLES),
            progress_dirty: false,
            map_dirty: false,
            finished_at: None,
        }
    }

    pub fn restart(&mut self, size: u64) {
        self.job.attempts = self.job.attempts.saturating_add(1);
        self.job.state = JobState::Running;
        self.job.next_attempt = None;
        self.job.finished = None;
        self.finished_at = None;
        if size > 0 {
            self.job.size = size;
        }
    }

    fn progress_event(&self, stage: Option<StageProgress>) -> Event {
        let j = &self.job;
        Event::JobProgress {
            id: j.id.clone(),
            state: j.state,
            progress: j.progress,
            stage,
            rate: j.rate,
            eta: j.eta,
            attempts: j.attempts,
            link: j.link,
        }
    }

    fn current_stage(&self) -> Option<StageProgress> {
        self.current.and_then(|i| self.job.stages.get(i)).cloned()
    }

    fn measure(&mut self, now: Instant) {
        while self.samples.len() >= SAMPLES
            || self
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        self.samples.push_back((now, self.moved));
        let (t0, b0) = self.samples.front().copied().unwrap_or((now, self.moved));
        let span = now.duration_since(t0).as_secs_f64();
        self.job.rate = if span >= 0.2 {
            ((self.moved - b0) as f64 / span) as u64
        } else {
            self.job.rate
        };
        // Time left of the stage that is running, or else of the job.
        let left = self
            .current_stage()
            .filter(|s| s.bytes.total > 0)
            .map(|s| s.bytes)
            .unwrap_or(self.job.progress);
        let remaining = left.total.saturating_sub(left.done);
        self.job.eta = (self.job.rate > 0 && left.total > 0).then(|| remaining / self.job.rate);
    }

    /// What the ticker sends for this job now: its byte counts, rate and ETA when they moved
    /// (or the rate is still falling to 0), and its chunk map when chunks moved.
    pub fn flush(&mut self, now: Instant) -> Vec<Event> {
        let mut out = Vec::new();
        if self.progress_dirty || self.job.rate > 0 {
            let (rate, eta) = (self.job.rate, self.job.eta);
            self.measure(now);
            if self.progress_dirty || rate != self.job.rate || eta != self.job.eta {
                out.push(self.progress_event(self.current_stage()));
            }
            self.progress_dirty = false;
        }
        if self.map_dirty {
            self.map_dirty = false;
            out.push(Event::ChunkMap {
                id: self.job.id.clone(),
                map: ChunkMap::from_places(self.places.iter().copied()),
            });
        }
        out
    }

    fn put_stage(&mut self, entry: StageProgress) {
        let stage = entry.stage;
        self.job.put_stage(entry);
        let idx = self.job.stages.iter().position(|s| s.stage == stage);
        if let Some(cur) = self.current
            && self.job.stages.get(cur).map(|s| s.state) != Some(StageState::Active)
        {
            self.current = None;
        }
        if let Some(i) = idx
            && self.job.stages[i].state == StageState::Active
        {
            self.current = Some(i);
        } else if self.current.is_some() {
            // Entries may have moved when an old one made room.
            self.current = self
                .job
                .stages
                .iter()
                .rposition(|s| s.state == StageState::Active);
        }
    }

    /// Ends the stage running now, if any, as `state`.
    fn end_current(&mut self, state: StageState) -> Option<StageProgress> {
        let i = self.current.take()?;
        let s = self.job.stages.get_mut(i)?;
        s.state = state;
        s.finished = Some(now());
        Some(s.clone())
    }
}

/// A job being worked on; the code path doing the work moves it on through this.
#[derive(Clone)]
pub struct JobHandle {
    feed: Arc<Feed>,
    cell: Arc<Tracked>,
}

impl JobHandle {
    pub(crate) fn new(feed: Arc<Feed>, cell: Arc<Tracked>) -> JobHandle {
        JobHandle { feed, cell }
    }

    /// Runs `f` on the job's live state and sends the events it returns, under the job's
    /// lock, so that a job's events leave in the order its state changed.
    pub(crate) fn with(&self, f: impl FnOnce(&mut Live) -> Vec<Event>) {
        let mut live = self.cell.lock();
        for event in f(&mut live) {
            self.feed.publish(Some(self.cell.account.clone()), event);
        }
    }

    /// Like [`JobHandle::with`] for the per-chunk counters: nothing is sent now; the ticker
    /// sends what changed.
    pub(crate) fn quietly(&self, f: impl FnOnce(&mut Live)) {
        f(&mut self.cell.lock());
    }

    /// Reads the job's live state.
    pub(crate) fn peek<T>(&self, f: impl FnOnce(&Live) -> T) -> T {
        f(&self.cell.lock())
    }

    pub(crate) fn announce(&self) {
        self.with(|live| {
            vec![Event::JobAdded {
                job: Box::new(live.job.clone()),
            }]
        });
    }

    /// Another attempt of a job that is listed already.
    pub(crate) fn restart(&self, size: u64) {
        self.with(|live| {
            live.restart(size);
            vec![Event::JobAdded {
                job: Box::new(live.job.clone()),
            }]
        });
    }

    pub fn id(&self) -> String {
        self.cell.lock().job.id.clone()
    }
}

impl JobHandle {
    /// `stage` begins; `total` is its work in bytes (0: not measured in bytes). The stage
    /// that ran before it ends as done.
    pub fn begin(&self, stage: Stage, total: u64) {
        self.with(|live| {
            let mut out = Vec::new();
            let same = live
                .current
                .and_then(|i| live.job.stages.get(i))
                .is_some_and(|s| s.stage == stage);
            if !same && let Some(ended) = live.end_current(StageState::Done) {
                out.push(live.progress_event(Some(ended)));
            }
            let mut entry = live
                .job
                .stages
                .iter()
                .find(|s| s.stage == stage)
                .cloned()
                .unwrap_or_else(|| StageProgress::new(stage, StageState::Active));
            entry.state = StageState::Active;
            entry.finished = None;
            entry.started.get_or_insert_with(now);
            if total > 0 {
                entry.bytes.total = total;
            }
            live.put_stage(entry.clone());
            if live.job.state != JobState::Running {
                live.job.state = JobState::Running;
            }
            out.push(live.progress_event(Some(entry)));
            out
        });
    }

    /// `stage` ends as `state` (done, failed, skipped) without another beginning.
    pub fn end(&self, stage: Stage, state: StageState) {
        self.with(|live| {
            let Some(i) = live.job.stages.iter().position(|s| s.stage == stage) else {
                return Vec::new();
            };
            let entry = &mut live.job.stages[i];
            entry.state = state;
            entry.finished = Some(now());
            if state == StageState::Done && entry.bytes.total > 0 {
                entry.bytes.done = entry.bytes.total;
            }
            let entry = entry.clone();
            if live.current == Some(i) {
                live.current = None;
            }
            vec![live.progress_event(Some(entry))]
        });
    }

    /// The stage running now ends as `state`.
    pub fn end_active(&self, state: StageState) {
        self.with(|live| match live.end_current(state) {
            Some(ended) => vec![live.progress_event(Some(ended))],
            None => Vec::new(),
        });
    }

    /// The stage running now, or else the one begun last: where an attempt that failed was.
    pub fn active_stage(&self) -> Option<Stage> {
        self.peek(|live| {
            live.current_stage()
                .or_else(|| live.job.stages.last().cloned())
                .map(|s| s.stage)
        })
    }

    /// Whether the job knows its subject already.
    pub fn has_subject(&self) -> bool {
        self.peek(|live| live.job.subject.is_some())
    }

    /// Attempts started so far, as the durable job counts them.
    pub fn attempts(&self, n: u32) {
        self.quietly(|live| {
            if live.job.attempts != n {
                live.job.attempts = n;
                live.progress_dirty = true;
            }
        });
    }

    /// `n` more bytes of the stage running now (sealed, sent and acknowledged, arrived).
    pub fn advance(&self, n: u64) {
        self.quietly(|live| {
            live.moved = live.moved.saturating_add(n);
            if let Some(s) = live.current.and_then(|i| live.job.stages.get_mut(i)) {
                s.bytes.done = s.bytes.done.saturating_add(n);
            }
            live.progress_dirty = true;
        });
    }

    /// The job as a whole: `done` of `total` bytes.
    pub fn progress(&self, done: u64, total: u64) {
        self.quietly(|live| {
            live.job.progress = Progress { done, total };
            live.progress_dirty = true;
        });
    }

    /// `n` more bytes of the job as a whole are done.
    pub fn progress_add(&self, n: u64) {
        self.quietly(|live| {
            live.job.progress.done = live.job.progress.done.saturating_add(n);
            live.progress_dirty = true;
        });
    }

    /// The message has `count` chunks, none placed yet (a count known before keeps its
    /// places).
    pub fn chunks(&self, count: u32) {
        self.quietly(|live| {
            let count = count.min(MAX_CHUNKS) as usize;
            if live.places.len() != count {
                live.places = vec![Place::Missing; count];
                live.map_dirty = true;
            }
        });
    }

    /// Chunk `index` is now at `place`.
    pub fn place(&self, index: u32, place: Place) {
        self.quietly(|live| {
            if let Some(p) = live.places.get_mut(index as usize)
                && *p != place
            {
                *p = place;
                live.map_dirty = true;
            }
        });
    }

    /// Every chunk not yet further than `here` that `placed` says is placed goes to `place`
    /// (the peer or a server said it has them).
    pub fn place_where(&self, place: Place, placed: impl Fn(u32) -> bool) {
        self.quietly(|live| {
            for (i, p) in live.places.iter_mut().enumerate() {
                if *p <= Place::Here && placed(i as u32) {
                    *p = place;
                    live.map_dirty = true;
                }
            }
        });
    }

    /// Every chunk is at `place` (sealed into the spool, or stored at the peer's node).
    pub fn place_all(&self, place: Place) {
        self.place_where(place, |_| true);
    }

    pub fn link(&self, link: Link) {
        self.quietly(|live| {
            if live.job.link != Some(link) {
                live.job.link = Some(link);
                live.progress_dirty = true;
            }
        });
    }

    /// The backup servers involved, in their order; `server:N` is entry N.
    pub fn servers(&self, servers: Vec<String>) {
        self.with(|live| {
            let servers: Vec<String> = servers
                .into_iter()
                .take(MAX_SERVERS)
                .map(|s| clip(&s, MAX_NAME_BYTES).to_string())
                .collect();
            if live.job.servers == servers {
                return Vec::new();
            }
            live.job.servers = servers;
            vec![Event::JobAdded {
                job: Box::new(live.job.clone()),
            }]
        });
    }

    /// The subject of the local copy (raw header value).
    pub fn subject(&self, raw: &str) {
        let text = subject_text(raw);
        self.with(|live| {
            if live.job.subject.as_deref() == Some(text.as_str()) {
                return Vec::new();
            }
            live.job.subject = Some(text);
            vec![Event::JobAdded {
                job: Box::new(live.job.clone()),
            }]
        });
    }

    /// Every part is stored with the peer's node or servers; the receipt is awaited.
    pub fn waiting(&self) {
        self.begin(Stage::WaitingForNode, 0);
        self.with(|live| {
            live.job.state = JobState::Waiting;
            live.job.rate = 0;
            live.job.eta = None;
            vec![live.progress_event(live.current_stage())]
        });
    }

    /// Waits for its next attempt at `at` (Unix seconds) without a failure to report.
    pub fn retrying(&self, at: i64) {
        self.with(|live| {
            live.job.state = JobState::Retrying;
            live.job.next_attempt = Some(at);
            vec![Event::JobAdded {
                job: Box::new(live.job.clone()),
            }]
        });
    }

    /// Done: the stage running ends as done, and the job leaves the running ones.
    pub fn finish(&self) {
        self.with(|live| {
            let ended = live.end_current(StageState::Done);
            let at = now();
            let j = &mut live.job;
            j.state = JobState::Done;
            j.finished = Some(at);
            j.rate = 0;
            j.eta = None;
            j.next_attempt = None;
            if j.progress.total > 0 {
                j.progress.done = j.progress.total;
            }
            live.finished_at = Some(Instant::now());
            live.progress_dirty = false;
            let mut out = vec![live.progress_event(ended)];
            if std::mem::take(&mut live.map_dirty) {
                out.push(Event::ChunkMap {
                    id: live.job.id.clone(),
                    map: ChunkMap::from_places(live.places.iter().copied()),
                });
            }
            out.push(Event::JobFinished {
                id: live.job.id.clone(),
                at,
            });
            out
        });
    }

    /// An attempt failed: with `retry_at` (Unix seconds) the job tries again then; without,
    /// it failed for good.
    pub fn fail(&self, error: UserText, retry_at: Option<i64>) {
        self.with(|live| {
            let ended = live.end_current(StageState::Failed);
            let at = now();
            let j = &mut live.job;
            j.state = if retry_at.is_some() {
                JobState::Retrying
            } else {
                JobState::Failed
            };
            j.error = Some(error.clone());
            j.next_attempt = retry_at;
            j.rate = 0;
            j.eta = None;
            if retry_at.is_none() {
                j.finished = Some(at);
                live.finished_at = Some(Instant::now());
            }
            live.progress_dirty = false;
            vec![
                live.progress_event(ended),
                Event::JobFailed {
                    id: live.job.id.clone(),
                    at,
                    error,
                    retry_at,
                },
            ]
        });
    }
}
