//! tracing set-up: levels 0 (off) .. 5 (trace) to stderr and, for a running program, to a
//! daily-rotated file. Per-module levels come from `WIMS_LOG` (e.g. `WIMS_LOG=service=debug`).

use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// Directives that keep chatty libraries quieter than the program at `level` (the overlay's
/// libp2p, for one); the level is the program's own.
pub type Quiet = fn(u8) -> String;

/// Lets a running program change its level (`wims log-level N`) without a restart.
static RELOAD: OnceLock<(reload::Handle<EnvFilter, Registry>, Quiet)> = OnceLock::new();
/// The level in force, for the operator pages to show.
static LEVEL: AtomicU8 = AtomicU8::new(0);

fn filter_for(level: u8, quiet: Quiet) -> EnvFilter {
    if level == 0 {
        return EnvFilter::new("off");
    }
    // The level first: a directive for a library alone would leave everything else off.
    let spec = format!(
        "{},{}{}",
        level_filter(level),
        quiet(level),
        std::env::var("WIMS_LOG").unwrap_or_default()
    );
    EnvFilter::builder()
        .with_default_directive(level_filter(level).into())
        .parse_lossy(spec)
}

/// Changes the level of the running process; false when logging was never set up.
pub fn set_level(level: u8) -> bool {
    let done = RELOAD
        .get()
        .is_some_and(|(h, quiet)| h.reload(filter_for(level.min(5), *quiet)).is_ok());
    if done {
        LEVEL.store(level.min(5), Ordering::Relaxed);
    }
    done
}

/// The level in force (0 until logging is set up).
pub fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

pub fn level_filter(level: u8) -> LevelFilter {
    match level {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Installs the global subscriber. Returns a guard that flushes the file writer when dropped.
pub fn init(
    level: u8,
    file: Option<&Path>,
    quiet: Quiet,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let (filter, handle) = reload::Layer::new(filter_for(level, quiet));
    if RELOAD.set((handle, quiet)).is_ok() {
        LEVEL.store(level.min(5), Ordering::Relaxed);
    }
    let registry = tracing_subscriber::registry().with(filter);
    // At level 0 not even a log file is created; raising the level later logs to stderr.
    match file.and_then(|f| Some((f.parent()?, f.file_name()?))) {
        Some((dir, name)) if level > 0 && std::fs::create_dir_all(dir).is_ok() => {
            let appender = tracing_appender::rolling::daily(dir, name);
            let (nb, guard) = tracing_appender::non_blocking(appender);
            let fmt = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr.and(nb))
                .with_ansi(false);
            let _ = registry.with(fmt).try_init();
            Some(guard)
        }
        _ => {
            let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
            let _ = registry.with(fmt).try_init();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The libraries' quieter levels must not lower the everyday level of everything else.
    #[test]
    fn each_level_reaches_the_programs_own_lines() {
        let quiet: Quiet = |_| "libp2p=error,".into();
        for level in 1..=5 {
            assert_eq!(
                filter_for(level, quiet).max_level_hint(),
                Some(level_filter(level)),
                "level {level}"
            );
        }
        assert_eq!(
            filter_for(0, quiet).max_level_hint(),
            Some(LevelFilter::OFF)
        );
    }
}
