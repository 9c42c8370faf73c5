//! The process being polled on this thread: set around each poll of a process's task, so
//! that code running inside a handler knows which process it runs in. Two things need it: a
//! call a process makes to itself (refused at once, as `gen_server:call` to self exits with
//! `calling_self`), and a reply handle dropped unanswered inside a process, which is parked
//! here until the process's handler has returned, so that a caller whose server is dying
//! learns the server's exit reason rather than a bare "dropped" (see `release_orphans`).
//!
//! Safe code only: the process is known by the address of its control block, compared, never
//! dereferenced; what a poll parks waits in a thread-local list, which the process's task
//! keeps between polls and puts back when its next poll begins (so the block does not grow).

use std::cell::{Cell, RefCell};

use crate::ExitReason;
use crate::engine::control_block::ControlBlock;

/// A reply handle dropped unanswered inside a process, held until it is known whether the
/// process lives on: told the process's exit reason if it does not (`Some`), or just dropped
/// if it does (`None`).
pub(crate) type Orphan = Box<dyn FnOnce(Option<&ExitReason>) + Send>;

thread_local! {
    /// The control block of the process being polled, by address; 0 for none.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    /// What the current poll parked.
    static PARKED: RefCell<Vec<Orphan>> = const { RefCell::new(Vec::new()) };
    /// Whether `PARKED` may hold anything: read on every message handled, so that the usual
    /// case (nothing parked) costs one read of a plain thread-local and no look at the list.
    static ANY: Cell<bool> = const { Cell::new(false) };
}

/// A process's identity here: its control block's address (compared, never dereferenced).
pub(crate) fn id(core: &ControlBlock) -> usize {
    std::ptr::from_ref(core) as usize
}

/// Marks `core`'s process as the one being polled on this thread until the returned guard
/// ends the poll; `kept` is what its earlier polls parked, parked again for this one.
#[inline]
pub(crate) fn enter(core: &ControlBlock, kept: &mut Vec<Orphan>) -> Polling {
    let previous = CURRENT.with(|c| c.replace(id(core)));
    if !kept.is_empty() {
        let kept = std::mem::take(kept);
        if PARKED.try_with(|p| p.borrow_mut().extend(kept)).is_ok() {
            ANY.set(true);
        }
    }
    Polling { previous }
}

/// The poll of one process; restores what was current before it.
pub(crate) struct Polling {
    previous: usize,
}

impl Polling {
    /// Ends the poll and hands back what it parked.
    #[inline]
    pub(crate) fn leave(self) -> Vec<Orphan> {
        // `Drop` restores the previous process.
        take_parked()
    }
}

impl Drop for Polling {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
        // A poll that unwinds never reaches `leave`: what it parked must not wait for the
        // next process polled on this thread. Dropped, its callers learn `no_reply`.
        if std::thread::panicking() {
            drop(take_parked());
        }
    }
}

/// `true` if this code runs inside `core`'s process (in one of its handlers).
#[inline]
pub(crate) fn is(core: &ControlBlock) -> bool {
    is_id(id(core))
}

/// `true` if this code runs inside the process whose [`id`] is `process`.
#[inline]
pub(crate) fn is_id(process: usize) -> bool {
    CURRENT.try_with(|c| c.get() == process).unwrap_or(false)
}

/// Parks `orphan` with the process being polled; gives it back if none is.
pub(crate) fn park(orphan: Orphan) -> Result<(), Orphan> {
    if CURRENT.try_with(Cell::get).unwrap_or(0) == 0 {
        return Err(orphan);
    }
    match PARKED.try_with(|p| p.borrow_mut().push(orphan)) {
        Ok(()) => {
            ANY.set(true);
            Ok(())
        }
        // The thread is ending: nothing to wait for.
        Err(_) => Ok(()),
    }
}

/// Takes what the current poll parked (usually nothing: no allocation then).
#[inline]
pub(crate) fn take_parked() -> Vec<Orphan> {
    if !ANY.replace(false) {
        return Vec::new();
    }
    PARKED
        .try_with(|p| {
            let mut p = p.borrow_mut();
            if p.is_empty() { Vec::new() } else { std::mem::take(&mut *p) }
        })
        .unwrap_or_default()
}

/// `true` if this code runs inside some process's poll.
#[inline]
pub(crate) fn in_process() -> bool {
    CURRENT.try_with(|c| c.get() != 0).unwrap_or(false)
}

/// `true` if the current poll may have parked something (cheap: read on every message).
#[inline]
pub(crate) fn any_parked() -> bool {
    ANY.get()
}
