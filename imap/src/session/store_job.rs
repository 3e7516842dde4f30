//! A STORE in progress. A flag change of many messages is made and told in parts: each part
//! is changed in the store, its untagged FETCH responses written, and the driver sends them
//! while the next part is changed. The client reads the first responses while the server still
//! works, and neither the responses nor the outcome of a change of a million messages are ever
//! held whole. The change is synced to disk once, before the tagged OK.

use imap_codec::imap_types::sequence::SequenceSet;
use mailbox::FlagOp;

use super::{Session, State, Step};

/// Messages changed (and their responses written) per part: some 400 KiB of responses, sent
/// while the next part is made. Small in unit tests, so a few messages make several parts.
pub(crate) const PART: usize = if cfg!(test) { 7 } else { 10_000 };

pub(crate) struct StoreJob {
    tag: String,
    op: FlagOp,
    flags: Vec<String>,
    /// No untagged FETCH (`.SILENT`), unless UNCHANGEDSINCE asks for the new MODSEQ.
    silent: bool,
    uid: bool,
    unchanged_since: Option<u64>,
    /// The messages, in the order the set named them; `done` of them changed so far.
    uids: Vec<u32>,
    done: usize,
    /// UIDs that UNCHANGEDSINCE kept as they were.
    conflicts: Vec<u32>,
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn store_cmd(
        &mut self,
        tag: &str,
        set: &SequenceSet,
        op: FlagOp,
        flags: &[String],
        silent: bool,
        uid: bool,
        unchanged_since: Option<u64>,
    ) -> Step {
        if !self.check_seq(tag, set, uid) {
            return Step::Read;
        }
        if self.writable(tag).is_none() {
            return Step::Read;
        }
        if unchanged_since.is_some() {
            self.enable_condstore();
        }
        let uids = self.with_view(|v| v.resolve(set, uid).into_iter().map(|(_, u)| u).collect());
        self.storing = Some(Box::new(StoreJob {
            tag: tag.to_string(),
            op,
            flags: flags.to_vec(),
            silent,
            uid,
            unchanged_since,
            uids,
            done: 0,
            conflicts: Vec::new(),
        }));
        self.store_more()
    }

    /// Changes the next parts of the STORE under way; [`Step::Flush`] while some are left.
    pub(crate) fn store_more(&mut self) -> Step {
        let Some(mut job) = self.storing.take() else {
            return Step::Read;
        };
        let store = self.env.store.clone();
        let State::Selected(account, view) = &self.state else {
            return Step::Read;
        };
        let (acct, folder) = (account.id, view.folder);
        let refs: Vec<&str> = job.flags.iter().map(String::as_str).collect();
        while job.done < job.uids.len() {
            let part = &job.uids[job.done..(job.done + PART).min(job.uids.len())];
            job.done += part.len();
            let change = match store.store_flags_unsynced(
                acct,
                folder,
                part,
                job.op,
                &refs,
                job.unchanged_since,
            ) {
                Ok(c) => c,
                Err(e) => {
                    self.store_error(&job.tag, e);
                    return Step::Read;
                }
            };
            let condstore = self.condstore;
            if let State::Selected(_, v) = &mut self.state {
                v.condstore = condstore;
                v.absorb(&change);
                // RFC 7162 3.1.3: with UNCHANGEDSINCE the new MODSEQ is reported even if silent.
                if !job.silent || job.unchanged_since.is_some() {
                    // Room for the part's lines at once (a FETCH of flags is some 40 bytes).
                    self.out.reserve(change.updated.len() * 40);
                    let mut previous = None;
                    for u in &change.updated {
                        if let Some(seq) = v.seq_after(u.uid, previous) {
                            previous = Some(seq);
                            v.fetch_flags_line(&mut self.out, seq, job.uid);
                        }
                    }
                }
                // The view has just taken in the change; refreshing reads only what others did.
                v.took_in(change.modseqs);
            }
            job.conflicts.extend(change.conflicts);
            if !self.out.is_empty() && job.done < job.uids.len() {
                self.storing = Some(job);
                return Step::Flush;
            }
        }
        if let Err(e) = store.flush() {
            self.store_error(&job.tag, e);
            return Step::Read;
        }
        self.refresh(job.uid);
        if job.conflicts.is_empty() {
            self.tagged(&job.tag, "OK", None, "imap-done");
        } else {
            let list: Vec<String> = if job.uid {
                job.conflicts.iter().map(|u| u.to_string()).collect()
            } else {
                job.conflicts
                    .iter()
                    .filter_map(|u| self.with_view(|v| v.seq_of(*u)))
                    .map(|s| s.to_string())
                    .collect()
            };
            self.tagged(
                &job.tag,
                "OK",
                Some(&format!("MODIFIED {}", list.join(","))),
                "imap-modified",
            );
        }
        Step::Read
    }
}
