//! The process's clock: the local clock corrected by the offset to the service network's time,
//! so INTERNALDATE, Date stamps and delivery times agree across nodes whose own clocks drift.
//! One per process: the service clients of every hosted account keep it in step, and what
//! decides by time (the delivery jobs) is handed its readings.

use std::sync::OnceLock;

use crate::NetClock;
use chrono::{DateTime, Utc};

/// The process's network clock.
pub fn network() -> &'static NetClock {
    static CLOCK: OnceLock<NetClock> = OnceLock::new();
    CLOCK.get_or_init(NetClock::default)
}

pub fn now() -> DateTime<Utc> {
    network().now()
}
