//! The `Process` trait: what a process does with its messages.

use std::future::Future;

use crate::{BoxError, Context, Down, ExitReason, Pid};

/// A process: state plus handlers, run by the node one message at a time.
///
/// Only [`handle`](Process::handle) must be written; the other handlers do nothing by default.
/// Handlers are `async`: a handler may await (a timer, a call to another process, I/O), and the
/// process takes its next message only when the handler returns. A handler that returns an
/// error ends the process with [`ExitReason::Error`]; one that panics ends it with
/// [`ExitReason::Panicked`]: the panic never reaches the thread or another process.
///
/// # Lifecycle
///
/// 1. [`init`](Process::init) runs first, inside the new process.
/// 2. Then, turn by turn: the signals that act at once (an untrapped exit signal, a kill),
///    then the next entry of the mailbox: a message, or a trapped exit or a `Down` in the
///    order it was sent (see [`process`](crate::process#ordering)).
/// 3. The process ends when a handler calls [`Context::stop`], returns an error or panics; when
///    an exit signal it does not trap arrives; or when it is killed. Nobody holding its address
///    does not end it (see [`ProcessBuilder::end_when_unreferenced`](
///    crate::ProcessBuilder::end_when_unreferenced) for a process that should end then).
/// 4. [`terminate`](Process::terminate) runs with the reason, on every end except `kill`, for a
///    process whose `init` completed (as OTP's `gen_server`: an `init` that failed, or that an
///    exit signal interrupted, is followed by no `terminate`). Then the state is dropped, and
///    links and monitors are told.
///
/// An exit signal that is not trapped, or a kill, interrupts a handler at its current `.await`.
///
/// ```
/// use foundation::{BoxError, Context, Process};
///
/// struct Counter(u64);
///
/// impl Process for Counter {
///     type Message = u64;
///
///     async fn handle(&mut self, _ctx: &mut Context<u64>, n: u64) -> Result<(), BoxError> {
///         self.0 += n;
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = foundation::Node::new()?;
/// let counter = node.spawn(Counter(0))?;
/// counter.send(2).await?;
/// # node.shutdown(std::time::Duration::from_secs(5)).await;
/// # Ok(()) }
/// ```
pub trait Process: Send + Sized + 'static {
    /// The messages this process receives.
    type Message: Send + 'static;

    /// Runs once, inside the new process, before any message. An error ends the process.
    fn init(
        &mut self,
        ctx: &mut Context<Self::Message>,
    ) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Handles one message.
    fn handle(
        &mut self,
        ctx: &mut Context<Self::Message>,
        msg: Self::Message,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// Handles an exit signal; called only while the process traps exits
    /// ([`Context::trap_exit`]). `from` is the linked process that ended, or the sender of
    /// `exit(pid, reason)`. Does nothing by default.
    fn handle_exit(
        &mut self,
        ctx: &mut Context<Self::Message>,
        from: Pid,
        reason: ExitReason,
    ) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = (ctx, from, reason);
        async { Ok(()) }
    }

    /// Handles the end of a monitored process: called exactly once per monitor that was not
    /// removed. Does nothing by default.
    fn handle_down(
        &mut self,
        ctx: &mut Context<Self::Message>,
        down: Down,
    ) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = (ctx, down);
        async { Ok(()) }
    }

    /// Gives back memory the process holds but does not need (caches, spare capacity): the
    /// analogue of a garbage collection, since Rust frees what is dropped at once. Called
    /// after each burst of messages when the process's GC strategy is eager (an ecosystem's
    /// `frequent_minor`), and when its ecosystem is under memory pressure. Does nothing by
    /// default.
    fn compact(&mut self, ctx: &mut Context<Self::Message>) {
        let _ = ctx;
    }

    /// The size in bytes of a message, for message analytics
    /// ([`MessageStats::bytes_received`](crate::message::MessageStats::bytes_received) and
    /// `largest_message`). `None` (the default) for "not known". Called once per message
    /// received, before `handle`: keep it cheap. [`MessageSize`](crate::message::MessageSize)
    /// is implemented for the usual payloads:
    ///
    /// ```
    /// use bytes::Bytes;
    /// use foundation::message::MessageSize;
    /// # use foundation::{BoxError, Context, Process};
    /// # struct Sink;
    /// impl Process for Sink {
    ///     type Message = Bytes;
    ///     # async fn handle(&mut self, _: &mut Context<Bytes>, _: Bytes) -> Result<(), BoxError> { Ok(()) }
    ///     fn message_size(message: &Bytes) -> Option<usize> {
    ///         Some(message.message_size())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// assert_eq!(Sink::message_size(&Bytes::from_static(b"hello")), Some(5));
    /// # let node = foundation::Node::new()?;
    /// # node.spawn(Sink)?.send(Bytes::from_static(b"hello")).await?;
    /// # node.shutdown(std::time::Duration::from_secs(5)).await;
    /// # Ok(()) }
    /// ```
    fn message_size(message: &Self::Message) -> Option<usize> {
        let _ = message;
        None
    }

    /// Runs once when the process ends, with the reason, except after `kill` or when `init`
    /// did not complete. Only `kill` interrupts it. Does nothing by default.
    fn terminate(
        &mut self,
        ctx: &mut Context<Self::Message>,
        reason: &ExitReason,
    ) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}
