//! IMAP load generator. `--populate` fills every user's INBOX; without it, C clients loop a
//! fixed command mix for a while and the completed commands per second are reported.
//!
//! A benchmark, not a test: nothing here asserts on timing.

mod client;
mod msg;
mod report;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use client::{Client, Reply, Target, quote};
use report::{Stats, print_table};

#[derive(Parser, Debug)]
#[command(about = "IMAP load generator: one fixed command mix, ops/s per command kind")]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 993)]
    port: u16,
    /// Implicit TLS (IMAPS); any certificate is accepted.
    #[arg(long)]
    tls: bool,
    /// Accounts user1..userN.
    #[arg(long, default_value_t = 8)]
    users: u32,
    /// Appended to the user names as `@DOMAIN` when not empty.
    #[arg(long, default_value = "")]
    domain: String,
    /// The one password of every account.
    #[arg(long, default_value = "benchpw")]
    password: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    clients: u32,
    /// Seconds of load.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Messages in each INBOX.
    #[arg(long, default_value_t = 500)]
    mailbox_size: u32,
    /// Fill the INBOXes up to --mailbox-size messages, then exit.
    #[arg(long)]
    populate: bool,
    /// Seed of every random choice (message contents and the command mix).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Name of the server in the report.
    #[arg(long, default_value = "server")]
    label: String,
    /// Seconds one command may take before the connection is dropped as failed.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Print an argon2id hash of --password (the parameters wims uses) and exit.
    #[arg(long)]
    hash_password: bool,
    /// Write --mailbox-size messages as an mbox file (for imaptest) and exit.
    #[arg(long)]
    write_mbox: Option<std::path::PathBuf>,
}

impl Args {
    fn user(&self, i: u32) -> String {
        if self.domain.is_empty() {
            format!("user{i}")
        } else {
            format!("user{i}@{}", self.domain)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Login,
    Select,
    FetchFlags,
    FetchEnvelope,
    FetchBody,
    StoreFlag,
    StoreUnflag,
    Append,
    SearchUnseen,
    SearchSubject,
    SearchFrom,
    StoreDeleted,
    UidExpunge,
    Logout,
}

const KINDS: [Kind; 14] = [
    Kind::Login,
    Kind::Select,
    Kind::FetchFlags,
    Kind::FetchEnvelope,
    Kind::FetchBody,
    Kind::StoreFlag,
    Kind::StoreUnflag,
    Kind::Append,
    Kind::SearchUnseen,
    Kind::SearchSubject,
    Kind::SearchFrom,
    Kind::StoreDeleted,
    Kind::UidExpunge,
    Kind::Logout,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Login => "LOGIN",
            Kind::Select => "SELECT",
            Kind::FetchFlags => "FETCH 1:* FLAGS",
            Kind::FetchEnvelope => "FETCH ENVELOPE",
            Kind::FetchBody => "UID FETCH BODY[]",
            Kind::StoreFlag => "STORE +Flagged",
            Kind::StoreUnflag => "STORE -Flagged",
            Kind::Append => "APPEND",
            Kind::SearchUnseen => "SEARCH UNSEEN",
            Kind::SearchSubject => "SEARCH SUBJECT",
            Kind::SearchFrom => "SEARCH FROM",
            Kind::StoreDeleted => "UID STORE Deleted",
            Kind::UidExpunge => "UID EXPUNGE",
            Kind::Logout => "LOGOUT",
        }
    }
    fn index(self) -> usize {
        KINDS.iter().position(|&k| k == self).expect("listed")
    }
}

/// First report of each kind of failure goes to stderr; later ones are only counted.
#[derive(Default)]
struct Once(Mutex<HashSet<String>>);

impl Once {
    fn report(&self, key: &str, what: impl FnOnce() -> String) {
        let mut seen = self.0.lock().expect("not poisoned");
        if seen.insert(key.to_string()) {
            eprintln!("error: {key}: {}", what());
        }
    }
}

struct Worker {
    args: Arc<Args>,
    target: Target,
    deadline: Option<Instant>,
    stats: Stats,
    rng: StdRng,
    once: Arc<Once>,
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// `n` distinct numbers from `1..=max`, ascending.
fn pick(rng: &mut StdRng, max: usize, n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = rand::seq::index::sample(rng, max, n.min(max))
        .into_iter()
        .map(|i| i + 1)
        .collect();
    v.sort_unstable();
    v
}

fn join(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

impl Worker {
    fn counting(&self, at: Instant) -> bool {
        self.deadline.is_none_or(|d| at <= d)
    }

    async fn connect(&mut self) -> Result<Client> {
        let t0 = Instant::now();
        let timeout = Duration::from_secs(self.args.timeout);
        let c = tokio::time::timeout(timeout, Client::connect(&self.target))
            .await
            .map_err(|_| anyhow!("connect timed out"))??;
        let now = Instant::now();
        if self.counting(now) {
            self.stats.connect_us.push(micros(now - t0));
        }
        Ok(c)
    }

    /// Runs one command and books it under `kind`. Transport failures are errors; NO and
    /// BAD are returned (and counted).
    async fn op(
        &mut self,
        c: &mut Client,
        kind: Kind,
        cmd: &str,
        literal: Option<&[u8]>,
    ) -> Result<Reply> {
        let t0 = Instant::now();
        let timeout = Duration::from_secs(self.args.timeout);
        let run = async {
            match literal {
                Some(l) => c.command_literal(cmd, l).await,
                None => c.command(cmd).await,
            }
        };
        let r = tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| anyhow!("{} timed out after {timeout:?}", kind.name()))?
            .with_context(|| kind.name())?;
        let now = Instant::now();
        if self.counting(now) {
            let s = &mut self.stats.kinds[kind.index()];
            if r.is_ok() {
                s.ok += 1;
            } else {
                s.errors += 1;
            }
            s.lat_us.push(micros(now - t0));
        }
        if !r.is_ok() {
            self.once.report(kind.name(), || {
                let shown = match kind {
                    Kind::Login => "LOGIN <user> <password>".to_string(),
                    _ if literal.is_some() => {
                        format!("{cmd} {{{}}}", literal.map_or(0, <[u8]>::len))
                    }
                    _ if cmd.len() > 200 => format!("{}...", &cmd[..200]),
                    _ => cmd.to_string(),
                };
                format!("C: {shown}  S: {}", r.text)
            });
        }
        Ok(r)
    }

    async fn logout(&mut self, mut c: Client) -> Result<()> {
        self.op(&mut c, Kind::Logout, "LOGOUT", None).await?;
        c.close().await;
        Ok(())
    }

    /// One pass of the command mix on a new connection.
    async fn iteration(&mut self) -> Result<()> {
        let args = self.args.clone();
        let user = self.rng.gen_range(1..=args.users);
        let name = args.user(user);
        let mut c = self.connect().await?;
        let login = format!("LOGIN {} {}", quote(&name), quote(&args.password));
        if !self.op(&mut c, Kind::Login, &login, None).await?.is_ok() {
            return self.logout(c).await;
        }
        let r = self.op(&mut c, Kind::Select, "SELECT INBOX", None).await?;
        if !r.is_ok() {
            return self.logout(c).await;
        }
        let exists = r.exists().unwrap_or(0);
        // Only the populated messages are picked from: what other clients append comes and
        // goes meanwhile.
        let n = exists.min(args.mailbox_size) as usize;
        if n > 0 {
            let r = self
                .op(&mut c, Kind::FetchFlags, "FETCH 1:* (UID FLAGS)", None)
                .await?;
            let mut uids = r.fetch_uids();
            uids.retain(|&(seq, _)| seq as usize <= n);
            uids.sort_unstable();

            let seqs = pick(&mut self.rng, n, 20);
            let set = join(&seqs.iter().map(|&s| s as u32).collect::<Vec<_>>());
            self.op(
                &mut c,
                Kind::FetchEnvelope,
                &format!("FETCH {set} (ENVELOPE)"),
                None,
            )
            .await?;

            if !uids.is_empty() {
                let mut body_uids: Vec<u32> = pick(&mut self.rng, uids.len(), 5)
                    .into_iter()
                    .map(|i| uids[i - 1].1)
                    .collect();
                body_uids.sort_unstable();
                let cmd = format!("UID FETCH {} (BODY.PEEK[])", join(&body_uids));
                self.op(&mut c, Kind::FetchBody, &cmd, None).await?;
            }

            let seqs = pick(&mut self.rng, n, 3);
            let set = join(&seqs.iter().map(|&s| s as u32).collect::<Vec<_>>());
            let cmd = format!("STORE {set} +FLAGS (\\Flagged)");
            self.op(&mut c, Kind::StoreFlag, &cmd, None).await?;
            let cmd = format!("STORE {set} -FLAGS (\\Flagged)");
            self.op(&mut c, Kind::StoreUnflag, &cmd, None).await?;
        }

        let idx = self.rng.gen_range(1_000_000..2_000_000);
        let m = msg::build(&mut self.rng, &name, idx);
        let cmd = format!("APPEND INBOX {}", quote(&m.internal_date));
        let r = self.op(&mut c, Kind::Append, &cmd, Some(&m.bytes)).await?;
        let appended = if r.is_ok() {
            let uid = r.append_uid();
            if uid.is_none() {
                self.once.report("APPENDUID", || {
                    format!("APPEND completed without an APPENDUID code: {}", r.text)
                });
            }
            uid
        } else {
            None
        };

        let (word, from) = msg::search_terms(&mut self.rng);
        self.op(&mut c, Kind::SearchUnseen, "SEARCH UNSEEN", None)
            .await?;
        let cmd = format!("SEARCH SUBJECT {}", quote(word));
        self.op(&mut c, Kind::SearchSubject, &cmd, None).await?;
        let cmd = format!("SEARCH FROM {}", quote(from));
        self.op(&mut c, Kind::SearchFrom, &cmd, None).await?;

        if let Some(uid) = appended {
            let cmd = format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)");
            self.op(&mut c, Kind::StoreDeleted, &cmd, None).await?;
            let cmd = format!("UID EXPUNGE {uid}");
            self.op(&mut c, Kind::UidExpunge, &cmd, None).await?;
        }
        self.stats.literal_bytes += c.literal_bytes;
        self.logout(c).await
    }

    async fn load(mut self) -> Stats {
        let deadline = self.deadline.expect("load has a deadline");
        while Instant::now() < deadline {
            match self.iteration().await {
                Ok(()) => {
                    if self.counting(Instant::now()) {
                        self.stats.iterations += 1;
                    }
                }
                Err(e) => {
                    if self.counting(Instant::now()) {
                        self.stats.io_errors += 1;
                    }
                    self.once.report("connection", || format!("{e:#}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        self.stats
    }

    /// Fills one user's INBOX up to --mailbox-size (adds only what is missing).
    async fn populate_user(&mut self, user: u32) -> Result<u32> {
        let args = self.args.clone();
        let name = args.user(user);
        let mut c = self.connect().await?;
        let login = format!("LOGIN {} {}", quote(&name), quote(&args.password));
        if !self.op(&mut c, Kind::Login, &login, None).await?.is_ok() {
            bail!("{name}: LOGIN refused");
        }
        let r = self.op(&mut c, Kind::Select, "SELECT INBOX", None).await?;
        if !r.is_ok() {
            bail!("{name}: SELECT INBOX refused: {}", r.text);
        }
        let have = r.exists().unwrap_or(0);
        let mut added = 0;
        for idx in have..args.mailbox_size {
            let mut rng = StdRng::seed_from_u64(
                args.seed ^ (u64::from(user) << 32) ^ u64::from(idx).wrapping_mul(0x9e37_79b9),
            );
            let m = msg::build(&mut rng, &name, u64::from(idx));
            let flags = match rng.gen_range(0..10) {
                0..=5 => "\\Seen",
                6 => "\\Seen \\Answered",
                7 => "\\Seen \\Flagged",
                _ => "",
            };
            let cmd = format!("APPEND INBOX ({flags}) {}", quote(&m.internal_date));
            let r = self.op(&mut c, Kind::Append, &cmd, Some(&m.bytes)).await?;
            if !r.is_ok() {
                bail!("{name}: APPEND refused: {}", r.text);
            }
            added += 1;
        }
        self.logout(c).await?;
        Ok(added)
    }
}

/// CPU seconds this process has used, user plus system (Linux /proc; USER_HZ is 100).
fn own_cpu_seconds() -> f64 {
    let ticks = || -> Option<u64> {
        let s = std::fs::read_to_string("/proc/self/stat").ok()?;
        let f: Vec<&str> = s.get(s.rfind(')')? + 2..)?.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    };
    ticks().map_or(0.0, |t| t as f64 / 100.0)
}

fn hash_password(pw: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2::Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("argon2: {e}"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.hash_password {
        println!("{}", hash_password(&args.password)?);
        return Ok(());
    }
    if let Some(path) = &args.write_mbox {
        return write_mbox(path, args.mailbox_size, args.seed);
    }
    if args.users == 0 || args.clients == 0 || args.duration <= 0.0 {
        bail!("--users, --clients and --duration must be positive");
    }
    let args = Arc::new(args);
    let target = Target::new(&args.host, args.port, args.tls)?;
    let once = Arc::new(Once::default());
    let worker = |i: u32, deadline: Option<Instant>| Worker {
        args: args.clone(),
        target: target.clone(),
        deadline,
        stats: Stats::new(),
        rng: StdRng::seed_from_u64(args.seed.wrapping_mul(1_000_003).wrapping_add(u64::from(i))),
        once: once.clone(),
    };
    let mode = if args.tls { "imaps" } else { "imap" };

    if args.populate {
        let start = Instant::now();
        let tasks = args.clients.min(args.users);
        let mut set = tokio::task::JoinSet::new();
        for t in 0..tasks {
            let mut w = worker(t, None);
            let (users, step) = (args.users, tasks);
            set.spawn(async move {
                let mut added = 0;
                for u in (1 + t..=users).step_by(step as usize) {
                    added += w.populate_user(u).await?;
                }
                Ok::<_, anyhow::Error>((added, w.stats))
            });
        }
        let mut total = Stats::new();
        let mut added = 0;
        while let Some(r) = set.join_next().await {
            let (a, s) = r??;
            added += a;
            total.merge(s);
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "populate {}: {added} messages appended to {} INBOXes ({} each) in {secs:.1} s, {:.1} APPEND/s",
            args.label,
            args.users,
            args.mailbox_size,
            added as f64 / secs
        );
        return Ok(());
    }

    println!(
        "load {}: {mode}://{}:{}  clients={} users={} duration={}s mailbox={} seed={}",
        args.label,
        args.host,
        args.port,
        args.clients,
        args.users,
        args.duration,
        args.mailbox_size,
        args.seed
    );
    let cpu0 = own_cpu_seconds();
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..args.clients {
        set.spawn(worker(i, Some(deadline)).load());
    }
    let mut total = Stats::new();
    while let Some(s) = set.join_next().await {
        total.merge(s?);
    }
    let (ops, errors) = print_table(&mut total, args.duration);
    println!("load generator CPU {:.1} s", own_cpu_seconds() - cpu0);
    println!(
        "RESULT label={} ops={ops} seconds={} ops_per_sec={:.1} errors={} connection_errors={}",
        args.label,
        args.duration,
        ops as f64 / args.duration,
        errors,
        total.io_errors
    );
    Ok(())
}

/// The generator's messages as an mbox: LF line ends, body lines that start with "From "
/// quoted, as mbox readers expect.
fn write_mbox(path: &std::path::Path, count: u32, seed: u64) -> Result<()> {
    use std::io::Write;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..count {
        let m = msg::build(&mut rng, "user1@bench.h", u64::from(i));
        writeln!(out, "From sender@bench.h Mon Jan  6 10:00:00 2025")?;
        let text = String::from_utf8_lossy(&m.bytes).replace("\r\n", "\n");
        for line in text.lines() {
            if line.starts_with("From ") {
                out.write_all(b">")?;
            }
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}
