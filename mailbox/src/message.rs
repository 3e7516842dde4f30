//! Filing, flagging, copying, moving and expunging messages.

use crate::error::{Error, Result};
use crate::model::{
    Delivered, FlagChange, FlagOp, Folder, MessageMeta, MessageState, normalize_flag,
};
use crate::store::{StagedMessage, Store, abort, dec, folder_key, msg_key, tdec, tenc, transact};

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

fn apply(op: FlagOp, current: &[String], flags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = match op {
        FlagOp::Replace => Vec::new(),
        _ => current.to_vec(),
    };
    match op {
        FlagOp::Add | FlagOp::Replace => {
            for f in flags {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
                    out.push(f.clone());
                }
            }
        }
        FlagOp::Remove => out.retain(|o| !flags.iter().any(|f| f.eq_ignore_ascii_case(o))),
    }
    out
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
        let flags = clean_flags(flags);
        let lock = self.lock(account);
        let g = lock.lock().expect("account lock");
        let i = &self.inner;
        let fkey = folder_key(account, &f.name);
        let header = staged.header.as_deref();
        let d = transact(
            &[
                &i.folders,
                &i.states,
                &i.metas,
                &i.blobrefs,
                &i.headers,
                &i.journal,
            ],
            |t| {
                if let Some(j) = journal
                    && t[5].get(j)?.is_some()
                {
                    return Ok(None);
                }
                let mut folder = folder_in(&t[0], &fkey)?;
                let uid = folder.uidnext;
                if let Some(j) = journal {
                    // Which copy the job filed, so a resumed job can still refer to it.
                    t[5].insert(j, &msg_key(folder.id, uid))?;
                }
                if let Some(h) = header {
                    t[4].insert(&msg_key(folder.id, uid), h)?;
                }
                folder.uidnext += 1;
                folder.highest_modseq += 1;
                let state = MessageState {
                    modseq: folder.highest_modseq,
                    flags: flags.clone(),
                };
                let k = msg_key(folder.id, uid);
                t[1].insert(&k, tenc(&state)?)?;
                t[2].insert(&k, tenc(&meta)?)?;
                Store::add_blob_ref(&t[3], meta.blob)?;
                t[0].insert(fkey.as_slice(), tenc(&folder)?)?;
                Ok(Some(Delivered {
                    uid,
                    uidvalidity: folder.uidvalidity,
                }))
            },
        )?;
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

    pub fn message_state(&self, folder: u64, uid: u32) -> Result<Option<MessageState>> {
        match self.inner.states.get(msg_key(folder, uid))? {
            Some(v) => Ok(Some(dec(&v)?)),
            None => Ok(None),
        }
    }

    /// Changes flags of `uids`. With `unchanged_since` (CONDSTORE), messages modified after it
    /// are left alone and reported as conflicts. Expunged UIDs are skipped silently.
    pub fn store_flags(
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
        let i = &self.inner;
        let f = self.folder_by_id(account, folder)?.ok_or(Error::NoFolder)?;
        let fkey = folder_key(account, &f.name);
        let change = transact(&[&i.folders, &i.states], |t| {
            let mut folder = folder_in(&t[0], &fkey)?;
            let mut change = FlagChange::default();
            for &uid in uids {
                let k = msg_key(folder.id, uid);
                let Some(raw) = t[1].get(k)? else { continue };
                let mut st: MessageState = tdec(&raw)?;
                if unchanged_since.is_some_and(|u| st.modseq > u) {
                    change.conflicts.push(uid);
                    continue;
                }
                let next = apply(op, &st.flags, &flags);
                if next != st.flags {
                    folder.highest_modseq += 1;
                    st.flags = next;
                    st.modseq = folder.highest_modseq;
                    t[1].insert(&k, tenc(&st)?)?;
                }
                change.updated.push((uid, st));
            }
            t[0].insert(fkey.as_slice(), tenc(&folder)?)?;
            Ok(change)
        })?;
        drop(g);
        self.flush()?;
        self.notify(account);
        Ok(change)
    }

    /// Removes messages flagged \Deleted (only those in `only`, when given). Returns their UIDs.
    pub fn expunge(&self, account: u64, folder: u64, only: Option<&[u32]>) -> Result<Vec<u32>> {
        let doomed: Vec<u32> = self
            .message_states(folder)?
            .into_iter()
            .filter(|(uid, st)| st.has_flag("\\Deleted") && only.is_none_or(|o| o.contains(uid)))
            .map(|(u, _)| u)
            .collect();
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
        let g = lock.lock().expect("account lock");
        let i = &self.inner;
        let f = self.folder_by_id(account, folder)?.ok_or(Error::NoFolder)?;
        let fkey = folder_key(account, &f.name);
        let (gone, freed) = transact(
            &[&i.folders, &i.states, &i.metas, &i.blobrefs, &i.headers],
            |t| {
                let mut folder = folder_in(&t[0], &fkey)?;
                let mut gone = Vec::new();
                let mut freed = Vec::new();
                for &uid in uids {
                    let k = msg_key(folder.id, uid);
                    if t[1].remove(&k)?.is_none() {
                        continue;
                    }
                    t[4].remove(&k)?;
                    if let Some(m) = t[2].remove(&k)? {
                        let meta: MessageMeta = tdec(&m)?;
                        if Store::drop_blob_ref(&t[3], meta.blob)? {
                            freed.push(meta.blob);
                        }
                    }
                    gone.push(uid);
                }
                folder.highest_modseq += 1;
                t[0].insert(fkey.as_slice(), tenc(&folder)?)?;
                Ok((gone, freed))
            },
        )?;
        drop(g);
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
        let i = &self.inner;
        let dst = self.folder_by_id(account, to)?.ok_or(Error::NoFolder)?;
        let dkey = folder_key(account, &dst.name);
        let r = transact(
            &[&i.folders, &i.states, &i.metas, &i.blobrefs, &i.headers],
            |t| {
                let mut folder = folder_in(&t[0], &dkey)?;
                let mut pairs = Vec::new();
                for &uid in uids {
                    let sk = msg_key(from, uid);
                    let (Some(st), Some(meta)) = (t[1].get(sk)?, t[2].get(sk)?) else {
                        continue;
                    };
                    let mut st: MessageState = tdec(&st)?;
                    let meta_v: MessageMeta = tdec(&meta)?;
                    let new_uid = folder.uidnext;
                    folder.uidnext += 1;
                    folder.highest_modseq += 1;
                    st.modseq = folder.highest_modseq;
                    let dk = msg_key(folder.id, new_uid);
                    t[1].insert(&dk, tenc(&st)?)?;
                    t[2].insert(&dk, meta)?;
                    if let Some(h) = t[4].get(sk)? {
                        t[4].insert(&dk, h)?;
                    }
                    Store::add_blob_ref(&t[3], meta_v.blob)?;
                    pairs.push((uid, new_uid));
                }
                t[0].insert(dkey.as_slice(), tenc(&folder)?)?;
                Ok((folder.uidvalidity, pairs))
            },
        )?;
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
