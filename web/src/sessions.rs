//! Who is logged in: a session per browser login, found by the id in its cookie, with the
//! CSRF token its forms carry. Kept in memory: a restarted node asks for the password again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie's value. Only its hash is the key of the table, so looking one up takes no
    /// time that depends on how much of a guessed id is right.
    pub id: String,
    pub account: u64,
    pub address: String,
    /// Every state-changing form carries it; a request without it is refused.
    pub csrf: String,
    /// The language chosen in the settings, over the browser's.
    pub lang: Option<String>,
}

struct Entry {
    session: Session,
    last: Instant,
}

/// The sessions of all accounts.
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Entry>>,
    idle: Duration,
    max: usize,
}

/// The table is full of sessions still in use.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

/// 32 random bytes as hex: a session id or a token.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn key(id: &str) -> [u8; 32] {
    *blake3::hash(id.as_bytes()).as_bytes()
}

impl Sessions {
    pub fn new(idle: Duration, max: usize) -> Sessions {
        Sessions {
            table: Mutex::new(HashMap::new()),
            idle,
            max,
        }
    }

    /// A new session for `account`; the oldest idle ones are dropped first.
    pub fn create(
        &self,
        account: u64,
        address: &str,
        lang: Option<String>,
        now: Instant,
    ) -> Result<Session, Full> {
        let mut t = self.table.lock().expect("sessions");
        let idle = self.idle;
        t.retain(|_, e| now.saturating_duration_since(e.last) < idle);
        if t.len() >= self.max {
            return Err(Full);
        }
        let session = Session {
            id: random_token(),
            account,
            address: address.to_string(),
            csrf: random_token(),
            lang,
        };
        t.insert(
            key(&session.id),
            Entry {
                session: session.clone(),
                last: now,
            },
        );
        Ok(session)
    }

    /// The live session with this id, its idle clock started again.
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut t = self.table.lock().expect("sessions");
        let k = key(id);
        let e = t.get_mut(&k)?;
        if now.saturating_duration_since(e.last) >= self.idle {
            t.remove(&k);
            return None;
        }
        e.last = now;
        Some(e.session.clone())
    }

    pub fn set_lang(&self, id: &str, lang: &str) {
        if let Some(e) = self.table.lock().expect("sessions").get_mut(&key(id)) {
            e.session.lang = Some(lang.to_string());
        }
    }

    pub fn remove(&self, id: &str) {
        self.table.lock().expect("sessions").remove(&key(id));
    }

    /// Ends every session of an account (its password changed, or it is gone).
    pub fn end_account(&self, account: u64) {
        self.table
            .lock()
            .expect("sessions")
            .retain(|_, e| e.session.account != account);
    }

    /// Sessions in the table, idle ones not yet swept included.
    pub fn len(&self) -> usize {
        self.table.lock().expect("sessions").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_and_the_table_is_bounded() {
        let s = Sessions::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        let a = s.create(1, "a@x", None, t0).unwrap();
        let b = s.create(2, "b@x", None, t0).unwrap();
        assert_ne!(a.id, b.id);
        assert_ne!(a.csrf, a.id);
        assert_eq!(s.create(3, "c@x", None, t0).err(), Some(Full));
        // Used within the idle time: still there, and its clock starts again.
        assert_eq!(
            s.get(&a.id, t0 + Duration::from_secs(50)).unwrap().account,
            1
        );
        assert!(s.get(&a.id, t0 + Duration::from_secs(100)).is_some());
        // b was idle for 110 s: gone, which makes room.
        assert!(s.get(&b.id, t0 + Duration::from_secs(110)).is_none());
        assert!(
            s.create(3, "c@x", None, t0 + Duration::from_secs(110))
                .is_ok()
        );
        assert!(s.get("not-a-session", t0).is_none());
        s.remove(&a.id);
        assert!(s.get(&a.id, t0 + Duration::from_secs(100)).is_none());
    }

    #[test]
    fn ending_an_accounts_sessions_leaves_the_others() {
        let s = Sessions::new(Duration::from_secs(60), 8);
        let t0 = Instant::now();
        let c1 = s.create(3, "c@x", None, t0).unwrap();
        let c2 = s.create(3, "c@x", None, t0).unwrap();
        let d = s.create(4, "d@x", None, t0).unwrap();
        s.end_account(3);
        assert!(s.get(&c1.id, t0).is_none());
        assert!(s.get(&c2.id, t0).is_none());
        assert!(s.get(&d.id, t0).is_some());
    }
}
