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

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::Ordering::Relaxed;

use crate::memory::accounts;

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
#[derive(Debug, Default)]
pub struct AccountingAllocator {
    _private: (),
}

impl AccountingAllocator {
    /// The allocator; `const` so it can be a `static`.
    pub const fn new() -> Self {
        AccountingAllocator { _private: () }
    }
}

/// Where the trailer of an allocation of `size` bytes goes, and the size to ask the system for.
#[inline]
fn extended(layout: Layout) -> Option<(usize, Layout)> {
    let offset = layout.size().checked_add(TRAILER - 1)? & !(TRAILER - 1);
    let size = offset.checked_add(TRAILER)?;
    let layout = Layout::from_size_align(size, layout.align().max(TRAILER)).ok()?;
    Some((offset, layout))
}

/// Writes a fresh block's trailer with the current account and charges the account.
///
/// # Safety
///
/// `ptr` is null, or a block `System` returned for the layout `extended` gave with this
/// `offset`: the trailer at `offset` lies inside it and is 8-aligned.
#[inline]
unsafe fn tag(ptr: *mut u8, offset: usize, size: usize) -> *mut u8 {
    if !ptr.is_null() {
        let account = accounts::current();
        // SAFETY: the caller guarantees the trailer is in bounds and aligned.
        unsafe { ptr.add(offset).cast::<u64>().write(account) };
        accounts::charge(account, size);
        accounts::INSTALLED.store(true, Relaxed);
    }
    ptr
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
        unsafe { tag(ptr, offset, layout.size()) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let Some((offset, full)) = extended(layout) else { return std::ptr::null_mut() };
        // SAFETY: as in `alloc`.
        let ptr = unsafe { System.alloc_zeroed(full) };
        // SAFETY: as in `alloc`.
        unsafe { tag(ptr, offset, layout.size()) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // The caller passes the layout it allocated with, so `extended` succeeded then and
        // gives the same answer now.
        let Some((offset, full)) = extended(layout) else { return };
        // SAFETY: `ptr` came from `alloc` with this layout, which wrote the trailer there.
        let tag = unsafe { ptr.add(offset).cast::<u64>().read() };
        accounts::credit(tag, layout.size());
        // SAFETY: `ptr` was allocated by `System` with `full`.
        unsafe { System.dealloc(ptr, full) };
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
        // SAFETY: `ptr` came from `alloc` with `layout`: the trailer is at `offset`.
        let old = unsafe { ptr.add(offset).cast::<u64>().read() };
        // SAFETY: `ptr` was allocated by `System` with `full`; `new_full.size()` is non-zero
        // and does not overflow when rounded to the alignment (checked by `Layout`).
        let new_ptr = unsafe { System.realloc(ptr, full, new_full.size()) };
        if !new_ptr.is_null() {
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
