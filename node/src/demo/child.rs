//! A demo node: a `wims run` child process, its readiness, its exit, its last error line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

/// Readiness bound: only so a broken start cannot hang the demo forever.
const START_WAIT: Duration = Duration::from_secs(120);

pub(super) struct NodeChild {
    pub name: String,
    pub endpoints: serde_json::Value,
    exe: PathBuf,
    dir: PathBuf,
    level: u8,
    child: Child,
    /// The last line the node wrote to stderr (its error line when it fails).
    last_line: Arc<Mutex<String>>,
}

impl NodeChild {
    pub fn spawn(exe: &Path, dir: &Path, level: u8) -> Result<NodeChild> {
        let ep = dir.join("run/endpoints.json");
        let _ = std::fs::remove_file(&ep);
        let mut child = Command::new(exe)
            .arg("--data")
            .arg(dir)
            .arg("--log-level")
            .arg(level.to_string())
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        // The node logs to stderr as well as to its log file: read it all the time, or a full
        // pipe would stop the node at its next log line.
        let last_line = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let last = last_line.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(|l| l.ok()) {
                    if !line.trim().is_empty() {
                        *last.lock().expect("last line") = line;
                    }
                }
            });
        }
        let started = Instant::now();
        loop {
            if let Some(v) = std::fs::read(&ep)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            {
                return Ok(NodeChild {
                    name: dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    endpoints: v,
                    exe: exe.to_path_buf(),
                    dir: dir.to_path_buf(),
                    level,
                    child,
                    last_line,
                });
            }
            if let Ok(Some(_)) = child.try_wait() {
                // The reader thread ends with the pipe; give it a moment to take the last line.
                std::thread::sleep(Duration::from_millis(100));
                let line = last_line.lock().expect("last line").clone();
                return Err(anyhow!(strip_program(&line).to_string()));
            }
            if started.elapsed() > START_WAIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(anyhow!(dir.display().to_string()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The same node started again (its ports are in its configuration).
    pub fn respawn(&self) -> Result<NodeChild> {
        NodeChild::spawn(&self.exe, &self.dir, self.level)
    }

    /// How the node ended and its last line on stderr, once it has exited (reaped here).
    pub fn exited(&mut self) -> Option<(ExitStatus, String)> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                std::thread::sleep(Duration::from_millis(100));
                let line = self.last_line.lock().expect("last line").clone();
                Some((status, strip_program(&line).to_string()))
            }
            _ => None,
        }
    }

    /// Asks the node to stop as Ctrl-C would, so it flushes and removes its run files.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.child.id() as i32;
        // SAFETY: plain kill(2) on our own child's pid, which is not reaped yet; no memory is
        // involved.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node's error line without the `wims: ` it starts with.
fn strip_program(line: &str) -> &str {
    line.strip_prefix("wims: ").unwrap_or(line)
}
