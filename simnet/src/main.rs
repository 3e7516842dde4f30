//! `simnet run SCENARIO.toml [--json FILE]`: builds the scenario's network in namespaces, runs
//! the real programs in it, plays the timeline and prints a report; `simnet cleanup` removes
//! what an interrupted run may have left.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use simnet::cluster::Bins;
use simnet::report::{self, Report};
use simnet::run::Options;
use simnet::scenario::Scenario;
use simnet::{interrupt, net, prereq, run};

#[derive(Parser)]
#[command(name = "simnet", version, about = "WIMS network simulator")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario (every cell of a matrix) and print its report.
    Run {
        scenario: PathBuf,
        /// Also write the reports as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Cells run at the same time.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Folder holding wims and wims-service (default: beside simnet).
        #[arg(long)]
        bin_dir: Option<PathBuf>,
        /// Keep every run's data and logs under this folder.
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Log level of every process (3..5), instead of the scenario's.
        #[arg(long)]
        log_level: Option<u8>,
        /// Only the matrix cells named so, e.g. "a=symmetric b=full-cone" (repeatable).
        #[arg(long)]
        only: Vec<String>,
    },
    /// Remove namespaces and processes left by interrupted runs.
    Cleanup,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Cleanup => {
            ready_or_exit(&prereq::CLEANUP_TOOLS);
            for gone in net::sweep(None)? {
                println!("removed {gone}");
            }
            Ok(())
        }
        Cmd::Run {
            scenario,
            json,
            jobs,
            bin_dir,
            keep,
            only,
            log_level,
        } => {
            // Before anything else: a machine that cannot build a lab is told so once,
            // not by every cell failing on its own.
            ready_or_exit(&prereq::RUN_TOOLS);
            interrupt::install().context("install the Ctrl-C handler")?;
            let mut s = Scenario::load(&scenario)?;
            if let Some(level) = log_level {
                s.log_level = level;
                s.check()?;
            }
            let opts = Options {
                bins: Bins::find(bin_dir.as_deref())?,
                keep,
            };
            let mut instances = s.instances();
            if !only.is_empty() {
                instances.retain(|i| only.contains(&i.cell_name()));
                if instances.is_empty() {
                    bail!("no matrix cell is named {}", only.join(" or "));
                }
            }
            let reports = run_all(&instances, jobs.max(1), &opts);
            for r in &reports {
                print!("{}", r.table());
            }
            if let Some(m) = report::matrix(&reports) {
                println!("\n{}", s.name);
                print!("{m}");
            }
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_vec_pretty(&reports)?)
                    .with_context(|| path.display().to_string())?;
            }
            let failed = reports.iter().filter(|r| !r.ok).count();
            if failed > 0 || interrupt::requested() {
                bail!("{failed} of {} runs failed", reports.len());
            }
            Ok(())
        }
    }
}

/// Exits with one line when the machine lacks a program of `tools` or the privileges to build
/// network namespaces (never with a backtrace, whatever RUST_BACKTRACE says).
fn ready_or_exit(tools: &[prereq::Tool]) {
    if let Err(unmet) = prereq::check(tools) {
        eprintln!("Error: {unmet}");
        std::process::exit(1);
    }
}

/// Up to `jobs` instances at a time, each in its own lab; reports in instance order.
fn run_all(instances: &[simnet::scenario::Instance], jobs: usize, opts: &Options) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Report>>> = Mutex::new(vec![None; instances.len()]);
    // Tags tell this run's labs from any other's: the process id, then the cell.
    let base = std::process::id() % 36u32.pow(4);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(instances.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= instances.len() || interrupt::requested() {
                        break;
                    }
                    let tag = format!("{}{}", base36(base, 4), base36(i as u32, 2));
                    let r = run::run(&instances[i], &tag, opts);
                    eprint!("{}", r.table());
                    out.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

fn base36(mut n: u32, width: usize) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = vec![b'0'; width];
    for slot in s.iter_mut().rev() {
        *slot = digits[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8_lossy(&s).into_owned()
}
