use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sequoia_openpgp as openpgp;

use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Signer};
use openpgp::types::{AEADAlgorithm, HashAlgorithm, SymmetricAlgorithm};

use crate::error::{Result, WireError};
use crate::key::cert_addresses;
use crate::manifest::{
    ChunkHash, MANIFEST_VERSION, MAX_CHUNK_SIZE, MAX_CHUNKS, MIN_CHUNK_SIZE, Manifest, MessageId,
    SignedManifest, hash_chunk,
};
use crate::{AccountKey, Cert, policy};

/// Default chunk size: 4 MiB.
///
/// Small enough that a transfer cut at any byte loses at most a few seconds of work on a slow
/// link, that a receiver or store-only server can hash-check a whole chunk in memory before
/// accepting it, and that several transfers at once stay far below a node's memory budget;
/// large enough that per-chunk costs (a request, a hash entry, a file on a server) stay
/// negligible and a 4 GiB message needs only 1024 hashes (32 KiB of manifest).
pub const DEFAULT_CHUNK_SIZE: u32 = 4 * 1024 * 1024;

/// Plaintext is read and fed to the OpenPGP writer in blocks of this size.
const READ_BLOCK: usize = 64 * 1024;

/// Where the sealer hands each finished chunk, in order, as soon as it is full.
///
/// The sealer keeps no chunk after the call returns, so an implementation that writes chunks
/// to disk or to the network keeps the sender's memory flat for any message size. An error
/// aborts sealing.
pub trait ChunkSink {
    /// Receives chunk `index` (0-based) and its BLAKE3 hash.
    fn put_chunk(&mut self, index: u32, data: &[u8], hash: &ChunkHash) -> io::Result<()>;
}

impl<F> ChunkSink for F
where
    F: FnMut(u32, &[u8], &ChunkHash) -> io::Result<()>,
{
    fn put_chunk(&mut self, index: u32, data: &[u8], hash: &ChunkHash) -> io::Result<()> {
        self(index, data, hash)
    }
}

/// Collects chunks in memory: for tests and small messages only.
impl ChunkSink for &mut Vec<Vec<u8>> {
    fn put_chunk(&mut self, _index: u32, data: &[u8], _hash: &ChunkHash) -> io::Result<()> {
        self.push(data.to_vec());
        Ok(())
    }
}

/// Everything about a message that is not its content or its keys.
#[derive(Clone, Debug)]
pub struct SealOptions {
    /// Chunk size; [`DEFAULT_CHUNK_SIZE`] unless there is a reason.
    pub chunk_size: u32,
    /// The message type carried in the manifest, e.g. "message" or "invoice".
    pub message_type: String,
    /// The id the authorization token was issued for; random if `None`.
    pub message_id: Option<MessageId>,
    /// Sealing time (pass network time); the local clock if `None`.
    pub created: Option<DateTime<Utc>>,
    /// The service network's authorization token, if already obtained.
    pub authorization: Option<Vec<u8>>,
}

impl Default for SealOptions {
    fn default() -> Self {
        SealOptions {
            chunk_size: DEFAULT_CHUNK_SIZE,
            message_type: "message".into(),
            message_id: None,
            created: None,
            authorization: None,
        }
    }
}

/// What sealing produced besides the chunks.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The manifest, as signed.
    pub manifest: Manifest,
    /// The manifest as it travels.
    pub signed: SignedManifest,
    pub stats: SealStats,
}

/// Figures about one sealing run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SealStats {
    /// Plaintext bytes read.
    pub plaintext_bytes: u64,
    /// Most ciphertext bytes held at once waiting to form a chunk; stays near `chunk_size`
    /// whatever the message size.
    pub peak_buffered: usize,
}

/// Seals a MIME message: signs it by `sender`, encrypts it to every recipient, cuts the
/// ciphertext into chunks handed to `sink` one by one, and returns the signed manifest.
///
/// Streaming: at most about one chunk of ciphertext plus one read block is held at any time,
/// whatever the size of `reader`. The OpenPGP message is SEIPDv2 (AES-256-OCB) containing a
/// SHA-256 signature by the sender's signing subkey and a binary literal data packet.
pub fn seal(
    mut reader: impl Read,
    sender: &AccountKey,
    recipients: &[Cert],
    options: &SealOptions,
    mut sink: impl ChunkSink,
) -> Result<Sealed> {
    let chunk_size = options.chunk_size;
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        return Err(WireError::invalid(
            "seal options",
            "chunk size out of range",
        ));
    }
    if recipients.is_empty() {
        return Err(WireError::invalid("seal options", "no recipients"));
    }
    let chunk_size = chunk_size as usize;

    let mut recipient_addresses = Vec::with_capacity(recipients.len());
    let mut encryption_keys = Vec::new();
    for cert in recipients {
        let address = cert_addresses(cert).into_iter().next().ok_or_else(|| {
            WireError::Key(format!("certificate {} has no address", cert.fingerprint()))
        })?;
        let before = encryption_keys.len();
        encryption_keys.extend(
            cert.keys()
                .with_policy(policy(), None)
                .supported()
                .alive()
                .revoked(false)
                .for_transport_encryption(),
        );
        if encryption_keys.len() == before {
            return Err(WireError::Key(format!(
                "no usable encryption key for {address}"
            )));
        }
        recipient_addresses.push(address);
    }

    // The OpenPGP writer stack must own a `Send + Sync` writer. It writes into this shared
    // buffer, and full chunks move from there to `sink` after every block: keeping the
    // caller's sink out of the writer stack spares it that bound and lets its errors come
    // back unwrapped.
    let pending = Arc::new(Mutex::new(Vec::with_capacity(chunk_size + 2 * READ_BLOCK)));
    let message = Message::new(SharedBuf(Arc::clone(&pending)));
    let message = Encryptor::for_recipients(message, encryption_keys)
        .symmetric_algo(SymmetricAlgorithm::AES256)
        .aead_algo(AEADAlgorithm::OCB)
        .build()
        .map_err(WireError::pgp)?;
    // SHA-256: the signature hashes every byte of the message, and SHA-256 runs in hardware
    // (SHA-NI, ARMv8 SHA) where SHA-512 does not; it is twice as fast there and the digest is
    // as long as Ed25519 asks for (RFC 9580, 5.2.3.4).
    let message = Signer::new(message, sender.signing_keypair()?)
        .map_err(WireError::pgp)?
        .hash_algo(HashAlgorithm::SHA256)
        .map_err(WireError::pgp)?
        .build()
        .map_err(WireError::pgp)?;
    let mut message = LiteralWriter::new(message)
        .build()
        .map_err(WireError::pgp)?;

    let mut chunker = Chunker {
        chunk_size,
        hashes: Vec::new(),
        total: 0,
        peak: 0,
    };
    let mut block = vec![0u8; READ_BLOCK];
    let mut plaintext_bytes = 0u64;
    loop {
        let n = match reader.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        plaintext_bytes += n as u64;
        message.write_all(&block[..n])?;
        chunker.drain(&pending, &mut sink, false)?;
    }
    message.finalize().map_err(WireError::pgp)?;
    chunker.drain(&pending, &mut sink, true)?;

    let manifest = Manifest {
        version: MANIFEST_VERSION,
        message_id: options.message_id.unwrap_or_else(MessageId::random),
        sender: sender.address().to_string(),
        recipients: recipient_addresses,
        message_type: options.message_type.clone(),
        created: truncate_to_millis(options.created.unwrap_or_else(Utc::now)),
        total_size: chunker.total,
        chunk_size: chunk_size as u32,
        chunk_hashes: chunker.hashes,
        authorization: options.authorization.clone(),
    };
    let signed = manifest.sign(sender)?;
    Ok(Sealed {
        manifest,
        signed,
        stats: SealStats {
            plaintext_bytes,
            peak_buffered: chunker.peak,
        },
    })
}

/// The manifest stores milliseconds; sealing keeps the in-memory manifest equal to what a
/// receiver decodes.
fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

struct Chunker {
    chunk_size: usize,
    hashes: Vec<ChunkHash>,
    total: u64,
    peak: usize,
}

impl Chunker {
    /// Hands every full chunk in `pending` to the sink; with `last`, also the remainder.
    fn drain(
        &mut self,
        pending: &Mutex<Vec<u8>>,
        sink: &mut impl ChunkSink,
        last: bool,
    ) -> Result<()> {
        let mut buf = pending.lock().unwrap_or_else(|p| p.into_inner());
        self.peak = self.peak.max(buf.len());
        let mut start = 0;
        while buf.len() - start >= self.chunk_size || (last && start < buf.len()) {
            let end = (start + self.chunk_size).min(buf.len());
            self.emit(&buf[start..end], sink)?;
            start = end;
        }
        // Only a partial chunk (less than one chunk) is ever moved to the front.
        buf.drain(..start);
        Ok(())
    }

    fn emit(&mut self, chunk: &[u8], sink: &mut impl ChunkSink) -> Result<()> {
        if self.hashes.len() >= MAX_CHUNKS as usize {
            return Err(WireError::invalid(
                "message",
                format!("more than {MAX_CHUNKS} chunks; use a larger chunk size"),
            ));
        }
        let hash = hash_chunk(chunk);
        sink.put_chunk(self.hashes.len() as u32, chunk, &hash)?;
        self.hashes.push(hash);
        self.total += chunk.len() as u64;
        Ok(())
    }
}

/// The bottom of the OpenPGP writer stack.
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::Packet;
    use openpgp::parse::{PacketParser, PacketParserResult, Parse};

    /// The outer packets are what docs/protocol.md promises: one v6 PKESK per recipient and
    /// a SEIPD v2 container with AES-256-OCB.
    #[test]
    fn outer_format_is_seipd_v2_aes256_ocb() {
        let alice = AccountKey::generate("alice@alpha.h").unwrap();
        let bob = AccountKey::generate("bob@beta.h").unwrap();
        let dave = AccountKey::generate("dave@beta.h").unwrap();
        let mut chunks = Vec::new();
        seal(
            &b"hello"[..],
            &alice,
            &[bob.cert(), dave.cert()],
            &SealOptions {
                chunk_size: MIN_CHUNK_SIZE,
                ..SealOptions::default()
            },
            &mut chunks,
        )
        .unwrap();
        let ciphertext = chunks.concat();
        let mut pkesks = 0;
        let mut seip = None;
        let mut ppr = PacketParser::from_bytes(&ciphertext).unwrap();
        while let PacketParserResult::Some(pp) = ppr {
            match &pp.packet {
                Packet::PKESK(p) => {
                    assert_eq!(p.version(), 6);
                    pkesks += 1;
                }
                Packet::SEIP(s) => seip = Some(s.clone()),
                other => panic!("unexpected {other:?}"),
            }
            ppr = pp.next().unwrap().1;
        }
        assert_eq!(pkesks, 2);
        match seip.expect("SEIPD") {
            openpgp::packet::SEIP::V2(s) => {
                assert_eq!(s.symmetric_algo(), SymmetricAlgorithm::AES256);
                assert_eq!(s.aead(), AEADAlgorithm::OCB);
            }
            other => panic!("not SEIPD v2: {other:?}"),
        }
    }
}
