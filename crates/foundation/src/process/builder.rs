//! Spawning with options.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::process_block::AnyProcess;
use crate::engine::spawn::{SpawnOptions, spawn};
use crate::error::SpawnError;
use crate::process::context::InitAck;
use crate::process::overflow::Overflow;
use crate::{ExitReason, MonitorRef, Name, Node, Pid, Process, ProcessRef};

/// The mailbox capacity a process gets unless its builder says otherwise.
///
/// Large enough that a busy receiver rarely parks (and so rarely costs its senders a wake-up),
/// small enough that a stalled receiver pushes back on its senders early.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

/// Options for a new process: [`Node::process`] or, from inside a process, [`Context::process`](
/// crate::Context::process), which can also link or monitor the child.
///
/// ```
/// # use foundation::{BoxError, Context, Node, Process};
/// # struct Cache;
/// # impl Process for Cache {
/// #     type Message = ();
/// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = Node::new()?;
/// let cache = node.process().name("cache").mailbox_capacity(64).spawn(Cache)?;
/// assert_eq!(node.registry().whereis("cache"), Some(cache.pid()));
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until one of its spawn methods is called"]
pub struct ProcessBuilder {
    node: Node,
    parent: Option<Arc<dyn AnyProcess>>,
    name: Option<Name>,
    capacity: Option<usize>,
    trap_exit: bool,
    held: bool,
    init_ack: Option<InitAck>,
    memory_limit: Option<u64>,
    overflow: Overflow,
    end_when_unreferenced: bool,
    start_timeout: Option<Duration>,
}

impl ProcessBuilder {
    pub(crate) fn new(node: Node, parent: Option<Arc<dyn AnyProcess>>) -> Self {
        ProcessBuilder {
            node,
            parent,
            name: None,
            capacity: Some(DEFAULT_MAILBOX_CAPACITY),
            trap_exit: false,
            held: false,
            init_ack: None,
            memory_limit: None,
            overflow: Overflow::Wait,
            end_when_unreferenced: false,
            start_timeout: None,
        }
    }

    /// Ends the process with [`ExitReason::MemoryLimit`](crate::ExitReason::MemoryLimit) once
    /// it holds more than `bytes` (the BEAM's `max_heap_size`; see [`memory`](crate::memory)
    /// for how it is measured and the overshoot bound). Needs the
    /// [`AccountingAllocator`](crate::memory::AccountingAllocator); below 4,096 bytes is
    /// rejected when spawning.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Reports the outcome of the process's `init` to `ack` (a supervisor's synchronous start).
    pub(crate) fn init_ack(mut self, ack: InitAck) -> Self {
        self.init_ack = Some(ack);
        self
    }

    /// Supervised: the mailbox is kept across restarts (see `engine::adoption`).
    pub(crate) fn held(mut self) -> Self {
        self.held = true;
        self
    }

    /// Registers the process under `name` before it starts; the name is released when it exits.
    /// Spawning fails if the name is empty or taken.
    pub fn name(mut self, name: impl Into<Name>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Bounds the mailbox to `capacity` messages (default [`DEFAULT_MAILBOX_CAPACITY`]). A send
    /// to a full mailbox waits ([`send`](ProcessRef::send)) or gets its message back
    /// ([`try_send`](ProcessRef::try_send)). `0` is rejected when spawning.
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.capacity = Some(capacity);
        self
    }

    /// What a send to the full mailbox does (default [`Overflow::Wait`]): wait, drop the
    /// newest or the oldest message (counted, never silently), or fail at once. Anything but
    /// `Wait` needs a bounded mailbox; an unbounded one is rejected when spawning.
    ///
    /// ```
    /// # use foundation::{BoxError, Context, Node, Process};
    /// use foundation::message::Overflow;
    /// # struct Ticker;
    /// # impl Process for Ticker {
    /// #     type Message = u64;
    /// #     async fn handle(&mut self, _: &mut Context<u64>, _: u64) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let node = Node::new()?;
    /// // A price feed: only the latest values matter, and producers never wait.
    /// let feed = node.process().mailbox_capacity(16).overflow(Overflow::DropOldest).spawn(Ticker)?;
    /// for price in 0..100 {
    ///     feed.send(price).await?;
    /// }
    /// let info = node.process_info(feed.pid()).unwrap();
    /// assert_eq!(info.overflow, Overflow::DropOldest);
    /// # Ok(()) }
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Removes the bound: sends never wait. Use only where the producers are bounded by other
    /// means.
    pub fn unbounded_mailbox(mut self) -> Self {
        self.capacity = None;
        self
    }

    /// Ends the process with [`ExitReason::Normal`](crate::ExitReason::Normal) once no strong
    /// [`ProcessRef`] (nor a registered name) is left and its mailbox is empty, since nothing
    /// can reach it any more. Off by default: as on the BEAM, a process lives until it exits,
    /// whoever holds its address (a process driven by its own timers, or found by name, is
    /// never ended for want of references). A [`WeakProcessRef`](crate::WeakProcessRef) does
    /// not count. Useful for a helper whose only purpose is to serve the holders of its
    /// address.
    pub fn end_when_unreferenced(mut self) -> Self {
        self.end_when_unreferenced = true;
        self
    }

    /// Starts the process already trapping exits, so no exit signal is missed before `init`.
    pub fn trap_exit(mut self, on: bool) -> Self {
        self.trap_exit = on;
        self
    }

    /// Spawns the process.
    #[track_caller]
    pub fn spawn<P: Process>(self, process: P) -> Result<ProcessRef<P::Message>, SpawnError> {
        let (node, parent, opts, ack) = self.into_parts(false, false);
        spawn(&node, parent.as_ref(), process, &opts, ack).map(|(r, _)| r)
    }

    /// Spawns the process linked with the spawning process. Only from a builder made by
    /// [`Context::process`](crate::Context::process); otherwise an error.
    #[track_caller]
    pub fn spawn_link<P: Process>(self, process: P) -> Result<ProcessRef<P::Message>, SpawnError> {
        let (node, parent, opts, ack) = self.into_parts(true, false);
        spawn(&node, parent.as_ref(), process, &opts, ack).map(|(r, _)| r)
    }

    /// Spawns the process monitored by the spawning process. Only from a builder made by
    /// [`Context::process`](crate::Context::process); otherwise an error.
    #[track_caller]
    pub fn spawn_monitor<P: Process>(
        self,
        process: P,
    ) -> Result<(ProcessRef<P::Message>, MonitorRef), SpawnError> {
        let (node, parent, opts, ack) = self.into_parts(false, true);
        let (r, m) = spawn(&node, parent.as_ref(), process, &opts, ack)?;
        Ok((r, m.expect("spawn with monitor returns its monitor reference")))
    }

    /// Spawns the process linked with the spawning process and monitored by it, in one step
    /// (Erlang's `spawn_opt(Fun, [link, monitor])`). Only from a builder made by
    /// [`Context::process`](crate::Context::process); otherwise an error.
    #[track_caller]
    pub fn spawn_link_monitor<P: Process>(
        self,
        process: P,
    ) -> Result<(ProcessRef<P::Message>, MonitorRef), SpawnError> {
        let (node, parent, opts, ack) = self.into_parts(true, true);
        let (r, m) = spawn(&node, parent.as_ref(), process, &opts, ack)?;
        Ok((r, m.expect("spawn with monitor returns its monitor reference")))
    }

    /// Bounds how long [`start`](Self::start) and [`start_link`](Self::start_link) wait for
    /// the process's `init` (by default as long as it takes, as `proc_lib:start`'s
    /// `infinity`). A process whose `init` outlasts it is killed (unlinked first), and the start
    /// fails with [`SpawnError::StartTimeout`].
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = Some(timeout);
        self
    }

    /// Spawns the process and returns once its `init` has run (OTP's `proc_lib:start`, or
    /// `gen_server:start`): with its address if `init` succeeded, with
    /// [`SpawnError::InitFailed`] and `init`'s reason if it failed (the process has then
    /// exited), or with [`SpawnError::StartTimeout`] past the
    /// [`start_timeout`](Self::start_timeout).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before `init` has answered kills the process (as `proc_lib` kills
    /// a process whose start it gives up), unlinking it first if it was linked; dropped after,
    /// the process runs on.
    pub async fn start<P: Process>(self, process: P) -> Result<ProcessRef<P::Message>, SpawnError> {
        self.start_as(process, false).await
    }

    /// As [`start`](Self::start), linked with the spawning process (OTP's `proc_lib:start_link`,
    /// `gen_server:start_link`): the link exists before `init` runs. As in OTP, a failing
    /// `init` also sends its reason to the spawning process over the link (which ends it unless
    /// it traps exits). Only from a builder made by
    /// [`Context::process`](crate::Context::process); otherwise an error.
    ///
    /// # Cancel safety
    ///
    /// As [`start`](Self::start).
    pub async fn start_link<P: Process>(
        self,
        process: P,
    ) -> Result<ProcessRef<P::Message>, SpawnError> {
        self.start_as(process, true).await
    }

    async fn start_as<P: Process>(
        self,
        process: P,
        link: bool,
    ) -> Result<ProcessRef<P::Message>, SpawnError> {
        let timeout = self.start_timeout;
        let (ack, acked) = tokio::sync::oneshot::channel();
        let (node, parent, opts, _) = self.into_parts(link, false);
        let (child, _) = spawn(&node, parent.as_ref(), process, &opts, Some(ack))?;
        let mut abandon =
            AbandonStart { node: &node, parent: parent.as_ref(), pid: Some(child.pid()) };
        let outcome = match timeout {
            Some(after) => match tokio::time::timeout(after, acked).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    let pid = abandon.give_up();
                    if let Some(pid) = pid {
                        node.wait_exit(pid).await;
                    }
                    return Err(SpawnError::StartTimeout { after });
                }
            },
            None => acked.await,
        };
        abandon.pid = None;
        match outcome {
            Ok(Ok(())) => Ok(child),
            Ok(Err(reason)) => Err(SpawnError::InitFailed(reason)),
            // The task was dropped before `init` answered (its runtime went away).
            Err(_) => {
                Err(SpawnError::InitFailed(child.exit_reason().unwrap_or(ExitReason::Killed)))
            }
        }
    }

    fn into_parts(
        self,
        link: bool,
        monitor: bool,
    ) -> (Node, Option<Arc<dyn AnyProcess>>, SpawnOptions, Option<InitAck>) {
        let opts = SpawnOptions {
            name: self.name,
            capacity: self.capacity,
            trap_exit: self.trap_exit,
            link,
            monitor,
            held: self.held,
            memory_limit: self.memory_limit,
            overflow: self.overflow,
            end_when_unreferenced: self.end_when_unreferenced,
        };
        (self.node, self.parent, opts, self.init_ack)
    }
}

/// Kills a process whose start was given up (timed out or dropped), unlinking it from its
/// spawner first so that the spawner is not taken with it.
struct AbandonStart<'a> {
    node: &'a Node,
    parent: Option<&'a Arc<dyn AnyProcess>>,
    pid: Option<Pid>,
}

impl AbandonStart<'_> {
    fn give_up(&mut self) -> Option<Pid> {
        let pid = self.pid.take()?;
        if let Some(parent) = self.parent {
            crate::engine::links::unlink(&self.node.state, parent.core(), pid);
        }
        self.node.kill(pid);
        Some(pid)
    }
}

impl Drop for AbandonStart<'_> {
    fn drop(&mut self) {
        self.give_up();
    }
}

impl fmt::Debug for ProcessBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessBuilder")
            .field("parent", &self.parent.as_ref().map(|p| p.core().pid()))
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .field("trap_exit", &self.trap_exit)
            .field("overflow", &self.overflow)
            .field("end_when_unreferenced", &self.end_when_unreferenced)
            .finish()
    }
}
