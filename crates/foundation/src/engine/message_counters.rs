//! Message analytics: the counters a process's traffic keeps, and how they are kept cheaply.
//!
//! The hot path pays almost nothing:
//! - the receiver's count is the run loop's `handled` counter, published after each message
//!   anyway; the bytes of a message whose size is known are published when it is taken (three
//!   relaxed stores, paid only by processes that report sizes);
//! - a send counts itself in a thread-local cell, and the process being polled on that thread
//!   adds the cell to its `sent` counter when its poll ends (sends from outside any process are
//!   discarded when the next process's poll starts);
//! - the clock is read once every [`SAMPLE_EVERY`] messages (and when a sampled message is
//!   taken), to close a rate window and to take a mailbox-wait sample;
//! - drops, refusals and stalls are counted where they happen: they are the slow paths already.
//!
//! Memory: four counters live in the control block; the byte counts, the rate window, the
//! mailbox-wait sample and the state of the drop/stall events live in a `Detail` allocated
//! when first needed (the first sample, the first sized message, the first drop or stall), so
//! an idle process costs no more than it did without analytics. The counters live with the
//! address, so they add up over a supervised process's restarts.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::time::Instant;

use crate::Pid;
use crate::engine::hook::FlowReport;
use crate::process::message_stats::MessageStats;
use crate::process::overflow::Overflow;

/// The receiver reads the clock once per this many messages.
pub(crate) const SAMPLE_EVERY: u64 = 64;

/// A rate window closes once it has lasted this long.
const WINDOW: Duration = Duration::from_secs(1);

thread_local! {
    /// Messages sent from this thread since the current process's poll began.
    static SENT: Cell<u64> = const { Cell::new(0) };
}

/// Counts one message sent from this thread.
#[inline]
pub(crate) fn count_sent() {
    SENT.with(|s| s.set(s.get() + 1));
}

/// Starts counting a poll's sends: forgets sends made outside any process.
#[inline]
pub(crate) fn begin_poll() {
    SENT.with(|s| s.set(0));
}

/// The sends made during the poll that is ending.
#[inline]
pub(crate) fn end_poll() -> u64 {
    SENT.with(|s| s.replace(0))
}

/// Nanoseconds since `epoch` (the node's start, on its runtime's clock, which may be paused)
/// plus one, so that 0 can mean "never".
pub(crate) fn now_nanos(epoch: Instant) -> u64 {
    let since = Instant::now().saturating_duration_since(epoch).as_nanos();
    u64::try_from(since).unwrap_or(u64::MAX - 1) + 1
}

/// One address's traffic counters: four words in the control block; the rest, which only a
/// process that receives (or reports sizes) needs, in a [`Detail`] the receiver allocates at
/// its first sample, so an idle process never pays for it.
#[derive(Debug, Default)]
pub(crate) struct MessageCounters {
    sent: AtomicU64,
    dropped: AtomicU64,
    refused: AtomicU64,
    stalls: AtomicU64,
    detail: OnceLock<Box<Detail>>,
}

/// Byte counts, the mailbox-wait sample and the rate window: written by the receiver only.
#[derive(Debug, Default)]
struct Detail {
    bytes_received: AtomicU64,
    sized: AtomicU64,
    largest: AtomicU64,
    /// The last mailbox-wait sample, in nanoseconds plus one; 0 for none yet.
    wait_nanos: AtomicU64,
    /// The current rate window: when it began (0: not yet) and the counts then.
    window_start: AtomicU64,
    window_received: AtomicU64,
    window_sent: AtomicU64,
    /// The rates of the last closed window, as `f64` bits.
    received_rate: AtomicU64,
    sent_rate: AtomicU64,
    /// A mailbox-wait sample in progress: when it was taken (0: none), and the count at which
    /// the message then last in the mailbox is taken.
    wait_since: AtomicU64,
    wait_due: AtomicU64,
    /// What the last drop and stall events told, and when.
    told_dropped: AtomicU64,
    told_stalls: AtomicU64,
    told_at: AtomicU64,
}

impl MessageCounters {
    pub(crate) fn add_sent(&self, n: u64) {
        if n > 0 {
            self.sent.fetch_add(n, Relaxed);
        }
    }

    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_refused(&self) {
        self.refused.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_stall(&self) {
        self.stalls.fetch_add(1, Relaxed);
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }

    pub(crate) fn stalls(&self) -> u64 {
        self.stalls.load(Relaxed)
    }

    fn detail(&self) -> &Detail {
        self.detail.get_or_init(Box::default)
    }

    /// A snapshot for `process_info`; `received` is the process's `handled` count.
    pub(crate) fn snapshot(&self, received: u64, epoch: Instant) -> MessageStats {
        let sent = self.sent.load(Relaxed);
        let mut stats = MessageStats {
            received,
            sent,
            dropped: self.dropped.load(Relaxed),
            refused: self.refused.load(Relaxed),
            stalls: self.stalls.load(Relaxed),
            ..MessageStats::default()
        };
        if let Some(d) = self.detail.get() {
            let sized = d.sized.load(Relaxed) > 0;
            stats.bytes_received = sized.then(|| d.bytes_received.load(Relaxed));
            stats.largest_message = sized.then(|| d.largest.load(Relaxed));
            let wait = d.wait_nanos.load(Relaxed);
            stats.mailbox_wait = (wait > 0).then(|| Duration::from_nanos(wait - 1));
            (stats.received_per_sec, stats.sent_per_sec) = d.rates(received, sent, epoch);
        }
        stats
    }
}

impl Detail {
    /// Rates over the most recent window of at least a second: the open one if it has run for
    /// two windows (the process has been quiet), otherwise the last closed one.
    fn rates(&self, received: u64, sent: u64, epoch: Instant) -> (f64, f64) {
        let start = self.window_start.load(Relaxed);
        if start == 0 {
            return (0.0, 0.0);
        }
        let open = Duration::from_nanos(now_nanos(epoch).saturating_sub(start));
        if open >= 2 * WINDOW {
            let secs = open.as_secs_f64();
            let r = received.saturating_sub(self.window_received.load(Relaxed)) as f64 / secs;
            let s = sent.saturating_sub(self.window_sent.load(Relaxed)) as f64 / secs;
            return (r, s);
        }
        (
            f64::from_bits(self.received_rate.load(Relaxed)),
            f64::from_bits(self.sent_rate.load(Relaxed)),
        )
    }

    /// Closes the rate window if it has lasted long enough; called by the receiver with the
    /// clock it read for its sample.
    fn tick(&self, now: u64, received: u64, sent: u64) {
        let start = self.window_start.load(Relaxed);
        if start != 0 {
            let elapsed = Duration::from_nanos(now.saturating_sub(start));
            if elapsed < WINDOW {
                return;
            }
            let secs = elapsed.as_secs_f64();
            let r = received.saturating_sub(self.window_received.load(Relaxed)) as f64 / secs;
            let s = sent.saturating_sub(self.window_sent.load(Relaxed)) as f64 / secs;
            self.received_rate.store(r.to_bits(), Relaxed);
            self.sent_rate.store(s.to_bits(), Relaxed);
        }
        self.window_received.store(received, Relaxed);
        self.window_sent.store(sent, Relaxed);
        self.window_start.store(now, Relaxed);
    }
}

impl MessageCounters {
    /// Counts the size of a message taken from the mailbox, published at once. Receiver
    /// only.
    #[inline]
    pub(crate) fn count_bytes(&self, size: usize) {
        // The receiver is the only writer: loads and stores, no read-modify-write.
        let d = self.detail();
        let size = size as u64;
        d.bytes_received.store(d.bytes_received.load(Relaxed) + size, Relaxed);
        d.sized.store(d.sized.load(Relaxed) + 1, Relaxed);
        if size > d.largest.load(Relaxed) {
            d.largest.store(size, Relaxed);
        }
    }

    /// Called when message number `received` (over the address's life) has been taken and
    /// it is time: closes the rate window if due, and takes or finishes a mailbox-wait sample.
    /// A sample times the message last in the mailbox when it starts, until it is taken: a
    /// lower bound on its time in the mailbox (it was sent before), close for a steady backlog.
    /// Returns in how many messages to call again: [`SAMPLE_EVERY`], or fewer when the
    /// sampled message is taken sooner. Receiver only.
    pub(crate) fn sample(&self, received: u64, queued: usize, epoch: Instant) -> u8 {
        let now = now_nanos(epoch);
        let d = self.detail();
        d.tick(now, received, self.sent.load(Relaxed));
        let until = |due: u64| due.saturating_sub(received).clamp(1, SAMPLE_EVERY) as u8;
        let since = d.wait_since.load(Relaxed);
        if since != 0 {
            let due = d.wait_due.load(Relaxed);
            if received < due {
                return until(due);
            }
            d.wait_nanos.store(now.saturating_sub(since) + 1, Relaxed);
            d.wait_since.store(0, Relaxed);
        } else if queued > 0 {
            let due = received + queued as u64;
            d.wait_due.store(due, Relaxed);
            d.wait_since.store(now, Relaxed);
            return until(due);
        } else {
            d.wait_nanos.store(1, Relaxed);
        }
        SAMPLE_EVERY as u8
    }

    /// The drops and stalls since the last report, if there are any and the last report is at
    /// least a second old (or `flush`): marks them told and returns them.
    pub(crate) fn take_flow_report(
        &self,
        epoch: Instant,
        pid: Pid,
        policy: Overflow,
        flush: bool,
    ) -> Option<FlowReport> {
        let (dropped, stalls) = (self.dropped(), self.stalls());
        if dropped == 0 && stalls == 0 {
            return None;
        }
        let d = self.detail();
        let (told_dropped, told_stalls) =
            (d.told_dropped.load(Relaxed), d.told_stalls.load(Relaxed));
        if dropped == told_dropped && stalls == told_stalls {
            return None;
        }
        let now = now_nanos(epoch);
        let at = d.told_at.load(Relaxed);
        if !flush && at != 0 && Duration::from_nanos(now.saturating_sub(at)) < WINDOW {
            return None;
        }
        d.told_at.store(now, Relaxed);
        d.told_dropped.store(dropped, Relaxed);
        d.told_stalls.store(stalls, Relaxed);
        Some(FlowReport {
            pid,
            policy,
            dropped: (dropped > told_dropped).then(|| (dropped - told_dropped, dropped)),
            stalled: (stalls > told_stalls).then(|| (stalls - told_stalls, stalls)),
        })
    }
}

/// The control block's size is part of every process's footprint: analytics must not grow it
/// past the 128-byte step it fits in (six steps: the mailbox's queue is cache-line padded).
#[cfg(all(test, target_pointer_width = "64", not(foundation_loom)))]
mod footprint {
    #[test]
    fn a_process_block_stays_within_its_size_step() {
        let size = std::mem::size_of::<crate::engine::process_block::ProcessBlock<u64>>();
        assert!(size <= 768, "ProcessBlock<u64> is {size} bytes");
    }
}
