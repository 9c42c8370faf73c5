//! Message analytics: the counters a process's traffic keeps, and how they are kept cheaply.
//!
//! The hot path pays almost nothing:
//! - the receiver's count is the run loop's `handled` counter, published after each message
//!   anyway; the bytes of a message whose size is known are published when it is taken (three
//!   relaxed stores, paid only by processes that report sizes);
//! - a send counts itself in a thread-local cell, and the process being polled on that thread
//!   adds the cell to its `sent` counter when its poll ends (sends from outside any process are
//!   discarded when the next process's poll starts);
//! - the clock is read once every [`SAMPLE_EVERY`] messages, to close a rate window and to take
//!   a mailbox-wait sample;
//! - drops, refusals and stalls are counted where they happen: they are the slow paths already.
//!
//! The counters live with the address, so they add up over a supervised process's restarts.

use std::cell::Cell;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::time::Instant;

use crate::message::MessageStats;

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

/// One address's traffic counters.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    sent: AtomicU64,
    bytes_received: AtomicU64,
    sized: AtomicU64,
    largest: AtomicU64,
    dropped: AtomicU64,
    refused: AtomicU64,
    stalls: AtomicU64,
    /// The last mailbox-wait sample, in nanoseconds; 0 for none yet.
    wait_nanos: AtomicU64,
    /// The current rate window: when it began and the counts then.
    window_start: AtomicU64,
    window_received: AtomicU64,
    window_sent: AtomicU64,
    /// The rates of the last closed window, as `f64` bits.
    received_rate: AtomicU64,
    sent_rate: AtomicU64,
}

impl Traffic {
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

    /// A snapshot for `process_info`; `received` is the process's `handled` count.
    pub(crate) fn snapshot(&self, received: u64, epoch: Instant) -> MessageStats {
        let sent = self.sent.load(Relaxed);
        let sized = self.sized.load(Relaxed);
        let (received_per_sec, sent_per_sec) = self.rates(received, sent, epoch);
        let wait = self.wait_nanos.load(Relaxed);
        MessageStats {
            received,
            sent,
            bytes_received: (sized > 0).then(|| self.bytes_received.load(Relaxed)),
            largest_message: (sized > 0).then(|| self.largest.load(Relaxed)),
            received_per_sec,
            sent_per_sec,
            mailbox_wait: (wait > 0).then(|| Duration::from_nanos(wait - 1)),
            dropped: self.dropped.load(Relaxed),
            refused: self.refused.load(Relaxed),
            stalls: self.stalls.load(Relaxed),
        }
    }

    /// Rates over the most recent window of at least a second: the open one if it has run for
    /// two windows (the process has been quiet), otherwise the last closed one.
    fn rates(&self, received: u64, sent: u64, epoch: Instant) -> (f64, f64) {
        let start = self.window_start.load(Relaxed);
        let now = now_nanos(epoch);
        if start == 0 {
            return (0.0, 0.0);
        }
        let open = Duration::from_nanos(now.saturating_sub(start));
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
    fn tick(&self, now: u64, received: u64) {
        let start = self.window_start.load(Relaxed);
        if start == 0 {
            self.open_window(now, received);
            return;
        }
        let elapsed = Duration::from_nanos(now.saturating_sub(start));
        if elapsed < WINDOW {
            return;
        }
        let secs = elapsed.as_secs_f64();
        let sent = self.sent.load(Relaxed);
        let r = received.saturating_sub(self.window_received.load(Relaxed)) as f64 / secs;
        let s = sent.saturating_sub(self.window_sent.load(Relaxed)) as f64 / secs;
        self.received_rate.store(r.to_bits(), Relaxed);
        self.sent_rate.store(s.to_bits(), Relaxed);
        self.open_window(now, received);
    }

    fn open_window(&self, now: u64, received: u64) {
        self.window_received.store(received, Relaxed);
        self.window_sent.store(self.sent.load(Relaxed), Relaxed);
        self.window_start.store(now, Relaxed);
    }
}

/// The receiver's running counts, kept in its task.
#[derive(Debug, Default)]
pub(crate) struct Receiving {
    /// Messages taken, over the address's life (it starts at the `handled` count).
    received: u64,
    bytes: u64,
    sized: u64,
    largest: u64,
    /// A mailbox-wait sample in progress: when it was taken, and the count at which the
    /// message then last in the mailbox is taken.
    wait_sample: Option<(u64, u64)>,
}

impl Receiving {
    /// Counts for an incarnation that starts after `received` messages, picking up the
    /// published byte counts.
    pub(crate) fn starting_at(received: u64, traffic: &Traffic) -> Self {
        Receiving {
            received,
            bytes: traffic.bytes_received.load(Relaxed),
            sized: traffic.sized.load(Relaxed),
            largest: traffic.largest.load(Relaxed),
            wait_sample: None,
        }
    }

    /// Counts a message taken from the mailbox, `size` its size if known (published at once).
    /// Returns whether it is time to [`sample`](Self::sample): every [`SAMPLE_EVERY`]
    /// messages, and when the message a mailbox-wait sample is waiting for has been taken.
    #[inline]
    pub(crate) fn take(&mut self, size: Option<usize>, traffic: &Traffic) -> bool {
        self.received += 1;
        if let Some(size) = size {
            let size = size as u64;
            self.bytes += size;
            self.sized += 1;
            self.largest = self.largest.max(size);
            traffic.bytes_received.store(self.bytes, Relaxed);
            traffic.sized.store(self.sized, Relaxed);
            traffic.largest.store(self.largest, Relaxed);
        }
        self.received.is_multiple_of(SAMPLE_EVERY)
            || self.wait_sample.is_some_and(|(_, due)| self.received >= due)
    }

    /// Closes the rate window if due, and takes or finishes a mailbox-wait sample: the
    /// message last in the mailbox now waited at least from now until it is taken (a lower
    /// bound on its time in the mailbox, exact for a steady backlog).
    pub(crate) fn sample(&mut self, traffic: &Traffic, queued: usize, epoch: Instant) {
        let now = now_nanos(epoch);
        traffic.tick(now, self.received);
        match self.wait_sample {
            Some((taken_at, due)) if self.received >= due => {
                traffic.wait_nanos.store(now.saturating_sub(taken_at) + 1, Relaxed);
                self.wait_sample = None;
            }
            Some(_) => {}
            None if queued > 0 => self.wait_sample = Some((now, self.received + queued as u64)),
            None => traffic.wait_nanos.store(1, Relaxed),
        }
    }
}

/// Tells drops and stalls as telemetry events, at most one of each per second per process
/// (with the count since the previous one), so a flood costs one event a second, not one per
/// message. Kept by the receiver; checked when it publishes its counts and when it ends.
#[derive(Debug, Default)]
pub(crate) struct FlowReport {
    dropped: u64,
    stalls: u64,
    at: u64,
}

impl FlowReport {
    /// Reports what changed, if the last report is at least a second old.
    pub(crate) fn report<M>(
        &mut self,
        node: &crate::Node,
        shared: &crate::engine::control::Shared<M>,
    ) {
        let traffic = &shared.traffic;
        if traffic.dropped() == self.dropped && traffic.stalls() == self.stalls {
            return;
        }
        let now = now_nanos(node.state.epoch);
        if self.at != 0 && Duration::from_nanos(now.saturating_sub(self.at)) < WINDOW {
            return;
        }
        self.at = now;
        self.flush(node, shared);
    }

    /// Reports whatever changed since the last report, now.
    pub(crate) fn flush<M>(
        &mut self,
        node: &crate::Node,
        shared: &crate::engine::control::Shared<M>,
    ) {
        let traffic = &shared.traffic;
        let (dropped, stalls) = (traffic.dropped(), traffic.stalls());
        let ecosystem = shared.core.ecosystem().map(|e| e.to_string());
        let pid = shared.core.pid();
        if dropped > self.dropped {
            node.telemetry().emit(&crate::telemetry::Event::MessagesDropped {
                ecosystem: ecosystem.clone(),
                pid,
                policy: shared.mailbox.overflow(),
                count: dropped - self.dropped,
                total: dropped,
            });
            self.dropped = dropped;
        }
        if stalls > self.stalls {
            node.telemetry().emit(&crate::telemetry::Event::FlowStalled {
                ecosystem,
                pid,
                count: stalls - self.stalls,
                total: stalls,
            });
            self.stalls = stalls;
        }
    }
}
