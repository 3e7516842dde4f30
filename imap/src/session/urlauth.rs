//! URLAUTH (RFC 4467): GENURLAUTH signs an IMAP URL naming a message (part) of the user's own
//! account, URLFETCH gives what a signed URL names to whoever its access identifier admits, and
//! RESETKEY voids the URLs of a folder or of all of them.
//!
//! The INTERNAL mechanism's token is a keyed BLAKE3 MAC of the URL up to and including its
//! access identifier, under a key per folder the mailbox store keeps sealed. A URL that fails
//! any check (syntax, token, expiry, access, a message that is gone) is answered NIL and tells
//! nothing about why, so URLFETCH is no oracle for other accounts' folders.

use mailbox::Account;

use super::{Session, State, Step};
use crate::append_ext::{token_len, token_value};
use crate::imap_url;
use crate::syntax::{decode_mutf7, string};

/// The message part a signed URL names.
pub(crate) struct Resolved {
    /// Folder id and UID.
    pub at: (u64, u32),
    pub meta: mailbox::MessageMeta,
    pub section: Option<imap_codec::imap_types::fetch::Section<'static>>,
    pub partial: Option<(u32, u32)>,
}

/// A signed URL taken apart: `rump` is what the token covers.
struct Signed<'a> {
    rump: &'a str,
    /// The URL naming the message part, without EXPIRE and URLAUTH.
    message: &'a str,
    expire: Option<chrono::DateTime<chrono::FixedOffset>>,
    access: &'a str,
    /// Mechanism and token, absent in what GENURLAUTH is given.
    mac: Option<(&'a str, &'a str)>,
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().rfind(needle)
}

fn split_signed(url: &str) -> Option<Signed<'_>> {
    let at = find_ci(url, ";urlauth=")?;
    let (before, auth) = (&url[..at], &url[at + 9..]);
    let (access, mac) = match auth.split_once(':') {
        Some((access, rest)) => (access, Some(rest.split_once(':')?)),
        None => (auth, None),
    };
    let (message, expire) = match find_ci(before, ";expire=") {
        Some(e) => {
            let when = chrono::DateTime::parse_from_rfc3339(&before[e + 8..]).ok()?;
            (&before[..e], Some(when))
        }
        None => (before, None),
    };
    Some(Signed {
        rump: &url[..at + 9 + access.len()],
        message,
        expire,
        access,
        mac,
    })
}

/// Access identifiers RFC 4467 3 defines; `submit+` names the submission server, which fetches
/// nothing here.
fn access_known(access: &str) -> bool {
    let a = access.to_ascii_lowercase();
    a == "anonymous" || a == "authuser" || a.starts_with("user+") || a.starts_with("submit+")
}

fn admits(access: &str, who: &Account) -> bool {
    let a = access.to_ascii_lowercase();
    match a.split_once('+') {
        None => a == "anonymous" || a == "authuser",
        Some(("user", name)) => {
            imap_url::percent_decode(name).is_some_and(|n| n.eq_ignore_ascii_case(&who.address))
        }
        Some(_) => false,
    }
}

fn token(key: &[u8; 32], rump: &str) -> blake3::Hash {
    blake3::keyed_hash(key, rump.as_bytes())
}

/// The strings and atoms of a command's arguments (literals included).
fn arguments(mut rest: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            return Some(out);
        }
        let n = token_len(rest)?;
        out.push(String::from_utf8(token_value(&rest[..n])?).ok()?);
        rest = &rest[n..];
    }
}

impl Session {
    pub(crate) fn account(&self) -> Option<&Account> {
        match &self.state {
            State::Authenticated(a) | State::Selected(a, _) => Some(a),
            State::NotAuthenticated => None,
        }
    }

    /// GENURLAUTH, RESETKEY and URLFETCH, which imap-codec does not parse; `None` for other
    /// verbs.
    pub(crate) fn urlauth_command(&mut self, tag: &str, verb: &str, args: &[u8]) -> Option<Step> {
        if !matches!(verb, "GENURLAUTH" | "RESETKEY" | "URLFETCH") {
            return None;
        }
        if self.account().is_none() {
            self.tagged(tag, "BAD", None, "imap-bad-state");
            return Some(Step::Read);
        }
        if verb == "URLFETCH" {
            return Some(self.urlfetch_command(tag, args));
        }
        let Some(args) = arguments(args) else {
            self.bad_syntax(tag, verb);
            return Some(Step::Read);
        };
        Some(match verb {
            "GENURLAUTH" => {
                self.genurlauth(tag, &args);
                Step::Read
            }
            _ => {
                self.resetkey(tag, &args);
                Step::Read
            }
        })
    }

    /// The folder a URL's mailbox names in `account`: its name as UTF-8, else as modified
    /// UTF-7.
    pub(crate) fn url_folder(
        &self,
        account: u64,
        name: &str,
    ) -> mailbox::Result<Option<mailbox::Folder>> {
        let store = &self.env.store;
        let name = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX"
        } else {
            name
        };
        if let Some(f) = store.folder(account, name)? {
            return Ok(Some(f));
        }
        match decode_mutf7(name).filter(|d| d != name) {
            Some(d) => store.folder(account, &d),
            None => Ok(None),
        }
    }

    fn genurlauth(&mut self, tag: &str, args: &[String]) {
        let Some(me) = self.account().cloned() else {
            return;
        };
        if args.is_empty() || !args.len().is_multiple_of(2) {
            return self.bad_syntax(tag, "GENURLAUTH");
        }
        let mut line = b"* GENURLAUTH".to_vec();
        for pair in args.chunks(2) {
            let (url, mechanism) = (&pair[0], &pair[1]);
            if !mechanism.eq_ignore_ascii_case("INTERNAL") {
                return self.tagged(tag, "NO", None, "imap-urlauth-mechanism");
            }
            let signed = split_signed(url).filter(|s| s.mac.is_none() && access_known(s.access));
            let parsed = signed
                .as_ref()
                .and_then(|s| imap_url::parse(s.message))
                .filter(|u| u.host.is_some());
            let (Some(s), Some(u)) = (signed, parsed) else {
                return self.bad_syntax(tag, "GENURLAUTH");
            };
            if u.owner().as_deref() != Some(me.address.as_str()) {
                return self.tagged(tag, "NO", None, "imap-urlauth-not-yours");
            }
            let folder = match self.url_folder(me.id, &u.mailbox) {
                Ok(Some(f)) => f,
                Ok(None) => return self.store_error(tag, mailbox::Error::NoFolder),
                Err(e) => return self.store_error(tag, e),
            };
            let key = match self.env.store.urlauth_key(me.id, folder.id) {
                Ok(k) => k,
                Err(e) => return self.store_error(tag, e),
            };
            line.push(b' ');
            let signed = format!("{}:internal:{}", s.rump, token(&key, s.rump).to_hex());
            string(&mut line, &signed);
        }
        line.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(&line);
        self.tagged(tag, "OK", None, "imap-done");
    }

    fn resetkey(&mut self, tag: &str, args: &[String]) {
        let Some(me) = self.account().cloned() else {
            return;
        };
        if args
            .iter()
            .skip(1)
            .any(|m| !m.eq_ignore_ascii_case("INTERNAL"))
        {
            return self.tagged(tag, "NO", None, "imap-urlauth-mechanism");
        }
        let folder = match args.first() {
            None => None,
            Some(name) => {
                let name = if self.utf8_names() {
                    Some(name.clone())
                } else {
                    decode_mutf7(name)
                };
                let found = match name {
                    Some(n) => self.url_folder(me.id, &n),
                    None => Ok(None),
                };
                match found {
                    Ok(Some(f)) => Some(f.id),
                    Ok(None) => return self.store_error(tag, mailbox::Error::NoFolder),
                    Err(e) => return self.store_error(tag, e),
                }
            }
        };
        match self.env.store.reset_urlauth_keys(me.id, folder) {
            Ok(()) => self.tagged(tag, "OK", None, "imap-done"),
            Err(e) => self.store_error(tag, e),
        }
    }

    /// The message part a signed URL names, if every check passes.
    pub(crate) fn resolve_signed(&self, url: &str) -> Option<Resolved> {
        let me = self.account()?;
        let s = split_signed(url)?;
        let (mechanism, given) = s.mac?;
        if !mechanism.eq_ignore_ascii_case("internal") || !admits(s.access, me) {
            return None;
        }
        if s.expire.is_some_and(|e| e < chrono::Utc::now()) {
            return None;
        }
        let u = imap_url::parse(s.message)?;
        let store = &self.env.store;
        let owner = store.account(&u.owner()?).ok()??;
        let folder = self.url_folder(owner.id, &u.mailbox).ok()??;
        let key = store.existing_urlauth_key(owner.id, folder.id).ok()??;
        // blake3::Hash compares in constant time.
        if blake3::Hash::from_hex(given).ok()? != token(&key, s.rump) {
            return None;
        }
        if u.uidvalidity.is_some_and(|v| v != folder.uidvalidity) {
            return None;
        }
        let meta = store.message_meta(folder.id, u.uid).ok()??;
        let section = imap_url::section(u.section.as_deref())?;
        Some(Resolved {
            at: (folder.id, u.uid),
            meta,
            section,
            partial: u.partial,
        })
    }
}
