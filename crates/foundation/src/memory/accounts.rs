//! Memory accounts: one per process (per incarnation), plus the runtime's, in a table the
//! allocator can reach without allocating (see `table.rs`).
//!
//! An account is named by a tag: its slot in the table and the slot's generation. Every
//! allocation carries the tag of the account that made it, and its free is credited to that
//! account, whichever thread or process frees it. When a process's account is closed, what it
//! still holds (memory it sent away in messages, say) moves to the runtime account, and the
//! slot's generation changes; frees that arrive later with the old tag find the generation
//! changed and are credited to the runtime account, where the bytes now are.

use std::cell::Cell;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::{Relaxed, Release};

use crate::memory::table::{RUNTIME_STRIPES, Table};

/// The runtime's account: allocations made outside any process (the shared heap).
pub(crate) const RUNTIME: u64 = 0;

static TABLE: Table = Table::new();

/// `true` for the table the accounting allocator charges.
pub(crate) fn is_global(table: &Table) -> bool {
    std::ptr::eq(table, &TABLE)
}

/// Set once the accounting allocator has served an allocation: until then, figures are
/// unavailable, never guessed.
pub(crate) static INSTALLED: AtomicBool = AtomicBool::new(false);

/// `true` once the accounting allocator has served an allocation.
pub(crate) fn is_installed() -> bool {
    INSTALLED.load(Relaxed)
}

static NEXT_STRIPE: AtomicU32 = AtomicU32::new(0);

thread_local! {
    /// The account of the process being polled on this thread.
    static CURRENT: Cell<u64> = const { Cell::new(RUNTIME) };
    /// This thread's runtime stripe, plus one (0: not chosen yet).
    static STRIPE: Cell<u32> = const { Cell::new(0) };
}

/// Called by the allocator on its first allocation: the table takes its size from the
/// installed allocator, and figures become available.
#[cold]
pub(crate) fn install(max_accounts: usize) {
    TABLE.set_capacity(max_accounts);
    INSTALLED.store(true, Release);
}

/// This thread's runtime stripe (0 to [`RUNTIME_STRIPES`] − 1), chosen on first use.
#[inline]
pub(crate) fn stripe() -> usize {
    STRIPE
        .try_with(|s| {
            if s.get() == 0 {
                s.set(NEXT_STRIPE.fetch_add(1, Relaxed) % RUNTIME_STRIPES as u32 + 1);
            }
            s.get() - 1
        })
        .unwrap_or(0) as usize
}

/// The account allocations on this thread are charged to now.
#[inline]
pub(crate) fn current() -> u64 {
    CURRENT.try_with(Cell::get).unwrap_or(RUNTIME)
}

/// Charges `bytes` to `tag`'s account. Called by the allocator: no allocation, no lock, no
/// panic, whatever the tag.
#[inline]
pub(crate) fn charge(tag: u64, bytes: usize) {
    TABLE.charge(tag, bytes);
}

/// Credits `bytes` back to `tag`'s account, or to the runtime's if that account was closed
/// since (or never existed). Called by the allocator: no allocation, no lock, no panic.
#[inline]
pub(crate) fn credit(tag: u64, bytes: usize) {
    TABLE.credit(tag, bytes);
}

/// Opens an account; `None` when every account is in use (see [`capacity`]).
pub(crate) fn open() -> Option<u64> {
    TABLE.open()
}

/// How many accounts may be open at once (the installed allocator's `max_accounts`).
pub(crate) fn capacity() -> usize {
    TABLE.capacity()
}

/// Closes an account: what it still holds moves to the runtime's, and later frees of its
/// allocations are credited there.
pub(crate) fn close(tag: u64) {
    TABLE.close(tag);
}

/// Bytes an account holds now, if the allocator is installed.
pub(crate) fn live(tag: u64) -> Option<u64> {
    if !INSTALLED.load(Relaxed) {
        return None;
    }
    TABLE.live(tag)
}

/// The most an account has held since it was opened, if the allocator is installed.
pub(crate) fn peak(tag: u64) -> Option<u64> {
    if !INSTALLED.load(Relaxed) {
        return None;
    }
    TABLE.peak(tag)
}

/// Bytes the runtime account holds (allocations outside any process, and what ended processes
/// left behind), if the allocator is installed.
pub(crate) fn runtime_live() -> Option<u64> {
    INSTALLED.load(Relaxed).then(|| TABLE.runtime_live())
}

/// Bytes held by every account together (the whole heap the allocator serves), if installed.
/// Scans the accounts: O(most accounts ever open at once).
pub(crate) fn total_live() -> Option<u64> {
    INSTALLED.load(Relaxed).then(|| TABLE.total_live())
}

/// Charges this thread's allocations to an account until dropped.
pub(crate) struct ChargeTo(u64);

impl ChargeTo {
    /// Charges to `tag` until dropped. Cheap: a thread-local swap.
    #[inline]
    pub(crate) fn new(tag: u64) -> Self {
        ChargeTo(CURRENT.try_with(|c| c.replace(tag)).unwrap_or(RUNTIME))
    }

    /// Charges to the runtime account (the shared heap) until dropped: for what the node
    /// owns (its process table, names, groups), whichever process makes it grow.
    #[inline]
    pub(crate) fn shared_heap() -> Self {
        ChargeTo::new(RUNTIME)
    }
}

impl Drop for ChargeTo {
    #[inline]
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_to_nests_and_restores() {
        assert_eq!(current(), RUNTIME);
        {
            let _outer = ChargeTo::new(42);
            assert_eq!(current(), 42);
            {
                let _inner = ChargeTo::shared_heap();
                assert_eq!(current(), RUNTIME);
            }
            assert_eq!(current(), 42);
        }
        assert_eq!(current(), RUNTIME);
    }

    #[test]
    fn forged_tags_never_panic_in_the_global_table() {
        for forged in [u64::from(u32::MAX), 7 << 32 | (1 << 20), 3 << 32 | 5, u64::MAX] {
            charge(forged, 8);
            credit(forged, 8);
            assert_eq!(TABLE.live(forged), None);
            assert_eq!(TABLE.peak(forged), None);
            close(forged);
        }
    }

    #[test]
    fn a_thread_keeps_its_stripe() {
        let first = stripe();
        assert!(first < RUNTIME_STRIPES);
        assert_eq!(stripe(), first);
    }
}
