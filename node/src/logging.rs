//! tracing set-up: levels 0 (off) .. 5 (trace) to stderr and a daily-rotated file.

use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

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

/// Installs the global subscriber. `RUST_LOG`-style per-module overrides come from `WIMS_LOG`.
/// Returns a guard that flushes the file writer when dropped.
pub fn init(level: u8, file: Option<&Path>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = EnvFilter::builder()
        .with_default_directive(level_filter(level).into())
        .with_env_var("WIMS_LOG")
        .from_env_lossy();
    let filter = if level == 0 {
        EnvFilter::new("off")
    } else {
        filter
    };
    match file.and_then(|f| Some((f.parent()?, f.file_name()?))) {
        Some((dir, name)) if level > 0 && std::fs::create_dir_all(dir).is_ok() => {
            let appender = tracing_appender::rolling::daily(dir, name);
            let (nb, guard) = tracing_appender::non_blocking(appender);
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr.and(nb))
                .with_ansi(false)
                .try_init();
            Some(guard)
        }
        _ => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
            None
        }
    }
}
