//! Message analytics as `process_info` and `Ecosystem::info` report them.

use std::time::Duration;

/// What flowed through one process's address: see [`ProcessInfo::messages`](
/// crate::process::ProcessInfo::messages) and [`MemberInfo::messages`](
/// crate::ecosystem::MemberInfo::messages).
///
/// Counted over the address's whole life, so over every incarnation of a supervised process.
/// Counts are exact as of the last message handled; rates and the mailbox wait are sampled
/// (the receiver reads the clock once per 64 messages).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct MessageStats {
    /// Messages handled (the process's `messages_handled`).
    pub received: u64,
    /// Messages this process sent, to any process (counted when each of its polls ends).
    pub sent: u64,
    /// Bytes of the messages received, where their size is known ([`Process::message_size`](
    /// crate::Process::message_size)); `None` if no received message reported a size.
    pub bytes_received: Option<u64>,
    /// The largest message received, in bytes, where sizes are known.
    pub largest_message: Option<u64>,
    /// Messages received per second over the most recent window of at least one second.
    pub received_per_sec: f64,
    /// Messages sent per second over the same window.
    pub sent_per_sec: f64,
    /// Time in the mailbox, sampled: every 64 messages (or once the previous sample is done),
    /// the message last in the mailbox at that moment is timed until it is taken. A lower
    /// bound on its wait (it was sent before the sample began), close while the backlog is
    /// steady. `None` before the first sample.
    pub mailbox_wait: Option<Duration>,
    /// Messages dropped by the overflow policy ([`Overflow`](crate::message::Overflow)).
    pub dropped: u64,
    /// Sends refused at once by the `Fail` policy (the sender got its message back).
    pub refused: u64,
    /// Sends that had to wait: for room in the full mailbox, or for a credit
    /// ([`CreditLink`](crate::message::CreditLink)). Flow-control stalls.
    pub stalls: u64,
}
