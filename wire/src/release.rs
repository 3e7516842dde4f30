//! Release announcements: the service network tells its nodes that a newer version exists.
//! Signed by the network CA under a context of its own, so that no token or directory record
//! signature can be passed off as an announcement (or the other way round).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Cert;
use crate::ca::CaKey;
use crate::error::Result;
use crate::network::{NetworkSigned, open_doc};

/// The release announcement format this build writes and reads.
pub const RELEASE_VERSION: u16 = 1;

const RELEASE_CONTEXT: &[u8] = b"wims release\0";

/// Notes and a URL are short; anything larger is not an announcement this build shows.
const MAX_RELEASE_BYTES: usize = 16 * 1024;

/// "Version `product_version` of wims is out; read `notes`, get it at `url`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub version: u16,
    /// Dotted numeric version, as in `Cargo.toml` (e.g. "0.2.0").
    pub product_version: String,
    pub notes: String,
    pub url: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub published: DateTime<Utc>,
}

impl CaKey {
    pub fn sign_release(&self, release: &Release) -> Result<NetworkSigned> {
        self.sign_doc(RELEASE_CONTEXT, release)
    }
}

/// Verifies a release announcement's CA signature and returns it.
pub fn verify_release(signed: &NetworkSigned, ca: &Cert) -> Result<Release> {
    open_doc(
        signed,
        ca,
        RELEASE_CONTEXT,
        "release announcement",
        RELEASE_VERSION,
        MAX_RELEASE_BYTES,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{RECORD_VERSION, TOKEN_VERSION, Token};
    use crate::{DirectoryRecord, MessageId};

    fn release() -> Release {
        Release {
            version: RELEASE_VERSION,
            product_version: "0.2.0".into(),
            notes: "faster sync".into(),
            url: "https://example.invalid/r".into(),
            published: Utc::now(),
        }
    }

    #[test]
    fn good_release_verifies() {
        let ca = CaKey::generate("t").unwrap();
        let r = release();
        let back = verify_release(&ca.sign_release(&r).unwrap(), &ca.cert()).unwrap();
        assert_eq!(back.product_version, "0.2.0");
        assert_eq!(back.url, r.url);
    }

    #[test]
    fn other_ca_and_tampering_are_refused() {
        let ca = CaKey::generate("t").unwrap();
        let other = CaKey::generate("o").unwrap();
        let signed = ca.sign_release(&release()).unwrap();
        assert!(verify_release(&signed, &other.cert()).is_err());
        assert!(verify_release(&other.sign_release(&release()).unwrap(), &ca.cert()).is_err());
        let mut tampered = signed.clone();
        let n = tampered.body.len();
        tampered.body[n - 1] ^= 1;
        assert!(verify_release(&tampered, &ca.cert()).is_err());
        let mut big = signed;
        big.body.resize(MAX_RELEASE_BYTES + 1, 0);
        assert!(verify_release(&big, &ca.cert()).is_err());
    }

    #[test]
    fn other_document_signatures_are_not_releases() {
        // Same CA, same first field (version 1): only the context tells them apart.
        let ca = CaKey::generate("t").unwrap();
        let record = DirectoryRecord {
            version: RECORD_VERSION,
            address: "0.2.0".into(),
            display_name: String::new(),
            cert: vec![],
            node: String::new(),
            node_addrs: vec![],
            backups: vec![],
            updated: Utc::now(),
        };
        assert!(verify_release(&ca.sign_record(&record).unwrap(), &ca.cert()).is_err());
        let now = Utc::now();
        let token = Token {
            version: TOKEN_VERSION,
            message_id: MessageId::random(),
            sender: "a@b.h".into(),
            recipients: vec![],
            size: 0,
            issued: now,
            expires: now,
        };
        assert!(verify_release(&ca.sign_token(&token).unwrap(), &ca.cert()).is_err());
        // And the other way round: a release is not a record.
        let signed = ca.sign_release(&release()).unwrap();
        assert!(crate::verify_record(&signed, &ca.cert()).is_err());
    }
}
