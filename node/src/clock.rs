//! The node's clock: the local clock corrected by the offset to the service network's time,
//! so INTERNALDATE and Date stamps agree across nodes whose own clocks drift.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Network time minus local time, in milliseconds; 0 until a service server was asked.
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

pub fn set_offset_ms(ms: i64) {
    OFFSET_MS.store(ms, Ordering::Relaxed);
}

pub fn now() -> DateTime<Utc> {
    let ms = Utc::now().timestamp_millis() + OFFSET_MS.load(Ordering::Relaxed);
    DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now)
}
