//! What became of a message that was sent.

/// What a send did with its message: what [`ProcessRef::deliver`](crate::ProcessRef::deliver)
/// and [`try_deliver`](crate::ProcessRef::try_deliver) (and a
/// [`CreditLink`](crate::message::CreditLink)'s) return, where `send` and `try_send` return `()`.
///
/// Under a drop policy a send to a full mailbox succeeds (the policy was applied, and the
/// sender was not made to wait); this says what was dropped. Under the default
/// [`Overflow::Wait`](crate::message::Overflow::Wait) (and under `Fail`) a delivery is always
/// `Queued`, so most senders use `send` and never look.
///
/// ```
/// # use foundation::{BoxError, Context, Node, Process};
/// use foundation::message::{Delivery, Overflow};
/// # struct Sink;
/// # impl Process for Sink {
/// #     type Message = u32;
/// #     async fn handle(&mut self, _: &mut Context<u32>, _: u32) -> Result<(), BoxError> { Ok(()) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = Node::new()?;
/// let feed = node.process().mailbox_capacity(1).overflow(Overflow::DropNewest).spawn(Sink)?;
/// assert_eq!(feed.deliver(1).await?, Delivery::Queued);
/// // The mailbox is full (the process has not run yet): the next one is dropped, and said so.
/// assert_eq!(feed.deliver(2).await?, Delivery::DroppedNewest);
/// feed.send(3).await?; // dropped too, and counted, but `send` does not say so
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// The message is in the mailbox; nothing was dropped.
    Queued,
    /// The message is in the mailbox, and the oldest message waiting there was dropped to make
    /// room for it ([`Overflow::DropOldest`](crate::message::Overflow::DropOldest)); counted in
    /// [`MessageStats::dropped`](crate::message::MessageStats::dropped).
    DroppedOldest,
    /// The mailbox was full and the message was dropped
    /// ([`Overflow::DropNewest`](crate::message::Overflow::DropNewest), or `DropOldest` when nothing
    /// was waiting to displace); counted in [`MessageStats::dropped`](crate::message::MessageStats::dropped).
    DroppedNewest,
}

impl Delivery {
    /// `true` if the message sent is in the mailbox (`Queued` or `DroppedOldest`); `false` if
    /// it was dropped.
    pub fn is_delivered(self) -> bool {
        matches!(self, Delivery::Queued | Delivery::DroppedOldest)
    }
}
