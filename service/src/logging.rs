//! tracing set-up: levels 0 (off) .. 5 (trace) to stderr, and for a running server also to a
//! daily-rotated file. Per-module levels: `WIMS_LOG` (e.g. `WIMS_LOG=service=debug`).

use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn level_filter(level: u8) -> LevelFilter {
    match level {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Installs the global subscriber; the guard flushes the file writer when dropped.
pub fn init(level: u8, file: Option<&Path>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = if level == 0 {
        EnvFilter::new("off")
    } else {
        // The level first: a directive for a library alone would leave everything else off.
        let spec = format!(
            "{},{}{}",
            level_filter(level),
            overlay::quiet_log_directives(level),
            std::env::var("WIMS_LOG").unwrap_or_default()
        );
        EnvFilter::builder()
            .with_default_directive(level_filter(level).into())
            .parse_lossy(spec)
    };
    let registry = tracing_subscriber::registry().with(filter);
    // At level 0 not even a log file is created.
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
