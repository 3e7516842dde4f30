//! Filing, flagging, copying, moving and expunging messages.

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use std::collections::{HashMap, HashSet};

use crate::model::{
    Delivered, FlagChange, FlagOp, Folder, MessageMeta, MessageState, Updated, normalize_flag,
};
use crate::state_record::{StateRef, flags_of_key};
use crate::store::{StagedMessage, Store, TxResult, abort, dec, folder_key, msg_key, tdec, tenc};

/// Messages changed per transaction by one flag change or expunge. sled keeps every page
/// version a transaction replaces until the transaction ends, so one over a whole large folder
/// holds hundreds of megabytes at once. Flag changes and expunges stand alone per message in
/// IMAP: a large one is done in parts, each whole, and made durable once at the end.
const PER_TRANSACTION: usize = 5000;

/// A stored state record read inside a transaction.
fn tstate(raw: &[u8]) -> TxResult<StateRef<'_>> {
    StateRef::parse(raw).map_err(sled::transaction::ConflictableTransactionError::Abort)
}

/// The folder record inside a transaction; it may have gone since the caller looked it up.
fn folder_in(
    t: &sled::transaction::TransactionalTree,
    key: &[u8],
) -> std::result::Result<Folder, sled::transaction::ConflictableTransactionError<Error>> {
    match t.get(key)? {
        Some(raw) => tdec(&raw),
        None => abort(Error::NoFolder),
    }
}

/// The flags `op` leaves on a message that has `current`; `None` when they would not change,
/// so an idempotent STORE costs no write. `flags` are cleaned (see [`clean_flags`]).
fn apply(op: FlagOp, current: &StateRef<'_>, flags: &[String]) -> Option<Vec<String>> {
    let has = |f: &str| current.flags().any(|o| o.eq_ignore_ascii_case(f));
    match op {
        FlagOp::Add => {
            if flags.iter().all(|f| has(f)) {
                return None;
            }
            let mut out: Vec<String> = current.flags().map(str::to_string).collect();
            for f in flags {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
                    out.push(f.clone());
                }
            }
            Some(out)
        }
        FlagOp::Remove => {
            let doomed = |o: &str| flags.iter().any(|f| f.eq_ignore_ascii_case(o));
            if !current.flags().any(doomed) {
                return None;
            }
            Some(
                current
                    .flags()
                    .filter(|o| !doomed(o))
                    .map(str::to_string)
                    .collect(),
            )
        }
        FlagOp::Replace => {
            if current.flags().eq(flags.iter().map(String::as_str)) {
                return None;
            }
            Some(flags.to_vec())
        }
    }
}

fn clean_flags(flags: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in flags {
        let n = normalize_flag(f);
        // \Recent is the server's to set, never stored from a client; a flag that is not an
        // atom could not be written back into a response unchanged.
        if n != "\\Recent"
            && crate::model::is_flag_atom(&n)
            && !out.iter().any(|o| o.eq_ignore_ascii_case(&n))
        {
            out.push(n);
        }
    }
    out
}

impl Store {
    /// Files a staged body into `folder` of `account`; durable when it returns.
    pub fn deliver(
        &self,
        staged: &StagedMessage,
        account: u64,
        folder: &str,
        flags: &[&str],
        internal_date: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Delivered> {
        self.deliver_journaled(staged, account, folder, flags, internal_date, None)
            .map(|d| d.expect("without a journal key every delivery files"))
    }

    /// [`Store::deliver`], skipped (`None`) when `journal` is already recorded; the record is
    /// written in the same transaction as the copy.
    pub(crate) fn deliver_journaled(
        &self,
        staged: &StagedMessage,
        account: u64,
        folder: &str,
        flags: &[&str],
        internal_date: Option<chrono::DateTime<chrono::Utc>>,
        journal: Option<&[u8]>,
    ) -> Result<Option<Delivered>> {
        let f = self.folder(account, folder)?.ok_or(Error::NoFolder)?;
        let date = internal_date.unwrap_or_else(chrono::Utc::now).timestamp();
        let meta = staged.meta(date);
        let lock = self.lock(account);
        let g = lock.lock().expect("account lock");
        let flags = clean_flags(flags);
        let flags = self
            .keyword_spelling(f.id, flags.iter().map(String::as_str), false)?
            .apply(flags.iter().map(String::as_str));
        let fkey = folder_key(account, &f.name);
        let header = staged.header.as_deref();
        let d = self.transact_messages(|t| {
            if let Some(j) = journal
                && t.journal.get(j)?.is_some()
            {
                return Ok(None);
            }
            let mut folder = folder_in(t.folders, &fkey)?;
            let uid = folder.uidnext;
            let k = msg_key(folder.id, uid);
            if let Some(j) = journal {
                // Which copy the job filed, so a resumed job can still refer to it.
                t.journal.insert(j, &k)?;
            }
            if let Some(h) = header {
                t.headers.insert(&k, h)?;
            }
            folder.uidnext += 1;
            folder.highest_modseq += 1;
            let state = MessageState {
                modseq: folder.highest_modseq,
                flags: flags.clone(),
            };
            t.metas.insert(&k, tenc(&meta)?)?;
            Store::add_blob_ref(t.blobrefs, meta.blob)?;
            let mut ledger = Ledger::new(folder.id);
            ledger.added(t, uid, &state, meta.size)?;
            ledger.close(t)?;
            t.folders.insert(fkey.as_slice(), tenc(&folder)?)?;
            Ok(Some(Delivered {
                uid,
                uidvalidity: folder.uidvalidity,
            }))
        })?;
        drop(g);
        staged.mark_filed();
        self.flush()?;
        self.notify(account);
        Ok(d)
    }

    pub fn message_meta(&self, folder: u64, uid: u32) -> Result<Option<MessageMeta>> {
        match self.inner.metas.get(msg_key(folder, uid))? {
            Some(v) => Ok(Some(dec(&v)?)),
            None => Ok(None),
        }
    }

    /// Changes flags of `uids`. With `unchanged_since` (CONDSTORE), messages modified after it
    /// are left alone and reported as conflicts. Expunged UIDs are skipped silently. Durable
    /// when it returns.
    pub fn store_flags(
        &self,
        account: u64,
        folder: u64,
        uids: &[u32],
        op: FlagOp,
        flags: &[&str],
        unchanged_since: Option<u64>,
    ) -> Result<FlagChange> {
        let change =
            self.store_flags_unsynced(account, folder, uids, op, flags, unchanged_since)?;
        self.flush()?;
        Ok(change)
    }

    /// [`Store::store_flags`], committed and seen by every reader but not yet synced to disk:
    /// for a change made in parts, synced once with [`Store::flush`] before it is acknowledged.
    pub fn store_flags_unsynced(
        &self,
        account: u64,
        folder: u64,
        uids: &[u32],
        op: FlagOp,
        flags: &[&str],
        unchanged_since: Option<u64>,
    ) -> Result<FlagChange> {
        let flags = clean_flags(flags);
        let lock = self.lock(account);
        let g = lock.lock().expect("account lock");
        let f = self.folder_by_id(account, folder)?.ok_or(Error::NoFolder)?;
        // Taking keywords away needs no spelling: `apply` compares without regard to case.
        let flags = if op == FlagOp::Remove {
            flags
        } else {
            self.keyword_spelling(folder, flags.iter().map(String::as_str), true)?
                .apply(flags.iter().map(String::as_str))
        };
        let fkey = folder_key(account, &f.name);
        let mut change = FlagChange {
            modseqs: (f.highest_modseq, f.highest_modseq),
            updated: Vec::with_capacity(uids.len()),
            ..FlagChange::default()
        };
        for part in uids.chunks(PER_TRANSACTION) {
            // Read before the transaction, in one ordered scan when there are many: every
            // writer of states holds the account's lock, as this does, so they stay as read,
            // and a read inside a transaction costs several times one in a scan.
            let (current, blocks) = self.states_and_blocks_of(folder, part)?;
            let done = self.transact_messages(|t| {
                let mut folder = folder_in(t.folders, &fkey)?;
                let mut ledger = Ledger::new(folder.id);
                ledger.seed_states(&blocks);
                let mut change = FlagChange {
                    updated: Vec::with_capacity(part.len()),
                    ..FlagChange::default()
                };
                // What the change does to each distinct flag list met, by its stored bytes:
                // the list reported and the move planned (none when it stays as it is).
                let mut outcome: HashMap<&[u8], (u32, Option<usize>)> = HashMap::new();
                let mut lists: HashMap<Vec<String>, u32> = HashMap::new();
                let before = folder.highest_modseq;
                for (&uid, raw) in part.iter().zip(&current) {
                    let Some(raw) = raw else {
                        continue;
                    };
                    let old = tstate(raw)?;
                    if unchanged_since.is_some_and(|u| old.modseq > u) {
                        change.conflicts.push(uid);
                        continue;
                    }
                    let (list, mv) = match outcome.get(old.flags_key()) {
                        Some(&o) => o,
                        None => {
                            let next = apply(op, &old, &flags);
                            let mv = match &next {
                                Some(n) => Some(ledger.plan_move(&old, n)?),
                                None => None,
                            };
                            let shown =
                                next.unwrap_or_else(|| old.flags().map(str::to_string).collect());
                            let n = lists.len() as u32;
                            let list = *lists.entry(shown).or_insert(n);
                            outcome.insert(old.flags_key(), (list, mv));
                            (list, mv)
                        }
                    };
                    let modseq = match mv {
                        Some(m) => {
                            folder.highest_modseq += 1;
                            ledger.moved(t, uid, &old, folder.highest_modseq, m)?;
                            folder.highest_modseq
                        }
                        None => old.modseq,
                    };
                    change.updated.push(Updated { uid, modseq, list });
                }
                if folder.highest_modseq != before {
                    ledger.close(t)?;
                    t.folders.insert(fkey.as_slice(), tenc(&folder)?)?;
                }
                change.lists = vec![Vec::new(); lists.len()];
                for (l, i) in lists {
                    change.lists[i as usize] = l;
                }
                change.modseqs = (before, folder.highest_modseq);
                Ok(change)
            })?;
            change.extend(done);
        }
        drop(g);
        self.notify(account);
        Ok(change)
    }

    /// Removes messages flagged \Deleted (only those in `only`, when given). Returns their UIDs.
    pub fn expunge(&self, account: u64, folder: u64, only: Option<&[u32]>) -> Result<Vec<u32>> {
        // The counters say whether there is anything to look for.
        if self.counters(folder)?.deleted == 0 {
            return Ok(Vec::new());
        }
        let mut doomed = Vec::new();
        let mut check = |uid: u32, st: StateRef<'_>| {
            if st.has_flag("\\Deleted") {
                doomed.push(uid);
            }
        };
        match only {
            Some(only) => {
                for (&uid, raw) in only.iter().zip(self.states_of(folder, only)?) {
                    if let Some(raw) = raw {
                        check(uid, StateRef::parse(&raw)?);
                    }
                }
                doomed.sort_unstable();
                doomed.dedup();
            }
            None => self.scan_states(folder, 0..=u32::MAX, check)?,
        }
        self.remove_messages(account, folder, &doomed)
    }

    pub(crate) fn remove_messages(
        &self,
        account: u64,
        folder: u64,
        uids: &[u32],
    ) -> Result<Vec<u32>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let lock = self.lock(account);
        let guard = lock.lock().expect("account lock");
        let f = self.folder_by_id(account, folder)?.ok_or(Error::NoFolder)?;
        let fkey = folder_key(account, &f.name);
        let (mut gone, mut freed) = (Vec::new(), Vec::new());
        for part in uids.chunks(PER_TRANSACTION) {
            let (g, f) = self.transact_messages(|t| {
                let mut folder = folder_in(t.folders, &fkey)?;
                let mut ledger = Ledger::new(folder.id);
                let mut gone = Vec::new();
                let mut freed = Vec::new();
                for &uid in part {
                    let Some(raw) = ledger.take_state(t, uid)? else {
                        continue;
                    };
                    let old = tstate(&raw)?;
                    let k = msg_key(folder.id, uid);
                    t.headers.remove(&k)?;
                    let mut size = 0;
                    if let Some(m) = t.metas.remove(&k)? {
                        let meta: MessageMeta = tdec(&m)?;
                        size = meta.size;
                        if Store::drop_blob_ref(t.blobrefs, meta.blob)? {
                            freed.push(meta.blob);
                        }
                    }
                    // Each expunge gets its own modseq: the change index has one entry per modseq.
                    folder.highest_modseq += 1;
                    ledger.removed(t, uid, &old, size, folder.highest_modseq)?;
                    gone.push(uid);
                }
                if !gone.is_empty() {
                    ledger.close(t)?;
                    t.folders.insert(fkey.as_slice(), tenc(&folder)?)?;
                }
                Ok((gone, freed))
            })?;
            gone.extend(g);
            freed.extend(f);
        }
        drop(guard);
        self.flush()?;
        self.remove_blob_files(&freed);
        self.notify(account);
        Ok(gone)
    }

    /// Copies messages (sharing their blobs). Returns (source UID, new UID) pairs and the
    /// destination's UIDVALIDITY, for COPYUID.
    pub fn copy_messages(
        &self,
        account: u64,
        from: u64,
        uids: &[u32],
        to: u64,
    ) -> Result<(u32, Vec<(u32, u32)>)> {
        let lock = self.lock(account);
        let g = lock.lock().expect("account lock");
        let dst = self.folder_by_id(account, to)?.ok_or(Error::NoFolder)?;
        let dkey = folder_key(account, &dst.name);
        // Read before the transaction, as in `store_flags`: the lock keeps them as read, and
        // the destination may be the source folder itself.
        let states = self.states_of(from, uids)?;
        // Each distinct flag list once: its flags as the destination spells them.
        let mut lists: HashMap<&[u8], Vec<String>> = HashMap::new();
        let mut keywords = HashSet::new();
        for raw in states.iter().flatten() {
            let st = StateRef::parse(raw)?;
            if !lists.contains_key(st.flags_key()) {
                keywords.extend(st.flags());
                lists.insert(st.flags_key(), Vec::new());
            }
        }
        let spelling = self.keyword_spelling(to, keywords.into_iter(), true)?;
        for (key, flags) in &mut lists {
            *flags = spelling.apply(flags_of_key(key)?);
        }
        let r = self.transact_messages(|t| {
            let mut folder = folder_in(t.folders, &dkey)?;
            let mut ledger = Ledger::new(folder.id);
            let mut pairs = Vec::new();
            for (&uid, st) in uids.iter().zip(&states) {
                let sk = msg_key(from, uid);
                let (Some(st), Some(meta)) = (st, t.metas.get(sk)?) else {
                    continue;
                };
                let old = tstate(st)?;
                let meta_v: MessageMeta = tdec(&meta)?;
                let new_uid = folder.uidnext;
                folder.uidnext += 1;
                folder.highest_modseq += 1;
                let st = MessageState {
                    modseq: folder.highest_modseq,
                    flags: lists.get(old.flags_key()).cloned().unwrap_or_default(),
                };
                let dk = msg_key(folder.id, new_uid);
                t.metas.insert(&dk, meta)?;
                if let Some(h) = t.headers.get(sk)? {
                    t.headers.insert(&dk, h)?;
                }
                Store::add_blob_ref(t.blobrefs, meta_v.blob)?;
                ledger.added(t, new_uid, &st, meta_v.size)?;
                pairs.push((uid, new_uid));
            }
            ledger.close(t)?;
            t.folders.insert(dkey.as_slice(), tenc(&folder)?)?;
            Ok((folder.uidvalidity, pairs))
        })?;
        drop(g);
        self.flush()?;
        self.notify(account);
        Ok(r)
    }

    /// Copy then remove the originals (RFC 6851).
    pub fn move_messages(
        &self,
        account: u64,
        from: u64,
        uids: &[u32],
        to: u64,
    ) -> Result<(u32, Vec<(u32, u32)>)> {
        let (validity, pairs) = self.copy_messages(account, from, uids, to)?;
        let moved: Vec<u32> = pairs.iter().map(|(s, _)| *s).collect();
        self.remove_messages(account, from, &moved)?;
        Ok((validity, pairs))
    }
}
