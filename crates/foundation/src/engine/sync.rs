//! The synchronisation the mailbox is built from, swapped for loom's models under
//! `--cfg foundation_loom` so its protocol can be model-checked (see `mailbox.rs`'s tests and
//! `scripts/loom.sh`).
//!
//! Under loom the segment queue becomes a mutex-protected deque: loom cannot see inside
//! crossbeam's queue, and what is checked here is our protocol around it (the reservation count,
//! the parked bit, closing), not the queue itself.

#[cfg(not(foundation_loom))]
pub(crate) use crossbeam_queue::SegQueue as Queue;
#[cfg(not(foundation_loom))]
pub(crate) use std::sync::atomic::AtomicUsize;
#[cfg(not(foundation_loom))]
pub(crate) use std::thread::yield_now;

#[cfg(foundation_loom)]
pub(crate) use loom::sync::atomic::AtomicUsize;
#[cfg(foundation_loom)]
pub(crate) use loom::thread::yield_now;

/// A multi-producer queue with `SegQueue`'s interface, visible to loom.
#[cfg(foundation_loom)]
#[derive(Debug, Default)]
pub(crate) struct Queue<T> {
    inner: loom::sync::Mutex<std::collections::VecDeque<T>>,
}

#[cfg(foundation_loom)]
impl<T> Queue<T> {
    pub(crate) fn new() -> Self {
        Queue { inner: loom::sync::Mutex::new(std::collections::VecDeque::new()) }
    }

    pub(crate) fn push(&self, value: T) {
        self.inner.lock().unwrap().push_back(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.inner.lock().unwrap().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.lock().unwrap().len()
    }
}
