//! SIGINT, SIGTERM and SIGHUP as requests to stop cleanly.
//!
//! The first signal only raises a flag; the work in progress checks it at
//! points where nothing is half made (between claims), releases what it
//! holds and returns, and the command exits 128 + the signal's number
//! (130, 143, 129), as a shell reports a process the signal killed. A
//! second signal of any of the three ends the process at once, for the
//! case where something hangs; a later run removes what that leaves.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const SIGNALS: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The flag the handlers set to the signal's number (0: none yet).
pub struct Stop(Arc<AtomicUsize>);

impl Stop {
    /// Install the handlers for this process.
    pub fn install() -> std::io::Result<Stop> {
        let flag = Arc::new(AtomicUsize::new(0));
        let raised = Arc::new(AtomicBool::new(false));
        for sig in SIGNALS {
            // Handlers run in the order they were registered: this one sees
            // `raised` as it was before this signal, so only a second
            // signal (of any of the three) exits here and now.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&raised))?;
            signal_hook::flag::register(sig, Arc::clone(&raised))?;
            signal_hook::flag::register_usize(sig, Arc::clone(&flag), sig as usize)?;
        }
        Ok(Stop(flag))
    }

    pub fn flag(&self) -> &AtomicUsize {
        &self.0
    }

    /// The signal received, if one was.
    pub fn signal(&self) -> Option<i32> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            s => Some(s as i32),
        }
    }
}

/// The exit code for a run ended by `sig`.
pub fn exit_code(sig: i32) -> u8 {
    (128 + sig) as u8
}

/// `SIGINT`, `SIGTERM`, `SIGHUP`.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
