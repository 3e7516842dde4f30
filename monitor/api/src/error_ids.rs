//! The Fluent ids a node may put in a job's error ([`crate::UserText`]), with the arguments
//! each takes. The monitor ships a text for every one (`locales/*/monitor.ftl`); a drop-folder
//! job may also carry the drop folder's own ids (`drop-…`, `locales/*/drop.ftl`), with the
//! arguments the drop folder gives them.

/// The sending account is not hosted on this node (any more).
pub const SENDER_NOT_HOSTED: &str = "monitor-error-sender-not-hosted";
/// The Sent copy the message is sealed from was deleted before it was sealed.
pub const SENT_COPY_GONE: &str = "monitor-error-sent-copy-gone";
/// The directory names no node for the recipient. Argument: `address`.
pub const NO_NODE: &str = "monitor-error-no-node";
/// Sender and recipient are neither of one domain nor partners. Argument: `address`.
pub const NOT_PARTNERS: &str = "monitor-error-not-partners";
/// The network has no such account. Argument: `address`.
pub const UNKNOWN_RECIPIENT: &str = "monitor-error-unknown-recipient";
/// No service server of the account answered.
pub const SERVICE_UNREACHABLE: &str = "monitor-error-service-unreachable";
/// The peer's node could not be reached, or the connection broke.
pub const PEER_UNREACHABLE: &str = "monitor-error-peer-unreachable";
/// The peer's node asked to try later.
pub const PEER_BUSY: &str = "monitor-error-peer-busy";
/// The peer's node refused the message for good.
pub const PEER_REFUSED: &str = "monitor-error-peer-refused";
/// The backup servers did not take every part; the rest goes on the next attempt.
pub const SERVERS_INCOMPLETE: &str = "monitor-error-servers-incomplete";
/// A backup server's quota for the recipient is used up.
pub const SERVER_FULL: &str = "monitor-error-server-full";
/// The receipt did not verify, or was for another message.
pub const RECEIPT_INVALID: &str = "monitor-error-receipt-invalid";
/// This node's disk or store failed. Argument: `detail` (the system's words).
pub const LOCAL_STORAGE: &str = "monitor-error-local-storage";
/// A chunk did not match the signed manifest.
pub const CHUNK_MISMATCH: &str = "monitor-error-chunk-mismatch";
/// The message did not decrypt or its signature did not verify.
pub const UNSEAL_FAILED: &str = "monitor-error-unseal-failed";
/// The message's From header names another than the sender who signed it.
pub const FORGED_FROM: &str = "monitor-error-forged-from";
/// The sender's offer was not accepted (not authorized, or a bad signature).
pub const OFFER_REFUSED: &str = "monitor-error-offer-refused";
/// The connection ended before every chunk arrived; the rest comes later.
pub const TRANSFER_CUT: &str = "monitor-error-transfer-cut";
/// A release announcement did not verify against the network's certificate.
pub const UPDATE_UNVERIFIED: &str = "monitor-error-update-unverified";

/// Every id above.
pub const ALL: &[&str] = &[
    SENDER_NOT_HOSTED,
    SENT_COPY_GONE,
    NO_NODE,
    NOT_PARTNERS,
    UNKNOWN_RECIPIENT,
    SERVICE_UNREACHABLE,
    PEER_UNREACHABLE,
    PEER_BUSY,
    PEER_REFUSED,
    SERVERS_INCOMPLETE,
    SERVER_FULL,
    RECEIPT_INVALID,
    LOCAL_STORAGE,
    CHUNK_MISMATCH,
    UNSEAL_FAILED,
    FORGED_FROM,
    OFFER_REFUSED,
    TRANSFER_CUT,
    UPDATE_UNVERIFIED,
];

/// The drop folder's ids start so.
pub const DROP_PREFIX: &str = "drop-";

/// Whether a job's error may carry `id`: one of [`ALL`] or a drop-folder id.
pub fn is_job_error(id: &str) -> bool {
    ALL.contains(&id) || id.starts_with(DROP_PREFIX)
}
