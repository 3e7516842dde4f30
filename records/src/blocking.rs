//! The one boundary between async tasks and the blocking storage beneath them.
//!
//! The stores are synchronous: sled trees, encrypted blob files, spool files, each call
//! returning once its bytes are where they belong. Async code reaches them through these two
//! functions only (a test in the node keeps it so), so how storage work leaves the runtime is
//! decided here, and an engine that grows its own async interface changes this file, not
//! forty call sites.
//!
//! - [`run`]: work that owns what it needs goes to the runtime's blocking pool; the task waits
//!   for it without holding a worker. [`start`] does the same and is awaited later.
//! - [`in_place`]: work that borrows the caller's state (an IMAP session executing a command
//!   against the store) runs on the current worker, which first hands its other tasks to
//!   another worker.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Storage work that ended without an answer: it panicked, or the runtime is shutting down.
#[derive(Debug, thiserror::Error)]
#[error("storage work ended without an answer: {0}")]
pub struct Stopped(String);

impl From<Stopped> for io::Error {
    fn from(s: Stopped) -> io::Error {
        io::Error::other(s)
    }
}

/// Runs `work` on the blocking pool and waits for its result.
pub async fn run<T, F>(work: F) -> Result<T, Stopped>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    start(work).await
}

/// Starts `work` on the blocking pool now; its result is awaited later (work that runs
/// alongside the task feeding it, as unsealing alongside a transfer).
pub fn start<T, F>(work: F) -> Running<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Running(tokio::task::spawn_blocking(work))
}

/// Work started with [`start`]; awaiting it gives its result.
#[derive(Debug)]
pub struct Running<T>(tokio::task::JoinHandle<T>);

impl<T> Future for Running<T> {
    type Output = Result<T, Stopped>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(|e| Stopped(e.to_string())))
    }
}

/// Runs `work` here, telling the runtime this worker blocks meanwhile. On a runtime with a
/// single thread (where that cannot be done) it simply runs.
pub fn in_place<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_ways_return_the_work_s_result() {
        assert_eq!(run(|| 2 + 2).await.unwrap(), 4);
        let mut seen = Vec::new();
        in_place(|| seen.push(1));
        assert_eq!(seen, [1]);
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_a_single_thread_runs_in_place() {
        let e = run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(io::Error::from(e).to_string().contains("without an answer"));
        assert_eq!(in_place(|| 7), 7);
    }
}
