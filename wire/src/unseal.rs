use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use sequoia_openpgp as openpgp;

use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::Parse;
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageLayer, MessageStructure, VerificationHelper,
};
use openpgp::types::SymmetricAlgorithm;
use openpgp::{Fingerprint, KeyHandle};

use crate::error::{Result, WireError};
use crate::manifest::{ChunkHash, Manifest, MessageId, hash_chunk};
use crate::{AccountKey, Cert, policy};

/// Plaintext up to this size is held back until the signature has verified, so a small
/// message (nearly all mail) is never written to `out` unless it is authentic. Beyond it,
/// plaintext streams out before the signature at the end of the message can be checked.
///
/// The OpenPGP stack keeps buffers of about this size in several of its layers for the whole
/// unsealing, so it sets most of a receiver's memory: at 8 MiB an unsealing peaked near
/// 66 MiB, at 2 MiB near 23 MiB, whatever the message size.
pub const UNSEAL_VERIFY_BUFFER: usize = 2 * 1024 * 1024;

/// What a successful [`unseal`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsealReport {
    pub message_id: MessageId,
    /// Plaintext bytes written to `out`.
    pub plaintext_bytes: u64,
    /// Chunks checked against the manifest.
    pub chunks: u32,
    /// The sender's subkey that made the good signature.
    pub signing_key: Fingerprint,
    /// The signature's creation time, as the sender claims it.
    pub signed_at: Option<DateTime<Utc>>,
}

/// Unseals a message: checks each chunk against the manifest as it streams in, decrypts with
/// the recipient's key, verifies the sender's signature, and writes the plaintext to `out`.
///
/// `manifest` must come from [`crate::verify_manifest`] with the same `sender_cert`.
/// `chunks` yields the ciphertext chunks in order (see [`read_chunks`] for a reader over
/// their concatenation).
///
/// **Output is provisional until this returns `Ok`.** Messages larger than
/// [`UNSEAL_VERIFY_BUFFER`] are written to `out` as they decrypt, before the signature at
/// their end is checked; on any error the caller must discard everything written (write to a
/// staging blob and file it only after `Ok`).
pub fn unseal<I>(
    chunks: I,
    manifest: &Manifest,
    recipient: &AccountKey,
    sender_cert: &Cert,
    mut out: impl Write,
) -> Result<UnsealReport>
where
    I: IntoIterator<Item = io::Result<Vec<u8>>>,
    I::IntoIter: Send,
{
    let stream = Arc::new(Mutex::new(StreamState::default()));
    let verdict = Arc::new(Mutex::new(Verdict::default()));
    let reader = ChunkReader {
        chunks: Mutex::new(chunks.into_iter()),
        manifest_hashes: manifest.chunk_hashes.clone(),
        chunk_lens: (0..manifest.chunk_hashes.len() as u32)
            .map(|i| manifest.chunk_len(i).unwrap_or(0))
            .collect(),
        current: Vec::new(),
        pos: 0,
        state: Arc::clone(&stream),
    };
    let helper = Helper {
        recipient,
        sender: sender_cert,
        verdict: Arc::clone(&verdict),
    };

    let fail = |e: String| classify(e, &stream, &verdict);
    let mut decryptor = DecryptorBuilder::from_reader(reader)
        .map_err(|e| fail(format!("{e:#}")))?
        .buffer_size(UNSEAL_VERIFY_BUFFER)
        .with_policy(policy(), None, helper)
        .map_err(|e| fail(format!("{e:#}")))?;

    let mut buf = vec![0u8; 64 * 1024];
    let mut plaintext_bytes = 0u64;
    loop {
        let n = match decryptor.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(e.to_string())),
        };
        out.write_all(&buf[..n])?;
        plaintext_bytes += n as u64;
    }
    out.flush()?;
    if !decryptor.message_processed() {
        return Err(fail("message not fully processed".into()));
    }
    drop(decryptor);

    let stream = lock(&stream);
    if let Some(e) = stream.take_error() {
        return Err(e);
    }
    if !stream.finished {
        return Err(WireError::OpenPgp(
            "message ended before its last chunk".into(),
        ));
    }
    let verdict = lock(&verdict);
    match &verdict.good {
        Some((signing_key, signed_at)) => Ok(UnsealReport {
            message_id: manifest.message_id,
            plaintext_bytes,
            chunks: stream.chunks_ok,
            signing_key: signing_key.clone(),
            signed_at: *signed_at,
        }),
        None => Err(WireError::BadSignature(
            verdict
                .signature_error
                .clone()
                .unwrap_or_else(|| "signature not checked".into()),
        )),
    }
}

/// Cuts a reader over the concatenated chunks of `manifest` into the chunks [`unseal`]
/// takes. A stream that ends early ends the iteration (so `unseal` reports
/// [`WireError::Truncated`]); bytes after the last chunk come out as one extra chunk (so it
/// reports [`WireError::ExtraChunks`]).
pub fn read_chunks<R: Read>(
    reader: R,
    manifest: &Manifest,
) -> impl Iterator<Item = io::Result<Vec<u8>>> + use<R> {
    let lens: Vec<usize> = (0..manifest.chunk_hashes.len() as u32)
        .map(|i| manifest.chunk_len(i).unwrap_or(0))
        .collect();
    let mut reader = reader;
    let mut index = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let want = lens.get(index).copied().unwrap_or(1);
        let mut chunk = Vec::with_capacity(want);
        match (&mut reader).take(want as u64).read_to_end(&mut chunk) {
            Err(e) => {
                done = true;
                Some(Err(e))
            }
            Ok(n) if n < want || index >= lens.len() => {
                done = true;
                // A short final read is a truncation, unless it is the excess after the last
                // chunk, which must be reported.
                (index >= lens.len() && n > 0).then_some(Ok(chunk))
            }
            Ok(_) => {
                index += 1;
                Some(Ok(chunk))
            }
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Maps a failure out of the OpenPGP stack to the most specific cause recorded on the way:
/// a chunk problem first (it happened before the bytes reached the decryptor), then a key
/// problem, then a signature problem.
fn classify(e: String, stream: &Mutex<StreamState>, verdict: &Mutex<Verdict>) -> WireError {
    if let Some(err) = lock(stream).take_error() {
        return err;
    }
    let verdict = lock(verdict);
    if verdict.no_key {
        return WireError::WrongRecipient;
    }
    if let Some(s) = &verdict.signature_error {
        return WireError::BadSignature(s.clone());
    }
    WireError::OpenPgp(e)
}

#[derive(Default)]
struct StreamState {
    error: Option<WireError>,
    chunks_ok: u32,
    /// All chunks seen and the source said there are no more.
    finished: bool,
}

impl StreamState {
    fn take_error(&self) -> Option<WireError> {
        // Reconstructed rather than moved so every caller sees it, whichever asks first.
        self.error.as_ref().map(|e| match e {
            WireError::TamperedChunk { index } => WireError::TamperedChunk { index: *index },
            WireError::Truncated { expected, received } => WireError::Truncated {
                expected: *expected,
                received: *received,
            },
            WireError::ExtraChunks { expected } => WireError::ExtraChunks {
                expected: *expected,
            },
            WireError::Io(e) => WireError::Io(io::Error::new(e.kind(), e.to_string())),
            other => WireError::OpenPgp(other.to_string()),
        })
    }
}

/// Releases ciphertext to the decryptor only a whole, hash-checked chunk at a time, so no
/// byte of a tampered chunk is ever decrypted and the failing index is known exactly.
struct ChunkReader<I> {
    // The decryptor requires a `Sync` source; the mutex gives that for any `Send` iterator
    // (e.g. a channel receiver).
    chunks: Mutex<I>,
    manifest_hashes: Vec<ChunkHash>,
    chunk_lens: Vec<usize>,
    current: Vec<u8>,
    pos: usize,
    state: Arc<Mutex<StreamState>>,
}

impl<I: Iterator<Item = io::Result<Vec<u8>>>> ChunkReader<I> {
    fn fail(&mut self, e: WireError) -> io::Error {
        let msg = e.to_string();
        let mut st = lock(&self.state);
        if st.error.is_none() {
            st.error = Some(e);
        }
        io::Error::other(msg)
    }

    /// Loads the next chunk into `current`; `Ok(false)` at the clean end.
    fn next_chunk(&mut self) -> io::Result<bool> {
        let (index, finished) = {
            let st = lock(&self.state);
            if let Some(e) = &st.error {
                return Err(io::Error::other(e.to_string()));
            }
            (st.chunks_ok, st.finished)
        };
        if finished {
            return Ok(false);
        }
        let expected = self.manifest_hashes.len() as u32;
        let item = lock(&self.chunks).next();
        if index == expected {
            return match item {
                None => {
                    lock(&self.state).finished = true;
                    Ok(false)
                }
                Some(_) => Err(self.fail(WireError::ExtraChunks { expected })),
            };
        }
        let chunk = match item {
            None => {
                return Err(self.fail(WireError::Truncated {
                    expected,
                    received: index,
                }));
            }
            Some(Err(e)) => return Err(self.fail(WireError::Io(e))),
            Some(Ok(chunk)) => chunk,
        };
        let i = index as usize;
        if chunk.len() != self.chunk_lens[i] || hash_chunk(&chunk) != self.manifest_hashes[i] {
            return Err(self.fail(WireError::TamperedChunk { index }));
        }
        lock(&self.state).chunks_ok += 1;
        self.current = chunk;
        self.pos = 0;
        Ok(true)
    }
}

impl<I: Iterator<Item = io::Result<Vec<u8>>>> Read for ChunkReader<I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[derive(Default)]
struct Verdict {
    no_key: bool,
    signature_error: Option<String>,
    good: Option<(Fingerprint, Option<DateTime<Utc>>)>,
}

struct Helper<'a> {
    recipient: &'a AccountKey,
    sender: &'a Cert,
    verdict: Arc<Mutex<Verdict>>,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        // Only the expected sender can vouch for the message: any other signer's key is
        // "missing", and the message fails.
        Ok(vec![self.sender.clone()])
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut verdict = lock(&self.verdict);
        let mut encrypted = false;
        let mut good = None;
        let mut first_error = None;
        for (depth, layer) in structure.into_iter().enumerate() {
            match layer {
                MessageLayer::Encryption { .. } if depth == 0 => encrypted = true,
                MessageLayer::SignatureGroup { results } => {
                    for r in results {
                        match r {
                            Ok(g) if g.ka.cert().fingerprint() == self.sender.fingerprint() => {
                                good.get_or_insert((
                                    g.ka.key().fingerprint(),
                                    g.sig.signature_creation_time().map(DateTime::<Utc>::from),
                                ));
                            }
                            Ok(_) => {}
                            Err(e) => {
                                first_error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                }
                _ => {
                    first_error.get_or_insert_with(|| "unexpected message structure".into());
                }
            }
        }
        if !encrypted {
            first_error = Some("message is not encrypted".into());
            good = None;
        }
        match good {
            Some(g) if first_error.is_none() => {
                verdict.good = Some(g);
                Ok(())
            }
            _ => {
                let e = first_error.unwrap_or_else(|| "not signed by the sender".into());
                verdict.signature_error = Some(e.clone());
                Err(anyhow::anyhow!(e))
            }
        }
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        let mut pairs = self.recipient.decryption_keypairs();
        for pkesk in pkesks {
            for pair in pairs.iter_mut() {
                if pkesk
                    .recipient()
                    .is_some_and(|r| !r.aliases(pair.public().key_handle()))
                {
                    continue;
                }
                if let Some((algo, sk)) = pkesk.decrypt(pair, sym_algo)
                    && decrypt(algo, &sk)
                {
                    return Ok(None);
                }
            }
        }
        lock(&self.verdict).no_key = true;
        Err(anyhow::anyhow!("no key of this account can decrypt"))
    }
}
