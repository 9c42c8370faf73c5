//! `cross_node`: messages, calls, a node's death and memory between two OS processes on
//! loopback, Foundation's cluster against (with `--features compare`) ractor_cluster.
//!
//! Every measurement starts its own peer node, a child process running this same binary
//! (`foundation node` for Foundation, `foundation bench-peer ractor` for ractor_cluster)
//! that serves an `echo` actor; this process starts a node of its own, dials the peer over
//! plain TCP on 127.0.0.1, measures, and kills the peer (always, also on failure). Figures:
//!
//! - `Small`, `Kib`: messages to the peer's `echo`, one after another from one task, with the
//!   library's own one-way send (Foundation's `send` waits for room when the connection's
//!   buffer is full; ractor's `cast` never waits), then a call for the count `echo` received.
//!   The time runs until that answer; a count short of what was sent fails the run.
//! - `Calls`: request/reply round trips to `echo`, one after another; p50 and p99.
//! - `Death`: a process of this node monitors `echo`; the time from just before `kill -9` of
//!   the peer until the monitor's notice arrives (Foundation: `Down` with `noconnection`).
//! - `Stopped`: the peer is suspended (SIGSTOP) and one task sends a burst of 1 KiB payloads
//!   at it. Once the sender has sent all or made no progress for 250 ms (at most 2.5 s, below
//!   Foundation's 4 s detection time), the growth of this process's live heap is read
//!   ([`memory`]), and how many sends completed ("accepted"). Kernel socket buffers, which
//!   take what was written before the peer's window closed, are not in it.
//! - `Idle`: the growth of the live heap from dialling until the connection is up and idle
//!   (200 ms later), on the dialling side.

pub(crate) mod foundation;
pub(crate) mod memory;
pub(crate) mod peer;
#[cfg(feature = "compare")]
pub(crate) mod ractor;
#[cfg(feature = "compare")]
pub(crate) mod ractor_peer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Figure;
use super::stats::quantile;
use super::workload::Across;

/// How long the count that ends a throughput run may take: all that was queued arrives
/// first.
pub(crate) const COUNT_TIMEOUT: Duration = Duration::from_secs(120);

/// What each message of a throughput run carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A `u64`.
    U64,
    /// 1 KiB of bytes.
    Kib,
}

/// What a sender holds after a burst at a stopped peer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Burst {
    /// Sends that completed.
    pub(crate) accepted: u64,
    /// Growth of the live heap, if the accounting allocator is installed.
    pub(crate) heap: Option<u64>,
}

/// One library's side of `cross_node`. Each call starts a peer, measures and kills it.
pub(crate) trait CrossNodeSystem {
    /// `messages` one-way messages to the peer's `echo`; the time until its count of them
    /// came back (an error if it is short).
    async fn tell(&self, messages: u64, payload: Payload) -> Result<Duration, String>;

    /// `calls` round trips to the peer's `echo`; the latency of each.
    async fn call(&self, calls: u64) -> Result<Vec<Duration>, String>;

    /// From just before `kill -9` of the peer until a monitor of its `echo` is told.
    async fn death(&self) -> Result<Duration, String>;

    /// A burst of `messages` 1 KiB payloads at a suspended peer.
    async fn stopped(&self, messages: u64) -> Result<Burst, String>;

    /// Heap bytes one idle connection holds on the side that dialled.
    async fn idle(&self) -> Result<Option<u64>, String>;
}

/// Runs one `cross_node` measurement and turns it into figures.
pub(super) async fn measure<S: CrossNodeSystem>(
    system: &S,
    across: Across,
) -> Result<Vec<Figure>, String> {
    Ok(match across {
        Across::Small(m) => super::rate(m, system.tell(m, Payload::U64).await?),
        Across::Kib(m) => super::rate(m, system.tell(m, Payload::Kib).await?),
        Across::Calls(c) => {
            let latencies: Vec<f64> =
                system.call(c).await?.iter().map(|d| d.as_secs_f64() * 1e9).collect();
            let q = |q| quantile(&latencies, q).ok_or("no calls were made");
            vec![
                Figure { metric: "p50", unit: "ns", value: q(0.50)? },
                Figure { metric: "p99", unit: "ns", value: q(0.99)? },
            ]
        }
        Across::Death => {
            let elapsed = system.death().await?;
            vec![Figure { metric: "time", unit: "µs", value: elapsed.as_secs_f64() * 1e6 }]
        }
        Across::Stopped(m) => {
            let burst = system.stopped(m).await?;
            let mut figures =
                vec![Figure { metric: "accepted", unit: "msgs", value: burst.accepted as f64 }];
            if let Some(bytes) = burst.heap {
                figures.push(Figure { metric: "heap_growth", unit: "bytes", value: bytes as f64 });
            }
            figures
        }
        Across::Idle => system
            .idle()
            .await?
            .map(|bytes| Figure { metric: "heap_growth", unit: "bytes", value: bytes as f64 })
            .into_iter()
            .collect(),
    })
}

/// An error unless the peer counted every message sent.
pub(crate) fn check_count(counted: u64, sent: u64) -> Result<(), String> {
    if counted == sent {
        Ok(())
    } else {
        Err(format!("the peer's echo counted {counted} messages of the {sent} sent"))
    }
}

/// Waits until `sent` reaches `all`, or has not moved for 250 ms (the sender is waiting for
/// room), or 2.5 s have passed; returns it.
pub(crate) async fn settled(sent: &AtomicU64, all: u64) -> u64 {
    let start = Instant::now();
    let (mut last, mut since) = (0, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let now = sent.load(Ordering::Acquire);
        if now == all || start.elapsed() >= Duration::from_millis(2_500) {
            return now;
        }
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= Duration::from_millis(250) {
            return now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_count_is_an_error() {
        assert!(check_count(10, 10).is_ok());
        let short = check_count(9, 10).unwrap_err();
        assert!(short.contains("counted 9 messages of the 10 sent"), "{short}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stalled_sender_is_settled() {
        let sent = AtomicU64::new(7);
        assert_eq!(settled(&sent, 10).await, 7);
        sent.store(10, Ordering::Release);
        assert_eq!(settled(&sent, 10).await, 10);
    }
}
