//! Stopping a submission on request (Ctrl-C, SIGTERM): no record is started after the request,
//! the records in flight finish and are journaled, and the run ends as interrupted. The signal
//! itself is the command line's business; this is only the flag the engine reads.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Ask every submission in this process to stop starting records.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
