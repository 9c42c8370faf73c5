//! Addresses: how messages reach a process.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::mailbox::PushError;
use crate::engine::process_block::ProcessBlock;
use crate::error::{CallError, SendError, SendTimeoutError, TrySendError};
use crate::process::delivery::Delivery;
use crate::process::reply::{Answer, ReplyTo};
use crate::{ExitReason, Pid};

/// The default timeout of [`ProcessRef::call`]: 5 seconds, as `gen_server:call/2`.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A typed, cloneable address of a process.
///
/// A process lives until it exits, as on the BEAM, whether or not anyone holds its address:
/// dropping every `ProcessRef` does not end it (unless it was spawned with
/// [`ProcessBuilder::end_when_unreferenced`](crate::ProcessBuilder::end_when_unreferenced),
/// for which a `ProcessRef` is *strong* and a [`WeakProcessRef`] is not).
///
/// A supervised process keeps its address across restarts: the same `ProcessRef` reaches each
/// new incarnation, and the messages waiting in the mailbox wait for it. Its
/// [`pid`](Self::pid) is the current incarnation's; equality and hashing follow the address.
///
/// Sending never loses a message silently: every failed send gives the message back.
pub struct ProcessRef<M> {
    pub(crate) shared: Arc<ProcessBlock<M>>,
}

impl<M: Send + 'static> ProcessRef<M> {
    /// Makes a strong address from a process's shared block; the caller has taken the count.
    pub(crate) fn from_retained(shared: Arc<ProcessBlock<M>>) -> Self {
        ProcessRef { shared }
    }

    /// The process's pid.
    pub fn pid(&self) -> Pid {
        self.shared.core.pid()
    }

    /// `true` while the address can take messages: until the process has exited for good. A
    /// supervised process keeps its address (and the messages in its mailbox) across restarts,
    /// so its address stays alive while its supervisor restarts it.
    pub fn is_alive(&self) -> bool {
        !self.shared.mailbox.is_closed()
    }

    /// Why the process exited, once its current incarnation has (or once it has exited for
    /// good).
    pub fn exit_reason(&self) -> Option<ExitReason> {
        self.shared.core.exit_reason()
    }

    /// Waits until the process has exited for good and returns why: for a supervised process,
    /// when its supervisor stops restarting it. To wait for one incarnation, use
    /// [`Node::wait_exit`](crate::Node::wait_exit) with its pid.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: this watches from outside the process tree (it neither links nor
    /// monitors), so dropping the future changes nothing.
    pub async fn exited(&self) -> ExitReason {
        self.shared.core.wait_final().await
    }

    /// Sends a message. On a full mailbox it does what the receiver's
    /// [`Overflow`](crate::message::Overflow) policy says: waits for room (the default), drops
    /// the newest or the oldest message (counted), or refuses at once.
    ///
    /// Fails when the process has exited ([`SendError::is_closed`]), or when the mailbox is
    /// full under `Fail` ([`SendError::is_refused`]), and then returns the message. Under a drop
    /// policy a send to a full mailbox succeeds (the policy was applied); to learn whether a
    /// message was dropped, use [`deliver`](Self::deliver), which returns the [`Delivery`].
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the message was not sent (and is dropped
    /// with the future). A send that completes on its first poll (there was room) cannot be
    /// dropped half way. A sender waiting for room has no place in a queue to lose: whoever
    /// finds room first sends first.
    pub async fn send(&self, msg: M) -> Result<(), SendError<M>> {
        self.deliver(msg).await.map(drop)
    }

    /// Sends as [`send`](Self::send) does, and says what became of the message:
    /// [`Delivery::Queued`], or under a drop policy [`Delivery::DroppedNewest`] (this message
    /// was dropped) or [`Delivery::DroppedOldest`] (it is queued, and the oldest message
    /// waiting was dropped for it). Under `Wait` a successful delivery is always `Queued`.
    ///
    /// # Cancel safety
    ///
    /// As [`send`](Self::send).
    pub async fn deliver(&self, msg: M) -> Result<Delivery, SendError<M>> {
        let msg = match self.offer(msg) {
            Ok(delivery) => return Ok(delivery),
            Err(PushError::Closed(m)) => return Err(SendError::closed(m)),
            Err(PushError::Full(m)) => m,
        };
        if self.refuses() {
            return Err(SendError::refused(msg));
        }
        self.shared.traffic.count_stall();
        self.push_when_room(msg).await.map(|()| Delivery::Queued).map_err(SendError::closed)
    }

    /// Waits for room and queues `msg`, whatever the overflow policy: never dropped, never
    /// refused. `Err` with the message if the process has exited. For the library's own
    /// senders that must lose nothing (a forwarded group monitor) and for `deliver` once its
    /// policy has said to wait.
    pub(crate) async fn push_when_room(&self, mut msg: M) -> Result<(), M> {
        loop {
            let listener = self.shared.mailbox.listen_for_room();
            match self.push(msg) {
                Ok(()) => return Ok(()),
                Err(PushError::Closed(m)) => return Err(m),
                Err(PushError::Full(m)) => {
                    msg = m;
                    listener.await;
                }
            }
        }
    }

    /// Sends a message if the mailbox takes it now (under a drop policy, a message is dropped
    /// as [`send`](Self::send) does). Otherwise gives it back at once:
    /// [`TrySendError::Full`] when the mailbox is at capacity under `Wait` (a `send` would
    /// have waited), [`TrySendError::Refused`] under `Fail`, [`TrySendError::Closed`] when the
    /// process has exited. [`try_deliver`](Self::try_deliver) also says whether a message was
    /// dropped.
    pub fn try_send(&self, msg: M) -> Result<(), TrySendError<M>> {
        self.try_deliver(msg).map(drop)
    }

    /// As [`try_send`](Self::try_send), and says what became of the message (a [`Delivery`],
    /// as [`deliver`](Self::deliver) does).
    pub fn try_deliver(&self, msg: M) -> Result<Delivery, TrySendError<M>> {
        self.offer(msg).map_err(|e| match e {
            PushError::Full(m) if self.refuses() => TrySendError::Refused(m),
            PushError::Full(m) => TrySendError::Full(m),
            PushError::Closed(m) => TrySendError::Closed(m),
        })
    }

    /// Sends a message, waiting at most `timeout` for room (under the default `Wait` policy;
    /// the other policies never wait). Fails with [`SendTimeoutError::Timeout`] when no room
    /// came in time, [`SendTimeoutError::Refused`] under `Fail` (at once),
    /// [`SendTimeoutError::Closed`] when the process has exited.
    ///
    /// # Cancel safety
    ///
    /// As [`send`](Self::send): dropping the future drops the unsent message.
    pub async fn send_timeout(&self, msg: M, timeout: Duration) -> Result<(), SendTimeoutError<M>> {
        let msg = match self.offer(msg) {
            Ok(_) => return Ok(()),
            Err(PushError::Closed(m)) => return Err(SendTimeoutError::Closed(m)),
            Err(PushError::Full(m)) => m,
        };
        if self.refuses() {
            return Err(SendTimeoutError::Refused(msg));
        }
        self.send_until(msg, crate::deadline::deadline_after(timeout)).await
    }

    /// Sends from synchronous code, blocking the thread while the mailbox is full; fails as
    /// [`send`](Self::send).
    ///
    /// # Panics
    ///
    /// Never on its own; but calling it from inside an async task blocks that task's worker
    /// thread: use [`send`](Self::send) there.
    pub fn blocking_send(&self, msg: M) -> Result<(), SendError<M>> {
        futures::executor::block_on(self.send(msg))
    }

    /// Sends a request and waits for its reply, for at most [`DEFAULT_CALL_TIMEOUT`] (5 s).
    ///
    /// `make` builds the message around a [`ReplyTo`]; the process answers with
    /// [`ReplyTo::reply`]. The call fails at once, not after the timeout, if the process has
    /// exited or exits (or drops the `ReplyTo`) without replying.
    ///
    /// ```
    /// use foundation::{BoxError, Context, Node, Process, ReplyTo};
    ///
    /// enum Msg { Double(u64, ReplyTo<u64>) }
    /// struct Doubler;
    ///
    /// impl Process for Doubler {
    ///     type Message = Msg;
    ///     async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
    ///         let Msg::Double(n, reply) = msg;
    ///         let _ = reply.reply(n * 2);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let node = Node::new()?;
    /// let doubler = node.spawn(Doubler)?;
    /// assert_eq!(doubler.call(|r| Msg::Double(21, r)).await?, 42);
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the call, not the request: a request already in the
    /// mailbox is still handled, and its reply is discarded. One still waiting for room in a
    /// full mailbox is dropped unsent.
    pub async fn call<R: Send + 'static>(
        &self,
        make: impl FnOnce(ReplyTo<R>) -> M,
    ) -> Result<R, CallError> {
        self.call_timeout(make, DEFAULT_CALL_TIMEOUT).await
    }

    /// As [`call`](Self::call), with a timeout of your choice. The timeout covers waiting for
    /// room in the mailbox and waiting for the reply; its clock starts when the call starts if
    /// the mailbox is full, otherwise the moment the request is in the mailbox (so the common
    /// case reads no clock before sending). A reply that arrives after the timeout is discarded:
    /// it never reaches the caller.
    ///
    /// # Cancel safety
    ///
    /// As [`call`](Self::call): dropping the future abandons the call. If the request was
    /// already in the mailbox (it goes in on the first poll when there is room), the process
    /// still handles it and its reply is discarded; if the call was still waiting for room,
    /// the request is dropped unsent.
    pub async fn call_timeout<R: Send + 'static>(
        &self,
        make: impl FnOnce(ReplyTo<R>) -> M,
        timeout: Duration,
    ) -> Result<R, CallError> {
        // A process waiting for its own reply would wait out the timeout (it cannot handle the
        // request while it waits): refused at once, as `gen_server:call` to self exits with
        // `calling_self`.
        if crate::engine::current::is(&self.shared.core) {
            return Err(CallError::calling_self(self.pid()));
        }
        let (reply, answer) = ReplyTo::answer(&self.shared.core);
        // Fast path: room in the mailbox, so no clock is read before the request is in.
        let mut deadline = None;
        match self.offer(make(reply)) {
            // A request dropped by a drop policy drops its `ReplyTo`: the wait below ends at
            // once with `no_reply`.
            Ok(_) => {}
            Err(PushError::Closed(_)) => {
                return Err(CallError::no_process(self.pid(), self.exit_reason()));
            }
            Err(PushError::Full(_)) if self.refuses() => {
                return Err(CallError::refused(self.pid()));
            }
            Err(PushError::Full(msg)) => {
                let until = crate::deadline::deadline_after(timeout);
                deadline = Some(until);
                match self.send_until(msg, until).await {
                    Ok(()) => {}
                    Err(SendTimeoutError::Timeout(_)) => {
                        return Err(CallError::timeout(self.pid(), timeout));
                    }
                    Err(SendTimeoutError::Closed(_)) => {
                        return Err(CallError::no_process(self.pid(), self.exit_reason()));
                    }
                    Err(SendTimeoutError::Refused(_)) => {
                        return Err(CallError::refused(self.pid()));
                    }
                }
            }
        }
        let until = deadline.unwrap_or_else(|| crate::deadline::deadline_after(timeout));
        let ready = match tokio::time::timeout_at(until, answer).await {
            Ok(ready) => ready,
            Err(_) => return Err(CallError::timeout(self.pid(), timeout)),
        };
        match ready {
            Ok(Answer::Reply(value)) => Ok(value),
            // The server ended holding the request: the reason comes with the answer.
            Ok(Answer::Exited(reason)) => Err(CallError::no_reply(self.pid(), Some(reason))),
            // Dropped by a server that lives on, or by the mailbox of one that has ended.
            Err(_) => Err(CallError::no_reply(self.pid(), self.exit_reason())),
        }
    }

    /// An address that does not keep the process alive (for a process that ends when
    /// unreferenced; any other lives until it exits either way).
    pub fn downgrade(&self) -> WeakProcessRef<M> {
        WeakProcessRef { shared: Arc::clone(&self.shared) }
    }

    /// Waits for room until `deadline`; the first attempt has failed for want of room.
    async fn send_until(&self, msg: M, deadline: Instant) -> Result<(), SendTimeoutError<M>> {
        self.shared.traffic.count_stall();
        let mut msg = msg;
        loop {
            let listener = self.shared.mailbox.listen_for_room();
            msg = match self.push(msg) {
                Ok(()) => return Ok(()),
                Err(PushError::Closed(m)) => return Err(SendTimeoutError::Closed(m)),
                Err(PushError::Full(m)) => m,
            };
            if tokio::time::timeout_at(deadline, listener).await.is_err() {
                return match self.push(msg) {
                    Ok(()) => Ok(()),
                    Err(PushError::Closed(m)) => Err(SendTimeoutError::Closed(m)),
                    Err(PushError::Full(m)) => Err(SendTimeoutError::Timeout(m)),
                };
            }
        }
    }

    #[inline]
    fn offer(&self, msg: M) -> Result<Delivery, PushError<M>> {
        self.shared.offer(msg)
    }

    fn refuses(&self) -> bool {
        self.shared.refuses()
    }

    #[inline]
    fn push(&self, msg: M) -> Result<(), PushError<M>> {
        self.shared.push(msg)
    }
}

impl<M> Clone for ProcessRef<M> {
    fn clone(&self) -> Self {
        self.shared.core.retain();
        ProcessRef { shared: Arc::clone(&self.shared) }
    }
}

impl<M> Drop for ProcessRef<M> {
    fn drop(&mut self) {
        self.shared.core.release();
    }
}

impl<M> fmt::Debug for ProcessRef<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProcessRef").field(&self.shared.core.pid()).finish()
    }
}

/// Two addresses are equal when they are the same address. A supervised process keeps its
/// address across restarts while its [`pid`](ProcessRef::pid) changes, so equality and hashing
/// follow the address, not the pid: an address kept in a `HashSet` or as a map key is still
/// found after its process restarts. (Clippy's `mutable_key_type` lint cannot see that the
/// atomics inside an address never take part in its hash: list `foundation::ProcessRef` under
/// `ignore-interior-mutability` in `clippy.toml`, or allow the lint where you key by address.)
impl<M> PartialEq for ProcessRef<M> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<M> Eq for ProcessRef<M> {}

impl<M> std::hash::Hash for ProcessRef<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.shared.core.address().hash(state);
    }
}

/// An address that does not count as a reference to its process; [`upgrade`](Self::upgrade) it
/// to send. It matters for a process spawned with
/// [`end_when_unreferenced`](crate::ProcessBuilder::end_when_unreferenced), which a weak address
/// does not keep alive; timers hold weak addresses.
pub struct WeakProcessRef<M> {
    pub(crate) shared: Arc<ProcessBlock<M>>,
}

impl<M: Send + 'static> WeakProcessRef<M> {
    /// A strong address, unless the process has exited or is ending for want of addresses.
    pub fn upgrade(&self) -> Option<ProcessRef<M>> {
        if self.shared.mailbox.is_closed() || !self.shared.core.try_retain() {
            return None;
        }
        Some(ProcessRef { shared: Arc::clone(&self.shared) })
    }

    /// The process's pid.
    pub fn pid(&self) -> Pid {
        self.shared.core.pid()
    }

    /// `true` while the address can take messages (see [`ProcessRef::is_alive`]).
    pub fn is_alive(&self) -> bool {
        !self.shared.mailbox.is_closed()
    }
}

impl<M> Clone for WeakProcessRef<M> {
    fn clone(&self) -> Self {
        WeakProcessRef { shared: Arc::clone(&self.shared) }
    }
}

impl<M> fmt::Debug for WeakProcessRef<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WeakProcessRef").field(&self.shared.core.pid()).finish()
    }
}
