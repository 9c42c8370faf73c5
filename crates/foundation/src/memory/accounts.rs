//! Memory accounts: one per process, plus the runtime's, in a fixed table the allocator can
//! reach without allocating.
//!
//! An account is named by a tag: its slot in the table and the slot's generation. Every
//! allocation carries the tag of the account that made it, and its free is credited to that
//! account, whichever thread or process frees it. When a process's account is closed, what it
//! still holds (memory it sent away in messages, say) moves to the runtime account, and the
//! slot's generation changes; frees that arrive later with the old tag find the generation
//! changed and are credited to the runtime account, where the bytes now are.

use std::cell::Cell;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};

use std::sync::Mutex;

/// How many accounts can be open at once; processes beyond it share the runtime account (and
/// report no memory figure of their own).
pub(crate) const SLOTS: usize = 1 << 20;

/// The runtime's account: allocations made outside any process.
pub(crate) const RUNTIME: u64 = 0;

/// The runtime account is spread over this many slots (0 to 15), one per thread in turn, so
/// that threads allocating outside processes do not all contend on one counter.
const RUNTIME_STRIPES: usize = 16;

/// One account, alone on its cache line: processes running on different cores never share
/// one.
#[repr(align(64))]
struct Slot {
    /// Bytes held. Signed arithmetic in an unsigned word: frees may briefly run ahead of
    /// allocations seen on another thread.
    live: AtomicU64,
    peak: AtomicU64,
    generation: AtomicU32,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot =
    Slot { live: AtomicU64::new(0), peak: AtomicU64::new(0), generation: AtomicU32::new(0) };

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

/// Set once the accounting allocator has served an allocation: until then, figures are
/// unavailable, never guessed.
pub(crate) static INSTALLED: AtomicBool = AtomicBool::new(false);

static NEXT_UNUSED: AtomicU32 = AtomicU32::new(RUNTIME_STRIPES as u32);
static NEXT_STRIPE: AtomicU32 = AtomicU32::new(0);
static FREE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

thread_local! {
    /// The account of the process being polled on this thread.
    static CURRENT: Cell<u64> = const { Cell::new(RUNTIME) };
    /// This thread's runtime stripe, plus one (0: not chosen yet).
    static STRIPE: Cell<u32> = const { Cell::new(0) };
}

/// The runtime slot this thread charges and credits.
#[inline]
fn runtime_slot() -> &'static Slot {
    let stripe = STRIPE
        .try_with(|s| {
            if s.get() == 0 {
                s.set(NEXT_STRIPE.fetch_add(1, Relaxed) % RUNTIME_STRIPES as u32 + 1);
            }
            s.get() - 1
        })
        .unwrap_or(0);
    &TABLE[stripe as usize]
}

fn split(tag: u64) -> (usize, u32) {
    ((tag & u64::from(u32::MAX)) as usize, (tag >> 32) as u32)
}

/// The account allocations on this thread are charged to now.
#[inline]
pub(crate) fn current() -> u64 {
    CURRENT.try_with(Cell::get).unwrap_or(RUNTIME)
}

/// Charges this thread's allocations to `tag` until the returned value is passed to
/// [`restore`]. Cheap: a thread-local swap.
#[inline]
pub(crate) fn enter(tag: u64) -> u64 {
    CURRENT.try_with(|c| c.replace(tag)).unwrap_or(RUNTIME)
}

/// Undoes [`enter`].
#[inline]
pub(crate) fn restore(previous: u64) {
    let _ = CURRENT.try_with(|c| c.set(previous));
}

/// Charges `bytes` to `tag`'s account. Called by the allocator: no allocation, no panic.
#[inline]
pub(crate) fn charge(tag: u64, bytes: usize) {
    let (index, generation) = split(tag);
    let slot = if index == 0 || TABLE[index].generation.load(Acquire) != generation {
        runtime_slot()
    } else {
        &TABLE[index]
    };
    let live = slot.live.fetch_add(bytes as u64, Relaxed).wrapping_add(bytes as u64);
    if (live as i64) > 0 && live > slot.peak.load(Relaxed) {
        slot.peak.fetch_max(live, Relaxed);
    }
}

/// Credits `bytes` back to `tag`'s account, or to the runtime's if that account was closed
/// since. Called by the allocator: no allocation, no panic.
#[inline]
pub(crate) fn credit(tag: u64, bytes: usize) {
    let (index, generation) = split(tag);
    if index != 0 && TABLE[index].generation.load(Acquire) == generation {
        TABLE[index].live.fetch_sub(bytes as u64, Relaxed);
    } else {
        runtime_slot().live.fetch_sub(bytes as u64, Relaxed);
    }
}

/// Opens an account; `None` when the table is full (the process then shares the runtime's).
pub(crate) fn open() -> Option<u64> {
    let reused = FREE.lock().map_or(None, |mut free| free.pop());
    let index = match reused {
        Some(index) => index,
        None => {
            let index = NEXT_UNUSED.fetch_add(1, Relaxed);
            if index as usize >= SLOTS {
                NEXT_UNUSED.fetch_sub(1, Relaxed);
                return None;
            }
            index
        }
    };
    let slot = &TABLE[index as usize];
    slot.live.store(0, Relaxed);
    slot.peak.store(0, Relaxed);
    let generation = slot.generation.load(Acquire);
    Some(u64::from(generation) << 32 | u64::from(index))
}

/// Closes an account: what it still holds moves to the runtime's, and later frees of its
/// allocations are credited there.
pub(crate) fn close(tag: u64) {
    let (index, generation) = split(tag);
    if index < RUNTIME_STRIPES {
        return;
    }
    let slot = &TABLE[index];
    if slot
        .generation
        .compare_exchange(generation, generation.wrapping_add(1), AcqRel, Acquire)
        .is_err()
    {
        return;
    }
    let left = slot.live.swap(0, AcqRel);
    TABLE[0].live.fetch_add(left, Release);
    if let Ok(mut free) = FREE.lock() {
        free.push(index as u32);
    }
}

/// Bytes an account holds now, if the allocator is installed.
pub(crate) fn live(tag: u64) -> Option<u64> {
    if !INSTALLED.load(Relaxed) {
        return None;
    }
    let (index, generation) = split(tag);
    let slot = &TABLE[index];
    if index < RUNTIME_STRIPES || slot.generation.load(Acquire) != generation {
        return None;
    }
    Some((slot.live.load(Relaxed) as i64).max(0) as u64)
}

/// The most an account has held, if the allocator is installed.
pub(crate) fn peak(tag: u64) -> Option<u64> {
    live(tag)?;
    Some(TABLE[split(tag).0].peak.load(Relaxed))
}

/// Bytes the runtime account holds (allocations outside any process, and what ended processes
/// left behind), if the allocator is installed.
pub(crate) fn runtime_live() -> Option<u64> {
    let sum =
        TABLE[..RUNTIME_STRIPES].iter().fold(0u64, |sum, s| sum.wrapping_add(s.live.load(Relaxed)));
    INSTALLED.load(Relaxed).then(|| (sum as i64).max(0) as u64)
}

/// Bytes held by every account together (the whole heap the allocator serves), if installed.
/// Scans the accounts in use: O(accounts ever open at once).
pub(crate) fn total_live() -> Option<u64> {
    let used = (NEXT_UNUSED.load(Acquire) as usize).min(SLOTS);
    let sum = TABLE[..used].iter().fold(0u64, |sum, s| sum.wrapping_add(s.live.load(Relaxed)));
    INSTALLED.load(Relaxed).then(|| (sum as i64).max(0) as u64)
}

/// Charges this thread's allocations to an account until dropped.
pub(crate) struct ChargeTo(u64);

impl ChargeTo {
    pub(crate) fn new(tag: u64) -> Self {
        ChargeTo(enter(tag))
    }
}

impl Drop for ChargeTo {
    fn drop(&mut self) {
        restore(self.0);
    }
}
