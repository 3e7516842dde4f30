//! Watches the drop folder, takes settled files exactly once and sends or rejects them.
//!
//! The OS reports changes in the folder (inotify and the like) so that a file is seen as soon
//! as it arrives; the folder is polled as well, because notifications are not available
//! everywhere (some network and container file systems) and may be lost under load. Either
//! only wakes the same round, so the settle rule and the single taking rename hold whatever
//! woke it.

use delivery::submit::{self, Outgoing, RecipientError, Resolved, SubmitError};
use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use mailbox::{Account, DropAuth, DropSettings};

use super::DropCtx;
use crate::outcome::{Fail, Outcome};
use drop_folder::Reason;
use drop_folder::compose::{self, ComposeError, Envelope, Source};
use drop_folder::confine::AttachmentFolder;
use drop_folder::format::{self, DropMessage};

/// Sub-folders of the drop folder. Only files directly in the drop folder are taken.
pub const PROCESSING: &str = "processing";
pub const SENT: &str = "sent";
pub const REJECTED: &str = "rejected";
/// The attachment folder inside the drop folder, unless `drop.attachment_folder` names one.
pub const ATTACHMENTS: &str = "attachments";

const HOUR: Duration = Duration::from_secs(3600);
/// Wrong drop passphrases an account may have before its files wait.
const PASSPHRASE_FREE: u32 = 3;
/// Longest wait after wrong passphrases, and when they are forgotten.
const PASSPHRASE_MAX_WAIT: Duration = Duration::from_secs(15 * 60);
const PASSPHRASE_FORGET: Duration = Duration::from_secs(60 * 60);

/// How much longer an account's files are refused unchecked after `wrong` (count, last):
/// nothing for the first few, then 10 s doubling per further one, at most 15 minutes after
/// the last wrong passphrase.
fn passphrase_wait(wrong: Option<&(u32, Instant)>) -> Option<Duration> {
    let &(n, at) = wrong?;
    if n < PASSPHRASE_FREE || at.elapsed() >= PASSPHRASE_FORGET {
        return None;
    }
    let exp = (n - PASSPHRASE_FREE).min(10);
    let wait = (Duration::from_secs(10) * 2u32.pow(exp)).min(PASSPHRASE_MAX_WAIT);
    wait.checked_sub(at.elapsed())
}

/// A file seen in the drop folder, not yet settled.
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    since: Instant,
}

pub struct Watcher {
    ctx: Arc<DropCtx>,
    root: PathBuf,
    processing: PathBuf,
    sent: PathBuf,
    rejected: PathBuf,
    settle: Duration,
    types: Vec<String>,
    seen: HashMap<OsString, Seen>,
    /// Files in `processing/` already checked and waiting for their send-at time.
    scheduled: HashMap<OsString, DateTime<Utc>>,
    /// Send times within the last hour, per account, for the rate limit.
    recent: HashMap<String, VecDeque<Instant>>,
    /// Passphrases already checked against the stored hash (by blake3 digest), so a batch of
    /// files from one account costs one argon2 verification, not one each.
    verified: HashMap<String, (String, blake3::Hash)>,
    /// Set when the node stops, so a long round ends after the file at hand.
    stop: Arc<AtomicBool>,
    /// Wrong passphrases per account: how many lately, and when the last one came.
    wrong: HashMap<String, (u32, Instant)>,
    /// Where attachments may come from; `None` when the configured folder is not usable
    /// (every attachment is then refused).
    attachments: Option<AttachmentFolder>,
    /// The attachment folder as configured, for the messages that name it.
    attachments_shown: String,
    /// The job monitors see of the file at hand, once its sender is known.
    job: Option<jobs::JobHandle>,
}

/// `NAME.xml` → (`NAME`, `.xml`).
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    }
}

pub(super) fn is_drop_file(name: &str) -> bool {
    !name.starts_with('.') && split_ext(name).1.eq_ignore_ascii_case(".xml")
}

/// A job id is 16 hex digits, given to a file as a prefix when it is taken.
fn job_of(name: &str) -> Option<(&str, &str)> {
    let (id, rest) = name.split_once('.')?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !rest.is_empty())
        .then_some((id, rest))
}

impl Watcher {
    pub fn new(ctx: Arc<DropCtx>, root: PathBuf) -> io::Result<Watcher> {
        let processing = root.join(PROCESSING);
        let sent = root.join(SENT);
        let rejected = root.join(REJECTED);
        for d in [&root, &processing, &sent, &rejected] {
            fs::create_dir_all(d)?;
        }
        let c = &ctx.settings;
        let mut types: Vec<String> = mailbox::MESSAGE_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
        for t in &c.types {
            if !types.contains(t) {
                types.push(t.clone());
            }
        }
        let folder = match c.attachment_folder.trim() {
            "" => root.join(ATTACHMENTS),
            f => ctx.data_dir.join(f),
        };
        let attachments = match AttachmentFolder::open(&folder, &ctx.data_dir) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(folder = %folder.display(), error = %e, "attachment folder not usable; drop files with attachments are refused");
                None
            }
        };
        Ok(Watcher {
            wrong: HashMap::new(),
            attachments,
            attachments_shown: folder.display().to_string(),
            settle: Duration::from_secs(c.settle),
            root,
            processing,
            sent,
            rejected,
            types,
            ctx,
            seen: HashMap::new(),
            scheduled: HashMap::new(),
            recent: HashMap::new(),
            verified: HashMap::new(),
            stop: Arc::new(AtomicBool::new(false)),
            job: None,
        })
    }

    /// One round: take what has settled, then work through `processing/`.
    /// How long the task may wait for the next round (see [`next_due`]).
    pub(super) fn next_wait(&self, poll: Duration) -> Duration {
        next_due(
            self.seen.values(),
            self.scheduled.values(),
            self.settle,
            poll,
        )
    }

    /// Raised when the task ends, so a round in progress stops between files.
    pub(super) fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    pub fn tick(&mut self) {
        if let Err(e) = self.take_settled() {
            tracing::warn!(folder = %self.root.display(), error = %e, "drop folder unreadable");
        }
        if let Err(e) = self.process_all() {
            tracing::warn!(folder = %self.processing.display(), error = %e, "drop folder unreadable");
        }
    }

    fn take_settled(&mut self) -> io::Result<()> {
        let mut present = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(n) = name.to_str() else { continue };
            if !is_drop_file(n) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            present.push(name.clone());
            let (len, modified) = (meta.len(), meta.modified().ok());
            let s = self.seen.entry(name.clone()).or_insert(Seen {
                len,
                modified,
                since: Instant::now(),
            });
            if s.len != len || s.modified != modified {
                *s = Seen {
                    len,
                    modified,
                    since: Instant::now(),
                };
                continue;
            }
            if s.since.elapsed() < self.settle {
                continue;
            }
            // The rename is the one step that decides who has the file: it happens once.
            let id = format!("{:016x}", rand::random::<u64>());
            let to = self.processing.join(format!("{id}.{n}"));
            match fs::rename(entry.path(), &to) {
                Ok(()) => {
                    tracing::debug!(file = n, job = id, "drop file taken");
                    // Gone from the folder: its settle time must not call for another round.
                    present.pop();
                }
                Err(e) => tracing::debug!(file = n, error = %e, "drop file went away"),
            }
        }
        self.seen.retain(|k, _| present.contains(k));
        Ok(())
    }

    fn process_all(&mut self) -> io::Result<()> {
        let mut files = Vec::new();
        for entry in fs::read_dir(&self.processing)? {
            let entry = entry?;
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_file() {
                files.push((meta.modified().ok(), entry.file_name()));
            }
        }
        // Oldest first: files go out in the order they were taken.
        files.sort();
        let names: Vec<OsString> = files.iter().map(|(_, n)| n.clone()).collect();
        self.scheduled.retain(|k, _| names.contains(k));
        for name in names {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            if self
                .scheduled
                .get(&name)
                .is_some_and(|due| *due > Utc::now())
            {
                continue;
            }
            self.process(name);
        }
        Ok(())
    }

    fn process(&mut self, file: OsString) {
        let Some(n) = file.to_str().map(str::to_string) else {
            return;
        };
        let path = self.processing.join(&file);
        let Some((id, name)) = job_of(&n) else {
            // Put there by hand: give it a job id first, so a resume finds the same one.
            let id = format!("{:016x}", rand::random::<u64>());
            let _ = fs::rename(&path, self.processing.join(format!("{id}.{n}")));
            return;
        };
        self.scheduled.remove(&file);
        let outcome = self.send(&path, id);
        if let Some(job) = self.job.take() {
            super::monitor_job::outcome(&job, &outcome, self.ctx.settings.poll_interval);
        }
        match outcome {
            Ok(Outcome::Sent) => match self.place_sent(&path, name, id) {
                Ok(_) => {
                    tracing::info!(file = name, job = id, "drop file sent");
                    if let Err(e) = self.ctx.outbox.store.forget_job(id) {
                        tracing::warn!(job = id, error = %e, "could not clear the delivery journal");
                    }
                }
                Err(e) => {
                    tracing::warn!(file = name, error = %e, "sent drop file could not be moved")
                }
            },
            Ok(Outcome::Scheduled(due)) => {
                tracing::debug!(file = name, %due, "drop file waits for its send time");
                self.scheduled.insert(file, due);
            }
            Err(Fail::Reject(reason)) => self.reject(&path, name, id, &reason),
            Err(Fail::Retry(e)) => {
                tracing::warn!(file = name, job = id, error = %e, "drop file could not be sent now; it will be tried again");
            }
        }
    }

    /// Puts what is kept of a sent file into `sent/` under `name`, or `NAME-JOB.xml` when
    /// that is taken: the document without its passphrase and bodies (see
    /// [`format::scrub`]). The scrubbed copy is written whole before the original goes.
    fn place_sent(&self, path: &Path, name: &str, id: &str) -> io::Result<PathBuf> {
        let mut to = self.sent.join(name);
        if to.exists() {
            let (stem, ext) = split_ext(name);
            to = self.sent.join(format!("{stem}-{id}{ext}"));
        }
        let text = format::decode_text(&fs::read(path)?).ok();
        let kept = text
            .as_deref()
            .and_then(format::scrub)
            .unwrap_or_else(|| "<message/>\n".into());
        let tmp = self.sent.join(format!(".{id}.tmp"));
        fs::write(&tmp, kept)?;
        fs::rename(&tmp, &to)?;
        fs::remove_file(path)?;
        Ok(to)
    }

    fn reject(&self, path: &Path, name: &str, id: &str, reason: &Reason) {
        let text = reason.text(&self.ctx.texts);
        tracing::warn!(file = name, job = id, reason = %text, "drop file rejected");
        let mut target = name.to_string();
        if self.rejected.join(name).exists() {
            let (stem, ext) = split_ext(name);
            target = format!("{stem}-{id}{ext}");
        }
        let (stem, _) = split_ext(&target);
        // The reason is written first: a rejected file never lies there without it.
        let note = self.rejected.join(format!("{stem}.error.txt"));
        let written = fs::write(&note, format!("{text}\n"))
            .and_then(|_| fs::rename(path, self.rejected.join(&target)));
        match written {
            Ok(()) => {
                let _ = self.ctx.outbox.store.forget_job(id);
            }
            Err(e) => {
                tracing::warn!(file = name, error = %e, "rejected drop file could not be moved")
            }
        }
    }

    fn send(&mut self, path: &Path, id: &str) -> Result<Outcome, Fail> {
        let ctx = self.ctx.clone();
        let c = &ctx.settings;
        let len = fs::metadata(path)?.len();
        if len > c.max_file_size {
            return Err(Reason::FileTooLarge {
                size: len,
                limit: c.max_file_size,
            }
            .into());
        }
        let text = format::decode_text(&fs::read(path)?)?;
        let m = format::parse(&text, &self.types)?;
        self.job = super::monitor_job::start(&ctx, path, &m, len);
        let (account, settings) = self.authorise(&m)?;
        let store = &ctx.outbox.store;
        let mut recipients: Vec<(u64, String)> = Vec::new();
        let mut remote = Vec::new();
        for r in m.recipients() {
            // The watcher runs on the blocking pool, inside the runtime.
            let resolved = tokio::runtime::Handle::current().block_on(submit::resolve(
                &ctx.outbox,
                &account.address,
                &r.address,
            ));
            match resolved {
                Ok(Resolved::Local(a)) => recipients.push((a.id, a.address)),
                Ok(Resolved::Remote(a)) => remote.push(a),
                Err(RecipientError::NotPartner(a)) => return Err(Reason::NotPartner(a).into()),
                Err(RecipientError::Unknown(a)) => return Err(Reason::NotLocal(a).into()),
                Err(RecipientError::Unavailable(a)) => return Err(Fail::Retry(a)),
                Err(RecipientError::Store(e)) => return Err(e.into()),
            }
        }
        if let Some(at) = m.send_at.map(|t| t.with_timezone(&Utc))
            && at > Utc::now()
        {
            return Ok(Outcome::Scheduled(at));
        }
        let source = match &self.attachments {
            Some(folder) => Source::Folder(folder),
            None => Source::Nowhere,
        };
        for a in &m.attachments {
            let opened = compose::open_attachment(source, &a.path);
            let md = opened.and_then(|f| {
                f.metadata().map_err(|error| ComposeError::Attachment {
                    path: a.path.clone(),
                    error,
                })
            });
            match md {
                Ok(md) if md.len() > c.max_attachment_size => {
                    return Err(Reason::AttachmentTooLarge {
                        path: a.path.display().to_string(),
                        limit: c.max_attachment_size,
                    }
                    .into());
                }
                Ok(_) => {}
                Err(e) => return Err(compose_failure(e, &self.attachments_shown)),
            }
        }
        let limit = settings.rate_per_hour.unwrap_or(c.rate_per_hour);
        let recent = self.recent.entry(account.address.clone()).or_default();
        while recent.front().is_some_and(|t| t.elapsed() >= HOUR) {
            recent.pop_front();
        }
        if recent.len() >= limit as usize {
            return Err(Reason::RateLimited {
                address: account.address.clone(),
                limit,
            }
            .into());
        }
        let message_id = format!("{id}.drop@{}", ctx.outbox.hostname);
        let env = Envelope {
            message_id: &message_id,
            date: chrono::Local::now().fixed_offset(),
            in_reply_to: None,
        };
        let mut writer = store.new_message()?;
        let shown = &self.attachments_shown;
        compose::write_message(&mut writer, &m, &env, source, c.max_attachment_size)
            .map_err(|e| compose_failure(e, shown))?;
        let staged = writer.finish()?;
        // The message id is derived from the job, so a resumed job names the same message and
        // its recipients file it once.
        let digest = blake3::hash(format!("drop\0{}\0{id}", ctx.outbox.hostname).as_bytes());
        let mut message_id = [0u8; 16];
        message_id.copy_from_slice(&digest.as_bytes()[..16]);
        let out = Outgoing {
            sender: &account.address,
            sender_id: account.id,
            local: &recipients,
            remote: &remote,
            message_type: &m.kind,
            message_id: Some(wire::MessageId(message_id)),
            job: Some(id),
            date: None,
        };
        match submit::file(store, ctx.outbox.network.as_deref(), &staged, &out) {
            Ok(()) => {}
            Err(SubmitError::SentCopyMissing(job)) => return Err(Fail::Retry(job)),
            Err(SubmitError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(Fail::Retry(e.to_string())),
        }
        recent.push_back(Instant::now());
        Ok(Outcome::Sent)
    }

    fn authorise(&mut self, m: &DropMessage) -> Result<(Account, DropSettings), Fail> {
        let store = &self.ctx.outbox.store;
        let address = &m.from.address;
        let Some(settings) = store.drop_settings(address)? else {
            return Err(match store.account(address)? {
                Some(_) => Reason::Disabled(address.clone()),
                None => Reason::NoAccount(address.clone()),
            }
            .into());
        };
        // A guesser's files are refused unchecked for a while after a few wrong passphrases:
        // each check is an argon2 run, and guessing must stay slow.
        if let Some(wait) = passphrase_wait(self.wrong.get(address)) {
            tracing::info!(account = %address, ?wait, "drop passphrase not checked: too many wrong ones lately");
            return Err(Reason::PassphraseThrottled(address.clone()).into());
        }
        let digest = blake3::hash(m.passphrase.as_bytes());
        if let Some((hash, d)) = self.verified.get(address)
            && *hash == settings.passphrase_hash
            && *d == digest
            && let Some(account) = store.account(address)?
        {
            return Ok((account, settings));
        }
        match store.verify_drop_passphrase(address, &m.passphrase)? {
            DropAuth::Allowed(account, settings) => {
                self.wrong.remove(address);
                self.verified
                    .insert(address.clone(), (settings.passphrase_hash.clone(), digest));
                Ok((account, settings))
            }
            DropAuth::NoAccount => Err(Reason::NoAccount(address.clone()).into()),
            DropAuth::Disabled => Err(Reason::Disabled(address.clone()).into()),
            DropAuth::WrongPassphrase => {
                self.wrong
                    .retain(|_, (_, at)| at.elapsed() < PASSPHRASE_FORGET);
                let e = self
                    .wrong
                    .entry(address.clone())
                    .or_insert((0, Instant::now()));
                *e = (e.0 + 1, Instant::now());
                Err(Reason::WrongPassphrase(address.clone()).into())
            }
        }
    }
}

/// What an attachment that could not be composed means for its drop file.
fn compose_failure(e: ComposeError, folder: &str) -> Fail {
    match e {
        ComposeError::Attachment { path, error } => {
            let p = path.display().to_string();
            if error.kind() == io::ErrorKind::NotFound {
                Fail::Reject(Reason::AttachmentMissing(p))
            } else {
                Fail::Reject(Reason::AttachmentUnreadable {
                    path: p,
                    reason: error.to_string(),
                })
            }
        }
        ComposeError::Outside { path } => Fail::Reject(Reason::AttachmentOutside {
            path: path.display().to_string(),
            folder: folder.to_string(),
        }),
        ComposeError::AttachmentTooLarge { path, limit } => {
            Fail::Reject(Reason::AttachmentTooLarge {
                path: path.display().to_string(),
                limit,
            })
        }
        ComposeError::Write(e) => Fail::Retry(e.to_string()),
    }
}

/// How long the next round may wait when nothing is reported: until the first seen file has
/// stayed unchanged for `settle` or the first scheduled send time, at most `poll`. A file that
/// has settled but could not be taken waits for the poll, so a failing rename cannot spin.
fn next_due<'a>(
    seen: impl Iterator<Item = &'a Seen>,
    scheduled: impl Iterator<Item = &'a DateTime<Utc>>,
    settle: Duration,
    poll: Duration,
) -> Duration {
    let settling = seen
        .map(|s| s.since.elapsed())
        .filter(|age| *age < settle)
        .map(|age| settle - age);
    let now = Utc::now();
    let sending = scheduled.map(|due| (*due - now).to_std().unwrap_or(Duration::ZERO));
    settling.chain(sending).fold(poll, Duration::min)
}

#[cfg(test)]
#[path = "watcher_tests.rs"]
mod tests;
