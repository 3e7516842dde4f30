//! Sealing and unsealing through the public API, including every tampering case a receiver
//! must tell apart.

use std::io::{self, Read, Seek, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use wire::{
    AccountKey, Cert, MessageId, SealOptions, Sealed, SignedManifest, WireError, hash_chunk,
    read_chunks, seal, sign_receipt, unseal, verify_manifest, verify_receipt,
};

const CS: u32 = 64 * 1024;

struct Keys {
    alice: AccountKey,
    bob: AccountKey,
    dave: AccountKey,
    carol: AccountKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        alice: AccountKey::generate("alice@alpha.h").unwrap(),
        bob: AccountKey::generate("bob@beta.h").unwrap(),
        dave: AccountKey::generate("dave@beta.h").unwrap(),
        carol: AccountKey::generate("carol@gamma.h").unwrap(),
    })
}

/// Deterministic incompressible bytes, `len` of them, without holding them.
struct Generator {
    state: u64,
    left: u64,
    read: Arc<AtomicU64>,
}

impl Generator {
    fn new(seed: u64, len: u64) -> Self {
        Generator {
            state: seed | 1,
            left: len,
            read: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = self.state as u8;
        }
        self.left -= n as u64;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn data(len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    Generator::new(len as u64 + 7, len as u64)
        .read_to_end(&mut v)
        .unwrap();
    v
}

fn options() -> SealOptions {
    SealOptions {
        chunk_size: CS,
        ..SealOptions::default()
    }
}

fn seal_to_vec(plain: &[u8], recipients: &[Cert]) -> (Sealed, Vec<Vec<u8>>) {
    let mut chunks = Vec::new();
    let sealed = seal(plain, &keys().alice, recipients, &options(), &mut chunks).unwrap();
    (sealed, chunks)
}

fn open(
    chunks: Vec<Vec<u8>>,
    signed: &SignedManifest,
    recipient: &AccountKey,
    sender: &Cert,
) -> (Result<wire::UnsealReport, WireError>, Vec<u8>) {
    let manifest = verify_manifest(signed, sender).unwrap();
    let mut out = Vec::new();
    let r = unseal(
        chunks.into_iter().map(Ok),
        &manifest,
        recipient,
        sender,
        &mut out,
    );
    (r, out)
}

#[test]
fn round_trip_at_chunk_boundaries() {
    let k = keys();
    let cs = CS as usize;
    for len in [0, 1, cs - 1, cs, 3 * cs + 17] {
        let plain = data(len);
        let (sealed, chunks) = seal_to_vec(&plain, &[k.bob.cert()]);
        let m = &sealed.manifest;
        assert_eq!(m.chunk_hashes.len(), chunks.len(), "len {len}");
        assert_eq!(
            m.total_size,
            chunks.iter().map(|c| c.len() as u64).sum::<u64>()
        );
        let (last, full) = chunks.split_last().unwrap();
        assert!(full.iter().all(|c| c.len() == cs));
        assert!(!last.is_empty() && last.len() <= cs);
        for (c, h) in chunks.iter().zip(&m.chunk_hashes) {
            assert_eq!(&hash_chunk(c), h);
        }
        assert_eq!(sealed.stats.plaintext_bytes, len as u64);

        let (r, out) = open(chunks, &sealed.signed, &k.bob, &k.alice.cert());
        let report = r.unwrap();
        assert_eq!(out, plain, "len {len}");
        assert_eq!(report.plaintext_bytes, len as u64);
        assert_eq!(report.chunks as usize, m.chunk_hashes.len());
        assert_eq!(report.message_id, m.message_id);
        assert!(report.signed_at.is_some());
    }
}

#[test]
fn manifest_carries_options_and_survives_verification() {
    let k = keys();
    let id = MessageId::random();
    let opts = SealOptions {
        chunk_size: CS,
        message_type: "invoice".into(),
        message_id: Some(id),
        created: Some(chrono::DateTime::from_timestamp_millis(1_750_000_000_456).unwrap()),
        authorization: Some(b"token".to_vec()),
    };
    let mut chunks = Vec::new();
    let sealed = seal(
        &b"Subject: hi\r\n\r\nhello\r\n"[..],
        &k.alice,
        &[k.bob.cert(), k.dave.cert()],
        &opts,
        &mut chunks,
    )
    .unwrap();
    let m = verify_manifest(&sealed.signed, &k.alice.cert()).unwrap();
    assert_eq!(m, sealed.manifest);
    assert_eq!(m.version, wire::MANIFEST_VERSION);
    assert_eq!(m.message_id, id);
    assert_eq!(m.sender, "alice@alpha.h");
    assert_eq!(m.recipients, ["bob@beta.h", "dave@beta.h"]);
    assert_eq!(m.message_type, "invoice");
    assert_eq!(m.created.timestamp_millis(), 1_750_000_000_456);
    assert_eq!(m.authorization.as_deref(), Some(&b"token"[..]));
    assert_eq!(m.chunk_size, CS);
    // The unverified view agrees, and is only that.
    assert_eq!(sealed.signed.unverified().unwrap(), m);
}

#[test]
fn every_recipient_decrypts_and_nobody_else() {
    let k = keys();
    let plain = data(2 * CS as usize + 5);
    let (sealed, chunks) = seal_to_vec(&plain, &[k.bob.cert(), k.dave.cert()]);
    for who in [&k.bob, &k.dave] {
        let (r, out) = open(chunks.clone(), &sealed.signed, who, &k.alice.cert());
        r.unwrap();
        assert_eq!(out, plain);
    }
    let (r, out) = open(chunks, &sealed.signed, &k.carol, &k.alice.cert());
    assert!(matches!(r, Err(WireError::WrongRecipient)), "{r:?}");
    assert!(out.is_empty());
}

#[test]
fn tampered_chunk_byte_is_named_by_index() {
    let k = keys();
    let (sealed, mut chunks) = seal_to_vec(&data(3 * CS as usize), &[k.bob.cert()]);
    chunks[1][100] ^= 1;
    let (r, out) = open(chunks, &sealed.signed, &k.bob, &k.alice.cert());
    assert!(
        matches!(r, Err(WireError::TamperedChunk { index: 1 })),
        "{r:?}"
    );
    // Small messages are held back until verified: nothing leaked.
    assert!(out.is_empty());
}

#[test]
fn reordered_chunks_are_refused() {
    let k = keys();
    let (sealed, mut chunks) = seal_to_vec(&data(3 * CS as usize), &[k.bob.cert()]);
    chunks.swap(0, 1);
    let (r, _) = open(chunks, &sealed.signed, &k.bob, &k.alice.cert());
    assert!(
        matches!(r, Err(WireError::TamperedChunk { index: 0 })),
        "{r:?}"
    );
}

#[test]
fn dropped_last_chunk_is_truncation() {
    let k = keys();
    let (sealed, mut chunks) = seal_to_vec(&data(3 * CS as usize), &[k.bob.cert()]);
    let n = chunks.len() as u32;
    chunks.pop();
    let (r, out) = open(chunks, &sealed.signed, &k.bob, &k.alice.cert());
    match r {
        Err(WireError::Truncated { expected, received }) => {
            assert_eq!((expected, received), (n, n - 1));
        }
        other => panic!("{other:?}"),
    }
    assert!(out.is_empty());
}

#[test]
fn extra_chunk_is_refused() {
    let k = keys();
    let (sealed, mut chunks) = seal_to_vec(&data(CS as usize), &[k.bob.cert()]);
    let n = chunks.len() as u32;
    chunks.push(b"more".to_vec());
    let (r, _) = open(chunks, &sealed.signed, &k.bob, &k.alice.cert());
    assert!(
        matches!(r, Err(WireError::ExtraChunks { expected }) if expected == n),
        "{r:?}"
    );
}

#[test]
fn chunk_source_error_is_io() {
    let k = keys();
    let (sealed, chunks) = seal_to_vec(&data(2 * CS as usize), &[k.bob.cert()]);
    let manifest = verify_manifest(&sealed.signed, &k.alice.cert()).unwrap();
    let source = chunks
        .into_iter()
        .take(1)
        .map(Ok)
        .chain(std::iter::once(Err(io::Error::other("link down"))));
    let r = unseal(source, &manifest, &k.bob, &k.alice.cert(), io::sink());
    assert!(matches!(r, Err(WireError::Io(_))), "{r:?}");
}

#[test]
fn tampered_manifest_is_refused() {
    let k = keys();
    let (sealed, _) = seal_to_vec(&data(3 * CS as usize), &[k.bob.cert()]);
    let alice = k.alice.cert();

    // A consistent re-encoding with one field changed keeps the old signature: refused.
    let mut m = sealed.manifest.clone();
    m.message_type = "invoice".into();
    let forged = SignedManifest {
        manifest: m.encode().unwrap(),
        signature: sealed.signed.signature.clone(),
    };
    let r = verify_manifest(&forged, &alice);
    assert!(matches!(r, Err(WireError::ManifestSignature(_))), "{r:?}");

    // So is a changed chunk hash (pointing at other content).
    let mut m = sealed.manifest.clone();
    m.chunk_hashes[2][0] ^= 1;
    let forged = SignedManifest {
        manifest: m.encode().unwrap(),
        signature: sealed.signed.signature.clone(),
    };
    let r = verify_manifest(&forged, &alice);
    assert!(matches!(r, Err(WireError::ManifestSignature(_))), "{r:?}");

    // And a damaged signature.
    let mut forged = sealed.signed.clone();
    let last = forged.signature.len() - 1;
    forged.signature[last] ^= 1;
    let r = verify_manifest(&forged, &alice);
    assert!(matches!(r, Err(WireError::ManifestSignature(_))), "{r:?}");

    // Garbage that does not even decode.
    let forged = SignedManifest {
        manifest: vec![1, 0xff, 0xff],
        signature: sealed.signed.signature.clone(),
    };
    let r = verify_manifest(&forged, &alice);
    assert!(matches!(r, Err(WireError::Invalid { .. })), "{r:?}");

    // An unknown version is named as such.
    let mut m = sealed.manifest.clone();
    m.version = 9;
    let forged = SignedManifest {
        manifest: m.encode().unwrap(),
        signature: sealed.signed.signature.clone(),
    };
    let r = verify_manifest(&forged, &alice);
    assert!(
        matches!(r, Err(WireError::UnsupportedVersion { found: 9, .. })),
        "{r:?}"
    );
}

#[test]
fn wrong_sender_cert_is_refused() {
    let k = keys();
    let (sealed, chunks) = seal_to_vec(&data(CS as usize + 1), &[k.bob.cert()]);
    let carol = k.carol.cert();
    let r = verify_manifest(&sealed.signed, &carol);
    assert!(matches!(r, Err(WireError::ManifestSignature(_))), "{r:?}");

    // Even given a manifest, the message inside must be signed by the given sender.
    let manifest = verify_manifest(&sealed.signed, &k.alice.cert()).unwrap();
    let mut out = Vec::new();
    let r = unseal(
        chunks.into_iter().map(Ok),
        &manifest,
        &k.bob,
        &carol,
        &mut out,
    );
    assert!(matches!(r, Err(WireError::BadSignature(_))), "{r:?}");
    assert!(out.is_empty());
}

#[test]
fn chunks_of_another_message_are_refused() {
    let k = keys();
    let plain = data(CS as usize / 2);
    let (a, _) = seal_to_vec(&plain, &[k.bob.cert()]);
    let (_, b_chunks) = seal_to_vec(&plain, &[k.bob.cert()]);
    let (r, _) = open(b_chunks, &a.signed, &k.bob, &k.alice.cert());
    assert!(
        matches!(r, Err(WireError::TamperedChunk { index: 0 })),
        "{r:?}"
    );
}

#[test]
fn concatenated_stream_reader() {
    let k = keys();
    let plain = data(2 * CS as usize + 3);
    let (sealed, chunks) = seal_to_vec(&plain, &[k.bob.cert()]);
    let alice = k.alice.cert();
    let m = verify_manifest(&sealed.signed, &alice).unwrap();
    let all = chunks.concat();

    let mut out = Vec::new();
    unseal(read_chunks(&all[..], &m), &m, &k.bob, &alice, &mut out).unwrap();
    assert_eq!(out, plain);

    // Cut mid-chunk.
    let cut = &all[..CS as usize + 10];
    let r = unseal(read_chunks(cut, &m), &m, &k.bob, &alice, io::sink());
    assert!(
        matches!(r, Err(WireError::Truncated { received: 1, .. })),
        "{r:?}"
    );

    // Trailing bytes.
    let mut longer = all.clone();
    longer.push(0);
    let r = unseal(read_chunks(&longer[..], &m), &m, &k.bob, &alice, io::sink());
    assert!(matches!(r, Err(WireError::ExtraChunks { .. })), "{r:?}");
}

#[test]
fn large_message_output_is_provisional_until_ok() {
    // Beyond the verification buffer plaintext streams out before the end is checked; the
    // error still comes, and the caller discards what was written.
    let k = keys();
    let len = wire::UNSEAL_VERIFY_BUFFER + 16 * 1024 * 1024;
    let (sealed, mut chunks) = seal_to_vec(&data(len), &[k.bob.cert()]);
    let last = chunks.len() - 1;
    chunks[last][0] ^= 1;
    let (r, out) = open(chunks, &sealed.signed, &k.bob, &k.alice.cert());
    assert!(
        matches!(r, Err(WireError::TamperedChunk { index }) if index as usize == last),
        "{r:?}"
    );
    assert!(!out.is_empty() && out.len() < len, "{} of {len}", out.len());
}

/// Hashes what is written, holding nothing.
struct HashWriter(blake3::Hasher, u64);

impl Write for HashWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.update(b);
        self.1 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn sixty_four_mib_streams_with_flat_memory() {
    const LEN: u64 = 64 * 1024 * 1024;
    const READ_AHEAD: u64 = 8 * 1024 * 1024 + 256 * 1024;
    let k = keys();
    let cs = CS as u64;
    let source = Generator::new(42, LEN);
    let read = Arc::clone(&source.read);

    let mut spool = tempfile::tempfile().unwrap();
    let mut calls = 0u64;
    let mut largest = 0usize;
    let sink = |index: u32, chunk: &[u8], hash: &wire::ChunkHash| -> io::Result<()> {
        assert_eq!(u64::from(index), calls, "chunks arrive in order");
        assert_eq!(&hash_chunk(chunk), hash);
        largest = largest.max(chunk.len());
        let ciphertext_so_far = (calls + 1) * cs;
        let plaintext_read = read.load(Ordering::Relaxed);
        // The sealer reads at most a bounded amount ahead of what it hands out (the OpenPGP
        // writer stack's two 4 MiB partial-body buffers and one read block)...
        assert!(
            plaintext_read <= ciphertext_so_far + READ_AHEAD,
            "read {plaintext_read} before handing out {ciphertext_so_far}"
        );
        // ...and never hands out more ciphertext than the plaintext read accounts for
        // (overhead < 1%).
        assert!(plaintext_read + ciphertext_so_far / 100 + 64 * 1024 >= ciphertext_so_far);
        calls += 1;
        spool.write_all(chunk)
    };
    let sealed = seal(source, &k.alice, &[k.bob.cert()], &options(), sink).unwrap();
    assert_eq!(sealed.stats.plaintext_bytes, LEN);
    assert_eq!(largest, CS as usize);
    assert_eq!(calls as usize, sealed.manifest.chunk_hashes.len());
    assert!(calls >= LEN / cs);
    // Never more than one chunk plus one flush of the writer stack's 4 MiB partial-body
    // buffer and a read block.
    eprintln!("peak buffered: {}", sealed.stats.peak_buffered);
    assert!(
        sealed.stats.peak_buffered <= CS as usize + 4 * 1024 * 1024 + 128 * 1024,
        "peak {}",
        sealed.stats.peak_buffered
    );

    let mut expected = blake3::Hasher::new();
    io::copy(&mut Generator::new(42, LEN), &mut expected).unwrap();

    spool.rewind().unwrap();
    let alice = k.alice.cert();
    let m = verify_manifest(&sealed.signed, &alice).unwrap();
    let mut out = HashWriter(blake3::Hasher::new(), 0);
    let report = unseal(
        read_chunks(io::BufReader::new(spool), &m),
        &m,
        &k.bob,
        &alice,
        &mut out,
    )
    .unwrap();
    assert_eq!(report.plaintext_bytes, LEN);
    assert_eq!(out.1, LEN);
    assert_eq!(out.0.finalize(), expected.finalize());
}

#[test]
fn receipts_sign_and_verify() {
    let k = keys();
    let (sealed, _) = seal_to_vec(b"hello", &[k.bob.cert()]);
    let at = chrono::DateTime::from_timestamp_millis(1_760_000_000_000).unwrap();
    let signed = sign_receipt(&k.bob, sealed.manifest.message_id, &sealed.signed, at).unwrap();

    let r = verify_receipt(&signed, &k.bob.cert()).unwrap();
    assert_eq!(r.version, wire::RECEIPT_VERSION);
    assert_eq!(r.message_id, sealed.manifest.message_id);
    assert_eq!(r.recipient, "bob@beta.h");
    assert_eq!(r.manifest_hash, sealed.signed.hash());
    assert_eq!(r.received_at, at);

    // Someone else's certificate does not vouch for it.
    let e = verify_receipt(&signed, &k.carol.cert());
    assert!(matches!(e, Err(WireError::BadSignature(_))), "{e:?}");

    // A changed statement no longer matches the signature.
    let mut forged = signed.clone();
    let i = forged.receipt.len() - 1;
    forged.receipt[i] ^= 1;
    let e = verify_receipt(&forged, &k.bob.cert());
    assert!(
        matches!(
            e,
            Err(WireError::BadSignature(_) | WireError::Invalid { .. })
        ),
        "{e:?}"
    );
}

#[test]
fn seal_refuses_bad_input() {
    let k = keys();
    let mut chunks = Vec::new();
    let r = seal(&b"x"[..], &k.alice, &[], &options(), &mut chunks);
    assert!(matches!(r, Err(WireError::Invalid { .. })), "{r:?}");
    let tiny = SealOptions {
        chunk_size: 100,
        ..options()
    };
    let r = seal(&b"x"[..], &k.alice, &[k.bob.cert()], &tiny, &mut chunks);
    assert!(matches!(r, Err(WireError::Invalid { .. })), "{r:?}");
}
