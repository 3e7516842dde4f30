use thiserror::Error;

/// Everything the store can refuse or fail at. Callers map these to protocol replies.
#[derive(Debug, Error)]
pub enum Error {
    #[error("storage engine: {0}")]
    Db(#[from] sled::Error),
    #[error("record table: {0}")]
    Records(#[from] records::Error),
    #[error("blob file: {0}")]
    Io(#[from] std::io::Error),
    #[error("record encoding: {0}")]
    Encoding(#[from] postcard::Error),
    /// Another process has the store open.
    #[error("the store is in use by another process")]
    InUse,
    #[error("blob integrity check failed")]
    Integrity,
    #[error("account already exists")]
    AccountExists,
    #[error("no such account")]
    NoAccount,
    #[error("invalid address")]
    InvalidAddress,
    #[error("password hashing: {0}")]
    Password(String),
    #[error("no such folder")]
    NoFolder,
    #[error("folder already exists")]
    FolderExists,
    #[error("folder name not allowed")]
    InvalidFolderName,
    #[error("a special folder cannot be removed or renamed away")]
    SpecialFolder,
    #[error("the folder has child folders")]
    HasChildren,
    #[error("no such message")]
    NoMessage,
    /// The change would give the folder more distinct keywords than the store allows (see
    /// [`crate::Store::set_max_keywords`]).
    #[error("the folder has as many keywords as it may have")]
    TooManyKeywords,
    #[error("the store is in format {found}; this version reads format {expected}")]
    UnsupportedFormat { found: u32, expected: u32 },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Storage work that ended without an answer (see `records::blocking`) failed like a file
/// operation would.
impl From<records::blocking::Stopped> for Error {
    fn from(e: records::blocking::Stopped) -> Error {
        Error::Io(e.into())
    }
}
