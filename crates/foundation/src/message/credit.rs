//! Credit-based flow between two processes: the sender may have at most a window of messages
//! not yet consumed by the receiver.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::Semaphore;

use crate::error::{SendError, TrySendError};
use crate::message::{CreditTrySendError, Delivery, MessageSize};
use crate::{ConfigError, Pid, ProcessRef};

/// The most credits a link may have: 2^32 − 1.
pub const MAX_CREDITS: usize = u32::MAX as usize;

/// A sender's end of a credit-based flow to one process (AMQP's and Akka Streams' credit
/// flow): the sender holds credits, every message sent takes one, and the receiver gives it
/// back when it has *consumed* the message, not merely received it. So at most `credits`
/// messages are ever in flight (queued, or being worked on), whatever the receiver's mailbox
/// size, and a fast producer slows to the pace of a slow consumer instead of filling memory.
///
/// The receiver's messages are [`Credited<M>`]: dropping one (or [`into_inner`](
/// Credited::into_inner)) returns its credit; [`Credited::into_parts`] keeps the credit in a
/// [`Credit`] while the work goes on elsewhere. [`Credited::grant`] widens the window from the
/// receiving side.
///
/// Credits are never lost: a message dropped anywhere (by a panicking handler, with a closed
/// mailbox, by an overflow policy) gives its credit back. A receiver that is restarted keeps
/// its queued messages and with them their credits; one that exits for good frees them all, and
/// the next send fails with the message given back. A link is cheap to clone; clones share the
/// credits. Dropping every clone leaves the messages in flight untouched.
///
/// ```
/// use foundation::message::{CreditLink, Credited};
/// # use foundation::{BoxError, Context, Node, Process};
/// struct Consumer;
/// impl Process for Consumer {
///     type Message = Credited<u64>;
///     async fn handle(&mut self, _: &mut Context<Credited<u64>>, job: Credited<u64>) -> Result<(), BoxError> {
///         let _n = *job; // ... work; the credit goes back when `job` is dropped
///         Ok(())
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = Node::new()?;
/// let consumer = node.spawn(Consumer)?;
/// let link = CreditLink::new(&consumer, 8)?; // at most 8 unconsumed messages
/// let sent = link.send_all(0..10_000).await?;
/// link.drained().await; // every message consumed
/// assert_eq!(sent, 10_000);
/// assert_eq!(link.credits(), 8);
/// # Ok(()) }
/// ```
pub struct CreditLink<M> {
    target: ProcessRef<Credited<M>>,
    gate: Arc<Gate>,
}

/// The credits of one link: the semaphore holds the ones not in flight.
struct Gate {
    credits: Semaphore,
    window: std::sync::atomic::AtomicUsize,
}

impl<M: Send + 'static> CreditLink<M> {
    /// A link to `target` with `credits` credits (1 to [`MAX_CREDITS`]).
    pub fn new(target: &ProcessRef<Credited<M>>, credits: usize) -> Result<Self, ConfigError> {
        if credits == 0 || credits > MAX_CREDITS {
            return Err(ConfigError::new(
                "credits",
                credits,
                "1 to 2^32 - 1 credits (0 would never let a message through)",
            ));
        }
        let gate = Gate {
            credits: Semaphore::new(credits),
            window: std::sync::atomic::AtomicUsize::new(credits),
        };
        Ok(CreditLink { target: target.clone(), gate: Arc::new(gate) })
    }

    /// The receiving process.
    pub fn pid(&self) -> Pid {
        self.target.pid()
    }

    /// Credits available now: how many messages may be sent without waiting.
    pub fn credits(&self) -> usize {
        self.gate.credits.available_permits()
    }

    /// The window: all credits, available or in flight.
    pub fn window(&self) -> usize {
        self.gate.window.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Messages sent and not yet consumed.
    pub fn in_flight(&self) -> usize {
        self.window().saturating_sub(self.credits())
    }

    /// Sends `msg` once a credit is available, waiting for one if none is (a flow-control
    /// stall, counted in the receiver's [`MessageStats::stalls`](crate::message::MessageStats)).
    /// Then delivers it as [`ProcessRef::send`] does (a receiver whose mailbox is at least the
    /// window never makes it wait there). Fails, giving the message back, if the receiver has
    /// exited for good ([`SendError::is_closed`]) or refuses it under
    /// [`Overflow::Fail`](crate::message::Overflow::Fail) ([`SendError::is_refused`]). A
    /// message a drop policy drops gives its credit back; [`deliver`](Self::deliver) says so.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes sends nothing and takes no credit (a credit
    /// taken while the mailbox was full goes back with the dropped message). A sender waiting
    /// for a credit loses its place in the line of waiting senders.
    pub async fn send(&self, msg: M) -> Result<(), SendError<M>> {
        self.deliver(msg).await.map(drop)
    }

    /// As [`send`](Self::send), and says what became of the message (a [`Delivery`], as
    /// [`ProcessRef::deliver`] does).
    ///
    /// # Cancel safety
    ///
    /// As [`send`](Self::send).
    pub async fn deliver(&self, msg: M) -> Result<Delivery, SendError<M>> {
        let credit = match self.gate.try_take() {
            Some(credit) => credit,
            None => {
                self.target.shared.traffic.count_stall();
                self.gate.take().await
            }
        };
        let credited = Credited { message: msg, credit };
        self.target.deliver(credited).await.map_err(|e| {
            let refused = e.is_refused();
            let msg = e.into_inner().into_inner();
            if refused { SendError::refused(msg) } else { SendError::closed(msg) }
        })
    }

    /// Sends `msg` if a credit is available and the mailbox takes it now; otherwise gives it
    /// back: [`CreditTrySendError::NoCredit`], or, with a credit free, `Full`, `Refused` or
    /// `Closed` as [`ProcessRef::try_send`] tells them (the credit goes back).
    pub fn try_send(&self, msg: M) -> Result<(), CreditTrySendError<M>> {
        self.try_deliver(msg).map(drop)
    }

    /// As [`try_send`](Self::try_send), and says what became of the message (a [`Delivery`]).
    pub fn try_deliver(&self, msg: M) -> Result<Delivery, CreditTrySendError<M>> {
        let Some(credit) = self.gate.try_take() else {
            return Err(CreditTrySendError::NoCredit(msg));
        };
        let credited = Credited { message: msg, credit };
        self.target.try_deliver(credited).map_err(|e| match e {
            TrySendError::Full(c) => CreditTrySendError::Full(c.into_inner()),
            TrySendError::Refused(c) => CreditTrySendError::Refused(c.into_inner()),
            TrySendError::Closed(c) => CreditTrySendError::Closed(c.into_inner()),
        })
    }

    /// Sends every item in order, each with a credit; returns how many were sent (under a
    /// receiver's drop policy, some may have been dropped: [`deliver`](Self::deliver) tells
    /// each one). Stops at the first failure, giving that item back (the rest are not taken
    /// from the iterator).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future keeps the items already sent sent (their credits
    /// come back as they are consumed), drops the item being sent (unsent) with the iterator
    /// and its remaining items, and loses the count. Where a send may be cancelled, loop over
    /// [`send`](Self::send) and count yourself.
    pub async fn send_all(&self, items: impl IntoIterator<Item = M>) -> Result<u64, SendError<M>> {
        let mut sent = 0;
        for item in items {
            self.send(item).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Sends a stream to its end, each item with a credit; returns how many were sent. Stops
    /// at the first failure, giving that item back. Follow it with [`drained`](Self::drained)
    /// to know that the receiver has consumed everything.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe, as [`send_all`](Self::send_all): the items already sent stay sent; the
    /// item being sent (unsent) and the stream with what it had not yielded are dropped, and
    /// the count is lost.
    pub async fn send_stream(&self, stream: impl Stream<Item = M>) -> Result<u64, SendError<M>> {
        let mut stream = std::pin::pin!(stream);
        let mut sent = 0;
        while let Some(item) = stream.next().await {
            self.send(item).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Waits until every credit is back: everything sent on this link (and its clones) has
    /// been consumed, or dropped with a receiver that exited. A receiver that keeps
    /// [`Credit`]s forever keeps this waiting.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it takes credits only for an instant and gives them straight back, so
    /// dropping the future changes nothing (senders waiting meanwhile may have waited behind
    /// it).
    pub async fn drained(&self) {
        loop {
            let window = self.window();
            // The window never exceeds MAX_CREDITS, which fits a u32.
            let all = u32::try_from(window).unwrap_or(u32::MAX);
            if let Ok(permits) = self.gate.credits.acquire_many(all).await {
                drop(permits);
            }
            // A grant may have widened the window meanwhile; the new credits are available.
            if self.window() == window || self.in_flight() == 0 {
                return;
            }
        }
    }
}

impl Gate {
    /// Takes a credit if one is available.
    fn try_take(self: &Arc<Self>) -> Option<Credit> {
        // The semaphore is never closed, so the only failure is "no credits".
        let permit = self.credits.try_acquire().ok()?;
        permit.forget();
        Some(Credit { gate: Arc::clone(self) })
    }

    /// Waits for a credit.
    async fn take(self: &Arc<Self>) -> Credit {
        // Never closed: `acquire` fails only on a closed semaphore.
        if let Ok(permit) = self.credits.acquire().await {
            permit.forget();
        }
        Credit { gate: Arc::clone(self) }
    }
}

impl<M> Clone for CreditLink<M> {
    fn clone(&self) -> Self {
        CreditLink { target: self.target.clone(), gate: Arc::clone(&self.gate) }
    }
}

impl<M> fmt::Debug for CreditLink<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreditLink")
            .field("pid", &self.target.shared.core.pid())
            .field("credits", &self.gate.credits.available_permits())
            .field("window", &self.gate.window.load(std::sync::atomic::Ordering::Relaxed))
            .finish()
    }
}

/// One credit of a [`CreditLink`], held by a message in flight; dropping it gives the credit
/// back to the sender.
pub struct Credit {
    gate: Arc<Gate>,
}

impl Credit {
    /// Widens the link's window by `extra` credits, available to the sender at once: the
    /// receiver's way to ask for more (capped at [`MAX_CREDITS`]).
    pub fn grant(&self, extra: usize) {
        let gate = &self.gate;
        let room =
            MAX_CREDITS.saturating_sub(gate.window.load(std::sync::atomic::Ordering::Acquire));
        let extra = extra.min(room);
        if extra > 0 {
            gate.window.fetch_add(extra, std::sync::atomic::Ordering::AcqRel);
            gate.credits.add_permits(extra);
        }
    }
}

impl Drop for Credit {
    fn drop(&mut self) {
        self.gate.credits.add_permits(1);
    }
}

impl fmt::Debug for Credit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credit")
    }
}

/// A message that came over a [`CreditLink`], with its credit: dropping it (or taking the
/// message out with [`into_inner`](Self::into_inner)) gives the credit back to the sender.
/// Reads as the message itself (`Deref`).
pub struct Credited<M> {
    message: M,
    credit: Credit,
}

impl<M> Credited<M> {
    /// The message; the credit goes back now.
    pub fn into_inner(self) -> M {
        self.message
    }

    /// The message and its credit apart: the credit goes back when the [`Credit`] is dropped,
    /// so work handed on elsewhere (a task, another process) still counts against the window.
    pub fn into_parts(self) -> (M, Credit) {
        (self.message, self.credit)
    }

    /// Widens the sender's window by `extra` credits (see [`Credit::grant`]).
    pub fn grant(&self, extra: usize) {
        self.credit.grant(extra);
    }
}

impl<M> Deref for Credited<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.message
    }
}

impl<M> DerefMut for Credited<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.message
    }
}

impl<M: MessageSize> MessageSize for Credited<M> {
    fn message_size(&self) -> usize {
        self.message.message_size()
    }
}

impl<M: fmt::Debug> fmt::Debug for Credited<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Credited").field(&self.message).finish()
    }
}
