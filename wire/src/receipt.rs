use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, WireError};
use crate::key::cert_has_address;
use crate::manifest::MessageId;
use crate::sign::{sign_detached, verify_detached};
use crate::{AccountKey, Cert, SignedManifest};

/// The receipt format this build writes and the only one it reads.
pub const RECEIPT_VERSION: u16 = 1;

/// Receipts are a few dozen bytes; anything much larger is not one.
const MAX_RECEIPT_BYTES: usize = 4096;

const RECEIPT_CONTEXT: &[u8] = b"wims receipt\0";

/// "Recipient R received message M, whose signed manifest hashes to H, at time T."
///
/// Made by the recipient's node once the message unsealed and verified; the sender's node
/// keeps it as proof of delivery. The manifest hash pins the exact message (content, size,
/// recipients, token), not just its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub version: u16,
    pub message_id: MessageId,
    /// The receiving account's address; must be a User ID of the signing certificate.
    pub recipient: String,
    /// [`SignedManifest::hash`] of the message received.
    pub manifest_hash: [u8; 32],
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub received_at: DateTime<Utc>,
}

/// A receipt as it travels: postcard bytes plus the recipient's detached signature over
/// `"wims receipt\0" || receipt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReceipt {
    pub receipt: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Makes the receipt for a message `recipient` has unsealed.
pub fn sign_receipt(
    recipient: &AccountKey,
    message_id: MessageId,
    manifest: &SignedManifest,
    received_at: DateTime<Utc>,
) -> Result<SignedReceipt> {
    let receipt = Receipt {
        version: RECEIPT_VERSION,
        message_id,
        recipient: recipient.address().to_string(),
        manifest_hash: manifest.hash(),
        received_at: DateTime::from_timestamp_millis(received_at.timestamp_millis())
            .unwrap_or(received_at),
    };
    let bytes =
        postcard::to_stdvec(&receipt).map_err(|e| WireError::invalid("receipt", e.to_string()))?;
    let signature = sign_detached(recipient, RECEIPT_CONTEXT, &bytes)?;
    Ok(SignedReceipt {
        receipt: bytes,
        signature,
    })
}

/// Verifies a receipt against the recipient's certificate and returns its statement.
/// The caller still compares `message_id` and `manifest_hash` with what it sent.
pub fn verify_receipt(signed: &SignedReceipt, recipient_cert: &Cert) -> Result<Receipt> {
    if signed.receipt.len() > MAX_RECEIPT_BYTES {
        return Err(WireError::invalid("receipt", "too large"));
    }
    let (version, _) = postcard::take_from_bytes::<u16>(&signed.receipt)
        .map_err(|e| WireError::invalid("receipt", e.to_string()))?;
    if version != RECEIPT_VERSION {
        return Err(WireError::UnsupportedVersion {
            found: version,
            supported: RECEIPT_VERSION,
        });
    }
    let (receipt, rest) = postcard::take_from_bytes::<Receipt>(&signed.receipt)
        .map_err(|e| WireError::invalid("receipt", e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::invalid("receipt", "trailing bytes"));
    }
    verify_detached(
        recipient_cert,
        RECEIPT_CONTEXT,
        &signed.receipt,
        &signed.signature,
    )
    .map_err(WireError::BadSignature)?;
    if !cert_has_address(recipient_cert, &receipt.recipient) {
        return Err(WireError::AddressMismatch {
            claimed: receipt.recipient,
        });
    }
    Ok(receipt)
}
