//! One run of one scenario instance: lab up, programs started, timeline played, report
//! gathered, everything torn down whatever happened.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cluster::{Bins, Cluster};
use crate::logs;
use crate::net::{Lab, SiteSpec};
use crate::report::{MessageReport, PairReport, Report};
use crate::scenario::Instance;
use crate::timeline::Timeline;

pub struct Options {
    pub bins: Bins,
    /// Keep each run's data and logs under this folder (else a temporary one, removed).
    pub keep: Option<PathBuf>,
}

/// Runs `inst` in a lab tagged `tag` (unique among concurrent runs).
pub fn run(inst: &Instance, tag: &str, opts: &Options) -> Report {
    let s = &inst.scenario;
    let mut report = Report {
        scenario: s.name.clone(),
        cell: inst.cell.as_ref().map(|c| c.to_vec()),
        ok: false,
        error: None,
        messages: Vec::new(),
        pairs: Vec::new(),
        logs: None,
    };
    let (dir, mut temp) = match &opts.keep {
        Some(k) => {
            let d = k.join(format!("{}-{tag}", sanitize(&s.name)));
            (d, None)
        }
        None => match tempfile_dir(tag) {
            Ok(d) => (d.clone(), Some(RemoveOnDrop(d))),
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        },
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        report.error = Some(format!("{}: {e}", dir.display()));
        return report;
    }
    if opts.keep.is_some() {
        report.logs = Some(dir.display().to_string());
    }
    let public: Vec<String> = s.servers.iter().map(|x| x.name.clone()).collect();
    let sites: Vec<SiteSpec> = s
        .nodes
        .iter()
        .map(|n| SiteSpec {
            host: n.name.clone(),
            nat: n.nat,
            link: n.link,
        })
        .collect();
    let lab = match Lab::build(tag, &public, &sites) {
        Ok(l) => l,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    let result = play(&lab, &dir, inst, opts, &mut report);
    if let Err(e) = result {
        report.error = Some(format!("{e:#}"));
    }
    report.ok = report.error.is_none()
        && report
            .messages
            .iter()
            .all(|m| m.delivered_s.is_some() && m.receipt_s.is_some());
    if let Err(e) = lab.teardown() {
        report.ok = false;
        report.error.get_or_insert(e.to_string());
    }
    if !report.ok
        && let Some(t) = temp.take()
    {
        // A failed run keeps its logs for a look.
        report.logs = Some(t.0.display().to_string());
        std::mem::forget(t);
    }
    report
}

fn play(lab: &Lab, dir: &Path, inst: &Instance, opts: &Options, report: &mut Report) -> Result<()> {
    let s = &inst.scenario;
    let mut cluster = Cluster::start(lab, opts.bins.clone(), dir, s)?;
    let mut timeline = Timeline::new(lab, &mut cluster);
    let played = timeline.run(&s.steps);
    let observed = timeline.observe();
    report.messages = timeline
        .sent
        .iter()
        .map(|m| MessageReport {
            from: m.from.clone(),
            to: m.to.clone(),
            bytes: m.bytes,
            message_id: m.message_id.clone(),
            path: m.path.clone(),
            delivered_s: m.received.map(|t| seconds(t - m.started)),
            receipt_s: m.receipt.map(|t| seconds(t - m.started)),
            resent_bytes: m.resent_bytes,
        })
        .collect();
    report.pairs = pairs(&cluster);
    played?;
    observed
}

/// Hole punching between every two nodes, as each side logged it.
fn pairs(c: &Cluster<'_>) -> Vec<PairReport> {
    let nodes: Vec<_> = c.nodes().collect();
    let mut out = Vec::new();
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            let side = |me: &crate::cluster::Proc, other: &crate::cluster::Proc| {
                let Some(peer) = other.peer_id.as_deref() else {
                    return (0, 0);
                };
                let log = me.log_text();
                let ok = logs::find(&log, "hole punch succeeded", &[("peer", peer)]).len();
                let failed = logs::find(&log, "hole punch failed", &[("peer", peer)]).len();
                (ok + failed, ok)
            };
            let (ta, oa) = side(a, b);
            let (tb, ob) = side(b, a);
            out.push(PairReport {
                a: a.host.clone(),
                b: b.host.clone(),
                // Both ends see the same attempt; the busier side's count is the pair's.
                hole_punch_attempts: ta.max(tb) as u32,
                hole_punch_succeeded: oa.max(ob) as u32,
            });
        }
    }
    out
}

fn seconds(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn tempfile_dir(tag: &str) -> std::io::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("simnet-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
