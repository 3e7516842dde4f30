//! What a run measured, per command kind, and the table it prints.

use crate::KINDS;

#[derive(Default, Clone)]
pub(crate) struct KindStats {
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) lat_us: Vec<u32>,
}

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) kinds: Vec<KindStats>,
    pub(crate) io_errors: u64,
    pub(crate) iterations: u64,
    pub(crate) connect_us: Vec<u32>,
    pub(crate) literal_bytes: u64,
}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {
            kinds: vec![KindStats::default(); KINDS.len()],
            ..Default::default()
        }
    }
    pub(crate) fn merge(&mut self, o: Stats) {
        for (a, b) in self.kinds.iter_mut().zip(o.kinds) {
            a.ok += b.ok;
            a.errors += b.errors;
            a.lat_us.extend(b.lat_us);
        }
        self.io_errors += o.io_errors;
        self.iterations += o.iterations;
        self.connect_us.extend(o.connect_us);
        self.literal_bytes += o.literal_bytes;
    }
}

pub(crate) fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

pub(crate) fn print_table(stats: &mut Stats, seconds: f64) -> (u64, u64) {
    println!(
        "{:<18} {:>9} {:>10} {:>7} {:>9} {:>9} {:>9}",
        "command", "ops", "ops/s", "errors", "mean ms", "p50 ms", "p99 ms"
    );
    let (mut ops, mut errors) = (0, 0);
    for (k, s) in KINDS.iter().zip(stats.kinds.iter_mut()) {
        let n = s.ok + s.errors;
        if n == 0 {
            continue;
        }
        s.lat_us.sort_unstable();
        let mean = s.lat_us.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64 / 1000.0;
        println!(
            "{:<18} {:>9} {:>10.1} {:>7} {:>9.2} {:>9.2} {:>9.2}",
            k.name(),
            n,
            n as f64 / seconds,
            s.errors,
            mean,
            percentile(&s.lat_us, 0.5),
            percentile(&s.lat_us, 0.99)
        );
        ops += n;
        errors += s.errors;
    }
    println!(
        "{:<18} {:>9} {:>10.1} {:>7}",
        "total",
        ops,
        ops as f64 / seconds,
        errors
    );
    stats.connect_us.sort_unstable();
    println!(
        "connections {} (connect+TLS+greeting p50 {:.2} ms, p99 {:.2} ms), mixes completed {}, \
         connection errors {}, literal bytes received {}",
        stats.connect_us.len(),
        percentile(&stats.connect_us, 0.5),
        percentile(&stats.connect_us, 0.99),
        stats.iterations,
        stats.io_errors,
        stats.literal_bytes
    );
    (ops, errors)
}
