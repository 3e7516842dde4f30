//! Watches the drop folder, takes settled files exactly once and sends or rejects them.
//!
//! The OS reports changes in the folder (inotify and the like) so that a file is seen as soon
//! as it arrives; the folder is polled as well, because notifications are not available
//! everywhere (some network and container file systems) and may be lost under load. Either
//! only wakes the same round, so the settle rule and the single taking rename hold whatever
//! woke it.

use crate::network::RemoteCheck;
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

use super::Reason;
use super::compose::{self, ComposeError, Envelope};
use super::format::{self, DropMessage};
use crate::ctx::NodeCtx;

/// Sub-folders of the drop folder. Only files directly in the drop folder are taken.
pub const PROCESSING: &str = "processing";
pub const SENT: &str = "sent";
pub const REJECTED: &str = "rejected";

const HOUR: Duration = Duration::from_secs(3600);

/// Shortest gap between two rounds woken by notifications: a file being written sends one for
/// every write, and one look per gap follows it well enough.
const EVENT_GAP: Duration = Duration::from_millis(200);

enum Outcome {
    Sent,
    Scheduled(DateTime<Utc>),
}

enum Fail {
    /// The file itself is at fault: it goes to `rejected/` with the reason.
    Reject(Reason),
    /// The node could not do its part (store, disk): the file stays and is tried again.
    Retry(String),
}

impl From<Reason> for Fail {
    fn from(r: Reason) -> Self {
        Fail::Reject(r)
    }
}

impl From<mailbox::Error> for Fail {
    fn from(e: mailbox::Error) -> Self {
        Fail::Retry(e.to_string())
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Retry(e.to_string())
    }
}

/// A file seen in the drop folder, not yet settled.
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    since: Instant,
}

pub struct Watcher {
    ctx: Arc<NodeCtx>,
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
}

/// Raises the stop flag when the watcher's task is dropped (the node shutting down), since an
/// aborted task cannot interrupt the blocking round it is waiting for.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// `NAME.xml` → (`NAME`, `.xml`).
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    }
}

fn is_drop_file(name: &str) -> bool {
    !name.starts_with('.') && split_ext(name).1.eq_ignore_ascii_case(".xml")
}

/// A job id is 16 hex digits, given to a file as a prefix when it is taken.
fn job_of(name: &str) -> Option<(&str, &str)> {
    let (id, rest) = name.split_once('.')?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !rest.is_empty())
        .then_some((id, rest))
}

impl Watcher {
    pub fn new(ctx: Arc<NodeCtx>, root: PathBuf) -> io::Result<Watcher> {
        let processing = root.join(PROCESSING);
        let sent = root.join(SENT);
        let rejected = root.join(REJECTED);
        for d in [&root, &processing, &sent, &rejected] {
            fs::create_dir_all(d)?;
        }
        let c = &ctx.config.drop;
        let mut types: Vec<String> = mailbox::MESSAGE_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
        for t in &c.types {
            if !types.contains(t) {
                types.push(t.clone());
            }
        }
        Ok(Watcher {
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
        })
    }

    /// One round: take what has settled, then work through `processing/`.
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
        match self.send(&path, id) {
            Ok(Outcome::Sent) => match self.place(&path, &self.sent, name, id) {
                Ok(_) => {
                    tracing::info!(file = name, job = id, "drop file sent");
                    if let Err(e) = self.ctx.store.forget_job(id) {
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

    /// Moves `path` into `dir` under `name`, or `NAME-JOB.xml` when that is taken.
    fn place(&self, path: &Path, dir: &Path, name: &str, id: &str) -> io::Result<PathBuf> {
        let mut to = dir.join(name);
        if to.exists() {
            let (stem, ext) = split_ext(name);
            to = dir.join(format!("{stem}-{id}{ext}"));
        }
        fs::rename(path, &to)?;
        Ok(to)
    }

    fn reject(&self, path: &Path, name: &str, id: &str, reason: &Reason) {
        let text = reason.text(&self.ctx.i18n);
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
                let _ = self.ctx.store.forget_job(id);
            }
            Err(e) => {
                tracing::warn!(file = name, error = %e, "rejected drop file could not be moved")
            }
        }
    }

    fn send(&mut self, path: &Path, id: &str) -> Result<Outcome, Fail> {
        let ctx = self.ctx.clone();
        let c = &ctx.config.drop;
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
        let (account, settings) = self.authorise(&m)?;
        let store = &ctx.store;
        let mut recipients = Vec::new();
        let mut remote = Vec::new();
        // A hosted sender's recipients follow the network's rules, as for SMTP submission.
        let network = ctx
            .network
            .as_ref()
            .filter(|net| net.hosted(&account.address).is_some());
        for r in m.recipients() {
            let local = store.account(&r.address)?;
            let check = match (&local, network) {
                (Some(a), Some(net)) if net.hosted(&a.address).is_some() => Some(net),
                (None, Some(net)) => Some(net),
                _ => None,
            };
            if let Some(net) = check {
                // The watcher runs on the blocking pool, inside the runtime.
                let verdict = tokio::runtime::Handle::current()
                    .block_on(net.check_recipient(&account.address, &r.address));
                match verdict {
                    RemoteCheck::Allowed => {}
                    RemoteCheck::NotAllowed => {
                        return Err(Reason::NotPartner(r.address.clone()).into());
                    }
                    RemoteCheck::Unknown => return Err(Reason::NotLocal(r.address.clone()).into()),
                    RemoteCheck::Unavailable => {
                        return Err(Fail::Retry(r.address.clone()));
                    }
                }
            }
            match local {
                Some(a) => recipients.push(a),
                None if check.is_some() => remote.push(r.address.clone()),
                None => return Err(Reason::NotLocal(r.address.clone()).into()),
            }
        }
        if let Some(at) = m.send_at.map(|t| t.with_timezone(&Utc))
            && at > Utc::now()
        {
            return Ok(Outcome::Scheduled(at));
        }
        for a in &m.attachments {
            let p = a.path.display().to_string();
            match fs::metadata(&a.path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(Reason::AttachmentMissing(p).into());
                }
                Err(e) => {
                    return Err(Reason::AttachmentUnreadable {
                        path: p,
                        reason: e.to_string(),
                    }
                    .into());
                }
                Ok(md) if !md.is_file() => return Err(Reason::AttachmentMissing(p).into()),
                Ok(md) if md.len() > c.max_attachment_size => {
                    return Err(Reason::AttachmentTooLarge {
                        path: p,
                        limit: c.max_attachment_size,
                    }
                    .into());
                }
                Ok(_) => {}
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
        let message_id = format!("{id}.drop@{}", ctx.config.node.hostname);
        let env = Envelope {
            message_id: &message_id,
            date: chrono::Local::now().fixed_offset(),
        };
        let mut writer = store.new_message()?;
        compose::write_message(&mut writer, &m, &env, c.max_attachment_size).map_err(
            |e| match e {
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
                ComposeError::AttachmentTooLarge { path, limit } => {
                    Fail::Reject(Reason::AttachmentTooLarge {
                        path: path.display().to_string(),
                        limit,
                    })
                }
                ComposeError::Write(e) => Fail::Retry(e.to_string()),
            },
        )?;
        let staged = writer.finish()?;
        let keyword = mailbox::type_keyword(&m.kind);
        let mut flags: Vec<&str> = keyword.iter().map(String::as_str).collect();
        for r in &recipients {
            store.deliver_once(id, &staged, r.id, "INBOX", &flags)?;
        }
        let sent = store
            .special_folder(account.id, mailbox::SpecialUse::Sent)?
            .map(|f| f.name)
            .unwrap_or_else(|| mailbox::SpecialUse::Sent.default_name().to_string());
        flags.push("\\Seen");
        let filed = store.deliver_once(id, &staged, account.id, &sent, &flags)?;
        if !remote.is_empty()
            && let Some(net) = network
        {
            // A resumed job finds its Sent copy in the journal; the message id is derived
            // from the job, so queueing again names the same message and files it once.
            let copy = match filed {
                Some(d) => store.folder(account.id, &sent)?.map(|f| (f.id, d.uid)),
                None => store.journaled_copy(id, account.id, &sent)?,
            };
            let Some((folder, uid)) = copy else {
                return Err(Fail::Retry(sent));
            };
            let digest =
                blake3::hash(format!("drop\0{}\0{id}", ctx.config.node.hostname).as_bytes());
            let mut message_id = [0u8; 16];
            message_id.copy_from_slice(&digest.as_bytes()[..16]);
            net.queue(crate::network::Submission {
                sender: &account.address,
                account: account.id,
                folder,
                uid,
                size: staged.size,
                message_type: m.kind.clone(),
                recipients: &remote,
                message_id: Some(wire::MessageId(message_id)),
            })?;
        }
        recent.push_back(Instant::now());
        Ok(Outcome::Sent)
    }

    fn authorise(&mut self, m: &DropMessage) -> Result<(Account, DropSettings), Fail> {
        let store = &self.ctx.store;
        let address = &m.from.address;
        let Some(settings) = store.drop_settings(address)? else {
            return Err(match store.account(address)? {
                Some(_) => Reason::Disabled(address.clone()),
                None => Reason::NoAccount(address.clone()),
            }
            .into());
        };
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
                self.verified
                    .insert(address.clone(), (settings.passphrase_hash.clone(), digest));
                Ok((account, settings))
            }
            DropAuth::NoAccount => Err(Reason::NoAccount(address.clone()).into()),
            DropAuth::Disabled => Err(Reason::Disabled(address.clone()).into()),
            DropAuth::WrongPassphrase => Err(Reason::WrongPassphrase(address.clone()).into()),
        }
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

/// Whether a notification may concern a drop file arriving or changing. A file leaving the
/// folder (taken, deleted, renamed away) needs no look; a report without paths (the OS lost
/// track, e.g. its queue overflowed) does.
fn wakes(event: &notify::Event) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    let kind = match event.kind {
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => false,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    };
    kind && (event.paths.is_empty()
        || event.paths.iter().any(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_drop_file)
        }))
}

/// Asks the OS to report changes in `root`, waking `events`. `None` (logged) when the platform
/// or the file system cannot: the folder is then only polled.
fn watch_folder(
    root: &Path,
    events: Arc<tokio::sync::Notify>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let handler = move |report: notify::Result<notify::Event>| match report {
        Ok(e) if wakes(&e) => events.notify_one(),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "drop folder notification failed; the folder is still polled");
            // Whatever was missed, a look finds it.
            events.notify_one();
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(folder = %root.display(), error = %e, "drop folder cannot be watched; it is polled");
            return None;
        }
    };
    if let Err(e) = watcher.watch(root, notify::RecursiveMode::NonRecursive) {
        tracing::warn!(folder = %root.display(), error = %e, "drop folder cannot be watched; it is polled");
        return None;
    }
    Some(watcher)
}

/// Runs the drop folder until the task is dropped. The file work is blocking (argon2, disk),
/// so each round runs on the blocking pool.
pub async fn run(ctx: Arc<NodeCtx>, root: PathBuf) {
    let poll = Duration::from_secs(ctx.config.drop.poll_interval.max(1));
    let mut w = match Watcher::new(ctx, root.clone()) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(folder = %root.display(), error = %e, "drop folder cannot be created");
            return;
        }
    };
    let _stop = StopOnDrop(w.stop.clone());
    let events = Arc::new(tokio::sync::Notify::new());
    // Set up before the first round, so a file arriving meanwhile is either found by that
    // round or reported. Dropping it at the end of the task ends the notifications.
    let watch = watch_folder(&root, events.clone());
    tracing::info!(
        folder = %root.display(),
        notifications = watch.is_some(),
        poll_secs = poll.as_secs(),
        "drop folder watched"
    );
    loop {
        let (back, wait) = match tokio::task::spawn_blocking(move || {
            w.tick();
            let wait = next_due(w.seen.values(), w.scheduled.values(), w.settle, poll);
            (w, wait)
        })
        .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "drop folder stopped");
                return;
            }
        };
        w = back;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = events.notified() => tokio::time::sleep(EVENT_GAP).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_drop_file("a.xml"));
        assert!(is_drop_file("A.XML"));
        assert!(!is_drop_file("a.xml.part"));
        assert!(!is_drop_file(".a.xml"));
        assert_eq!(
            job_of("0123456789abcdef.inv.xml"),
            Some(("0123456789abcdef", "inv.xml"))
        );
        assert_eq!(job_of("inv.xml"), None);
        assert_eq!(split_ext("inv.2.xml"), ("inv.2", ".xml"));
    }

    #[test]
    fn the_next_round_comes_when_a_file_settles_or_is_due() {
        let settle = Duration::from_secs(2);
        let poll = Duration::from_secs(3600);
        let seen = |ago: Duration| Seen {
            len: 1,
            modified: None,
            since: Instant::now() - ago,
        };
        assert_eq!(next_due([].iter(), [].iter(), settle, poll), poll);
        let fresh = [seen(Duration::ZERO)];
        let wait = next_due(fresh.iter(), [].iter(), settle, poll);
        assert!(wait <= settle && wait > Duration::from_secs(1), "{wait:?}");
        // Settled but not taken (the rename failed): no spinning, the poll decides.
        let stuck = [seen(Duration::from_secs(60))];
        assert_eq!(next_due(stuck.iter(), [].iter(), settle, poll), poll);
        let due = [Utc::now() + chrono::Duration::seconds(30)];
        let wait = next_due([].iter(), due.iter(), settle, poll);
        assert!(wait <= Duration::from_secs(30) && wait > Duration::from_secs(25));
        let past = [Utc::now() - chrono::Duration::seconds(30)];
        assert_eq!(
            next_due([].iter(), past.iter(), settle, poll),
            Duration::ZERO
        );
    }

    #[test]
    fn notifications_of_arriving_drop_files_wake() {
        use notify::event::{
            AccessKind, AccessMode, CreateKind, DataChange, EventKind, ModifyKind, RemoveKind,
            RenameMode,
        };
        let at = |kind: EventKind, name: &str| {
            notify::Event::new(kind).add_path(PathBuf::from("/d").join(name))
        };
        let create = EventKind::Create(CreateKind::File);
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let renamed_in = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        for kind in [create, write, renamed_in, closed] {
            assert!(wakes(&at(kind, "a.xml")), "{kind:?}");
            assert!(!wakes(&at(kind, "a.xml.part")), "{kind:?}");
        }
        assert!(!wakes(&at(EventKind::Remove(RemoveKind::File), "a.xml")));
        let taken = EventKind::Modify(ModifyKind::Name(RenameMode::From));
        assert!(!wakes(&at(taken, "a.xml")));
        assert!(wakes(&notify::Event::new(EventKind::Other)));
    }

    #[test]
    fn a_folder_that_cannot_be_watched_is_only_polled() {
        let events = Arc::new(tokio::sync::Notify::new());
        assert!(watch_folder(Path::new("/nonexistent/wims/drop"), events).is_none());
    }

    #[tokio::test]
    async fn a_file_arriving_in_a_watched_folder_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(tokio::sync::Notify::new());
        let Some(_watch) = watch_folder(dir.path(), events.clone()) else {
            // No notifications on this platform or file system: polling covers it.
            return;
        };
        fs::write(dir.path().join("a.xml.part"), "<message/>").unwrap();
        fs::rename(dir.path().join("a.xml.part"), dir.path().join("a.xml")).unwrap();
        // A liveness bound, not a speed check.
        tokio::time::timeout(Duration::from_secs(60), events.notified())
            .await
            .expect("a notification for the new file");
    }
}
