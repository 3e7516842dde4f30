//! Why a drop file was not sent, as the sender reads it in `rejected/NAME.error.txt`.

/// Why a drop file was not sent. Each names a Fluent message; the arguments fill it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    FileTooLarge {
        size: u64,
        limit: u64,
    },
    Encoding,
    Malformed(String),
    /// Not well-formed XML, where the parser stopped.
    MalformedAt {
        line: usize,
        column: usize,
        detail: String,
    },
    /// An element the drop format does not have at that place.
    UnknownElement {
        name: String,
        line: usize,
    },
    /// An element that is never closed.
    Unclosed {
        name: String,
        line: usize,
    },
    Missing(&'static str),
    BadAddress(String),
    UnknownType {
        name: String,
        known: String,
    },
    BadSendAt(String),
    /// The path leads outside the attachment folder, or through a link.
    AttachmentOutside {
        path: String,
        folder: String,
    },
    NoAccount(String),
    Disabled(String),
    WrongPassphrase(String),
    /// Too many wrong passphrases for the account lately: not checked at all for a while.
    PassphraseThrottled(String),
    NotLocal(String),
    NotPartner(String),
    RateLimited {
        address: String,
        limit: u32,
    },
    AttachmentMissing(String),
    AttachmentUnreadable {
        path: String,
        reason: String,
    },
    AttachmentTooLarge {
        path: String,
        limit: u64,
    },
}

impl Reason {
    pub fn id(&self) -> &'static str {
        match self {
            Reason::FileTooLarge { .. } => "drop-file-too-large",
            Reason::Encoding => "drop-encoding",
            Reason::Malformed(_) => "drop-malformed",
            Reason::MalformedAt { .. } => "drop-malformed-at",
            Reason::UnknownElement { .. } => "drop-unknown-element",
            Reason::Unclosed { .. } => "drop-unclosed-element",
            Reason::Missing(_) => "drop-missing",
            Reason::BadAddress(_) => "drop-bad-address",
            Reason::UnknownType { .. } => "drop-unknown-type",
            Reason::BadSendAt(_) => "drop-bad-send-at",
            Reason::AttachmentOutside { .. } => "drop-attachment-outside",
            Reason::NoAccount(_) => "drop-no-account",
            Reason::Disabled(_) => "drop-disabled",
            Reason::WrongPassphrase(_) => "drop-wrong-passphrase",
            Reason::PassphraseThrottled(_) => "drop-passphrase-throttled",
            Reason::NotLocal(_) => "drop-not-local",
            Reason::NotPartner(_) => "drop-not-partner",
            Reason::RateLimited { .. } => "drop-rate-limited",
            Reason::AttachmentMissing(_) => "drop-attachment-missing",
            Reason::AttachmentUnreadable { .. } => "drop-attachment-unreadable",
            Reason::AttachmentTooLarge { .. } => "drop-attachment-too-large",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Reason::FileTooLarge { size, limit } => {
                vec![("size", size.to_string()), ("limit", limit.to_string())]
            }
            Reason::Encoding => vec![],
            Reason::Malformed(d) => vec![("detail", d.clone())],
            Reason::MalformedAt {
                line,
                column,
                detail,
            } => vec![
                ("line", line.to_string()),
                ("column", column.to_string()),
                ("detail", detail.clone()),
            ],
            Reason::UnknownElement { name, line } | Reason::Unclosed { name, line } => {
                vec![("name", name.clone()), ("line", line.to_string())]
            }
            Reason::Missing(f) => vec![("field", f.to_string())],
            Reason::BadAddress(a)
            | Reason::NoAccount(a)
            | Reason::Disabled(a)
            | Reason::WrongPassphrase(a)
            | Reason::PassphraseThrottled(a)
            | Reason::NotLocal(a)
            | Reason::NotPartner(a) => vec![("address", a.clone())],
            Reason::UnknownType { name, known } => {
                vec![("type", name.clone()), ("known", known.clone())]
            }
            Reason::BadSendAt(v) => vec![("value", v.clone())],
            Reason::AttachmentMissing(p) => vec![("path", p.clone())],
            Reason::AttachmentOutside { path, folder } => {
                vec![("path", path.clone()), ("folder", folder.clone())]
            }
            Reason::RateLimited { address, limit } => {
                vec![("address", address.clone()), ("limit", limit.to_string())]
            }
            Reason::AttachmentUnreadable { path, reason } => {
                vec![("path", path.clone()), ("reason", reason.clone())]
            }
            Reason::AttachmentTooLarge { path, limit } => {
                vec![("path", path.clone()), ("limit", limit.to_string())]
            }
        }
    }

    /// The reason in `i18n`'s language.
    pub fn text(&self, i18n: &i18n::I18n) -> String {
        i18n.text_owned(self.id(), &self.args())
    }
}
