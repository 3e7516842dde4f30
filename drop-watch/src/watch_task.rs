//! The task that runs the drop folder's [`Watcher`]: a round whenever the OS reports a change
//! (inotify and the like) and at least every poll interval, on the blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::DropCtx;
use super::watcher::{Watcher, is_drop_file};

/// Shortest gap between two rounds woken by notifications: a file being written sends one for
/// every write, and one look per gap follows it well enough.
const EVENT_GAP: Duration = Duration::from_millis(200);

/// Raises the stop flag when the watcher's task is dropped (the node shutting down), since an
/// aborted task cannot interrupt the blocking round it is waiting for.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
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
pub async fn run(ctx: Arc<DropCtx>, root: PathBuf) {
    let poll = Duration::from_secs(ctx.settings.poll_interval.max(1));
    let mut w = match Watcher::new(ctx, root.clone()) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(folder = %root.display(), error = %e, "drop folder cannot be created");
            return;
        }
    };
    let _stop = StopOnDrop(w.stop_flag());
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
        let (back, wait) = match mailbox::blocking::run(move || {
            w.tick();
            let wait = w.next_wait(poll);
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
    use std::fs;

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
