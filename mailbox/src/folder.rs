//! Folders: hierarchy ("/" separated), special uses, subscriptions, status counters.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{Error, Result};
use crate::model::{Folder, FolderStatus, MessageState, SpecialUse};
use crate::store::{Store, abort, dec, enc, folder_key, msg_key, tdec, tenc, transact};

pub const DELIMITER: char = '/';

/// INBOX is case-insensitive (RFC 3501 5.1); everything else is kept as given.
pub fn normalize_folder_name(name: &str) -> Result<String> {
    let name = name.trim_end_matches(DELIMITER);
    let ok = !name.is_empty()
        && name.len() <= 512
        && !name.starts_with(DELIMITER)
        && !name.contains("//")
        && !name.chars().any(|c| c.is_control() || c == '*' || c == '%');
    if !ok {
        return Err(Error::InvalidFolderName);
    }
    let (head, rest) = match name.split_once(DELIMITER) {
        Some((h, r)) => (h, Some(r)),
        None => (name, None),
    };
    if head.eq_ignore_ascii_case("INBOX") {
        Ok(match rest {
            Some(r) => format!("INBOX{DELIMITER}{r}"),
            None => "INBOX".into(),
        })
    } else {
        Ok(name.to_string())
    }
}

static LAST_VALIDITY: AtomicU32 = AtomicU32::new(0);

/// Seconds-based so a folder re-created under an old name never repeats an old UIDVALIDITY.
fn new_uidvalidity() -> u32 {
    let now = chrono::Utc::now().timestamp() as u32;
    let mut cur = LAST_VALIDITY.load(Ordering::SeqCst);
    loop {
        let next = now.max(cur + 1);
        match LAST_VALIDITY.compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return next,
            Err(c) => cur = c,
        }
    }
}

impl Store {
    pub fn folders(&self, account: u64) -> Result<Vec<Folder>> {
        self.inner
            .folders
            .scan_prefix(account.to_be_bytes())
            .values()
            .map(|v| dec(&v?))
            .collect()
    }

    pub fn folder(&self, account: u64, name: &str) -> Result<Option<Folder>> {
        let name = normalize_folder_name(name)?;
        match self.inner.folders.get(folder_key(account, &name))? {
            Some(v) => Ok(Some(dec(&v)?)),
            None => Ok(None),
        }
    }

    pub fn special_folder(&self, account: u64, use_: SpecialUse) -> Result<Option<Folder>> {
        Ok(self
            .folders(account)?
            .into_iter()
            .find(|f| f.special_use == Some(use_)))
    }

    pub fn create_folder(&self, account: u64, name: &str) -> Result<Folder> {
        self.create_folder_as(account, name, None)
    }

    pub(crate) fn create_special_folder(
        &self,
        account: u64,
        name: &str,
        use_: SpecialUse,
    ) -> Result<Folder> {
        self.create_folder_as(account, name, Some(use_))
    }

    fn create_folder_as(
        &self,
        account: u64,
        name: &str,
        special_use: Option<SpecialUse>,
    ) -> Result<Folder> {
        let name = normalize_folder_name(name)?;
        let lock = self.lock(account);
        let _g = lock.lock().expect("account lock");
        if self
            .inner
            .folders
            .contains_key(folder_key(account, &name))?
        {
            return Err(Error::FolderExists);
        }
        // Superior names are created too (RFC 3501 6.3.3).
        let mut made = None;
        let parts: Vec<&str> = name.split(DELIMITER).collect();
        for i in 1..=parts.len() {
            let n = parts[..i].join(&DELIMITER.to_string());
            let key = folder_key(account, &n);
            if self.inner.folders.contains_key(&key)? {
                continue;
            }
            let f = Folder {
                id: self.next_id()?,
                account,
                name: n,
                uidvalidity: new_uidvalidity(),
                uidnext: 1,
                highest_modseq: 1,
                // Subscriptions live in their own list now (see `subscription.rs`).
                subscribed: false,
                special_use: if i == parts.len() { special_use } else { None },
                recent_uid: 0,
            };
            self.inner.folders.insert(key, enc(&f)?)?;
            made = Some(f);
        }
        drop(_g);
        self.flush()?;
        self.notify(account);
        made.ok_or(Error::FolderExists)
    }

    /// Deletes a folder and its messages. INBOX and folders with children are refused.
    pub fn delete_folder(&self, account: u64, name: &str) -> Result<()> {
        let name = normalize_folder_name(name)?;
        if name == "INBOX" {
            return Err(Error::SpecialFolder);
        }
        let folder = self.folder(account, &name)?.ok_or(Error::NoFolder)?;
        let prefix = format!("{name}{DELIMITER}");
        if self
            .folders(account)?
            .iter()
            .any(|f| f.name.starts_with(&prefix))
        {
            return Err(Error::HasChildren);
        }
        self.purge_folder(&folder)?;
        self.flush()?;
        self.notify(account);
        Ok(())
    }

    pub(crate) fn purge_folder(&self, folder: &Folder) -> Result<()> {
        let lock = self.lock(folder.account);
        let _g = lock.lock().expect("account lock");
        let uids = self.uids_of(folder.id)?;
        let state_keys = self.state_keys(folder.id)?;
        // The folder goes, so its change index goes with it, tombstones and all.
        let mut changes = Vec::new();
        for k in self
            .inner
            .changes
            .scan_prefix(folder.id.to_be_bytes())
            .keys()
        {
            changes.push(k?);
        }
        let fkey = folder_key(folder.account, &folder.name);
        let freed = self.transact_messages(|t| {
            let mut freed = Vec::new();
            for uid in &uids {
                let k = msg_key(folder.id, *uid);
                t.headers.remove(&k)?;
                if let Some(m) = t.metas.remove(&k)? {
                    let meta: crate::model::MessageMeta = tdec(&m)?;
                    if Store::drop_blob_ref(t.blobrefs, meta.blob)? {
                        freed.push(meta.blob);
                    }
                }
            }
            for k in &state_keys {
                t.states.remove(k)?;
            }
            for k in &changes {
                t.changes.remove(k)?;
            }
            t.counters.remove(&folder.id.to_be_bytes())?;
            t.folders.remove(fkey.as_slice())?;
            Ok(freed)
        })?;
        self.flush()?;
        self.remove_blob_files(&freed);
        Ok(())
    }

    /// Renames a folder and everything under it. Renaming INBOX moves its messages to the new
    /// folder and leaves INBOX empty (RFC 3501 6.3.5).
    pub fn rename_folder(&self, account: u64, from: &str, to: &str) -> Result<()> {
        let from = normalize_folder_name(from)?;
        let to = normalize_folder_name(to)?;
        if self.folder(account, &to)?.is_some() {
            return Err(Error::FolderExists);
        }
        let src = self.folder(account, &from)?.ok_or(Error::NoFolder)?;
        if from == "INBOX" {
            let dst = self.create_folder(account, &to)?;
            let uids = self.uids_of(src.id)?;
            self.move_messages(account, src.id, &uids, dst.id)?;
            return Ok(());
        }
        if to.starts_with(&format!("{from}{DELIMITER}")) {
            return Err(Error::InvalidFolderName);
        }
        // Missing superiors of the new name are created first.
        if let Some((parent, _)) = to.rsplit_once(DELIMITER)
            && self.folder(account, parent)?.is_none()
        {
            self.create_folder(account, parent)?;
        }
        let lock = self.lock(account);
        let _g = lock.lock().expect("account lock");
        let prefix = format!("{from}{DELIMITER}");
        let moving: Vec<Folder> = self
            .folders(account)?
            .into_iter()
            .filter(|f| f.name == from || f.name.starts_with(&prefix))
            .collect();
        transact(&[&self.inner.folders], |t| {
            for f in &moving {
                let mut nf = f.clone();
                nf.name = format!("{to}{}", &f.name[from.len()..]);
                if t[0].get(folder_key(account, &nf.name))?.is_some() {
                    return abort(Error::FolderExists);
                }
                t[0].remove(folder_key(account, &f.name))?;
                t[0].insert(folder_key(account, &nf.name), tenc(&nf)?)?;
            }
            Ok(())
        })?;
        self.rename_subscriptions(account, &from, &to)?;
        drop(_g);
        self.flush()?;
        self.notify(account);
        Ok(())
    }

    /// Claims every message above the folder's recent mark for the calling session and returns
    /// the UIDs claimed as (previous mark, new mark): messages above the first and up to the
    /// second are \Recent to that session and no other. A message filed after the claim is
    /// not among them, however soon the caller reads the folder again.
    pub fn claim_recent(&self, account: u64, folder: u64) -> Result<(u32, u32)> {
        let lock = self.lock(account);
        let _g = lock.lock().expect("account lock");
        let mut f = self.folder_by_id(account, folder)?.ok_or(Error::NoFolder)?;
        let before = f.recent_uid;
        let top = f.uidnext.saturating_sub(1);
        if top <= before {
            return Ok((before, before));
        }
        f.recent_uid = top;
        // Advisory state: not worth a flush, and no modseq change, or every session would
        // wake up for it.
        self.inner
            .folders
            .insert(folder_key(account, &f.name), enc(&f)?)?;
        Ok((before, top))
    }

    /// Total size of the folder's messages in bytes (STATUS SIZE).
    pub fn folder_size(&self, folder: u64) -> Result<u64> {
        Ok(self.counters(folder)?.size)
    }

    /// UIDs with their state, in UID order.
    pub fn message_states(&self, folder: u64) -> Result<Vec<(u32, MessageState)>> {
        let mut out = Vec::new();
        self.scan_states(folder, 0..=u32::MAX, |uid, st| {
            out.push((uid, st.to_state()))
        })?;
        Ok(out)
    }

    /// STATUS numbers, from the folder's counters. \Recent is counted from the UIDs on the
    /// smaller side of the folder's recent mark, often none.
    pub fn status(&self, folder: &Folder) -> Result<FolderStatus> {
        let c = self.counters(folder.id)?;
        let mark = folder.recent_uid;
        let top = folder.uidnext.saturating_sub(1);
        let recent = if mark >= top {
            0
        } else if top - mark <= mark {
            self.count_states(folder.id, mark + 1..=u32::MAX)?
        } else {
            c.messages
                .saturating_sub(self.count_states(folder.id, 0..=mark)?)
        };
        Ok(FolderStatus {
            messages: c.messages,
            unseen: c.unseen,
            deleted: c.deleted,
            recent,
        })
    }

    pub fn folder_by_id(&self, account: u64, id: u64) -> Result<Option<Folder>> {
        Ok(self.folders(account)?.into_iter().find(|f| f.id == id))
    }
}
