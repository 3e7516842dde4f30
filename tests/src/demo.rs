//! `wims demo` run by the tests: started in the background with its output in a file, waited
//! on, stopped with SIGTERM (and killed when a test panics, showing the end of its output).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::wims_bin;

/// How long the demo may take for any one step.
pub const DEMO_WAIT: Duration = Duration::from_secs(300);

/// `wims demo` in the background, killed on drop; its output goes to a file.
pub struct Demo {
    child: Option<Child>,
    /// Where its output goes.
    pub log: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(200).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!(
                "===== wims demo output ({}) =====\n{}\n=====",
                self.log.display(),
                tail.join("\n")
            );
        }
    }
}

pub fn wait_for_file(path: &Path, demo: &mut Demo) {
    let started = Instant::now();
    loop {
        if let Some(status) = demo
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            demo.child = None;
            panic!(
                "wims demo exited ({status}) before writing {}",
                path.display()
            );
        }
        if std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some()
        {
            return;
        }
        assert!(
            started.elapsed() < DEMO_WAIT,
            "wims demo wrote no {} within {DEMO_WAIT:?}",
            path.display()
        );
        sleep(Duration::from_millis(100));
    }
}

/// Starts `wims demo` (with `--data DIR` when given) with its output in `log`.
pub fn start_demo(dir: Option<&Path>, log: &Path, tmpdir: &Path) -> Demo {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let err = out.try_clone().unwrap();
    let mut cmd = Command::new(wims_bin());
    cmd.arg("demo");
    if let Some(dir) = dir {
        cmd.arg("--data").arg(dir);
    }
    let child = cmd
        .env("RUST_BACKTRACE", "1")
        .env("TMPDIR", tmpdir)
        // The texts looked for below are the English ones.
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start wims demo");
    Demo {
        child: Some(child),
        log: log.to_path_buf(),
    }
}

/// SIGTERM, then the demo must end cleanly.
pub fn stop_demo(demo: &mut Demo) {
    let mut child = demo.child.take().unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own, not yet reaped child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let asked = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if asked.elapsed() > DEMO_WAIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wims demo still running {DEMO_WAIT:?} after SIGTERM");
        }
        sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "wims demo exited {status} on SIGTERM");
}

/// The pid of the demo's `wims run` child whose data folder ends in `node`.
pub fn demo_node_pid(demo: &Demo, node: &str) -> libc::pid_t {
    let pid = demo.child.as_ref().unwrap().id();
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace() {
            let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            if args.iter().any(|a| a.ends_with(node.as_bytes())) && args.contains(&&b"run"[..]) {
                return child.parse().unwrap();
            }
        }
    }
    panic!("the demo has no running {node}");
}

pub fn wait_for_output(demo: &mut Demo, what: &str, count: usize) {
    wait_until(&format!("{count}x {what:?} in the demo's output"), || {
        std::fs::read_to_string(&demo.log)
            .unwrap_or_default()
            .matches(what)
            .count()
            >= count
    });
}

/// A demo kept in `tmp/demo` (its output in `tmp/demo.log`), once it has written its
/// `demo.json`; returns the demo, that file, and an empty `tmp/work` for client scripts.
pub fn start_demo_in(tmp: &Path) -> (Demo, PathBuf, PathBuf) {
    let dir = tmp.join("demo");
    let mut demo = start_demo(Some(&dir), &tmp.join("demo.log"), tmp);
    let json = dir.join("demo.json");
    wait_for_file(&json, &mut demo);
    let work = tmp.join("work");
    std::fs::create_dir_all(&work).unwrap();
    (demo, json, work)
}

/// Polls `cond` until it holds, failing after [`DEMO_WAIT`].
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < DEMO_WAIT, "gave up waiting for {what}");
        sleep(Duration::from_millis(200));
    }
}
