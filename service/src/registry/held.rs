//! The index of store-only holding: which messages this server holds parts of, for whom,
//! how much, until when; and receipts waiting for their senders. The parts themselves are
//! files (`crate::holding`); an entry is written before its first part and removed after
//! its last, so a crash leaves at worst an entry whose parts are missing, never parts
//! nobody knows of.
//!
//! `held`: `recipient / message id (hex) / sender` → JSON [`HeldEntry`]. Message ids are chosen
//! by senders and shared by all recipients of a message, so a co-recipient can deposit a
//! message of its own under a genuine one's id: the sender is part of the key, and the two are
//! two entries. (Older servers keyed by recipient and id only; [`Registry::legacy_held`] finds
//! such entries so that they can be moved.)
//! `held_receipts`: `sender / message id (hex) / recipient` → JSON [`HeldReceipt`].

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wire::SignedReceipt;

use records::Tree;

use super::{Registry, RegistryError, Result};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldEntry {
    /// Canonical address of the recipient.
    pub recipient: String,
    pub message_id: String,
    pub sender: String,
    /// BLAKE3 of the signed manifest: one message id never names two manifests here.
    pub manifest_hash: [u8; 32],
    pub chunk_count: u32,
    /// The message's sealed size: what the quota counts, whatever part is held.
    pub total_size: u64,
    pub held_chunks: u32,
    pub stored_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldReceipt {
    pub receipt: SignedReceipt,
    pub expires_at: DateTime<Utc>,
}

fn key(who: &str, message_id: &str) -> String {
    format!("{}/{message_id}", who.to_ascii_lowercase())
}

fn held_key(recipient: &str, message_id: &str, sender: &str) -> String {
    format!(
        "{}/{}",
        key(recipient, message_id),
        sender.to_ascii_lowercase()
    )
}

fn prefix(who: &str) -> String {
    format!("{}/", who.to_ascii_lowercase())
}

fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| RegistryError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("held entries serialise")
}

fn scan<T: DeserializeOwned>(tree: &Tree, prefix: &str, limit: usize) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for kv in tree.scan_prefix(prefix.as_bytes()) {
        if out.len() >= limit {
            break;
        }
        let (k, v) = kv?;
        out.push(decode(&k, &v)?);
    }
    Ok(out)
}

impl Registry {
    pub fn held(
        &self,
        recipient: &str,
        message_id: &str,
        sender: &str,
    ) -> Result<Option<HeldEntry>> {
        let k = held_key(recipient, message_id, sender);
        self.held
            .get(&k)?
            .map(|v| decode(k.as_bytes(), &v))
            .transpose()
    }

    /// Every message held for `recipient` under `message_id`, whoever sent it (at most a few:
    /// one sender's, and what co-recipients deposited under the same id).
    pub fn held_by_id(&self, recipient: &str, message_id: &str) -> Result<Vec<HeldEntry>> {
        let p = format!("{}/", key(recipient, message_id));
        scan(&self.held, &p, usize::MAX)
    }

    pub fn put_held(&self, entry: &HeldEntry) -> Result<()> {
        self.held.insert(
            held_key(&entry.recipient, &entry.message_id, &entry.sender),
            encode(entry),
        )?;
        self.flush()
    }

    pub fn remove_held(
        &self,
        recipient: &str,
        message_id: &str,
        sender: &str,
    ) -> Result<Option<HeldEntry>> {
        let k = held_key(recipient, message_id, sender);
        let old = self.held.remove(&k)?;
        self.flush()?;
        old.map(|v| decode(k.as_bytes(), &v)).transpose()
    }

    /// Entries stored under a key without their sender (by an older server).
    pub fn legacy_held(&self) -> Result<Vec<HeldEntry>> {
        let mut out = Vec::new();
        for kv in self.held.iter() {
            let (k, v) = kv?;
            let e: HeldEntry = decode(&k, &v)?;
            if k.as_slice() != held_key(&e.recipient, &e.message_id, &e.sender).as_bytes() {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Moves a legacy entry to its key with the sender: the new key is written first, so a
    /// crash in between leaves the entry twice (the old one moved again at the next start),
    /// never not at all.
    pub fn rekey_held(&self, entry: &HeldEntry) -> Result<()> {
        self.put_held(entry)?;
        self.held.remove(key(&entry.recipient, &entry.message_id))?;
        self.flush()
    }

    /// Up to `limit` messages held for `recipient`.
    pub fn held_for(&self, recipient: &str, limit: usize) -> Result<Vec<HeldEntry>> {
        scan(&self.held, &prefix(recipient), limit)
    }

    /// The sealed sizes of every message held for `recipient`, summed (what the quota
    /// counts).
    pub fn held_bytes(&self, recipient: &str) -> Result<u64> {
        let mut sum = 0u64;
        for e in scan::<HeldEntry>(&self.held, &prefix(recipient), usize::MAX)? {
            sum = sum.saturating_add(e.total_size);
        }
        Ok(sum)
    }

    /// Every held message whose time is up at `now`.
    pub fn held_expired(&self, now: DateTime<Utc>) -> Result<Vec<HeldEntry>> {
        let mut out = Vec::new();
        for kv in self.held.iter() {
            let (k, v) = kv?;
            let e: HeldEntry = decode(&k, &v)?;
            if e.expires_at <= now {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Keeps `receipt` for `sender`; a second copy of one receipt replaces the first.
    pub fn put_held_receipt(
        &self,
        sender: &str,
        message_id: &str,
        recipient: &str,
        held: &HeldReceipt,
    ) -> Result<()> {
        let k = format!(
            "{}/{}",
            key(sender, message_id),
            recipient.to_ascii_lowercase()
        );
        self.held_receipts.insert(k, encode(held))?;
        self.flush()
    }

    /// How many receipts are kept for `sender`, counted no further than `upto`.
    pub fn held_receipt_count(&self, sender: &str, upto: usize) -> Result<usize> {
        let mut n = 0;
        for kv in self.held_receipts.scan_prefix(prefix(sender)) {
            kv?;
            n += 1;
            if n >= upto {
                break;
            }
        }
        Ok(n)
    }

    /// Whether this very receipt (sender, message, recipient) is kept already.
    pub fn has_held_receipt(
        &self,
        sender: &str,
        message_id: &str,
        recipient: &str,
    ) -> Result<bool> {
        let k = format!(
            "{}/{}",
            key(sender, message_id),
            recipient.to_ascii_lowercase()
        );
        Ok(self.held_receipts.contains(k)?)
    }

    pub fn held_receipts_for(&self, sender: &str, limit: usize) -> Result<Vec<HeldReceipt>> {
        scan(&self.held_receipts, &prefix(sender), limit)
    }

    /// Drops every receipt of `message_id` kept for `sender`.
    pub fn remove_held_receipts(&self, sender: &str, message_id: &str) -> Result<usize> {
        let p = format!("{}/", key(sender, message_id));
        let mut n = 0;
        for kv in self.held_receipts.scan_prefix(&p) {
            let (k, _) = kv?;
            self.held_receipts.remove(k)?;
            n += 1;
        }
        self.flush()?;
        Ok(n)
    }

    /// Drops receipts nobody collected in time; returns how many.
    pub fn expire_held_receipts(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut n = 0;
        for kv in self.held_receipts.iter() {
            let (k, v) = kv?;
            let r: HeldReceipt = decode(&k, &v)?;
            if r.expires_at <= now {
                self.held_receipts.remove(k)?;
                n += 1;
            }
        }
        self.flush()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(recipient: &str, id: &str, size: u64, expires_at: DateTime<Utc>) -> HeldEntry {
        HeldEntry {
            recipient: recipient.into(),
            message_id: id.into(),
            sender: "alice@a.h".into(),
            manifest_hash: [1; 32],
            chunk_count: 3,
            total_size: size,
            held_chunks: 0,
            stored_at: Utc::now(),
            expires_at,
        }
    }

    #[test]
    fn held_entries_sum_list_and_expire() {
        let r = Registry::in_memory();
        let later = Utc::now() + chrono::Duration::days(1);
        let past = Utc::now() - chrono::Duration::seconds(1);
        r.put_held(&entry("bob@b.h", "01", 100, later)).unwrap();
        r.put_held(&entry("bob@b.h", "02", 50, past)).unwrap();
        r.put_held(&entry("bobby@b.h", "03", 7, later)).unwrap();
        assert_eq!(r.held_bytes("Bob@b.h").unwrap(), 150);
        assert_eq!(r.held_for("bob@b.h", 10).unwrap().len(), 2);
        assert_eq!(r.held_for("bob@b.h", 1).unwrap().len(), 1);
        let expired = r.held_expired(Utc::now()).unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].message_id, "02");
        assert!(
            r.remove_held("bob@b.h", "02", "alice@a.h")
                .unwrap()
                .is_some()
        );
        assert!(
            r.remove_held("bob@b.h", "02", "alice@a.h")
                .unwrap()
                .is_none()
        );
        assert_eq!(r.held_bytes("bob@b.h").unwrap(), 100);
    }

    #[test]
    fn one_id_from_two_senders_is_two_entries() {
        let r = Registry::in_memory();
        let later = Utc::now() + chrono::Duration::days(1);
        let genuine = entry("bob@b.h", "01", 100, later);
        let squatter = HeldEntry {
            sender: "mallory@b.h".into(),
            manifest_hash: [9; 32],
            ..genuine.clone()
        };
        r.put_held(&squatter).unwrap();
        r.put_held(&genuine).unwrap();
        assert_eq!(
            r.held("bob@b.h", "01", "Alice@a.h").unwrap(),
            Some(genuine.clone())
        );
        assert_eq!(
            r.held("bob@b.h", "01", "mallory@b.h").unwrap(),
            Some(squatter)
        );
        assert_eq!(r.held_by_id("bob@b.h", "01").unwrap().len(), 2);
        assert_eq!(r.held_bytes("bob@b.h").unwrap(), 200);
        r.remove_held("bob@b.h", "01", "mallory@b.h").unwrap();
        assert_eq!(r.held_by_id("bob@b.h", "01").unwrap(), vec![genuine]);
    }

    #[test]
    fn legacy_entries_move_to_keys_with_their_sender() {
        let r = Registry::in_memory();
        let old = entry("bob@b.h", "01", 100, Utc::now() + chrono::Duration::days(1));
        // As an older server wrote it.
        r.held.insert(key("bob@b.h", "01"), encode(&old)).unwrap();
        assert_eq!(r.legacy_held().unwrap(), vec![old.clone()]);
        r.rekey_held(&old).unwrap();
        assert!(r.legacy_held().unwrap().is_empty());
        assert_eq!(r.held("bob@b.h", "01", "alice@a.h").unwrap(), Some(old));
        assert_eq!(r.held_for("bob@b.h", 10).unwrap().len(), 1);
    }

    #[test]
    fn held_receipts_by_sender() {
        let r = Registry::in_memory();
        let receipt = SignedReceipt {
            receipt: vec![1],
            signature: vec![2],
        };
        let keep = HeldReceipt {
            receipt,
            expires_at: Utc::now() + chrono::Duration::days(1),
        };
        r.put_held_receipt("alice@a.h", "01", "bob@b.h", &keep)
            .unwrap();
        r.put_held_receipt("alice@a.h", "01", "bob@b.h", &keep)
            .unwrap();
        r.put_held_receipt("alice@a.h", "01", "carol@b.h", &keep)
            .unwrap();
        assert_eq!(r.held_receipts_for("alice@a.h", 10).unwrap().len(), 2);
        assert_eq!(r.remove_held_receipts("alice@a.h", "01").unwrap(), 2);
        assert!(r.held_receipts_for("alice@a.h", 10).unwrap().is_empty());
        assert_eq!(r.expire_held_receipts(Utc::now()).unwrap(), 0);
    }
}
