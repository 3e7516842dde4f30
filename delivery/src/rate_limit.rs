//! Offers per peer: each costs a directory look-up at our service server before anything about
//! the peer is known, so one peer's flood must meet a cap.

use std::collections::HashMap;
use std::sync::Mutex;

/// At most `per_minute` events per key in any minute (a sliding window); keys that fell
/// silent are forgotten.
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_minute: usize,
    seen: Mutex<HashMap<K, std::collections::VecDeque<std::time::Instant>>>,
}

impl<K: std::hash::Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(per_minute: usize) -> Self {
        RateLimiter {
            per_minute,
            seen: Mutex::default(),
        }
    }

    /// Counts one event of `key`; `false` when it is over the limit (then it is not counted).
    pub fn allow(&self, key: &K) -> bool {
        let minute = std::time::Duration::from_secs(60);
        let mut seen = self.seen.lock().expect("rate limiter");
        if seen.len() > 4096 {
            seen.retain(|_, q| q.back().is_some_and(|t| t.elapsed() < minute));
        }
        let q = seen.entry(key.clone()).or_default();
        while q.front().is_some_and(|t| t.elapsed() >= minute) {
            q.pop_front();
        }
        if q.len() >= self.per_minute {
            return false;
        }
        q.push_back(std::time::Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_key() {
        let r = RateLimiter::new(2);
        assert!(r.allow(&1) && r.allow(&1));
        assert!(!r.allow(&1));
        assert!(r.allow(&2));
    }
}
