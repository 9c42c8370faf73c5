//! The accounting allocator: the system allocator, with every allocation charged to the
//! process that made it.
//!
//! Each allocation gets an 8-byte trailer naming its account (see `accounts.rs`), written
//! just after the caller's bytes (rounded up to 8). Its free reads the trailer and credits that
//! account, whichever thread or process frees it, so memory moved into a message stays charged
//! to its allocator until the receiver drops it. A realloc is a new allocation by whoever makes
//! it: the old account is credited the old size, the current account charged the new size, and
//! the new trailer names the current account. The allocator never allocates, never panics
//! and never unwinds; out of memory from the system is reported as the system reports it.
//!
//! Its unsafe code is checked with Miri (`scripts/miri.sh`: this file's and the table's unit
//! tests, and the integration tests that install it and are fast enough to interpret; the
//! script says which cannot run and why).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::Ordering::Relaxed;

use crate::memory::{accounts, table};

const TRAILER: usize = std::mem::size_of::<u64>();

/// A global allocator that attributes memory to processes. Install it in your binary:
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: foundation::memory::AccountingAllocator =
///     foundation::memory::AccountingAllocator::new();
/// ```
///
/// Without it, memory figures ([`ProcessInfo::memory`](crate::ProcessInfo::memory), ecosystem
/// totals) are `None`: never guessed.
///
/// # Accounts
///
/// Every process has an account while one is free: [`new`](Self::new) allows
/// [`DEFAULT_MAX_ACCOUNTS`](Self::DEFAULT_MAX_ACCOUNTS) (about a million) open at once, and
/// [`with_max_accounts`](Self::with_max_accounts) fewer. The table of accounts grows with the
/// number open (64 bytes each, in chunks), so a small program pays for a few KiB, not for the
/// maximum. When none is free, a process or job that asked for a memory limit fails to start
/// with a typed error; see [`memory`](crate::memory#when-every-account-is-in-use).
#[cfg_attr(docsrs, doc(cfg(feature = "accounting-allocator")))]
#[derive(Debug)]
pub struct AccountingAllocator {
    max_accounts: usize,
}

impl AccountingAllocator {
    /// How many accounts may be open at once by default: 2^20 slots, less the runtime's 16.
    pub const DEFAULT_MAX_ACCOUNTS: usize = table::MAX_ACCOUNTS;

    /// The allocator; `const` so it can be a `static`.
    pub const fn new() -> Self {
        AccountingAllocator { max_accounts: Self::DEFAULT_MAX_ACCOUNTS }
    }

    /// The allocator with at most `max_accounts` accounts open at once (processes, their
    /// incarnations, and [`isolate`](crate::memory::isolate)d work), capped at
    /// [`DEFAULT_MAX_ACCOUNTS`](Self::DEFAULT_MAX_ACCOUNTS). The table takes its size from the
    /// installed allocator at its first allocation.
    ///
    /// ```
    /// #[global_allocator]
    /// static ALLOCATOR: foundation::memory::AccountingAllocator =
    ///     foundation::memory::AccountingAllocator::with_max_accounts(10_000);
    /// ```
    pub const fn with_max_accounts(max_accounts: usize) -> Self {
        let max_accounts = if max_accounts < Self::DEFAULT_MAX_ACCOUNTS {
            max_accounts
        } else {
            Self::DEFAULT_MAX_ACCOUNTS
        };
        AccountingAllocator { max_accounts }
    }
}

impl Default for AccountingAllocator {
    fn default() -> Self {
        AccountingAllocator::new()
    }
}

/// The block `ptr` points to, with the provenance `System` gave the whole block (trailer
/// included).
///
/// The pointer a caller hands back may carry a provenance narrowed to its own bytes (a
/// `Box<[u8; 56]>` is retagged for its 56 bytes), which does not reach the trailer: reading the
/// trailer through it is undefined behaviour under Rust's aliasing model (Miri's Stacked
/// Borrows reports it). So every block's provenance is exposed when `System` hands it out
/// ([`expose`]) and taken back here from the address. The caller's own pointer is exposed too:
/// a `Box` being dropped is still (weakly) protected, and the free must go through its tag for
/// the caller's bytes rather than pop it. All of this is a no-op in the compiled code.
#[inline]
fn whole_block(ptr: *mut u8) -> *mut u8 {
    expose(ptr);
    std::ptr::with_exposed_provenance_mut(ptr.addr())
}

/// Exposes the provenance of a block `System` returned, for [`whole_block`].
#[inline]
fn expose(ptr: *mut u8) {
    let _ = ptr.expose_provenance();
}

/// Where the trailer of an allocation of `size` bytes goes, and the size to ask the system for.
#[inline]
fn extended(layout: Layout) -> Option<(usize, Layout)> {
    let offset = layout.size().checked_add(TRAILER - 1)? & !(TRAILER - 1);
    let size = offset.checked_add(TRAILER)?;
    let layout = Layout::from_size_align(size, layout.align().max(TRAILER)).ok()?;
    Some((offset, layout))
}

impl AccountingAllocator {
    /// Writes a fresh block's trailer with the current account and charges the account.
    ///
    /// # Safety
    ///
    /// `ptr` is null, or a block `System` returned for the layout `extended` gave with this
    /// `offset`: the trailer at `offset` lies inside it and is 8-aligned.
    #[inline]
    unsafe fn tag(&self, ptr: *mut u8, offset: usize, size: usize) -> *mut u8 {
        if !ptr.is_null() {
            expose(ptr);
            if !accounts::INSTALLED.load(Relaxed) {
                accounts::install(self.max_accounts);
            }
            let account = accounts::current();
            // SAFETY: the caller guarantees the trailer is in bounds and aligned.
            unsafe { ptr.add(offset).cast::<u64>().write(account) };
            accounts::charge(account, size);
        }
        ptr
    }
}

// SAFETY (for the impl as a whole): every method forwards to `System` with a layout that
// extends the caller's by a trailer, and reads or writes the trailer only inside memory that
// `System` returned for that extended layout.
unsafe impl GlobalAlloc for AccountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((offset, full)) = extended(layout) else { return std::ptr::null_mut() };
        // SAFETY: `full` has a non-zero size (at least the trailer) and a valid alignment.
        let ptr = unsafe { System.alloc(full) };
        // SAFETY: `ptr` is null or a block from `System` for `full`, as `tag` requires.
        unsafe { self.tag(ptr, offset, layout.size()) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let Some((offset, full)) = extended(layout) else { return std::ptr::null_mut() };
        // SAFETY: as in `alloc`.
        let ptr = unsafe { System.alloc_zeroed(full) };
        // SAFETY: as in `alloc`.
        unsafe { self.tag(ptr, offset, layout.size()) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // The caller passes the layout it allocated with, so `extended` succeeded then and
        // gives the same answer now.
        let Some((offset, full)) = extended(layout) else { return };
        let block = whole_block(ptr);
        // SAFETY: `ptr` came from `alloc` with this layout, which wrote the trailer there (and
        // exposed the block's provenance, which `block` has).
        let tag = unsafe { block.add(offset).cast::<u64>().read() };
        accounts::credit(tag, layout.size());
        // SAFETY: `block` was allocated by `System` with `full`.
        unsafe { System.dealloc(block, full) };
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some((offset, full)) = extended(layout) else { return std::ptr::null_mut() };
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        let Some((new_offset, new_full)) = extended(new_layout) else {
            return std::ptr::null_mut();
        };
        let block = whole_block(ptr);
        // SAFETY: `ptr` came from `alloc` with `layout`: the trailer is at `offset`, and
        // `block` has the provenance of the whole block.
        let old = unsafe { block.add(offset).cast::<u64>().read() };
        // SAFETY: `block` was allocated by `System` with `full`; `new_full.size()` is non-zero
        // and does not overflow when rounded to the alignment (checked by `Layout`).
        let new_ptr = unsafe { System.realloc(block, full, new_full.size()) };
        if !new_ptr.is_null() {
            expose(new_ptr);
            // The block now belongs to whoever resized it: a process that grows a buffer it
            // was handed pays for all of it, as if it had allocated a new one and copied.
            let account = accounts::current();
            // SAFETY: the trailer of the new block lies inside it and is 8-aligned.
            unsafe { new_ptr.add(new_offset).cast::<u64>().write(account) };
            accounts::credit(old, layout.size());
            accounts::charge(account, new_size);
        }
        new_ptr
    }
}

#[cfg(test)]
mod tests {
    //! Through `GlobalAlloc` on a local allocator (the test binary's own allocator is the
    //! system's), so that these run under Miri too (`scripts/miri.sh`).

    use super::*;
    use crate::memory::accounts::ChargeTo;

    const A: AccountingAllocator = AccountingAllocator::new();

    /// The tag in the trailer of a block of `layout` at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` came from `A` with `layout` and is not freed.
    unsafe fn trailer(ptr: *mut u8, layout: Layout) -> u64 {
        let (offset, _) = extended(layout).unwrap();
        // SAFETY: the caller's promise; `alloc` wrote the trailer there.
        unsafe { ptr.add(offset).cast::<u64>().read() }
    }

    /// An account of the global table, closed when dropped.
    struct Account(u64);

    impl Account {
        fn open() -> Self {
            Account(accounts::open().unwrap())
        }

        fn live(&self) -> u64 {
            accounts::live(self.0).unwrap()
        }
    }

    impl Drop for Account {
        fn drop(&mut self) {
            accounts::close(self.0);
        }
    }

    #[test]
    fn a_block_is_charged_to_its_allocator_and_credited_by_its_free() {
        let account = Account::open();
        let layout = Layout::from_size_align(100, 4).unwrap();
        let ptr = {
            let _charged = ChargeTo::new(account.0);
            // SAFETY: a non-zero size.
            unsafe { A.alloc(layout) }
        };
        assert!(!ptr.is_null());
        assert_eq!(ptr as usize % 4, 0);
        // SAFETY: `ptr` is a live block of `layout` from `A`.
        assert_eq!(unsafe { trailer(ptr, layout) }, account.0);
        assert_eq!(account.live(), 100);
        // SAFETY: the block has 100 bytes.
        unsafe { ptr.write_bytes(0xAB, 100) };
        // Freed outside the account: still credited to it.
        // SAFETY: allocated by `A` with `layout`.
        unsafe { A.dealloc(ptr, layout) };
        assert_eq!(account.live(), 0);
        assert_eq!(accounts::peak(account.0), Some(100));
    }

    #[test]
    fn zeroed_and_over_aligned_blocks_keep_their_promise() {
        let account = Account::open();
        let _charged = ChargeTo::new(account.0);
        for (size, align) in [(1, 1), (7, 8), (33, 64), (100, 4096)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: a non-zero size.
            let ptr = unsafe { A.alloc_zeroed(layout) };
            assert!(!ptr.is_null());
            assert_eq!(ptr as usize % align, 0, "{size} bytes aligned to {align}");
            // SAFETY: `size` bytes, zeroed.
            assert!(unsafe { std::slice::from_raw_parts(ptr, size) }.iter().all(|b| *b == 0));
            assert_eq!(account.live(), size as u64);
            // SAFETY: allocated by `A` with `layout`.
            unsafe { A.dealloc(ptr, layout) };
            assert_eq!(account.live(), 0);
        }
    }

    #[test]
    fn a_realloc_moves_the_block_to_the_account_that_makes_it() {
        let (first, grower) = (Account::open(), Account::open());
        let layout = Layout::from_size_align(64, 8).unwrap();
        let ptr = {
            let _charged = ChargeTo::new(first.0);
            // SAFETY: a non-zero size.
            unsafe { A.alloc(layout) }
        };
        // SAFETY: 64 bytes.
        unsafe { ptr.write_bytes(7, 64) };
        let grown = {
            let _charged = ChargeTo::new(grower.0);
            // SAFETY: `ptr` is a live block of `layout` from `A`; 4096 is non-zero.
            unsafe { A.realloc(ptr, layout, 4096) }
        };
        assert!(!grown.is_null());
        let grown_layout = Layout::from_size_align(4096, 8).unwrap();
        // SAFETY: a live block of `grown_layout` from `A`.
        assert_eq!(unsafe { trailer(grown, grown_layout) }, grower.0);
        // SAFETY: the first 64 bytes were kept.
        assert!(unsafe { std::slice::from_raw_parts(grown, 64) }.iter().all(|b| *b == 7));
        assert_eq!((first.live(), grower.live()), (0, 4096));
        // Shrunk by the first account: back to it, at its new size.
        let shrunk = {
            let _charged = ChargeTo::new(first.0);
            // SAFETY: a live block of `grown_layout` from `A`; 16 is non-zero.
            unsafe { A.realloc(grown, grown_layout, 16) }
        };
        assert!(!shrunk.is_null());
        assert_eq!((first.live(), grower.live()), (16, 0));
        let shrunk_layout = Layout::from_size_align(16, 8).unwrap();
        // SAFETY: a live block of `shrunk_layout` from `A`.
        unsafe { A.dealloc(shrunk, shrunk_layout) };
        assert_eq!(first.live(), 0);
    }

    #[test]
    fn a_block_outlives_its_closed_account() {
        let account = Account::open();
        let layout = Layout::from_size_align(256, 8).unwrap();
        let ptr = {
            let _charged = ChargeTo::new(account.0);
            // SAFETY: a non-zero size.
            unsafe { A.alloc(layout) }
        };
        let tag = account.0;
        drop(account);
        assert_eq!(accounts::live(tag), None);
        // Its free finds the generation changed and goes to the runtime's account.
        // SAFETY: allocated by `A` with `layout`.
        unsafe { A.dealloc(ptr, layout) };
        assert_eq!(accounts::live(tag), None);
    }

    /// `ptr` re-derived through a `&mut [u8; N]`, as a `Box<[u8; N]>` hands it to `dealloc`:
    /// its provenance covers the caller's `N` bytes and not the trailer.
    ///
    /// # Safety
    ///
    /// `ptr` is a live block of at least `N` bytes, not otherwise borrowed.
    unsafe fn narrowed<const N: usize>(ptr: *mut u8) -> *mut u8 {
        // SAFETY: the caller's promise.
        unsafe { &mut *ptr.cast::<[u8; N]>() }.as_mut_ptr()
    }

    #[test]
    fn a_pointer_that_covers_only_the_callers_bytes_still_reaches_the_trailer() {
        let account = Account::open();
        let _charged = ChargeTo::new(account.0);
        let layout = Layout::new::<[u8; 56]>();
        // SAFETY: a non-zero size.
        let ptr = unsafe { A.alloc(layout) };
        // SAFETY: a live block of 56 bytes.
        let ptr = unsafe { narrowed::<56>(ptr) };
        // SAFETY: a live block of `layout` from `A`; 200 is non-zero.
        let grown = unsafe { A.realloc(ptr, layout, 200) };
        assert!(!grown.is_null());
        assert_eq!(account.live(), 200);
        let grown_layout = Layout::from_size_align(200, 1).unwrap();
        // SAFETY: a live block of 200 bytes.
        let grown = unsafe { narrowed::<200>(grown) };
        // SAFETY: a live block of `grown_layout` from `A`.
        unsafe { A.dealloc(grown, grown_layout) };
        assert_eq!(account.live(), 0);
    }

    #[test]
    fn a_forged_trailer_is_the_runtime_account_and_never_aborts() {
        let account = Account::open();
        let layout = Layout::from_size_align(40, 8).unwrap();
        let (offset, _) = extended(layout).unwrap();
        let forged = [u64::from(u32::MAX), u64::MAX, 3 << 32 | (1 << 20), 9 << 32 | 20_000, 5];
        for tag in forged {
            let ptr = {
                let _charged = ChargeTo::new(account.0);
                // SAFETY: a non-zero size.
                unsafe { A.alloc(layout) }
            };
            // SAFETY: the trailer lies inside the block, 8-aligned.
            unsafe { ptr.add(offset).cast::<u64>().write(tag) };
            // SAFETY: a live block of `layout` from `A`; 80 is non-zero.
            let grown = unsafe { A.realloc(ptr, layout, 80) };
            assert!(!grown.is_null());
            let grown_layout = Layout::from_size_align(80, 8).unwrap();
            // SAFETY: a live block of `grown_layout` from `A`.
            let (grown_offset, _) = extended(grown_layout).unwrap();
            // SAFETY: the trailer lies inside the block, 8-aligned.
            unsafe { grown.add(grown_offset).cast::<u64>().write(tag) };
            // SAFETY: allocated by `A` (its trailer forged) with `grown_layout`.
            unsafe { A.dealloc(grown, grown_layout) };
        }
        // Charged 40 per block and never credited (the forged tags took the credits).
        assert_eq!(account.live(), 40 * forged.len() as u64);
    }
}
