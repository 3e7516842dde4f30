//! Runs a scenario's steps against the running cluster and follows each message in the
//! nodes' logs: queued at the sender, received (or collected) at the recipient, receipt back.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};

use crate::cluster::Cluster;
use crate::interrupt;
use crate::logs;
use crate::net::Lab;
use crate::scenario::{SendStep, Step};

/// Liveness bound for a node to queue what `wims send` handed it.
const QUEUE_WAIT: Duration = Duration::from_secs(120);
const CHUNK_WAIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(200);

/// A message the scenario sent and what became of it.
#[derive(Clone, Debug)]
pub struct Sent {
    pub from: String,
    pub to: String,
    pub bytes: u64,
    pub started: DateTime<Utc>,
    pub message_id: String,
    /// When the recipient's node filed it.
    pub received: Option<DateTime<Utc>>,
    /// When the sender verified the receipt, and the fields of that log line.
    pub receipt: Option<DateTime<Utc>>,
    pub path: Option<String>,
    pub resent_bytes: Option<u64>,
}

pub struct Timeline<'c, 'l> {
    lab: &'l Lab,
    cluster: &'c mut Cluster<'l>,
    pub sent: Vec<Sent>,
}

impl<'c, 'l> Timeline<'c, 'l> {
    pub fn new(lab: &'l Lab, cluster: &'c mut Cluster<'l>) -> Self {
        Timeline {
            lab,
            cluster,
            sent: Vec::new(),
        }
    }

    pub fn run(&mut self, steps: &[Step]) -> Result<()> {
        for step in steps {
            if interrupt::requested() {
                bail!("interrupted");
            }
            match step {
                Step::Send(s) => self.send(s)?,
                Step::WaitDelivered(secs) => self.wait_delivered(Duration::from_secs(*secs))?,
                Step::Cut(h) => self.lab.cut(h)?,
                Step::Restore(h) => self.lab.restore(h)?,
                Step::Kill(h) => self.cluster.kill(h)?,
                Step::Restart(h) => self.cluster.restart(h)?,
                Step::Sleep(secs) => sleep(Duration::from_secs_f64(secs.max(0.0)))?,
                Step::WaitChunks(n) => self.wait_chunks(*n)?,
            }
        }
        Ok(())
    }

    fn send(&mut self, s: &SendStep) -> Result<()> {
        let n = self.sent.len() + 1;
        let sender = self.cluster.home(&s.from)?;
        let queued_before = logs::find(&sender.log_text(), "delivery queued", &[]).len();
        let mut args = vec![
            "--from".to_string(),
            s.from.clone(),
            "--to".into(),
            s.to.clone(),
            "--subject".into(),
            format!("simnet message {n}"),
            "--body".into(),
            format!("simnet message {n}, {} bytes attached", s.bytes),
            "--no-wait".into(),
        ];
        if s.bytes > 0 {
            let file = self.cluster.dir.join(format!("attachment-{n}.bin"));
            write_random(&file, s.bytes, n as u64)?;
            args.extend(["--attach".into(), file.display().to_string()]);
        }
        let started = Utc::now();
        let out = self.cluster.send(&s.from, &args)?;
        if !out.status.success() {
            bail!(
                "wims send from {} to {}: {}\n{}",
                s.from,
                s.to,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let t = Instant::now();
        let message_id = loop {
            let queued = logs::find(
                &self.cluster.home(&s.from)?.log_text(),
                "delivery queued",
                &[],
            );
            if let Some(line) = queued.get(queued_before)
                && let Some(id) = line.field("message_id")
            {
                break id.to_string();
            }
            if t.elapsed() > QUEUE_WAIT {
                bail!("{} never queued the message to {}", s.from, s.to);
            }
            sleep(POLL)?;
        };
        self.sent.push(Sent {
            from: s.from.clone(),
            to: s.to.clone(),
            bytes: s.bytes,
            started,
            message_id,
            received: None,
            receipt: None,
            path: None,
            resent_bytes: None,
        });
        Ok(())
    }

    /// Fills in what the logs tell about each message so far.
    pub fn observe(&mut self) -> Result<()> {
        for m in &mut self.sent {
            let id = m.message_id.as_str();
            if m.received.is_none() {
                let log = self.cluster.home(&m.to)?.log_text();
                m.received = ["message received", "message collected from service servers"]
                    .iter()
                    .flat_map(|what| logs::find(&log, what, &[("message_id", id)]))
                    .map(|l| l.at)
                    .min();
            }
            if m.receipt.is_none() {
                let log = self.cluster.home(&m.from)?.log_text();
                if let Some(line) =
                    logs::find(&log, "delivered; receipt verified", &[("message_id", id)])
                        .into_iter()
                        .next()
                {
                    m.receipt = Some(line.at);
                    m.path = line.field("path").map(str::to_string);
                    m.resent_bytes = line.field("resent_bytes").and_then(|v| v.parse().ok());
                }
            }
        }
        Ok(())
    }

    fn wait_delivered(&mut self, limit: Duration) -> Result<()> {
        let t = Instant::now();
        loop {
            self.observe()?;
            let open: Vec<&Sent> = self
                .sent
                .iter()
                .filter(|m| m.received.is_none() || m.receipt.is_none())
                .collect();
            if open.is_empty() {
                return Ok(());
            }
            if t.elapsed() > limit {
                let which: Vec<String> = open
                    .iter()
                    .map(|m| format!("{} -> {} ({})", m.from, m.to, m.message_id))
                    .collect();
                bail!(
                    "not delivered with its receipt within {} s: {}",
                    limit.as_secs(),
                    which.join(", ")
                );
            }
            sleep(POLL)?;
        }
    }

    /// Chunks of the last message stored at its recipient's node or any server.
    fn wait_chunks(&mut self, n: u32) -> Result<()> {
        let last = self
            .sent
            .last()
            .ok_or_else(|| anyhow!("wait_chunks before any send"))?
            .clone();
        let mut dirs = vec![self.cluster.home(&last.to)?.data.join("spool").join("in")];
        dirs.extend(self.cluster.servers().map(|p| p.data.join("held")));
        let t = Instant::now();
        loop {
            let have: usize = dirs.iter().map(|d| chunk_files(d)).sum();
            if have >= n as usize {
                return Ok(());
            }
            if t.elapsed() > CHUNK_WAIT {
                bail!("only {have} of {n} chunks arrived");
            }
            sleep(Duration::from_millis(20))?;
        }
    }
}

fn chunk_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter(|f| f.path().extension().is_some_and(|e| e == "chunk"))
        .count()
}

/// Waits, giving up early on Ctrl-C.
fn sleep(d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if interrupt::requested() {
            bail!("interrupted");
        }
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(100)));
    }
    Ok(())
}

/// `len` pseudo-random bytes (xorshift; incompressible, like a real attachment), streamed.
fn write_random(path: &Path, len: u64, seed: u64) -> Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut left = len;
    let mut buf = [0u8; 8192];
    while left > 0 {
        for b in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        w.write_all(&buf[..n])?;
        left -= n as u64;
    }
    w.flush()?;
    Ok(())
}
