//! APPEND: one message or several (MULTIAPPEND, RFC 3502), each given whole or put together
//! from parts (CATENATE, RFC 4469). All are filed or none.
//!
//! The framer has staged every literal on disk, CATENATE's texts included, so a message is
//! never held in memory: a CATENATE message is written into a new staged message piece by
//! piece, its texts read back from their stage and its URL parts from the messages they name.

use std::io::{Read, Write};

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::CommandBody;
use mailbox::StagedMessage;

use super::{Session, State, flag_str, mailbox_name};
use crate::append_ext::{CatPart, Part};

/// Why a CATENATE message could not be put together.
enum Refused {
    /// The URL names nothing in this account (RFC 4469 `[BADURL]`).
    BadUrl(String),
    /// The message would be larger than an APPEND may be.
    TooBig,
    Store(mailbox::Error),
}

impl From<mailbox::Error> for Refused {
    fn from(e: mailbox::Error) -> Self {
        Refused::Store(e)
    }
}

impl From<std::io::Error> for Refused {
    fn from(e: std::io::Error) -> Self {
        Refused::Store(mailbox::Error::Io(e))
    }
}

/// `url` as a quoted string for a response code: printable ASCII only, at most 256 bytes.
fn quoted_url(url: &str) -> String {
    let mut q = String::from("\"");
    for c in url.chars().take(256) {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            ' '..='~' => q.push(c),
            _ => q.push('?'),
        }
    }
    q.push('"');
    q
}

/// Copies all of `from` into `to`, refusing once `written` would pass `max`.
fn copy_bounded(
    from: &mut dyn Read,
    to: &mut mailbox::MessageWriter,
    written: &mut u64,
    max: u64,
) -> Result<(), Refused> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        *written += n as u64;
        if *written > max {
            return Err(Refused::TooBig);
        }
        to.write_all(&buf[..n])?;
    }
}

impl Session {
    /// APPEND of one message or several (MULTIAPPEND): all are filed or none.
    pub(crate) fn append_command(&mut self, bytes: &[u8], staged: Vec<StagedMessage>) {
        let tag = crate::search_ext::verb(bytes)
            .map(|v| v.0)
            .unwrap_or_default();
        let Some(acct) = self.account_id() else {
            return self.tagged(&tag, "BAD", None, "imap-bad-state");
        };
        let parts = crate::append_ext::split(bytes).unwrap_or_default();
        let bodies: usize = parts.iter().map(Part::bodies).sum();
        if parts.is_empty() || bodies != staged.len() {
            return self.bad_syntax(&tag, "APPEND");
        }
        if parts.iter().any(|p| p.utf8) && !self.utf8 {
            return self.tagged(&tag, "BAD", None, "imap-append-utf8");
        }
        let mut folder = None;
        let mut items: Vec<(Vec<String>, Option<chrono::DateTime<chrono::Utc>>)> = Vec::new();
        for p in &parts {
            let Ok((_, cmd)) = CommandCodec::default().decode(&p.command) else {
                return self.bad_syntax(&tag, "APPEND");
            };
            let CommandBody::Append {
                mailbox,
                flags,
                date,
                ..
            } = cmd.body
            else {
                return;
            };
            folder.get_or_insert_with(|| mailbox_name(&mailbox, self.utf8_names()));
            items.push((
                flags.iter().map(flag_str).collect(),
                date.map(|d| d.as_ref().with_timezone(&chrono::Utc)),
            ));
        }
        let Some(Some(name)) = folder else {
            return self.store_error(&tag, mailbox::Error::InvalidFolderName);
        };
        let store = self.env.store.clone();
        // A missing folder is told before any URL is looked at, so the client learns it
        // should create it (RFC 4469 5).
        match store.folder(acct, &name) {
            Ok(Some(_)) => {}
            Ok(None) => return self.tagged(&tag, "NO", Some("TRYCREATE"), "imap-no-folder"),
            Err(e) => return self.store_error(&tag, e),
        }
        let mut texts = staged.into_iter();
        let mut messages = Vec::with_capacity(parts.len());
        for p in &parts {
            let made = match &p.catenate {
                None => texts.next().ok_or(Refused::TooBig),
                Some(cat) => self.catenate(acct, cat, &mut texts),
            };
            match made {
                Ok(m) => messages.push(m),
                Err(Refused::BadUrl(u)) => {
                    let code = format!("BADURL {}", quoted_url(&u));
                    return self.tagged(&tag, "NO", Some(&code), "imap-bad-url");
                }
                Err(Refused::TooBig) => {
                    return self.tagged(&tag, "NO", Some("TOOBIG"), "imap-too-big");
                }
                Err(Refused::Store(e)) => return self.store_error(&tag, e),
            }
        }
        if self.refuse_over_quota(&tag, || messages.iter().map(|s| s.size).sum()) {
            return;
        }
        let filings: Vec<mailbox::Filing<'_>> = messages
            .iter()
            .zip(&items)
            .map(|(s, (flags, date))| mailbox::Filing {
                staged: s,
                flags: flags.iter().map(String::as_str).collect(),
                internal_date: *date,
            })
            .collect();
        match store.deliver_all(acct, &name, &filings) {
            Ok(done) => {
                self.refresh(true);
                let uids: Vec<u32> = done.iter().map(|d| d.uid).collect();
                let validity = done.first().map_or(0, |d| d.uidvalidity);
                let code = format!("APPENDUID {validity} {}", crate::search_ext::compact(&uids));
                self.tagged(&tag, "OK", Some(&code), "imap-done");
            }
            Err(mailbox::Error::NoFolder) => {
                self.tagged(&tag, "NO", Some("TRYCREATE"), "imap-no-folder")
            }
            Err(e) => self.store_error(&tag, e),
        }
    }

    /// Writes a CATENATE message's parts, in order, into a new staged message: each text is
    /// the next of `texts`, each URL part is read from the message it names.
    fn catenate(
        &self,
        acct: u64,
        parts: &[CatPart],
        texts: &mut impl Iterator<Item = StagedMessage>,
    ) -> Result<StagedMessage, Refused> {
        let store = &self.env.store;
        let max = self.env.limits.max_append_size;
        let mut out = store.new_message()?;
        let mut written = 0u64;
        for part in parts {
            match part {
                CatPart::Text => {
                    let text = texts.next().ok_or(Refused::TooBig)?;
                    let mut r = text.open()?;
                    copy_bounded(&mut r, &mut out, &mut written, max)?;
                }
                CatPart::Url(url) => {
                    let bad = || Refused::BadUrl(url.clone());
                    let mut r = self.url_part(acct, url)?.ok_or_else(bad)?;
                    copy_bounded(&mut r, &mut out, &mut written, max)?;
                }
            }
        }
        Ok(out.finish()?)
    }

    /// The bytes an URL names in this account, `None` when it names nothing here.
    fn url_part(&self, acct: u64, url: &str) -> Result<Option<Box<dyn Read + Send>>, Refused> {
        let Some(u) = crate::imap_url::parse(url) else {
            return Ok(None);
        };
        // An absolute URL must name the user logged in.
        if let (Some(_), State::Authenticated(a) | State::Selected(a, _)) = (&u.user, &self.state)
            && u.owner().as_deref() != Some(a.address.as_str())
        {
            return Ok(None);
        }
        let Some(section) = crate::imap_url::section(u.section.as_deref()) else {
            return Ok(None);
        };
        let store = &self.env.store;
        let Some(folder) = self.url_folder(acct, &u.mailbox)? else {
            return Ok(None);
        };
        if u.uidvalidity.is_some_and(|v| v != folder.uidvalidity) {
            return Ok(None);
        }
        let Some(meta) = store.message_meta(folder.id, u.uid)? else {
            return Ok(None);
        };
        let r =
            crate::fetch::section_reader(store, (folder.id, u.uid), &meta, &section, u.partial)?;
        Ok(Some(r.reader))
    }
}
