//! Signed documents from strangers: manifests, receipts, logins, and the network's tokens,
//! directory records and release announcements. Checking one must never panic, and nothing
//! but the exact signed bytes may verify: a document that verifies under a mangled body is
//! the original one.

#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use wire::proto::{Login, SignedLogin, sign_login, verify_login};
use wire::{
    AccountKey, CaKey, Cert, DirectoryRecord, MANIFEST_VERSION, MIN_CHUNK_SIZE, Manifest,
    MessageId, NetworkSigned, RECORD_VERSION, RELEASE_VERSION, Release, SignedManifest,
    SignedReceipt, TOKEN_VERSION, Token, cert_addresses, cert_from_bytes, cert_to_bytes,
    check_token_for, is_certified, sign_receipt, verify_manifest, verify_receipt, verify_record,
    verify_release, verify_token,
};

const ADDRESS: &str = "a@b.h";
const RECIPIENT: &str = "c@d.h";

struct Fixture {
    ca: Cert,
    /// The account's certificate as the CA certified it.
    cert: Cert,
    manifest_doc: Manifest,
    manifest: SignedManifest,
    receipt: SignedReceipt,
    login: SignedLogin,
    token: NetworkSigned,
    record: NetworkSigned,
    release: NetworkSigned,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let ca = CaKey::generate("fuzz").unwrap();
        let account = AccountKey::generate(ADDRESS).unwrap();
        let cert = ca.certify(&account.cert(), ADDRESS).unwrap();
        let now = Utc::now();
        let id = MessageId([7; 16]);
        let token = ca
            .sign_token(&Token {
                version: TOKEN_VERSION,
                message_id: id,
                sender: ADDRESS.into(),
                recipients: vec![RECIPIENT.into()],
                size: 100,
                issued: now,
                expires: now + chrono::Duration::days(1),
            })
            .unwrap();
        let manifest_doc = Manifest {
            version: MANIFEST_VERSION,
            message_id: id,
            sender: ADDRESS.into(),
            recipients: vec![RECIPIENT.into()],
            message_type: "message".into(),
            created: DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap(),
            total_size: 100,
            chunk_size: MIN_CHUNK_SIZE,
            chunk_hashes: vec![[1; 32]],
            authorization: Some(Token::encode_signed(&token)),
        };
        let manifest = manifest_doc.sign_unchecked(&account).unwrap();
        let receipt = sign_receipt(&account, id, &manifest, now).unwrap();
        let login = sign_login(
            &account,
            &Login {
                address: ADDRESS.into(),
                node: "12D3KooW".into(),
                node_addrs: vec!["/ip4/127.0.0.1/udp/1/quic-v1".into()],
                at: now,
            },
        )
        .unwrap();
        let record = ca
            .sign_record(&DirectoryRecord {
                version: RECORD_VERSION,
                address: ADDRESS.into(),
                display_name: "A".into(),
                cert: cert_to_bytes(&cert).unwrap(),
                node: "12D3KooW".into(),
                node_addrs: vec![],
                backups: vec![],
                updated: now,
            })
            .unwrap();
        let release = ca
            .sign_release(&Release {
                version: RELEASE_VERSION,
                product_version: "9.9.9".into(),
                notes: String::new(),
                url: "https://example.invalid/".into(),
                published: now,
            })
            .unwrap();
        let f = Fixture {
            ca: ca.cert(),
            cert,
            manifest_doc,
            manifest,
            receipt,
            login,
            token,
            record,
            release,
        };
        // The targets below are only meaningful if the genuine documents verify.
        verify_manifest(&f.manifest, &f.cert).unwrap();
        verify_receipt(&f.receipt, &f.cert).unwrap();
        verify_login(&f.login, &f.cert).unwrap();
        verify_token(&f.token, &f.ca).unwrap();
        verify_record(&f.record, &f.ca).unwrap();
        verify_release(&f.release, &f.ca).unwrap();
        check_token_for(&f.manifest_doc, RECIPIENT, &f.ca, now).unwrap();
        f
    })
}

/// Every kind of document made of `body` and `signature`; for each that verifies, the body
/// must be the genuine one of its kind.
fn check_all(f: &Fixture, body: &[u8], signature: &[u8]) {
    let (b, s) = (body.to_vec(), signature.to_vec());
    let manifest = SignedManifest {
        manifest: b.clone(),
        signature: s.clone(),
    };
    let _ = manifest.unverified();
    let _ = manifest.hash();
    if verify_manifest(&manifest, &f.cert).is_ok() {
        assert_eq!(b, f.manifest.manifest, "forged manifest verified");
    }
    let receipt = SignedReceipt {
        receipt: b.clone(),
        signature: s.clone(),
    };
    if verify_receipt(&receipt, &f.cert).is_ok() {
        assert_eq!(b, f.receipt.receipt, "forged receipt verified");
    }
    let login = SignedLogin {
        login: b.clone(),
        signature: s.clone(),
    };
    if verify_login(&login, &f.cert).is_ok() {
        assert_eq!(b, f.login.login, "forged login verified");
    }
    let doc = NetworkSigned {
        body: b.clone(),
        signature: s,
    };
    if verify_token(&doc, &f.ca).is_ok() {
        assert_eq!(b, f.token.body, "forged token verified");
    }
    if verify_record(&doc, &f.ca).is_ok() {
        assert_eq!(b, f.record.body, "forged record verified");
    }
    if verify_release(&doc, &f.ca).is_ok() {
        assert_eq!(b, f.release.body, "forged release verified");
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        // Body and signature both from the input, split where its first two bytes say.
        0 => {
            let (at, rest) = match rest {
                [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
                _ => (0, rest),
            };
            let (body, sig) = rest.split_at(at.min(rest.len()));
            check_all(f, body, sig);
        }
        // A genuine signature over a made-up body.
        1 => {
            let sigs = [
                &f.manifest.signature,
                &f.receipt.signature,
                &f.login.signature,
                &f.token.signature,
                &f.record.signature,
                &f.release.signature,
            ];
            if let Some((&which, body)) = rest.split_first() {
                check_all(f, body, sigs[usize::from(which) % sigs.len()]);
            }
        }
        // A genuine body under a made-up signature.
        2 => {
            let bodies = [
                &f.manifest.manifest,
                &f.receipt.receipt,
                &f.login.login,
                &f.token.body,
                &f.record.body,
                &f.release.body,
            ];
            if let Some((&which, sig)) = rest.split_first() {
                check_all(f, bodies[usize::from(which) % bodies.len()], sig);
            }
        }
        // A certificate from a stranger, as a directory record or a host request carries it.
        3 => {
            if let Ok(cert) = cert_from_bytes(rest) {
                let _ = cert_addresses(&cert);
                let _ = is_certified(&cert, ADDRESS, &f.ca);
                let _ = verify_manifest(&f.manifest, &cert);
                let _ = verify_receipt(&f.receipt, &cert);
            }
        }
        // The authorization a manifest carries.
        _ => {
            let mut m = f.manifest_doc.clone();
            m.authorization = Some(rest.to_vec());
            if let Ok(t) = check_token_for(&m, RECIPIENT, &f.ca, Utc::now()) {
                assert_eq!(
                    t,
                    verify_token(&f.token, &f.ca).unwrap(),
                    "forged token accepted"
                );
            }
        }
    }
});
