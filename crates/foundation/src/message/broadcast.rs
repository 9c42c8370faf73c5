//! One message to many processes, sharing one allocation.

use std::fmt;
use std::sync::Arc;

use crate::engine::mailbox::PushError;
use crate::engine::process_block::ProcessBlock;
use crate::message::Delivery;
use crate::{Pid, ProcessRef};

/// What a broadcast did, receiver by receiver.
///
/// A broadcast never waits: each receiver is offered the message as by
/// [`try_send`](crate::ProcessRef::try_send), so a receiver with a full mailbox does not hold
/// the others up, and each outcome is filed as that `try_send` would tell it:
///
/// | receiver's outcome | `try_send` says | filed in |
/// | --- | --- | --- |
/// | room in the mailbox | [`Delivery::Queued`] | `delivered` |
/// | full, `DropOldest`: an older message goes | [`Delivery::DroppedOldest`] | `delivered` and `displaced` |
/// | full, `DropNewest`: this message goes | [`Delivery::DroppedNewest`] | `dropped` |
/// | full, `Wait` (at capacity) | [`TrySendError::Full`](crate::TrySendError::Full) | `full` |
/// | full, `Fail` | [`TrySendError::Refused`](crate::TrySendError::Refused) | `refused` |
/// | exited | [`TrySendError::Closed`](crate::TrySendError::Closed) | `gone` |
///
/// Drops and refusals are counted in the receivers' stats, as for any send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BroadcastReport {
    /// How many receivers got the message in their mailbox (those in `displaced` included).
    pub delivered: usize,
    /// Receivers that got it at the cost of the oldest message waiting in their mailbox
    /// (`DropOldest`); they count in `delivered`.
    pub displaced: Vec<Pid>,
    /// Receivers whose mailbox was at capacity under `Wait`: they did not get it (a broadcast
    /// does not wait for room).
    pub full: Vec<Pid>,
    /// Receivers whose mailbox was full under `Fail`: they refused it.
    pub refused: Vec<Pid>,
    /// Receivers whose `DropNewest` policy dropped it.
    pub dropped: Vec<Pid>,
    /// Receivers that had exited.
    pub gone: Vec<Pid>,
    /// Group members whose message type is not the broadcast's (a group may mix types).
    pub mismatched: Vec<Pid>,
}

impl BroadcastReport {
    /// `true` if every receiver got the message (a displaced older message does not count
    /// against it).
    pub fn is_complete(&self) -> bool {
        self.full.is_empty()
            && self.refused.is_empty()
            && self.dropped.is_empty()
            && self.gone.is_empty()
            && self.mismatched.is_empty()
    }

    /// Offers `msg` to one receiver and notes the outcome.
    pub(crate) fn offer<M: Send + 'static>(&mut self, to: &ProcessBlock<M>, msg: M) {
        let pid = to.core.pid();
        match to.offer(msg) {
            Ok(Delivery::Queued) => self.delivered += 1,
            Ok(Delivery::DroppedOldest) => {
                self.delivered += 1;
                self.displaced.push(pid);
            }
            Ok(Delivery::DroppedNewest) => self.dropped.push(pid),
            Err(PushError::Full(_)) if to.refuses() => self.refused.push(pid),
            Err(PushError::Full(_)) => self.full.push(pid),
            Err(PushError::Closed(_)) => self.gone.push(pid),
        }
    }
}

/// A broadcast had no receivers at all; the message is given back.
#[derive(Clone, PartialEq, Eq)]
pub struct BroadcastError<M> {
    message: M,
    target: String,
}

impl<M> BroadcastError<M> {
    pub(crate) fn new(message: M, target: impl Into<String>) -> Self {
        BroadcastError { message, target: target.into() }
    }

    /// Takes the message back.
    pub fn into_inner(self) -> M {
        self.message
    }

    /// What was addressed: `group "name"`, `the neighbours of worker 3`, ...
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl<M> fmt::Display for BroadcastError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "broadcast to {}: no receivers", self.target)
    }
}

impl<M> fmt::Debug for BroadcastError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BroadcastError({self})")
    }
}

impl<M> std::error::Error for BroadcastError<M> {}

/// Sends `msg` to every address in `to`: each receiver gets a clone, so share the payload
/// (an `Arc`, a [`Binary`](crate::message::Binary)) and the broadcast costs a reference count
/// per receiver, not a copy. Never waits; see [`BroadcastReport`] for what happens at a full
/// mailbox. An empty `to` is an error that gives the message back.
///
/// ```
/// use std::sync::Arc;
/// use foundation::message::broadcast;
/// # use foundation::{BoxError, Context, Node, Process};
/// # struct Listener;
/// # impl Process for Listener {
/// #     type Message = Arc<String>;
/// #     async fn handle(&mut self, _: &mut Context<Arc<String>>, _: Arc<String>) -> Result<(), BoxError> { Ok(()) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = Node::new()?;
/// let listeners = (0..3).map(|_| node.spawn(Listener)).collect::<Result<Vec<_>, _>>()?;
/// let report = broadcast(&listeners, Arc::new("config changed".to_string()))?;
/// assert_eq!(report.delivered, 3);
/// # Ok(()) }
/// ```
pub fn broadcast<'a, M: Clone + Send + 'static>(
    to: impl IntoIterator<Item = &'a ProcessRef<M>>,
    msg: M,
) -> Result<BroadcastReport, BroadcastError<M>> {
    broadcast_shared(to.into_iter().map(|r| &r.shared), msg, "an empty list of processes")
}

/// The broadcast over process blocks; `target` names them for the error.
pub(crate) fn broadcast_shared<'a, M: Clone + Send + 'static>(
    to: impl IntoIterator<Item = &'a Arc<ProcessBlock<M>>>,
    msg: M,
    target: &str,
) -> Result<BroadcastReport, BroadcastError<M>> {
    let mut report = BroadcastReport::default();
    let mut to = to.into_iter().peekable();
    if to.peek().is_none() {
        return Err(BroadcastError::new(msg, target));
    }
    while let Some(shared) = to.next() {
        if to.peek().is_none() {
            // The last receiver takes the message itself: one clone fewer.
            report.offer(shared, msg);
            return Ok(report);
        }
        report.offer(shared, msg.clone());
    }
    Ok(report)
}
