//! How many client connections the node serves at once, in total and from one address.
//!
//! Every connection costs a task, buffers and a file descriptor before the client has proved
//! anything, so a stranger who opens thousands must meet a cap rather than exhaust the node.
//! IMAP and submission share one [`ConnLimiter`], so the caps hold for the node as a whole.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy)]
pub struct ConnCaps {
    pub total: usize,
    pub per_ip: usize,
}

#[derive(Debug)]
pub struct ConnLimiter {
    caps: ConnCaps,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Total,
    PerIp,
}

/// Holds one connection's place until it is dropped.
#[derive(Debug)]
pub struct ConnPermit {
    limiter: Arc<ConnLimiter>,
    ip: IpAddr,
}

impl ConnLimiter {
    pub fn new(caps: ConnCaps) -> Arc<ConnLimiter> {
        Arc::new(ConnLimiter {
            caps,
            open: Mutex::default(),
        })
    }

    /// A place for a connection from `ip`, or why there is none.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnPermit, Refused> {
        let ip = canonical(ip);
        let mut open = self.open.lock().expect("connection counts");
        if open.total >= self.caps.total {
            return Err(Refused::Total);
        }
        let n = open.by_ip.entry(ip).or_insert(0);
        if *n >= self.caps.per_ip {
            return Err(Refused::PerIp);
        }
        *n += 1;
        open.total += 1;
        Ok(ConnPermit {
            limiter: self.clone(),
            ip,
        })
    }

    pub fn open(&self) -> usize {
        self.open.lock().expect("connection counts").total
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut open = self.limiter.open.lock().expect("connection counts");
        open.total -= 1;
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

/// An IPv4 client seen through an IPv6 socket counts as the same address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_and_in_total_and_frees_places() {
        let l = ConnLimiter::new(ConnCaps {
            total: 3,
            per_ip: 2,
        });
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let a6: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let c: IpAddr = "127.0.0.3".parse().unwrap();
        let p1 = l.admit(a).unwrap();
        let _p2 = l.admit(a6).unwrap();
        assert_eq!(l.admit(a).unwrap_err(), Refused::PerIp);
        let _p3 = l.admit(b).unwrap();
        assert_eq!(l.admit(c).unwrap_err(), Refused::Total);
        drop(p1);
        assert_eq!(l.open(), 2);
        let _p4 = l.admit(a).unwrap();
    }
}
