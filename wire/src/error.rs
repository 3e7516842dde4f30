use std::io;

/// Result with this crate's error.
pub type Result<T, E = WireError> = std::result::Result<T, E>;

/// What can go wrong sealing, verifying or unsealing.
///
/// The variants a receiver must tell apart (to refuse, to re-fetch one chunk from elsewhere,
/// to wait for more) are distinct; the rest carry a description.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// None of the message's encryption layers is addressed to this account's keys.
    #[error("this account is not a recipient of the message")]
    WrongRecipient,

    /// The message inside the encryption is not validly signed by the expected sender.
    #[error("message signature is not valid: {0}")]
    BadSignature(String),

    /// The chunk at `index` does not hash to the manifest's entry (or has an impossible
    /// length). The receiver can fetch that one chunk again from another holder.
    #[error("chunk {index} does not match the manifest")]
    TamperedChunk { index: u32 },

    /// The chunk stream ended before all chunks the manifest lists were seen.
    #[error("truncated: got {received} of {expected} chunks")]
    Truncated { expected: u32, received: u32 },

    /// The chunk stream goes on after the last chunk the manifest lists.
    #[error("more chunks than the manifest's {expected}")]
    ExtraChunks { expected: u32 },

    /// The manifest's detached signature does not verify with the sender's certificate.
    #[error("manifest signature is not valid: {0}")]
    ManifestSignature(String),

    /// A token or directory record whose CA signature does not verify.
    #[error("not signed by the service network: {0}")]
    NetworkSignature(String),

    /// The message's authorization token is missing or does not cover this message.
    #[error("not authorized: {0}")]
    Unauthorized(String),

    /// A manifest or receipt of a format version this build does not speak.
    #[error("unsupported format version {found} (this build speaks {supported})")]
    UnsupportedVersion { found: u16, supported: u16 },

    /// A manifest or receipt that decodes but is inconsistent, or does not decode at all.
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },

    /// The signer's certificate does not carry the address the document claims.
    #[error("certificate does not belong to {claimed}")]
    AddressMismatch { claimed: String },

    /// A key or certificate that cannot be used (missing secret, no suitable subkey, ...).
    #[error("key: {0}")]
    Key(String),

    /// The OpenPGP message itself is malformed or uses something this crate refuses.
    #[error("OpenPGP: {0}")]
    OpenPgp(String),

    /// Reading the plaintext or chunk source, or writing to the output or sink, failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl WireError {
    pub(crate) fn pgp(e: anyhow::Error) -> Self {
        WireError::OpenPgp(format!("{e:#}"))
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        WireError::Invalid {
            what,
            reason: reason.into(),
        }
    }
}
