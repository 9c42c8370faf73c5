//! What a send does when the mailbox is full.

/// What happens to a message that finds its receiver's mailbox full: the receiver's choice,
/// set with [`ProcessBuilder::overflow`](crate::process::ProcessBuilder::overflow) (or an
/// ecosystem's `overflow` setting) and shown in
/// [`ProcessInfo::overflow`](crate::process::ProcessInfo::overflow).
///
/// Nothing is dropped silently: every dropped message is counted in
/// [`MessageStats::dropped`](crate::message::MessageStats::dropped), in the metric
/// `foundation_messages_dropped_total` and in the telemetry event
/// [`MessagesDropped`](crate::telemetry::Event::MessagesDropped); every refused one in
/// [`MessageStats::refused`](crate::message::MessageStats::refused).
///
/// | policy | [`send`](crate::ProcessRef::send) on a full mailbox | [`try_send`](crate::ProcessRef::try_send) on a full mailbox | [`deliver`](crate::ProcessRef::deliver) says |
/// | --- | --- | --- | --- |
/// | `Wait` | waits for room (backpressure) | gives the message back ([`TrySendError::Full`](crate::TrySendError::Full): at capacity) | `Queued`, once there is room |
/// | `DropNewest` | drops the message sent, returns `Ok` | the same | [`Delivery::DroppedNewest`](crate::message::Delivery::DroppedNewest) |
/// | `DropOldest` | drops the oldest waiting message, queues the new one, returns `Ok` | the same | [`Delivery::DroppedOldest`](crate::message::Delivery::DroppedOldest) |
/// | `Fail` | gives the message back at once ([`SendError::is_refused`](crate::SendError::is_refused)) | gives it back ([`TrySendError::Refused`](crate::TrySendError::Refused)) | the same error as `send` |
///
/// Only a bounded mailbox can overflow: a policy other than `Wait` on an unbounded mailbox is
/// rejected when spawning.
///
/// Under `DropOldest` the oldest message *still waiting* goes; a message the receiver has taken
/// is never taken back. If nothing is waiting although the mailbox is full (the receiver has
/// just taken the last message, or other senders are between reserving their slots and
/// filling them), the send tries again a few times and, if that does not find room or a
/// message to displace, drops the new message instead, counted (and
/// [`Delivery::DroppedNewest`](crate::message::Delivery::DroppedNewest) says so).
///
/// With the `serde` feature (on by default) it implements `Serialize` and `Deserialize`, by
/// the names [`as_str`](Self::as_str) gives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Overflow {
    /// Senders wait for room: backpressure. The default.
    #[default]
    Wait,
    /// The message being sent is dropped (a lossy feed where the latest may go).
    DropNewest,
    /// The oldest waiting message is dropped to make room (a feed where only recent values
    /// matter).
    DropOldest,
    /// The send is refused at once and the sender gets its message back (producers that must
    /// not wait and want to decide themselves).
    Fail,
}

impl Overflow {
    /// The policy's name in configuration files: `wait`, `drop_newest`, `drop_oldest`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Overflow::Wait => "wait",
            Overflow::DropNewest => "drop_newest",
            Overflow::DropOldest => "drop_oldest",
            Overflow::Fail => "fail",
        }
    }
}
