//! Password checks with throttling: after a few failures from one address or for one account,
//! each further attempt waits longer, so guessing is slow while honest typos cost little.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mailbox::{Account, Store};

const FREE_FAILURES: u32 = 3;
const MAX_DELAY: Duration = Duration::from_secs(8);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid credentials")]
    Invalid,
    #[error("store: {0}")]
    Store(#[from] mailbox::Error),
}

#[derive(Default)]
pub struct AuthLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl AuthLimiter {
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
        let (store, u, p) = (store.clone(), user.to_string(), password.to_string());
        let found = tokio::task::spawn_blocking(move || store.verify_login(&u, &p))
            .await
            .map_err(|_| AuthError::Invalid)??;
        self.record(&keys, found.is_some());
        found.ok_or(AuthError::Invalid)
    }
}
