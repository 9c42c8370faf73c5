//! What a process's handlers can do: its identity, links, monitors, spawning, timers, stopping.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::links;
use crate::engine::process_block::{AnyProcess, ProcessBlock};
use crate::engine::signal::Signal;
use crate::error::{LinkError, SpawnError};
use crate::{
    ExitReason, MonitorRef, Node, Pid, Process, ProcessBuilder, ProcessRef, TimerRef,
    WeakProcessRef, timer,
};

/// Handed to every handler of a process: the process's view of itself and of the node.
pub struct Context<M> {
    pub(crate) shared: Arc<ProcessBlock<M>>,
    pub(crate) node: Node,
    pub(crate) stop: Option<ExitReason>,
    /// Told how `init` went, for a spawner that waits for it (a supervisor).
    pub(crate) init_ack: Option<InitAck>,
}

/// Where a process reports the outcome of its `init`.
pub(crate) type InitAck = tokio::sync::oneshot::Sender<Result<(), ExitReason>>;

impl<M: Send + 'static> Context<M> {
    pub(crate) fn new(shared: Arc<ProcessBlock<M>>, node: Node) -> Self {
        Context { shared, node, stop: None, init_ack: None }
    }

    /// This process's pid.
    pub fn pid(&self) -> Pid {
        self.shared.core.pid()
    }

    /// The process that spawned this one, if it was spawned from a process.
    pub fn parent(&self) -> Option<Pid> {
        self.shared.core.parent()
    }

    /// The node this process runs on.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// An address of this process. (For a process that ends when unreferenced, this one counts:
    /// keep [`myself_weak`](Self::myself_weak) in its own state instead.)
    pub fn myself(&self) -> ProcessRef<M> {
        self.shared.core.retain();
        ProcessRef::from_retained(Arc::clone(&self.shared))
    }

    /// A weak address of this process.
    pub fn myself_weak(&self) -> WeakProcessRef<M> {
        WeakProcessRef { shared: Arc::clone(&self.shared) }
    }

    /// Turns exit trapping on or off and returns whether it was on, as Erlang's
    /// `process_flag(trap_exit, On)` returns the old value. While on, exit signals from links
    /// and from `exit(pid, reason)` arrive at [`Process::handle_exit`] instead of ending the
    /// process; `kill` (and an exit signal with reason [`ExitReason::Kill`]) still ends it.
    pub fn trap_exit(&mut self, on: bool) -> bool {
        self.shared.core.set_trap_exit(on)
    }

    /// Whether this process traps exits.
    pub fn traps_exits(&self) -> bool {
        self.shared.core.traps_exits()
    }

    /// Ends this process with `reason` once the current handler returns.
    pub fn stop(&mut self, reason: ExitReason) {
        self.stop = Some(reason);
    }

    /// A builder for a child process; the child's parent is this process, so it can be linked
    /// ([`ProcessBuilder::spawn_link`]) or monitored ([`ProcessBuilder::spawn_monitor`]).
    pub fn process(&self) -> ProcessBuilder {
        ProcessBuilder::new(self.node.clone(), Some(self.as_any()))
    }

    /// Spawns a child with default options, neither linked nor monitored.
    #[track_caller]
    pub fn spawn<P: Process>(&self, process: P) -> Result<ProcessRef<P::Message>, SpawnError> {
        self.process().spawn(process)
    }

    /// Spawns a child linked with this process (Erlang's `spawn_link`): the link exists before
    /// the child runs, so even a child that fails in `init` is seen.
    #[track_caller]
    pub fn spawn_link<P: Process>(&self, process: P) -> Result<ProcessRef<P::Message>, SpawnError> {
        self.process().spawn_link(process)
    }

    /// Spawns a child monitored by this process (Erlang's `spawn_monitor`).
    #[track_caller]
    pub fn spawn_monitor<P: Process>(
        &self,
        process: P,
    ) -> Result<(ProcessRef<P::Message>, MonitorRef), SpawnError> {
        self.process().spawn_monitor(process)
    }

    /// Spawns a child linked with this process and monitored by it, in one step (Erlang's
    /// `spawn_opt(Fun, [link, monitor])`): both exist before the child runs.
    #[track_caller]
    pub fn spawn_link_monitor<P: Process>(
        &self,
        process: P,
    ) -> Result<(ProcessRef<P::Message>, MonitorRef), SpawnError> {
        self.process().spawn_link_monitor(process)
    }

    /// Links this process with `pid`, both ways. Linking twice is one link; linking to itself
    /// does nothing. If `pid` is gone, returns an error (`noproc`) and links nothing.
    pub fn link(&self, pid: Pid) -> Result<(), LinkError> {
        links::link(&self.node.state, &self.shared.core, pid)
    }

    /// Removes the link with `pid`, if any. After this returns, no exit signal from that link
    /// is received, even one already on its way.
    pub fn unlink(&self, pid: Pid) {
        links::unlink(&self.node.state, &self.shared.core, pid);
    }

    /// Monitors `pid`: exactly one [`Down`](crate::Down) arrives at
    /// [`Process::handle_down`] when it ends, or at once with `NoProc` if it is already gone.
    pub fn monitor(&self, pid: Pid) -> MonitorRef {
        links::monitor(&self.node.state, &*self.shared, pid)
    }

    /// Monitors the process registered as `name` (Erlang's `monitor(process, {Name, Node})`):
    /// the name is looked up now and the process behind it is monitored, so a later
    /// re-registration of the name is not followed. Its [`Down`](crate::Down) carries the name
    /// in [`Down::name`](crate::Down::name). A name that is not registered gives a `Down` with
    /// `NoProc` at once, as in Erlang; its `pid` is then the node's own
    /// ([`Node::self_pid`]), since no process stands behind the name.
    pub fn monitor_name(&self, name: impl Into<crate::Name>) -> MonitorRef {
        links::monitor_name(&self.node.state, &*self.shared, &name.into())
    }

    /// Removes a monitor. Returns `false` if the monitor was not active: it had already been
    /// handled or removed, or it is not one of this process's (a reference made by another
    /// process or another node is never mistaken for one of ours).
    ///
    /// It always flushes, as Erlang's `demonitor(Ref, [flush])` does: a `Down` for it that is
    /// already queued in the mailbox is never handled. (Erlang's plain `demonitor/1` leaves
    /// such a `'DOWN'` in the mailbox for the process to receive; we never hand a process a
    /// `Down` for a monitor it removed, since it could not tell it from a live one's. The
    /// queued entry is dropped when the mailbox reaches it.) See also
    /// [`demonitor_flush`](Self::demonitor_flush).
    pub fn demonitor(&self, monitor: MonitorRef) -> bool {
        links::demonitor(&self.node.state, &self.shared.core, monitor)
    }

    /// Erlang's `demonitor(Ref, [flush])`: the same as [`demonitor`](Self::demonitor), which
    /// always flushes; named for code ported from Erlang.
    pub fn demonitor_flush(&self, monitor: MonitorRef) -> bool {
        self.demonitor(monitor)
    }

    /// Sends an exit signal to `pid` from this process (Erlang's `exit/2`). Returns `false` if
    /// `pid` is gone. With reason [`ExitReason::Kill`] it is Erlang's `exit(Pid, kill)`: it
    /// cannot be trapped and `pid` exits with [`ExitReason::Killed`]; with `Killed` it is an
    /// ordinary exit signal, which a process that traps exits receives. [`Node::kill`] kills
    /// from outside any process.
    pub fn exit(&self, pid: Pid, reason: ExitReason) -> bool {
        let from = self.pid();
        self.node.state.deliver(pid, Signal::Exit { from, reason, link: false })
    }

    /// Sends `msg` to this process after `delay`. The timer holds only a weak address.
    pub fn send_after(&self, delay: Duration, msg: M) -> TimerRef {
        timer::send_after(&self.node, self.myself_weak(), delay, msg)
    }

    /// Sends `make()` to this process every `period`, first after one period, until cancelled
    /// or until the process exits. A sender that finds the mailbox full waits (ticks that fall
    /// due meanwhile are delayed, not bunched). A zero `period` is a
    /// [`ConfigError`](crate::ConfigError) naming `period`.
    pub fn send_interval(
        &self,
        period: Duration,
        make: impl FnMut() -> M + Send + 'static,
    ) -> Result<TimerRef, crate::ConfigError> {
        timer::send_interval(&self.node, self.myself_weak(), period, make)
    }

    fn as_any(&self) -> Arc<dyn AnyProcess> {
        Arc::clone(&self.shared) as Arc<dyn AnyProcess>
    }
}

impl<M> fmt::Debug for Context<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("pid", &self.shared.core.pid()).finish_non_exhaustive()
    }
}
