//! The synchronisation the engine's lock-free protocols are built from, swapped for loom's
//! models under `--cfg foundation_loom` so they can be model-checked (the mailbox, the
//! senders' wait for room, the adoption handshake, links racing an exit: see the `loom_models`
//! in `mailbox.rs`, `adoption.rs` and `links.rs`, and `scripts/loom.sh`).
//!
//! Under loom, the relations lock is loom's mutex (so every order of two processes' critical
//! sections is tried), and the senders' room event is a loom condition variable (so a lost
//! wake-up shows as a deadlock).
//!
//! Under loom the segment queue becomes a mutex-protected deque: loom cannot see inside
//! crossbeam's queue, and what is checked here is our protocol around it (the reservation count,
//! the parked bit, closing), not the queue itself.

#[cfg(not(foundation_loom))]
pub(crate) use crossbeam_queue::SegQueue as Queue;
#[cfg(not(foundation_loom))]
pub(crate) use event_listener::{Event, EventListener};
#[cfg(not(foundation_loom))]
pub(crate) use parking_lot::Mutex;
#[cfg(not(foundation_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicUsize};
#[cfg(not(foundation_loom))]
pub(crate) use std::thread::yield_now;

#[cfg(foundation_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicUsize};
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

/// A mutex with parking_lot's interface (no poisoning), visible to loom.
#[cfg(foundation_loom)]
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(foundation_loom)]
impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}

/// An event with event_listener's `listen`/`notify`, visible to loom: a generation counter
/// under a mutex, and a condition variable to wait on.
#[cfg(foundation_loom)]
#[derive(Debug)]
pub(crate) struct Event {
    inner: loom::sync::Arc<(loom::sync::Mutex<u64>, loom::sync::Condvar)>,
}

#[cfg(foundation_loom)]
impl Event {
    pub(crate) fn new() -> Self {
        let inner = (loom::sync::Mutex::new(0), loom::sync::Condvar::new());
        Event { inner: loom::sync::Arc::new(inner) }
    }

    /// A listener that fires at the next `notify`.
    pub(crate) fn listen(&self) -> EventListener {
        let seen = *self.inner.0.lock().unwrap();
        EventListener { inner: loom::sync::Arc::clone(&self.inner), seen }
    }

    pub(crate) fn notify(&self, _count: usize) {
        *self.inner.0.lock().unwrap() += 1;
        self.inner.1.notify_all();
    }
}

/// Waits for the `notify` after its `listen` (blocking the loom thread).
#[cfg(foundation_loom)]
#[derive(Debug)]
pub(crate) struct EventListener {
    inner: loom::sync::Arc<(loom::sync::Mutex<u64>, loom::sync::Condvar)>,
    seen: u64,
}

#[cfg(foundation_loom)]
impl EventListener {
    pub(crate) fn wait(self) {
        let mut generation = self.inner.0.lock().unwrap();
        while *generation == self.seen {
            generation = self.inner.1.wait(generation).unwrap();
        }
    }
}

/// The async side, for the code that awaits room outside the models (it is compiled under
/// loom but never run there): it resolves at once, as a spurious wake-up may, and its callers
/// look again.
#[cfg(foundation_loom)]
impl std::future::Future for EventListener {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::task::Poll::Ready(())
    }
}
