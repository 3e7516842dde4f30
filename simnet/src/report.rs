//! What a run found: per message how it travelled and how long it took, per node pair how
//! hole punching went; as a table for people and as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::net::NatKind;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    /// The matrix cell: each varying node's NAT type.
    pub cell: Option<Vec<(String, NatKind)>>,
    /// Every message delivered with its receipt, and nothing failed.
    pub ok: bool,
    pub error: Option<String>,
    pub messages: Vec<MessageReport>,
    pub pairs: Vec<PairReport>,
    /// Where the processes' logs were kept, if they were.
    pub logs: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MessageReport {
    pub from: String,
    pub to: String,
    pub bytes: u64,
    pub message_id: String,
    /// `direct`, `hole-punched`, `servers`, or a direct way `+servers`; none if undelivered.
    pub path: Option<String>,
    /// Seconds from `wims send` to the recipient's node filing it.
    pub delivered_s: Option<f64>,
    /// Seconds from `wims send` to the verified receipt at the sender.
    pub receipt_s: Option<f64>,
    pub resent_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PairReport {
    pub a: String,
    pub b: String,
    pub hole_punch_attempts: u32,
    pub hole_punch_succeeded: u32,
}

impl Report {
    pub fn cell_name(&self) -> String {
        crate::scenario::cell_name(self.cell.as_deref().unwrap_or_default())
    }

    /// The table of one run.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "== {} {} -- {}",
            self.scenario,
            self.cell_name(),
            if self.ok { "ok" } else { "FAILED" }
        );
        if let Some(e) = &self.error {
            let _ = writeln!(t, "   error: {e}");
        }
        let _ = writeln!(
            t,
            "   {:<24} {:<24} {:>12} {:<22} {:>10} {:>10} {:>12}",
            "from", "to", "bytes", "path", "deliver s", "receipt s", "resent bytes"
        );
        for m in &self.messages {
            let _ = writeln!(
                t,
                "   {:<24} {:<24} {:>12} {:<22} {:>10} {:>10} {:>12}",
                m.from,
                m.to,
                m.bytes,
                m.path.as_deref().unwrap_or("-"),
                secs(m.delivered_s),
                secs(m.receipt_s),
                m.resent_bytes.map_or("-".into(), |b| b.to_string()),
            );
        }
        for p in &self.pairs {
            let _ = writeln!(
                t,
                "   hole punching {} <-> {}: {} attempts, {} succeeded",
                p.a, p.b, p.hole_punch_attempts, p.hole_punch_succeeded
            );
        }
        if let Some(l) = &self.logs {
            let _ = writeln!(t, "   logs: {l}");
        }
        t
    }
}

fn secs(s: Option<f64>) -> String {
    s.map_or("-".into(), |s| format!("{s:.2}"))
}

/// The matrix of a run with cells: rows are the first node's NAT type, columns the second's;
/// each cell the path of its messages, `FAIL` when one was not delivered.
pub fn matrix(reports: &[Report]) -> Option<String> {
    let first = reports.first()?.cell.clone()?;
    let (row_node, col_node) = (first[0].0.clone(), first.get(1)?.0.clone());
    let mut rows: Vec<NatKind> = Vec::new();
    let mut cols: Vec<NatKind> = Vec::new();
    for r in reports {
        let c = r.cell.as_ref()?;
        if !rows.contains(&c[0].1) {
            rows.push(c[0].1);
        }
        if !cols.contains(&c[1].1) {
            cols.push(c[1].1);
        }
    }
    let mut t = String::new();
    let _ = write!(t, "{:<20}", format!("{row_node} \\ {col_node}"));
    for c in &cols {
        let _ = write!(t, " {:<20}", c.name());
    }
    t.push('\n');
    for r in &rows {
        let _ = write!(t, "{:<20}", r.name());
        for c in &cols {
            let cell = reports.iter().find(|x| {
                x.cell
                    .as_ref()
                    .is_some_and(|k| k[0].1 == *r && k[1].1 == *c)
            });
            let _ = write!(t, " {:<20}", cell.map_or("-".into(), cell_text));
        }
        t.push('\n');
    }
    Some(t)
}

fn cell_text(r: &Report) -> String {
    if !r.ok {
        return "FAIL".into();
    }
    let mut paths: Vec<&str> = r
        .messages
        .iter()
        .filter_map(|m| m.path.as_deref())
        .collect();
    paths.dedup();
    paths.join(",")
}
