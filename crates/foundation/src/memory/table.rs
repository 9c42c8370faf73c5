//! The account table: the runtime's striped account in a small static part, process accounts
//! in chunks allocated when first needed.
//!
//! A tag names a slot by index: indices below [`RUNTIME_STRIPES`] are the runtime's stripes;
//! the process accounts follow. Chunk `k` holds `FIRST << k` process slots (64, 128, 256, ...),
//! so the table's memory follows the most accounts ever open at once: a program with a handful
//! of processes pays for one 4 KiB chunk, a million processes for about 64 MiB, and the static
//! part is about 1.5 KiB (the runtime's stripes, the chunks' pointers and a free list).
//!
//! The allocator's side ([`Table::charge`], [`Table::credit`]) never allocates, never locks
//! and never panics: a tag whose slot does not exist (its chunk was never allocated, its index
//! is out of range: a forged or corrupted trailer) or whose generation is stale is the runtime
//! account. Chunks are allocated by [`Table::open`] only, and never freed: a slot, once handed
//! out, stays valid for the table's life.
//!
//! The chunks and the free list are the table's own bookkeeping, as malloc's arenas are
//! malloc's: no account is charged for them (their bytes are credited back to the runtime
//! account as they are allocated, and they are never freed), so accounted memory after a
//! burst of processes returns to where it was, whatever the table grew to.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Mutex, OnceLock};

use crate::memory::accounts::{self, ChargeTo, RUNTIME};

/// The runtime account is spread over this many slots, one per thread in turn, so that
/// threads allocating outside processes do not all contend on one counter.
pub(crate) const RUNTIME_STRIPES: usize = 16;

/// The most process accounts a table holds (and the default): with the runtime's stripes,
/// 2^20 slots.
pub(crate) const MAX_ACCOUNTS: usize = (1 << 20) - RUNTIME_STRIPES;

/// Process slots in the first chunk; each next chunk holds twice as many as the one before.
const FIRST: usize = 64;

/// Chunks enough for [`MAX_ACCOUNTS`]: 64 × (2^15 − 1) slots ≥ 2^20.
const CHUNKS: usize = 15;

/// One account, alone on its cache line: processes running on different cores never share
/// one.
#[repr(align(64))]
#[derive(Default)]
pub(crate) struct Slot {
    /// Bytes held. Signed arithmetic in an unsigned word: frees may briefly run ahead of
    /// allocations seen on another thread.
    live: AtomicU64,
    peak: AtomicU64,
    generation: AtomicU32,
}

impl Slot {
    const fn new() -> Self {
        Slot { live: AtomicU64::new(0), peak: AtomicU64::new(0), generation: AtomicU32::new(0) }
    }

    #[inline]
    fn charge(&self, bytes: usize) {
        let live = self.live.fetch_add(bytes as u64, Relaxed).wrapping_add(bytes as u64);
        if (live as i64) > 0 && live > self.peak.load(Relaxed) {
            self.peak.fetch_max(live, Relaxed);
        }
    }

    #[inline]
    fn credit(&self, bytes: usize) {
        self.live.fetch_sub(bytes as u64, Relaxed);
    }

    fn live(&self) -> u64 {
        (self.live.load(Relaxed) as i64).max(0) as u64
    }
}

/// The table. One lives in a static (`accounts::TABLE`); tests make their own.
pub(crate) struct Table {
    stripes: [Slot; RUNTIME_STRIPES],
    chunks: [OnceLock<Box<[Slot]>>; CHUNKS],
    /// How many process accounts may be open at once (at most [`MAX_ACCOUNTS`]).
    capacity: AtomicU32,
    /// Process slots handed out at least once: the next never-used one.
    next_unused: AtomicU32,
    /// Closed process slots, to hand out again.
    free: Mutex<Vec<u32>>,
}

/// A tag: a slot's index in the low half, its generation in the high half.
fn split(tag: u64) -> (usize, u32) {
    ((tag & u64::from(u32::MAX)) as usize, (tag >> 32) as u32)
}

/// Process slot `p`'s chunk and its place in it.
#[inline]
fn locate(p: usize) -> Option<(usize, usize)> {
    let j = p.checked_add(FIRST)?;
    let k = (j.ilog2() - FIRST.ilog2()) as usize;
    Some((k, j - (FIRST << k)))
}

/// How many slots chunk `k` holds: its share of [`MAX_ACCOUNTS`].
fn chunk_len(k: usize) -> usize {
    let start = FIRST * ((1 << k) - 1);
    (FIRST << k).min(MAX_ACCOUNTS.saturating_sub(start))
}

impl Table {
    pub(crate) const fn new() -> Self {
        Table {
            stripes: [const { Slot::new() }; RUNTIME_STRIPES],
            chunks: [const { OnceLock::new() }; CHUNKS],
            capacity: AtomicU32::new(MAX_ACCOUNTS as u32),
            next_unused: AtomicU32::new(0),
            free: Mutex::new(Vec::new()),
        }
    }

    /// Sets how many process accounts may be open at once (capped at [`MAX_ACCOUNTS`]).
    pub(crate) fn set_capacity(&self, accounts: usize) {
        self.capacity.store(accounts.min(MAX_ACCOUNTS) as u32, Relaxed);
    }

    /// How many process accounts may be open at once.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity.load(Relaxed) as usize
    }

    /// The runtime stripe this thread charges and credits.
    #[inline]
    fn runtime(&self) -> &Slot {
        &self.stripes[accounts::stripe() % RUNTIME_STRIPES]
    }

    /// The process slot at tag index `index`, if its chunk exists.
    #[inline]
    fn slot(&self, index: usize) -> Option<&Slot> {
        let p = index.checked_sub(RUNTIME_STRIPES)?;
        let (k, offset) = locate(p)?;
        self.chunks.get(k)?.get()?.get(offset)
    }

    /// The open process account `tag` names, if it still is open.
    #[inline]
    fn account(&self, tag: u64) -> Option<&Slot> {
        let (index, generation) = split(tag);
        self.slot(index).filter(|slot| slot.generation.load(Acquire) == generation)
    }

    /// Charges `bytes` to `tag`'s account, or to the runtime's if it is closed or unknown.
    #[inline]
    pub(crate) fn charge(&self, tag: u64, bytes: usize) {
        self.account(tag).unwrap_or_else(|| self.runtime()).charge(bytes);
    }

    /// Credits `bytes` to `tag`'s account, or to the runtime's if it is closed or unknown.
    #[inline]
    pub(crate) fn credit(&self, tag: u64, bytes: usize) {
        self.account(tag).unwrap_or_else(|| self.runtime()).credit(bytes);
    }

    /// Opens an account with nothing charged; `None` when [`capacity`](Self::capacity)
    /// accounts are open.
    pub(crate) fn open(&self) -> Option<u64> {
        // The free list and the chunks are the runtime's, whoever opens.
        let _runtime = ChargeTo::new(RUNTIME);
        let reused = self.free.lock().map_or(None, |mut free| free.pop());
        let p = match reused {
            Some(p) => p,
            None => {
                let capacity = self.capacity.load(Relaxed);
                self.next_unused
                    .fetch_update(Relaxed, Relaxed, |n| (n < capacity).then_some(n + 1))
                    .ok()?
            }
        };
        let (k, offset) = locate(p as usize)?;
        let chunk = self.chunks.get(k)?.get_or_init(|| self.grow(k));
        let slot = chunk.get(offset)?;
        slot.live.store(0, Relaxed);
        slot.peak.store(0, Relaxed);
        let generation = slot.generation.load(Acquire);
        Some(u64::from(generation) << 32 | (p as u64 + RUNTIME_STRIPES as u64))
    }

    /// Makes chunk `k`, and room in the free list for every slot up to its end, so that closing
    /// an account never grows the list. Neither is counted in any account (see the module
    /// docs): what they cost is credited back at once. Runs under `ChargeTo(RUNTIME)`.
    fn grow(&self, k: usize) -> Box<[Slot]> {
        let chunk: Box<[Slot]> = std::iter::repeat_with(Slot::default).take(chunk_len(k)).collect();
        let mut uncounted = std::mem::size_of_val(&*chunk);
        if let Ok(mut free) = self.free.lock() {
            let slots = (FIRST * ((1 << (k + 1)) - 1)).min(MAX_ACCOUNTS);
            let before = free.capacity();
            let more = slots.saturating_sub(free.len());
            free.reserve_exact(more);
            uncounted += (free.capacity() - before) * std::mem::size_of::<u32>();
        }
        // Credited where the allocator charged it: the global table's runtime account, when
        // this is the global table (a test's own table was not allocated by the allocator).
        if accounts::is_global(self) {
            accounts::credit(RUNTIME, uncounted);
        }
        chunk
    }

    /// Closes an account: what it still holds moves to the runtime's, later frees of its
    /// allocations are credited there, and its slot is handed out again. A closed, runtime or
    /// unknown tag is left alone.
    pub(crate) fn close(&self, tag: u64) {
        let (index, generation) = split(tag);
        let Some(slot) = self.account(tag) else { return };
        if slot
            .generation
            .compare_exchange(generation, generation.wrapping_add(1), AcqRel, Acquire)
            .is_err()
        {
            return;
        }
        let left = slot.live.swap(0, AcqRel);
        self.stripes[0].live.fetch_add(left, Release);
        let _runtime = ChargeTo::new(RUNTIME);
        if let Ok(mut free) = self.free.lock() {
            free.push((index - RUNTIME_STRIPES) as u32);
        }
    }

    /// Bytes an open process account holds now; `None` for the runtime's or a closed one.
    pub(crate) fn live(&self, tag: u64) -> Option<u64> {
        self.account(tag).map(Slot::live)
    }

    /// The most an open process account has held since it was opened.
    pub(crate) fn peak(&self, tag: u64) -> Option<u64> {
        self.account(tag).map(|slot| slot.peak.load(Relaxed))
    }

    /// Bytes the runtime account holds.
    pub(crate) fn runtime_live(&self) -> u64 {
        let sum = self.stripes.iter().fold(0u64, |sum, s| sum.wrapping_add(s.live.load(Relaxed)));
        (sum as i64).max(0) as u64
    }

    /// Bytes every account holds together. Scans the chunks allocated: O(most accounts ever
    /// open at once).
    pub(crate) fn total_live(&self) -> u64 {
        let slots =
            self.stripes.iter().chain(self.chunks.iter().filter_map(OnceLock::get).flatten());
        let sum = slots.fold(0u64, |sum, s| sum.wrapping_add(s.live.load(Relaxed)));
        (sum as i64).max(0) as u64
    }

    /// Chunks allocated so far.
    #[cfg(test)]
    fn chunks_allocated(&self) -> usize {
        self.chunks.iter().filter(|c| c.get().is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tags that name no slot of a fresh table, or a runtime stripe.
    fn forged() -> Vec<u64> {
        let chunkless = (RUNTIME_STRIPES + FIRST * 7) as u64; // in chunk 3, never allocated
        vec![
            u64::from(u32::MAX),                          // far past the last chunk
            7 << 32 | u64::from(u32::MAX),                // same, another generation
            (RUNTIME_STRIPES + MAX_ACCOUNTS) as u64,      // one past the last slot
            (RUNTIME_STRIPES + MAX_ACCOUNTS + 70) as u64, // in the last chunk's missing tail
            chunkless,
            5, // a runtime stripe: not an account
            u64::MAX,
        ]
    }

    #[test]
    fn chunks_follow_the_accounts_open() {
        assert_eq!(locate(0), Some((0, 0)));
        assert_eq!(locate(FIRST - 1), Some((0, FIRST - 1)));
        assert_eq!(locate(FIRST), Some((1, 0)));
        assert_eq!(locate(3 * FIRST), Some((2, 0)));
        let last = locate(MAX_ACCOUNTS - 1).unwrap();
        assert!(last.0 < CHUNKS && last.1 < chunk_len(last.0), "{last:?}");
        assert_eq!((0..CHUNKS).map(chunk_len).sum::<usize>(), MAX_ACCOUNTS);
        let table = Table::new();
        assert_eq!(table.chunks_allocated(), 0);
        let first = table.open().unwrap();
        assert_eq!(table.chunks_allocated(), 1);
        table.close(first);
    }

    #[test]
    fn accounts_beyond_the_first_chunks_charge_credit_close_and_reopen() {
        let table = Table::new();
        let n = FIRST * 3 + 9; // into the third chunk
        let tags: Vec<u64> = (0..n).map(|_| table.open().unwrap()).collect();
        assert_eq!(table.chunks_allocated(), 3);
        for (i, &tag) in tags.iter().enumerate() {
            table.charge(tag, 1000 + i);
        }
        for (i, &tag) in tags.iter().enumerate() {
            assert_eq!(table.live(tag), Some(1000 + i as u64));
            assert_eq!(table.peak(tag), Some(1000 + i as u64));
            table.credit(tag, 1000);
            assert_eq!(table.live(tag), Some(i as u64));
        }
        let held: u64 = (0..n as u64).sum();
        assert_eq!(table.total_live(), held + table.runtime_live());
        let runtime = table.runtime_live();
        for &tag in &tags {
            table.close(tag);
            assert_eq!(table.live(tag), None);
        }
        // What they held moved to the runtime; late frees with old tags are credited there.
        assert_eq!(table.runtime_live(), runtime + held);
        for (i, &tag) in tags.iter().enumerate() {
            table.credit(tag, i);
        }
        assert_eq!(table.runtime_live(), runtime);
        // Their slots come back with a new generation, empty; no new chunk is needed.
        let again: Vec<u64> = (0..n).map(|_| table.open().unwrap()).collect();
        assert_eq!(table.chunks_allocated(), 3);
        for &tag in &again {
            assert!(!tags.contains(&tag), "a reopened slot has a new generation");
            assert_eq!(table.live(tag), Some(0));
            assert_eq!(table.peak(tag), Some(0));
        }
        // A stale tag no longer reaches the reopened slot.
        table.charge(tags[0], 64);
        assert!(again.iter().all(|&t| table.live(t) == Some(0)));
        assert_eq!(table.runtime_live(), runtime + 64);
    }

    #[test]
    fn the_capacity_bounds_the_accounts_open_at_once() {
        let table = Table::new();
        table.set_capacity(5);
        let tags: Vec<u64> = (0..5).map(|_| table.open().unwrap()).collect();
        assert_eq!(table.open(), None);
        table.close(tags[2]);
        let reused = table.open().unwrap();
        assert_eq!(reused & u64::from(u32::MAX), tags[2] & u64::from(u32::MAX));
        assert_eq!(table.open(), None);
        table.set_capacity(usize::MAX);
        assert_eq!(table.capacity(), MAX_ACCOUNTS);
        table.set_capacity(0);
        assert_eq!(table.open(), None);
    }

    #[test]
    fn forged_tags_are_the_runtime_account() {
        let table = Table::new();
        let open = table.open().unwrap();
        table.charge(open, 10);
        for tag in forged() {
            let runtime = table.runtime_live();
            table.charge(tag, 24);
            assert_eq!(table.runtime_live(), runtime + 24, "tag {tag:#x}");
            table.credit(tag, 24);
            assert_eq!(table.runtime_live(), runtime, "tag {tag:#x}");
            assert_eq!(table.live(tag), None);
            assert_eq!(table.peak(tag), None);
            table.close(tag);
        }
        assert_eq!(table.live(open), Some(10), "a real account is untouched");
        assert_eq!(table.chunks_allocated(), 1, "a forged tag allocates nothing");
    }

    #[test]
    fn the_peak_follows_the_most_held() {
        let table = Table::new();
        let tag = table.open().unwrap();
        table.charge(tag, 300);
        table.credit(tag, 200);
        table.charge(tag, 50);
        assert_eq!(table.live(tag), Some(150));
        assert_eq!(table.peak(tag), Some(300));
        // A free seen before its allocation reads as nothing held, never as a huge figure.
        table.credit(tag, 1000);
        assert_eq!(table.live(tag), Some(0));
    }
}
