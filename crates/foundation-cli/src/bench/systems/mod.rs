//! The systems a bench run compares, each driven through its own normal, documented API:
//! Foundation, raw tokio tasks and channels (the yardstick), and with the `compare` feature
//! ractor, kameo and actix. A workload a system has no counterpart for returns `None`.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

pub(crate) mod foundation;
pub(crate) mod tokio;

#[cfg(feature = "compare")]
pub(crate) mod actix;
#[cfg(feature = "compare")]
pub(crate) mod kameo;
#[cfg(feature = "compare")]
pub(crate) mod ractor;

/// The bound every system's mailbox or channel gets, where it has one.
pub(crate) const CAPACITY: usize = 1024;

/// A spawn of `n` actors: how long until every one had started, and the heap they hold.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spawned {
    pub(crate) elapsed: Duration,
    /// Bytes the heap grew by, measured by the accounting allocator (`None` without it).
    pub(crate) bytes: Option<u64>,
}

/// One system's side of every workload. Each call builds what it needs, measures, and tears
/// it down; the caller repeats and interleaves the systems.
pub(crate) trait BenchSystem {
    /// The name in reports: `foundation`, `tokio`, `ractor`, `kameo`, `actix`.
    const NAME: &'static str;

    /// Starts `n` idle actors (Foundation: an ecosystem of `n` workers) and waits until all
    /// have started.
    async fn spawn(&self, n: usize) -> Option<Spawned> {
        let _ = n;
        None
    }

    /// `messages` `u64`s from `senders` senders into one receiver; time until the last is
    /// received.
    async fn tell(&self, messages: u64, senders: u64) -> Option<Duration> {
        let _ = (messages, senders);
        None
    }

    /// `messages` orders of about 1 KB ([`order`]), built by one sender, dropped by the
    /// receiver.
    async fn complex(&self, messages: u64) -> Option<Duration> {
        let _ = messages;
        None
    }

    /// `calls` request/replies one after another; the latency of each.
    async fn call(&self, calls: u64) -> Option<Vec<Duration>> {
        let _ = calls;
        None
    }

    /// `messages` clones of a 1 MiB payload, 1 → 1.
    async fn payload(&self, messages: u64, payload: Bytes) -> Option<Duration> {
        let _ = (messages, payload);
        None
    }

    /// `messages` through worker → coordinator → coordinator of another group → worker.
    async fn chain(&self, messages: u64) -> Option<Duration> {
        let _ = messages;
        None
    }

    /// Kill the coordinator of `workers` workers; time until its successor answers through the
    /// same address.
    async fn recovery(&self, workers: usize) -> Option<Duration> {
        let _ = workers;
        None
    }
}

/// An order of about 1 KB on the heap in four allocations, cloned from a template per message.
/// Only building, moving and dropping it is measured; nobody reads it.
#[derive(Clone, Debug)]
#[allow(dead_code)]
pub(crate) struct Order {
    pub(crate) id: u64,
    pub(crate) customer: String,
    pub(crate) lines: Vec<(u64, u32, u64)>,
    pub(crate) tags: BTreeMap<u32, u64>,
    pub(crate) note: Vec<u8>,
}

/// Order number `id`.
pub(crate) fn order(id: u64) -> Order {
    thread_local! {
        static TEMPLATE: Order = Order {
            id: 0,
            customer: "customer-000000000000000000000042".to_owned(),
            lines: (0..16).map(|l| (1000 + l, 1, 995)).collect(),
            tags: (0..16).map(|t| (t, u64::from(t) * 7)).collect(),
            note: vec![b'x'; 256],
        };
    }
    let mut order = TEMPLATE.with(Order::clone);
    order.id = id;
    order
}

/// The heap now, if the accounting allocator is installed.
pub(crate) fn heap() -> Option<u64> {
    ::foundation::memory::total_bytes()
}
