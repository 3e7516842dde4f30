//! Sealed messages from strangers: ciphertext, chunks and manifests that do not match. Unsealing
//! must never panic, and whatever unseals must be the sender's genuine message.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wire::{
    AccountKey, Cert, MIN_CHUNK_SIZE, Manifest, SealOptions, SignedManifest, chunk_count,
    hash_chunk, read_chunks, seal, unseal, verify_manifest,
};

const PLAINTEXT: &[u8] = b"From: a@b.h\r\nTo: c@d.h\r\nSubject: hi\r\n\r\nhello\r\n";

struct Fixture {
    sender: Cert,
    recipient: AccountKey,
    manifest: Manifest,
    signed: SignedManifest,
    ciphertext: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let sender = AccountKey::generate("a@b.h").unwrap();
        let recipient = AccountKey::generate("c@d.h").unwrap();
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let sealed = seal(
            PLAINTEXT,
            &sender,
            &[recipient.cert()],
            &SealOptions {
                chunk_size: MIN_CHUNK_SIZE,
                ..SealOptions::default()
            },
            &mut chunks,
        )
        .unwrap();
        let f = Fixture {
            sender: sender.cert(),
            recipient,
            manifest: sealed.manifest,
            signed: sealed.signed,
            ciphertext: chunks.concat(),
        };
        let mut out = Vec::new();
        unseal(
            read_chunks(&f.ciphertext[..], &f.manifest),
            &f.manifest,
            &f.recipient,
            &f.sender,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, PLAINTEXT);
        f
    })
}

/// The genuine manifest, re-cut for `ciphertext` so its chunks pass the hash check and reach
/// the OpenPGP layer.
fn manifest_for(f: &Fixture, ciphertext: &[u8]) -> Option<Manifest> {
    if ciphertext.is_empty() {
        return None;
    }
    let mut m = f.manifest.clone();
    m.total_size = ciphertext.len() as u64;
    m.chunk_size = MIN_CHUNK_SIZE;
    m.chunk_hashes = ciphertext
        .chunks(MIN_CHUNK_SIZE as usize)
        .map(hash_chunk)
        .collect();
    assert_eq!(
        chunk_count(m.total_size, m.chunk_size),
        m.chunk_hashes.len() as u64
    );
    Some(m)
}

/// Unseals `ciphertext` under `manifest`; anything that comes out must be the genuine message.
fn try_unseal(f: &Fixture, ciphertext: &[u8], manifest: &Manifest) -> bool {
    let mut out = Vec::new();
    let ok = unseal(
        read_chunks(ciphertext, manifest),
        manifest,
        &f.recipient,
        &f.sender,
        &mut out,
    )
    .is_ok();
    if ok {
        assert_eq!(out, PLAINTEXT, "a forged message unsealed");
    }
    ok
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        // Made-up ciphertext whose chunks match the manifest.
        0 => {
            if let Some(m) = manifest_for(f, rest) {
                try_unseal(f, rest, &m);
            }
        }
        // The genuine ciphertext with bytes flipped, chunks re-hashed: only the OpenPGP
        // layer (AEAD and signature) stands between it and the recipient.
        1 => {
            let mut c = f.ciphertext.clone();
            let (at, mask) = match rest {
                [a, b, mask @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), mask),
                _ => (0, rest),
            };
            for (i, m) in mask.iter().enumerate() {
                if let Some(b) = c.get_mut((at + i) % f.ciphertext.len()) {
                    *b ^= m;
                }
            }
            if let Some(m) = manifest_for(f, &c) {
                try_unseal(f, &c, &m);
            }
        }
        // Made-up ciphertext against the genuine manifest: the chunk check must refuse
        // anything but the genuine bytes.
        2 => {
            let ok = try_unseal(f, rest, &f.manifest);
            assert_eq!(ok, rest == f.ciphertext.as_slice());
        }
        // A made-up manifest under the genuine signature, then used on the genuine chunks as
        // a careless caller would.
        _ => {
            let signed = SignedManifest {
                manifest: rest.to_vec(),
                signature: f.signed.signature.clone(),
            };
            if verify_manifest(&signed, &f.sender).is_ok() {
                assert_eq!(
                    rest,
                    f.signed.manifest.as_slice(),
                    "forged manifest verified"
                );
            }
            if let Ok(m) = signed.unverified() {
                for i in 0..m.chunk_hashes.len().min(4) as u32 {
                    let _ = m.chunk_len(i);
                }
                try_unseal(f, &f.ciphertext, &m);
            }
        }
    }
});
