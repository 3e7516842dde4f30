//! The scenario file (TOML): who is where, behind what, and what happens when. One file may
//! describe a matrix: the same scenario once per pair of NAT types of two nodes.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::net::{LinkSpec, NatKind};

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Service servers, all on the internet; the first creates the accounts.
    #[serde(rename = "server")]
    pub servers: Vec<ServerSpec>,
    #[serde(rename = "node")]
    pub nodes: Vec<NodeSpec>,
    /// Pairs of addresses or domains allowed to write to each other.
    #[serde(default)]
    pub partners: Vec<[String; 2]>,
    #[serde(default)]
    pub delivery: Delivery,
    /// Log level of every process, 0 (off) to 5 (trace); the report needs 3 (info) or more.
    #[serde(default = "info_level")]
    pub log_level: u8,
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// Run the scenario once per pair of NAT types of two of its nodes.
    #[serde(default)]
    pub matrix: Option<Matrix>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub name: String,
    #[serde(default = "no_nat")]
    pub nat: NatKind,
    #[serde(default)]
    pub link: LinkSpec,
    /// Accounts hosted on the node (created on the first server).
    pub accounts: Vec<String>,
}

fn info_level() -> u8 {
    3
}

fn no_nat() -> NatKind {
    NatKind::None
}

/// The nodes' `[delivery]` settings: short retries keep a scenario's fallbacks quick.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    pub retry_min: u64,
    pub retry_max: u64,
    pub collect_interval: u64,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            retry_min: 1,
            retry_max: 10,
            collect_interval: 10,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    /// The two nodes whose NAT types vary.
    pub nodes: [String; 2],
    /// The NAT types each of them takes, every pair once.
    pub nats: Vec<NatKind>,
}

/// One action of the timeline, e.g. `send = { from = "a@x.h", to = "b@y.h", bytes = 1000 }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A message with an attachment of `bytes` random bytes (0: text only), sent with
    /// `wims send` on the sender's node.
    Send(SendStep),
    /// Waits until every message sent so far is delivered and its receipt is back, at most
    /// this many seconds (then the scenario fails).
    WaitDelivered(u64),
    /// Cuts a host's uplink, or brings it back.
    Cut(String),
    Restore(String),
    /// SIGKILLs a host's process, or starts it again on the same data.
    Kill(String),
    Restart(String),
    /// Waits this many seconds.
    Sleep(f64),
    /// Waits until this many chunks of the last message are stored at its recipient's node
    /// or servers (to cut or kill mid-transfer), at most 600 s.
    WaitChunks(u32),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SendStep {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub bytes: u64,
}

/// One concrete run: the scenario with the NAT types of a matrix cell filled in.
#[derive(Clone, Debug)]
pub struct Instance {
    pub scenario: Scenario,
    /// The matrix cell, if any: (node, NAT type) of the two varying nodes.
    pub cell: Option<[(String, NatKind); 2]>,
}

impl Instance {
    pub fn cell_name(&self) -> String {
        cell_name(self.cell.as_ref().map_or(&[][..], |c| &c[..]))
    }
}

/// `a=symmetric b=full-cone`; empty outside a matrix.
pub fn cell_name(cell: &[(String, NatKind)]) -> String {
    cell.iter()
        .map(|(n, k)| format!("{n}={}", k.name()))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: shown.clone(),
            source,
        })?;
        let s: Scenario = toml::from_str(&text).map_err(|source| ScenarioError::Parse {
            path: shown,
            source: Box::new(source),
        })?;
        s.check()?;
        Ok(s)
    }

    /// Names are unique, every account is hosted once, every step names what exists.
    pub fn check(&self) -> Result<(), ScenarioError> {
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        if !(3..=5).contains(&self.log_level) {
            return bad("log_level: 3 (info) to 5 (trace); the report reads the info lines".into());
        }
        if self.servers.is_empty() {
            return bad("a scenario needs at least one [[server]]".into());
        }
        let mut hosts = BTreeSet::new();
        for name in self
            .servers
            .iter()
            .map(|s| &s.name)
            .chain(self.nodes.iter().map(|n| &n.name))
        {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return bad(format!("host name {name:?}: use letters, digits and '-'"));
            }
            if !hosts.insert(name.clone()) {
                return bad(format!("host {name:?} is named twice"));
            }
        }
        let mut accounts = BTreeSet::new();
        for n in &self.nodes {
            for a in &n.accounts {
                if !a.contains('@') {
                    return bad(format!("account {a:?} of node {:?} is no address", n.name));
                }
                if !accounts.insert(a.to_ascii_lowercase()) {
                    return bad(format!("account {a:?} is hosted twice"));
                }
            }
        }
        let known_host = |h: &String| {
            if hosts.contains(h) {
                Ok(())
            } else {
                Err(ScenarioError::Invalid(format!(
                    "step names unknown host {h:?}"
                )))
            }
        };
        for step in &self.steps {
            match step {
                Step::Send(s) => {
                    for a in [&s.from, &s.to] {
                        if !accounts.contains(&a.to_ascii_lowercase()) {
                            return bad(format!("send names unknown account {a:?}"));
                        }
                    }
                }
                Step::Cut(h) | Step::Restore(h) | Step::Kill(h) | Step::Restart(h) => {
                    known_host(h)?
                }
                Step::WaitDelivered(_) | Step::Sleep(_) | Step::WaitChunks(_) => {}
            }
        }
        if let Some(m) = &self.matrix {
            for n in &m.nodes {
                if !self.nodes.iter().any(|x| &x.name == n) {
                    return bad(format!("matrix names unknown node {n:?}"));
                }
            }
            if m.nats.is_empty() || m.nodes[0] == m.nodes[1] {
                return bad("matrix needs two different nodes and some NAT types".into());
            }
        }
        Ok(())
    }

    /// The runs this file stands for: itself, or one per matrix cell.
    pub fn instances(&self) -> Vec<Instance> {
        let Some(m) = &self.matrix else {
            return vec![Instance {
                scenario: self.clone(),
                cell: None,
            }];
        };
        let mut out = Vec::new();
        for &first in &m.nats {
            for &second in &m.nats {
                let mut s = self.clone();
                s.matrix = None;
                for n in &mut s.nodes {
                    if n.name == m.nodes[0] {
                        n.nat = first;
                    } else if n.name == m.nodes[1] {
                        n.nat = second;
                    }
                }
                out.push(Instance {
                    scenario: s,
                    cell: Some([(m.nodes[0].clone(), first), (m.nodes[1].clone(), second)]),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MATRIX: &str = r#"
name = "m"
partners = [["alpha.h", "beta.h"]]
[[server]]
name = "s1"
[[node]]
name = "a"
accounts = ["alice@alpha.h"]
[[node]]
name = "b"
nat = "symmetric"
link = { delay_ms = 20 }
accounts = ["bob@beta.h"]
[matrix]
nodes = ["a", "b"]
nats = ["none", "port-restricted"]
[[step]]
send = { from = "alice@alpha.h", to = "bob@beta.h", bytes = 100 }
[[step]]
wait_delivered = 60
[[step]]
cut = "b"
"#;

    #[test]
    fn a_matrix_expands_to_every_pair() {
        let s: Scenario = toml::from_str(MATRIX).unwrap();
        s.check().unwrap();
        let cells = s.instances();
        assert_eq!(cells.len(), 4);
        let last = &cells[3];
        assert_eq!(last.scenario.nodes[0].nat, NatKind::PortRestricted);
        assert_eq!(last.scenario.nodes[1].nat, NatKind::PortRestricted);
        assert_eq!(cells[1].scenario.nodes[1].nat, NatKind::PortRestricted);
        assert_eq!(s.nodes[1].link.delay_ms, 20);
        assert!(matches!(s.steps[1], Step::WaitDelivered(60)));
    }

    #[test]
    fn unknown_names_are_clear_errors() {
        let s: Scenario = toml::from_str(&MATRIX.replace("cut = \"b\"", "cut = \"zz\"")).unwrap();
        let e = s.check().unwrap_err().to_string();
        assert!(e.contains("zz"), "{e}");
        let s: Scenario =
            toml::from_str(&MATRIX.replace("to = \"bob@beta.h\"", "to = \"eve@x.h\"")).unwrap();
        assert!(s.check().is_err());
        assert!(toml::from_str::<Scenario>(&MATRIX.replace("bytes", "bites")).is_err());
    }
}
