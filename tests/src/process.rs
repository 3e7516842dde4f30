//! One daemon under test (`wims run`, `wims-service run`): started in its data folder with its
//! output appended to a log kept across its runs, ready once it has written
//! `run/endpoints.json`, stopped with SIGTERM or killed. Dropping it kills the process; when the
//! test is failing, the tail of the log is printed first (and with `WIMS_TEST_KEEP` the
//! temporary folder is kept).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Readiness bounds. They only keep a broken daemon from hanging the suite forever; no test
/// asserts how fast anything is.
const START_WAIT: Duration = Duration::from_secs(180);
const STOP_WAIT: Duration = Duration::from_secs(120);

/// How much of a log to show when a test fails.
const LOG_TAIL_BYTES: u64 = 48 * 1024;

pub(crate) struct Daemon {
    /// The command as the messages name it: `wims run`.
    what: &'static str,
    /// What the log banners call it: `node`.
    label: &'static str,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    starts: u32,
    /// The test's temporary folder; removed after the process is gone.
    root: Option<tempfile::TempDir>,
}

impl Daemon {
    pub(crate) fn new(
        what: &'static str,
        label: &'static str,
        bin: PathBuf,
        root: tempfile::TempDir,
        data: PathBuf,
    ) -> Daemon {
        Daemon {
            what,
            label,
            bin,
            log: root.path().join(format!("{label}.log")),
            data,
            child: None,
            starts: 0,
            root: Some(root),
        }
    }

    /// Starts `BIN --data DIR run` and waits until `run/endpoints.json` reads as `parse` wants;
    /// returns what it made of it and the file's text.
    pub(crate) fn spawn<T>(&mut self, parse: impl Fn(&str) -> Option<T>) -> (T, String) {
        assert!(self.child.is_none(), "{} is already running", self.what);
        let endpoints_file = self.data.join("run").join("endpoints.json");
        // A file left by the previous run names ports that are no longer ours.
        match fs::remove_file(&endpoints_file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot remove stale {}: {e}", endpoints_file.display()),
        }
        self.starts += 1;
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open log");
        let _ = writeln!(log, "===== {} (start #{}) =====", self.what, self.starts);
        let log_err = log.try_clone().expect("clone log handle");
        let child = Command::new(&self.bin)
            .arg("--data")
            .arg(&self.data)
            .arg("run")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!(
                    "{} exited ({status}) before publishing its endpoints; log:\n{}",
                    self.what,
                    self.log_tail()
                );
            }
            if let Ok(text) = fs::read_to_string(&endpoints_file)
                && let Some(parsed) = parse(&text)
            {
                return (parsed, text);
            }
            if started.elapsed() > START_WAIT {
                panic!(
                    "{} did not write {} within {START_WAIT:?}; log:\n{}",
                    self.what,
                    endpoints_file.display(),
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then wait for the exit (bounded by [`STOP_WAIT`]); a clean stop exits 0. Does
    /// nothing when it is not running.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = match child.try_wait() {
            Ok(Some(status)) => status,
            _ => self.terminate(child),
        };
        assert!(
            status.success(),
            "{} did not exit cleanly on SIGTERM ({status}); log:\n{}",
            self.what,
            self.log_tail()
        );
    }

    fn terminate(&self, mut child: Child) -> ExitStatus {
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        // SAFETY: plain kill(2) on our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let asked = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if asked.elapsed() > STOP_WAIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "{} was still running {STOP_WAIT:?} after SIGTERM; log:\n{}",
                        self.what,
                        self.log_tail()
                    );
                }
                Ok(None) => sleep(Duration::from_millis(50)),
                Err(e) => panic!("waiting for {}: {e}", self.what),
            }
        }
    }

    /// SIGKILL, as a crash or power cut would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub(crate) fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The whole log so far (all runs).
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last [`LOG_TAIL_BYTES`] of the log.
    pub(crate) fn log_tail(&self) -> String {
        let Ok(mut f) = File::open(&self.log) else {
            return "(no log)".into();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let from = len.saturating_sub(LOG_TAIL_BYTES);
        let _ = f.seek(SeekFrom::Start(from));
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if from > 0 {
            format!(
                "[... {from} earlier bytes of {} ...]\n{text}",
                self.log.display()
            )
        } else {
            text
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "===== {label} log tail ({}) =====\n{}\n===== end of {label} log =====",
                self.log.display(),
                self.log_tail(),
                label = self.label,
            );
            if std::env::var_os("WIMS_TEST_KEEP").is_some()
                && let Some(root) = self.root.take()
            {
                eprintln!("kept test folder {}", root.keep().display());
            }
        }
    }
}
