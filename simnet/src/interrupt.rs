//! Ctrl-C (and SIGTERM) end a run cleanly: waits notice the request and return an error, so
//! every lab is torn down on the way out instead of leaving namespaces and processes behind.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler once per process.
pub fn install() -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(|| REQUESTED.store(true, Ordering::SeqCst))
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
