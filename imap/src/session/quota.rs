//! QUOTA (RFC 9208) with the STORAGE resource: one quota root, "", over all the account's
//! folders. The limit is the account's own (`wims account quota`) or `limits.default_quota_mib`.
//! It bounds what the user files (APPEND, COPY); mail sent to the account is never refused.

use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::mailbox::Mailbox;

use super::{Session, State, mailbox_name};

impl Session {
    /// The account's limit in bytes, if any.
    fn quota_limit(&self) -> Option<u64> {
        let address = match &self.state {
            State::Authenticated(a) | State::Selected(a, _) => a.address.clone(),
            State::NotAuthenticated => return None,
        };
        let own = (self.env.store.quota_of(&address)).ok().flatten();
        let default = self.env.limits.default_quota_mib.saturating_mul(1 << 20);
        own.or((default > 0).then_some(default))
    }

    /// `* QUOTA "" (STORAGE used limit)`, in KiB as RFC 9208 counts.
    fn quota_line(&mut self, limit: u64) -> mailbox::Result<()> {
        let Some(acct) = self.account_id() else {
            return Ok(());
        };
        let used = (self.env.store.usage(acct))?;
        self.line(&format!(
            "* QUOTA \"\" (STORAGE {} {})",
            used.div_ceil(1024),
            limit / 1024
        ));
        Ok(())
    }

    pub(crate) fn get_quota_root(&mut self, tag: &str, mailbox: &Mailbox<'_>) {
        let Some(acct) = self.account_id() else {
            return;
        };
        let folder = match mailbox_name(mailbox, self.utf8_names()) {
            Some(n) => self.env.store.folder(acct, &n),
            None => Err(mailbox::Error::InvalidFolderName),
        };
        let folder = match folder {
            Ok(Some(f)) => f,
            Ok(None) => return self.store_error(tag, mailbox::Error::NoFolder),
            Err(e) => return self.store_error(tag, e),
        };
        let limit = self.quota_limit();
        let mut l = b"* QUOTAROOT ".to_vec();
        self.put_name(&mut l, &folder.name);
        if limit.is_some() {
            l.extend_from_slice(b" \"\"");
        }
        l.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(&l);
        if let Some(limit) = limit
            && let Err(e) = self.quota_line(limit)
        {
            return self.store_error(tag, e);
        }
        self.tagged(tag, "OK", None, "imap-done");
    }

    pub(crate) fn get_quota(&mut self, tag: &str, root: &AString<'_>) {
        let limit = self.quota_limit();
        match limit {
            Some(limit) if root.as_ref().is_empty() => match self.quota_line(limit) {
                Ok(()) => self.tagged(tag, "OK", None, "imap-done"),
                Err(e) => self.store_error(tag, e),
            },
            _ => self.tagged(tag, "NO", Some("NONEXISTENT"), "imap-no-quota-root"),
        }
    }

    /// Whether filing `extra()` more bytes would pass the limit; if so the refusal is sent.
    /// `extra` is only counted when a limit applies.
    pub(crate) fn refuse_over_quota(&mut self, tag: &str, extra: impl FnOnce() -> u64) -> bool {
        let (Some(limit), Some(acct)) = (self.quota_limit(), self.account_id()) else {
            return false;
        };
        let extra = extra();
        let used = (self.env.store.usage(acct)).unwrap_or(0);
        if used.saturating_add(extra) > limit {
            self.tagged(tag, "NO", Some("OVERQUOTA"), "imap-over-quota");
            return true;
        }
        false
    }
}
