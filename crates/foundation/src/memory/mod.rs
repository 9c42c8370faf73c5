//! Memory: per-process accounting, limits, and readings, measured rather than estimated.
//!
//! Install [`AccountingAllocator`] as the global allocator and every allocation is charged to
//! the process that made it: the allocator tags each allocation with its account and credits
//! that account when the allocation is freed, by whichever thread or process frees it. Memory
//! sent to another process in a message stays charged to the sender until the receiver drops
//! it. Allocations made outside any process are charged to the runtime account. Resizing a
//! block (a `Vec` that grows or shrinks) counts as a new allocation by whoever resizes it: the
//! whole block moves to the current process's account, so a process that grows a buffer it
//! received pays for all of it, whoever allocated it first.
//!
//! A process is charged for its own control block and mailbox, its task (which holds its
//! state), and everything it allocates while it runs and still holds.
//! [`ProcessInfo::memory`](crate::ProcessInfo::memory) reads it; without the allocator it is
//! `None`, never a guess.
//!
//! # Without the `accounting-allocator` feature
//!
//! The allocator is the crate's `accounting-allocator` feature (on by default). Built without
//! it, the crate has no allocator, no unsafe code and no table of accounts: a spawn opens no
//! account and a poll switches none, every figure ([`ProcessInfo::memory`](
//! crate::ProcessInfo::memory), [`total_bytes`], [`runtime_bytes`], an ecosystem's memory) is
//! `None` and [`is_installed`] is `false`, as with the feature when the allocator is not
//! installed. A memory limit or budget is then accepted but cannot be measured, so it ends
//! nothing; [`isolate`] still gives its timeout and turns a panic into an error, and
//! [`on_shared_heap`] just runs its closure.
//!
//! # The shared heap
//!
//! What the node owns is charged to the runtime account, the *shared heap*, never to the
//! process whose spawn or call happened to make it grow: the process table, the name registry
//! and the process groups (also when a process registers a name or joins a group from its
//! handler), and the payloads of [`Binary`](crate::message::Binary)s. Your own shared data can
//! go there too with [`on_shared_heap`] (the analogue of an ETS table on the BEAM); a process
//! whose closure allocates there is not charged for it, and [`runtime_bytes`] counts it.
//!
//! One exception comes from tokio: on a current-thread runtime, tokio queues a task spawned
//! from the runtime's own thread in a growable array, and the spawn that grows it charges that
//! growth to the new process (until a later growth moves the array to whoever grows it next).
//! A multi-thread runtime queues on fixed arrays and linked lists, so there a spawn charges
//! the child for its own bytes only.
//!
//! # Limits
//!
//! A process spawned with [`ProcessBuilder::memory_limit`](crate::ProcessBuilder::memory_limit)
//! (the BEAM's `max_heap_size`) is ended with [`ExitReason::MemoryLimit`](crate::ExitReason)
//! once it holds more than its limit: the check runs after every message it handles and after
//! every poll, so a process can overshoot by what it allocates within one message's handler
//! before that handler's first `.await`, and no more. Like `kill`, the limit cannot be trapped and `terminate` does not run (it could only
//! allocate more); its state is dropped, which frees its memory, and its links, monitors and
//! supervisor see the reason. Its neighbours keep running.
//!
//! # Restarts
//!
//! A supervised process keeps its address, its mailbox and its control block across restarts,
//! but each incarnation gets a fresh account, as a restarted BEAM process starts with a fresh
//! heap: its figure and its peak start again, and its limit applies to what *it* holds. The
//! previous incarnation's account is closed, so what that one still held (data it handed to a
//! shared structure or to other processes, messages it sent that are not yet consumed) moves to
//! the runtime account; otherwise a process under a limit could come back over its limit and
//! be ended again at once, in a loop. The control block and mailbox were allocated by the first
//! incarnation, so they stay with its account and move to the shared heap at the first
//! restart: a restarted process is charged for its task, its state and what it allocates, not
//! for its kept control block. (A member of an ecosystem, whose address is made before its
//! first incarnation, is charged for its control block until its first restart likewise.)
//!
//! # When every account is in use
//!
//! Each process (each incarnation of a supervised one) and each [`isolate`]d job takes an
//! account while one is free; the installed allocator decides how many may be open at once
//! ([`AccountingAllocator::with_max_accounts`], about a million by default). When none is free:
//!
//! - a process or job **with** a memory limit is not started: the spawn fails with
//!   [`SpawnError::NoMemoryAccount`](crate::SpawnError::NoMemoryAccount), [`isolate`] and
//!   [`isolate_blocking`] with [`IsolateError::NoMemoryAccount`]. A limit that cannot be
//!   measured is never dropped silently. A supervised child's restart first gives back its
//!   previous incarnation's account and takes a fresh one, so it fails this way only if that
//!   incarnation had none; a failed restart counts against the restart intensity;
//! - a process or job **without** a limit still runs, sharing the runtime account: its own
//!   figure ([`ProcessInfo::memory`](crate::ProcessInfo::memory)) is then `None`, and what it
//!   allocates counts in [`runtime_bytes`].
//!
//! # Isolated work
//!
//! [`isolate`] runs async work on its own task with its own account, a timeout and a memory
//! cap, and turns a panic into an error; what it allocated is freed when it ends.
//! [`isolate_blocking`] does the same for blocking work on tokio's blocking pool, with the
//! limits a thread allows (see its docs).
//!
//! Giving up on isolated work (dropping its future, or a timeout around it) leaves nothing
//! running and nothing accounted: the work's task is aborted and its account closed. A
//! blocking thread is the exception: it cannot be stopped once it runs, so blocking work that
//! has started runs to its end, and its account closes then.
//!
//! # Cost
//!
//! An 8-byte trailer per allocation and two atomic adds (one on allocation, one on free) on
//! the account's counter, plus a thread-local swap around each poll of a process. The table of
//! accounts takes about 1.5 KiB of static memory and 64 bytes per account, allocated (on the
//! shared heap) in chunks of 64, 128, 256, ... as accounts are first opened and never freed: a
//! few KiB for a small program, about 64 MiB at a million processes.

#[cfg(feature = "accounting-allocator")]
mod accounts;
#[cfg(feature = "accounting-allocator")]
mod allocator;
mod isolate;
#[cfg(feature = "accounting-allocator")]
mod table;
#[cfg(not(feature = "accounting-allocator"))]
mod unaccounted;
#[cfg(not(feature = "accounting-allocator"))]
use unaccounted as accounts;

#[cfg(feature = "accounting-allocator")]
pub use allocator::AccountingAllocator;
pub use isolate::{IsolateError, Isolation, isolate, isolate_blocking};

pub(crate) use accounts::{ChargeTo, RUNTIME, capacity, close, live, open, peak};

/// Runs `f` with its allocations charged to the shared heap (the runtime account) instead of
/// the calling process: for data that outlives the process or belongs to no one process, as
/// the BEAM keeps data in ETS rather than on a process heap.
///
/// Only what `f` allocates on this thread, while it runs, is charged there; a block keeps its
/// account when another process frees it, but a process that later *grows* it (a `push` that
/// reallocates) takes the block onto its own account, so grow shared structures inside
/// `on_shared_heap` too. Without the [`AccountingAllocator`] it just runs `f`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use foundation::memory::on_shared_heap;
///
/// let cache: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
/// // In a handler: the entry is the shared heap's, not this process's.
/// on_shared_heap(|| cache.lock().unwrap().push(vec![0; 1024]));
/// assert_eq!(cache.lock().unwrap().len(), 1);
/// ```
pub fn on_shared_heap<R>(f: impl FnOnce() -> R) -> R {
    let _shared_heap = ChargeTo::shared_heap();
    f()
}

/// `true` once the [`AccountingAllocator`] is serving allocations; always `false` without the
/// `accounting-allocator` feature.
pub fn is_installed() -> bool {
    accounts::is_installed()
}

/// Bytes held by the whole heap the [`AccountingAllocator`] serves: every process's account,
/// the runtime's, and everything else the program allocated. `None` without the allocator.
/// Scans the accounts in use, so call it to take a reading, not in a hot loop.
pub fn total_bytes() -> Option<u64> {
    accounts::total_live()
}

/// Bytes held by the runtime account: allocations made outside any process, plus what ended
/// processes left behind (until it is freed). `None` without the allocator.
pub fn runtime_bytes() -> Option<u64> {
    accounts::runtime_live()
}
