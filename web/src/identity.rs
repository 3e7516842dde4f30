//! The account's identity for mail written here: the name shown beside its address and the
//! signature put under a new message. Kept on the node, in a record table of the store.

use serde::{Deserialize, Serialize};

use mailbox::Store;

const TABLE: &str = "web-identity";
/// Characters kept of a name and of a signature.
pub const MAX_NAME: usize = 100;
pub const MAX_SIGNATURE: usize = 2000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub signature: String,
}

impl Identity {
    /// What a form sent, made fit to keep: no control characters in the name (line breaks
    /// kept in the signature), both cut to their limits.
    pub fn cleaned(name: &str, signature: &str) -> Identity {
        Identity {
            name: name
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_NAME)
                .collect::<String>()
                .trim()
                .to_string(),
            signature: signature
                .replace("\r\n", "\n")
                .chars()
                .filter(|c| *c == '\n' || !c.is_control())
                .take(MAX_SIGNATURE)
                .collect::<String>()
                .trim_end()
                .to_string(),
        }
    }

    /// The signature as it goes under a message: after the usual `-- ` line.
    pub fn signature_block(&self) -> String {
        if self.signature.is_empty() {
            String::new()
        } else {
            format!("\n\n-- \n{}", self.signature)
        }
    }
}

fn key(account: u64) -> String {
    format!("{account:020}")
}

pub fn load(store: &Store, account: u64) -> mailbox::Result<Identity> {
    Ok(store
        .records(TABLE)?
        .get(&key(account))?
        .unwrap_or_default())
}

pub fn save(store: &Store, account: u64, identity: &Identity) -> mailbox::Result<()> {
    store.records(TABLE)?.put(&key(account), identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_kept_per_account_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), mailbox::StorageKey::generate()).unwrap();
        let id = Identity::cleaned(" Bob\u{0}\r\nB ", "Bob\r\nBeta Ltd\u{7}\n\n");
        assert_eq!(id.name, "BobB");
        assert_eq!(id.signature, "Bob\nBeta Ltd");
        save(&store, 1, &id).unwrap();
        assert_eq!(load(&store, 1).unwrap(), id);
        assert_eq!(load(&store, 2).unwrap(), Identity::default());
        let long = Identity::cleaned(&"n".repeat(500), &"s".repeat(50_000));
        assert_eq!(
            (long.name.len(), long.signature.len()),
            (MAX_NAME, MAX_SIGNATURE)
        );
        assert_eq!(id.signature_block(), "\n\n-- \nBob\nBeta Ltd");
    }
}
