//! Password checks with throttling: after a few failures from one address or for one account,
//! each further attempt waits longer, so guessing is slow while honest typos cost little.
//!
//! argon2id is deliberately expensive (tens of milliseconds and 19 MiB per check), and mail
//! clients log in over and over (one connection per folder, reconnects after sleep). A password
//! that verified recently is therefore remembered as a keyed BLAKE3 MAC under a key that lives
//! only in this process, for a few minutes, and only while the account's stored hash is the one
//! it was checked against; a failed check is never remembered.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mailbox::{Account, Store};

const FREE_FAILURES: u32 = 3;
const MAX_DELAY: Duration = Duration::from_secs(8);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
const REMEMBER_FOR: Duration = Duration::from_secs(10 * 60);

struct Verified {
    mac: blake3::Hash,
    password_hash: String,
    at: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid credentials")]
    Invalid,
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
}

pub struct AuthLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    verified: Mutex<HashMap<String, Verified>>,
    key: [u8; 32],
    /// argon2id checks running at once: each holds ~19 MiB, so a burst of bad logins would
    /// otherwise take memory in proportion to the connections an attacker opens.
    hashing: tokio::sync::Semaphore,
}

impl AuthLimiter {
    /// A limiter that runs at most `parallel` password checks at once (at least one).
    pub fn new(parallel: usize) -> Self {
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        AuthLimiter {
            failures: Mutex::default(),
            verified: Mutex::default(),
            key,
            hashing: tokio::sync::Semaphore::new(parallel.max(1)),
        }
    }

    fn delay_for(&self, keys: &[String]) -> Duration {
        let map = self.failures.lock().expect("auth map");
        let n = keys
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|(_, at)| at.elapsed() < FORGET_AFTER)
            .map(|(n, _)| *n)
            .max()
            .unwrap_or(0);
        if n < FREE_FAILURES {
            return Duration::ZERO;
        }
        let exp = (n - FREE_FAILURES).min(5);
        (Duration::from_millis(250) * 2u32.pow(exp)).min(MAX_DELAY)
    }

    fn record(&self, keys: &[String], ok: bool) {
        let mut map = self.failures.lock().expect("auth map");
        map.retain(|_, (_, at)| at.elapsed() < FORGET_AFTER);
        for k in keys {
            if ok {
                map.remove(k);
            } else {
                let e = map.entry(k.clone()).or_insert((0, Instant::now()));
                e.0 += 1;
                e.1 = Instant::now();
            }
        }
    }

    pub async fn authenticate(
        &self,
        store: &Store,
        user: &str,
        password: &str,
        peer: IpAddr,
    ) -> Result<Account, AuthError> {
        let keys = [
            format!("ip:{peer}"),
            format!("user:{}", user.to_lowercase()),
        ];
        let wait = self.delay_for(&keys);
        if !wait.is_zero() {
            tracing::debug!(%peer, ?wait, "throttling login after repeated failures");
            tokio::time::sleep(wait).await;
        }
        let mac = blake3::keyed_hash(&self.key, password.as_bytes());
        if let Some(account) = store.account(user)? {
            let cached = self
                .verified
                .lock()
                .expect("auth cache")
                .get(&account.address)
                .is_some_and(|v| {
                    // blake3::Hash compares in constant time.
                    v.mac == mac
                        && v.password_hash == account.password_hash
                        && v.at.elapsed() < REMEMBER_FOR
                });
            if cached {
                self.record(&keys, true);
                return Ok(account);
            }
        }
        let (store, u, p) = (store.clone(), user.to_string(), password.to_string());
        let turn = self
            .hashing
            .acquire()
            .await
            .map_err(|_| AuthError::Invalid)?;
        let found = mailbox::blocking::run(move || store.verify_login(&u, &p))
            .await
            .map_err(|_| AuthError::Invalid)??;
        drop(turn);
        self.record(&keys, found.is_some());
        if let Some(a) = &found {
            let mut cache = self.verified.lock().expect("auth cache");
            cache.retain(|_, v| v.at.elapsed() < REMEMBER_FOR);
            cache.insert(
                a.address.clone(),
                Verified {
                    mac,
                    password_hash: a.password_hash.clone(),
                    at: Instant::now(),
                },
            );
        }
        found.ok_or(AuthError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn remembered_logins_still_check_the_password_and_follow_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), mailbox::StorageKey::generate()).unwrap();
        store.add_account("a@x.h", "right").unwrap();
        let auth = AuthLimiter::new(2);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(
            auth.authenticate(&store, "a@x.h", "right", ip)
                .await
                .is_ok()
        );
        // Served from memory now, but a wrong password is still wrong.
        assert!(
            auth.authenticate(&store, "a@x.h", "right", ip)
                .await
                .is_ok()
        );
        assert!(
            auth.authenticate(&store, "a@x.h", "wrong", ip)
                .await
                .is_err()
        );
        // A password change makes the remembered one worthless at once.
        store.set_password("a@x.h", "new").unwrap();
        assert!(
            auth.authenticate(&store, "a@x.h", "right", ip)
                .await
                .is_err()
        );
        assert!(auth.authenticate(&store, "a@x.h", "new", ip).await.is_ok());
        assert!(
            auth.authenticate(&store, "ghost@x.h", "new", ip)
                .await
                .is_err()
        );
    }
}
