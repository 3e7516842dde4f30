//! Unsealing a message while its chunks still arrive: the decryptor reads each chunk from the
//! spool as soon as the transfer has stored it, so once the last chunk is in, the message is
//! nearly unsealed rather than not started. Decrypting, verifying and writing the INBOX blob
//! then overlap with the network and the spool's disk syncs instead of following them.
//!
//! Nothing changes in what is kept or when: chunks are stored and acknowledged exactly as
//! before, and the staged message is filed only after the whole message verified. A transfer
//! that ends early ends the unsealing too; its staged blob is dropped, and the chunks stay in
//! the spool for the next attempt (or for collection), which unseals from there.

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use mailbox::{StagedMessage, Store};
use wire::{AccountKey, Cert, Manifest};

use super::spool;
use super::trust_header::{StripHeader, TRUST_HEADER, from_is};
use crate::pipe::WriteBehind;

#[derive(Debug, thiserror::Error)]
#[error("transfer ended before this chunk")]
struct Ended;

/// Why a message was not unsealed: the message's fault, or ours.
#[derive(Debug, thiserror::Error)]
pub(super) enum UnsealFailure {
    /// It does not decrypt or verify, or is malformed: it never will.
    #[error("unseal: {0}")]
    Message(wire::WireError),
    /// Our storage or spool failed (a full disk, say): nothing is wrong with the message,
    /// and its chunks stay for another try.
    #[error("{0}")]
    Local(String),
    /// Its `From:` names another than the sender who signed it.
    #[error("the From header is not the signed sender")]
    ForgedFrom,
}

impl UnsealFailure {
    fn local(e: impl std::fmt::Display) -> Self {
        UnsealFailure::Local(e.to_string())
    }
}

/// Which chunks are in the spool, and whether the transfer has ended.
struct Arrivals {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    stored: Vec<bool>,
    ended: bool,
}

impl Arrivals {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks until chunk `index` is stored; an error once the transfer ended without it.
    fn wait_for(&self, index: u32) -> io::Result<()> {
        let mut state = self.lock();
        loop {
            if state.stored.get(index as usize).copied().unwrap_or(false) {
                return Ok(());
            }
            if state.ended {
                // Not `Interrupted`: readers retry on that.
                return Err(io::Error::new(io::ErrorKind::ConnectionAborted, Ended));
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// An unsealing that runs beside one inbound transfer.
pub(super) struct Unsealing {
    arrivals: Arc<Arrivals>,
    task: mailbox::blocking::Running<Result<StagedMessage, UnsealFailure>>,
}

/// What the unsealer needs to know of the message.
pub(super) struct Parts<'a> {
    pub store: &'a Store,
    pub manifest: &'a Manifest,
    pub recipient: &'a AccountKey,
    pub sender_cert: &'a Cert,
    pub dir: &'a Path,
}

impl Unsealing {
    /// Starts unsealing; every chunk not in `need` is in the spool already.
    pub(super) fn start(parts: Parts<'_>, need: &[u32]) -> Self {
        let count = parts.manifest.chunk_hashes.len();
        let mut stored = vec![true; count];
        for &i in need {
            if let Some(s) = stored.get_mut(i as usize) {
                *s = false;
            }
        }
        let arrivals = Arc::new(Arrivals {
            state: Mutex::new(State {
                stored,
                ended: false,
            }),
            changed: Condvar::new(),
        });
        let (store, manifest, key, cert, dir) = (
            parts.store.clone(),
            parts.manifest.clone(),
            parts.recipient.clone(),
            parts.sender_cert.clone(),
            parts.dir.to_path_buf(),
        );
        let waits = Arc::clone(&arrivals);
        let task = mailbox::blocking::start(move || {
            let chunks = (0..count as u32).map(move |i| {
                waits.wait_for(i)?;
                spool::read_chunk(&dir, i)
            });
            unseal_into(&store, &manifest, &key, &cert, chunks)
        });
        Unsealing { arrivals, task }
    }

    /// Chunk `index` is now stored in the spool.
    pub(super) fn arrived(&self, index: u32) {
        if let Some(s) = self.arrivals.lock().stored.get_mut(index as usize) {
            *s = true;
        }
        self.arrivals.changed.notify_all();
    }

    /// The staged message, once every chunk has arrived, or why the message did not unseal;
    /// the outer error is the unsealer's own failure (a panic), which says nothing of the
    /// message.
    pub(super) async fn finish(
        mut self,
    ) -> Result<Result<StagedMessage, UnsealFailure>, mailbox::blocking::Stopped> {
        (&mut self.task).await
    }

    fn end(&self) {
        self.arrivals.lock().ended = true;
        self.arrivals.changed.notify_all();
    }
}

impl Drop for Unsealing {
    /// A transfer that stops (done, cut, refused) releases an unsealer still waiting.
    fn drop(&mut self) {
        self.end();
    }
}

/// Unseals the chunks into a staged message of `store`. Blocking.
pub(super) fn unseal_into(
    store: &Store,
    manifest: &Manifest,
    recipient: &AccountKey,
    sender_cert: &Cert,
    chunks: impl Iterator<Item = io::Result<Vec<u8>>> + Send,
) -> Result<StagedMessage, UnsealFailure> {
    // The store's side (scanning, encrypting at rest, writing) runs on a second core.
    let writer = store.new_message().map_err(UnsealFailure::local)?;
    let mut writer = WriteBehind::new(writer).map_err(UnsealFailure::local)?;
    // The sender the manifest's signature proved, first; any copy the sender put in goes.
    // Nothing is filed unless the signature verifies, so the line is never wrong.
    let trust = format!("{TRUST_HEADER}: {}\r\n", manifest.sender);
    writer
        .write_all(trust.as_bytes())
        .map_err(UnsealFailure::local)?;
    let mut stripped = StripHeader::new(&mut writer, TRUST_HEADER);
    wire::unseal(chunks, manifest, recipient, sender_cert, &mut stripped).map_err(|e| match e {
        // Reading the spool or writing the store: our side.
        wire::WireError::Io(e) => UnsealFailure::local(e),
        e => UnsealFailure::Message(e),
    })?;
    stripped.flush().map_err(UnsealFailure::local)?;
    let writer = writer.finish().map_err(UnsealFailure::local)?;
    let staged = writer.finish().map_err(UnsealFailure::local)?;
    // The header's From must be who signed: a partner may not pass mail off as another's.
    if !from_is(&staged.envelope, &manifest.sender) {
        return Err(UnsealFailure::ForgedFrom);
    }
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use wire::{AccountKey, SealOptions};

    use super::*;

    struct Fixture {
        store: Store,
        _dir: tempfile::TempDir,
        manifest: Manifest,
        chunks: Vec<Vec<u8>>,
        alice: AccountKey,
        bob: AccountKey,
    }

    fn sealed() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), mailbox::StorageKey::generate()).unwrap();
        let alice = AccountKey::generate("alice@alpha.h").unwrap();
        let bob = AccountKey::generate("bob@beta.h").unwrap();
        let message = b"Subject: hi\r\n\r\nhello\r\n".repeat(4000);
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let options = SealOptions {
            chunk_size: wire::MIN_CHUNK_SIZE,
            ..SealOptions::default()
        };
        let sealed =
            wire::seal(&message[..], &alice, &[bob.cert()], &options, &mut chunks).unwrap();
        assert!(chunks.len() > 1);
        Fixture {
            store,
            _dir: dir,
            manifest: sealed.manifest,
            chunks,
            alice,
            bob,
        }
    }

    #[test]
    fn a_chunk_we_cannot_read_is_our_failure() {
        let s = sealed();
        let chunks = s.chunks.iter().enumerate().map(|(i, c)| {
            if i == 1 {
                Err(io::Error::other("disk"))
            } else {
                Ok(c.clone())
            }
        });
        let got = unseal_into(&s.store, &s.manifest, &s.bob, &s.alice.cert(), chunks);
        assert!(
            matches!(got, Err(UnsealFailure::Local(_))),
            "{:?}",
            got.err()
        );
    }

    #[test]
    fn a_message_that_does_not_verify_is_the_message_s_failure() {
        let s = sealed();
        let mallory = AccountKey::generate("alice@alpha.h").unwrap();
        let chunks = s.chunks.iter().cloned().map(Ok);
        let got = unseal_into(&s.store, &s.manifest, &s.bob, &mallory.cert(), chunks);
        assert!(
            matches!(got, Err(UnsealFailure::Message(_))),
            "{:?}",
            got.err()
        );
    }

    #[test]
    fn a_good_message_unseals() {
        let s = sealed();
        let chunks = s.chunks.iter().cloned().map(Ok);
        let got = unseal_into(&s.store, &s.manifest, &s.bob, &s.alice.cert(), chunks);
        assert!(got.is_ok(), "{:?}", got.err());
    }
}
