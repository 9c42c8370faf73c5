//! Runtimes for tests that build their own (property tests, whose cases each run on a fresh
//! runtime).

use tokio::runtime::{Builder, Runtime};

/// A current-thread runtime on the paused clock: deterministic, and virtual time jumps to the
/// next timer whenever the runtime idles.
pub(crate) fn paused() -> Runtime {
    Builder::new_current_thread().enable_all().start_paused(true).build().unwrap()
}

/// A multi-thread runtime with `workers` worker threads, on the real clock.
pub(crate) fn multi_thread(workers: usize) -> Runtime {
    Builder::new_multi_thread().worker_threads(workers).enable_all().build().unwrap()
}
