//! The node: the runtime handle that owns every process.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::node_state::NodeState;
use crate::engine::process_block::ProcessBlock;
use crate::engine::signal::Signal;
use crate::error::{ConfigError, NodeError, SpawnError};
use crate::node::services::Services;
use crate::process::builder::ProcessBuilder;
use crate::registry::{Groups, Registry};
use crate::supervisor::server::Supervisor;
use crate::supervisor::{
    DynamicSupervisorRef, DynamicSupervisorSpec, SupervisorError, SupervisorRef, SupervisorSpec,
};
use crate::timer;
use crate::{ExitReason, Pid, Process, ProcessInfo, ProcessRef, TimerRef};

/// A node: the set of processes running on one tokio runtime, with their registry.
///
/// `Node` is a cheap handle (clone it freely). It must be created inside a tokio runtime, whose
/// worker threads then run its processes. Dropping every `Node` handle does not stop the
/// processes; [`shutdown`](Node::shutdown) does.
#[derive(Clone)]
pub struct Node {
    pub(crate) state: Arc<NodeState>,
    pub(crate) services: Arc<Services>,
}

impl Node {
    /// Starts a node (number `0`, a node outside any cluster) on the current tokio runtime.
    ///
    /// Fails if called outside a tokio runtime.
    pub fn new() -> Result<Node, NodeError> {
        Node::with_id(0)
    }

    /// Starts a node with the given node number, which every pid it makes carries.
    pub fn with_id(id: u32) -> Result<Node, NodeError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NodeError::NoRuntime)?;
        let state = Arc::new(NodeState::new(id, runtime));
        Ok(Node { state, services: Arc::default() })
    }

    /// This node's number.
    pub fn id(&self) -> u32 {
        self.state.id
    }

    /// The pid that stands for the node itself, `<id.0.0>`: the sender of exit signals sent
    /// from outside any process.
    pub fn self_pid(&self) -> Pid {
        self.state.self_pid()
    }

    /// Spawns a process with default options (see [`ProcessBuilder`]).
    #[track_caller]
    pub fn spawn<P: Process>(&self, process: P) -> Result<ProcessRef<P::Message>, SpawnError> {
        self.process().spawn(process)
    }

    /// Starts a supervisor with its children (see [`supervisor`](crate::supervisor)) and waits
    /// until they have all started, as OTP's `supervisor:start_link`. Fails with the child that
    /// could not start; the children already started are stopped again.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes stops the supervisor, which takes its children
    /// with it, and waits for nothing: once the runtime has run, none of them is left and the
    /// names they held are free. Dropped while children are still starting, the supervisor
    /// gives up the start: it kills the child whose `init` is running (a child cannot be asked
    /// to stop during its `init`, so OTP's `proc_lib` kills a process whose start timed out,
    /// and so do we), stops the children already started as it stops them on any shutdown
    /// (last started first, by default), each per its
    /// [`Shutdown`](crate::supervisor::Shutdown), starts no other, and exits with
    /// [`ExitReason::Shutdown`]. Dropped after the start succeeded but before the future saw
    /// it, the supervisor is sent a `Shutdown` exit signal from the node, as
    /// [`stop`](Self::stop) sends: a graceful stop rather than a kill, since its children are
    /// all up and their `terminate` should run.
    pub async fn spawn_supervisor(
        &self,
        spec: SupervisorSpec,
    ) -> Result<SupervisorRef, SupervisorError> {
        self.start_supervisor(spec, None).await
    }

    /// Starts a dynamic supervisor (see [`DynamicSupervisorSpec`]): no children until
    /// [`DynamicSupervisorRef::start_child`] adds them, each from the spec's template and its
    /// own arguments (OTP's `simple_one_for_one`, Elixir's `DynamicSupervisor`).
    ///
    /// # Cancel safety
    ///
    /// As [`spawn_supervisor`](Self::spawn_supervisor)'s: dropping the future stops the
    /// supervisor.
    pub async fn spawn_dynamic_supervisor<A>(
        &self,
        spec: DynamicSupervisorSpec<A>,
    ) -> Result<DynamicSupervisorRef<A>, SupervisorError> {
        let (spec, template) = spec.into_parts();
        let supervisor = self.start_supervisor(spec, None).await?;
        Ok(DynamicSupervisorRef::new(supervisor, template))
    }

    pub(crate) async fn start_supervisor(
        &self,
        spec: SupervisorSpec,
        name: Option<crate::Name>,
    ) -> Result<SupervisorRef, SupervisorError> {
        let (ready, started) = tokio::sync::oneshot::channel();
        let builder = self.process().trap_exit(true).unbounded_mailbox();
        let builder = match name {
            Some(name) => builder.name(name),
            None => builder,
        };
        let inner = builder
            .spawn(Supervisor::reporting(spec, ready))
            .map_err(|error| SupervisorError::StartFailed { id: String::new(), error })?;
        // A caller that stops waiting (drops this future) takes the supervisor down with it:
        // during the start the supervisor sees `started` dropped and gives up by itself; after
        // it, this guard's exit signal stops it.
        let mut abandoned = StopOnDrop { node: self, pid: Some(inner.pid()) };
        let outcome = started.await;
        abandoned.pid = None;
        match outcome {
            Ok(Ok(())) => Ok(SupervisorRef { inner }),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(SupervisorError::Unavailable(crate::CallError::no_reply(
                inner.pid(),
                inner.exit_reason(),
            ))),
        }
    }

    /// A builder for a process with options: name, mailbox capacity, exit trapping.
    pub fn process(&self) -> ProcessBuilder {
        ProcessBuilder::new(self.clone(), None)
    }

    /// Sends an exit signal to `pid` from the node (Erlang's `exit/2`): a process that does not
    /// trap exits ends with `reason` unless it is `Normal`; one that traps exits receives it
    /// in [`Process::handle_exit`]. With reason [`ExitReason::Kill`] it is `exit(Pid, kill)`:
    /// it cannot be trapped, and the process exits with [`ExitReason::Killed`] (as
    /// [`kill`](Self::kill)). Returns `false` if `pid` is gone.
    pub fn exit(&self, pid: Pid, reason: ExitReason) -> bool {
        let from = self.self_pid();
        self.state.deliver(pid, Signal::Exit { from, reason, link: false })
    }

    /// Kills `pid`: it ends with [`ExitReason::Killed`] at its next `.await`, whether or not it
    /// traps exits, without running `terminate`. Returns `false` if `pid` is gone.
    pub fn kill(&self, pid: Pid) -> bool {
        self.state.deliver(pid, Signal::Kill)
    }

    /// Stops `pid` gracefully: sends it a `Shutdown` exit signal, waits up to `timeout` for it
    /// to end, then kills it. Returns its exit reason, or `None` if it was already gone.
    ///
    /// # Cancel safety
    ///
    /// The exit signal is sent when the future is first polled. Dropping the future after that
    /// leaves the signal on its way but sends no kill: a process that ends on the signal still
    /// ends (in its own time), one that traps exits and ignores it keeps running. Dropped
    /// before its first poll, it does nothing.
    pub async fn stop(&self, pid: Pid, timeout: Duration) -> Option<ExitReason> {
        let from = self.self_pid();
        let shutdown = Signal::Exit { from, reason: ExitReason::Shutdown(None), link: false };
        self.stop_by(pid, shutdown, timeout).await
    }

    /// Stops `pid` with `reason`, as OTP's `gen_server:stop(Pid, Reason, Timeout)`: the
    /// process ends whether or not it traps exits, but gracefully: the handler it is in is
    /// interrupted at its next `.await` (as by an exit signal), `terminate` runs with
    /// `reason`, and it exits with `reason`, which its links and monitors see. Waits up to
    /// `timeout` for it to end, then kills it. Returns its exit reason, or `None` if it was
    /// already gone.
    ///
    /// Unlike [`stop`](Self::stop), which sends a `Shutdown` exit signal that a process trapping
    /// exits receives in [`Process::handle_exit`] (a supervisor's way), this stop cannot be
    /// trapped, as `gen_server:stop` cannot. Where OTP's caller exits with `timeout` and leaves
    /// the process running when `terminate` takes too long, we kill it (as
    /// [`stop`](Self::stop) does), so that a stop always ends the process.
    ///
    /// # Cancel safety
    ///
    /// As [`stop`](Self::stop): the stop is sent on the first poll; dropped after that, the
    /// process still stops, and no kill is sent.
    pub async fn stop_with(
        &self,
        pid: Pid,
        reason: ExitReason,
        timeout: Duration,
    ) -> Option<ExitReason> {
        self.stop_by(pid, Signal::Stop(reason), timeout).await
    }

    /// Sends `signal` to `pid`, waits up to `timeout` for it to end, then kills it.
    async fn stop_by(&self, pid: Pid, signal: Signal, timeout: Duration) -> Option<ExitReason> {
        let process = self.state.get(pid)?;
        let core = process.core();
        // Not delivered: the incarnation has ended (or is ending); its reason follows.
        if !process.signal(pid, signal) {
            return Some(core.wait_exit_of(pid).await);
        }
        if let Ok(reason) = tokio::time::timeout(timeout, core.wait_exit_of(pid)).await {
            return Some(reason);
        }
        process.signal(pid, Signal::Kill);
        Some(core.wait_exit_of(pid).await)
    }

    /// Waits until `pid` has exited and returns why; [`ExitReason::NoProc`] at once if it is
    /// not alive.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only watches (it neither links nor monitors), so dropping the future
    /// changes nothing.
    pub async fn wait_exit(&self, pid: Pid) -> ExitReason {
        match self.state.get(pid) {
            Some(process) => process.core().wait_exit_of(pid).await,
            None => ExitReason::NoProc,
        }
    }

    /// `true` if `pid` is a live process of this node.
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.state.get(pid).is_some_and(|p| p.core().exit_of(pid).is_none())
    }

    /// A snapshot of a live process, or `None` if it is gone.
    pub fn process_info(&self, pid: Pid) -> Option<ProcessInfo> {
        let process = self.state.get(pid)?;
        let core = process.core();
        let rel = core.relations.lock();
        if rel.exited {
            return None;
        }
        Some(ProcessInfo {
            pid,
            status: core.status(),
            names: rel.names().cloned().collect(),
            mailbox_len: process.mailbox_len(),
            mailbox_capacity: process.mailbox_capacity(),
            overflow: process.overflow(),
            messages_handled: core.handled(),
            messages: process.traffic().snapshot(core.handled(), self.state.epoch),
            links: rel.links.to_vec(),
            monitors: rel.monitoring.iter().map(|(_, p)| *p).collect(),
            monitored_by: rel.monitored_by().collect(),
            groups: rel.groups().map(|(scope, group)| Groups::label(scope, group)).collect(),
            trap_exit: core.traps_exits(),
            parent: core.parent(),
            memory: core.memory(),
            memory_peak: core.memory_peak(),
        })
    }

    /// The pids of every live process, oldest first.
    pub fn processes(&self) -> Vec<Pid> {
        let mut pids: Vec<Pid> = self.state.table.iter().map(|e| e.value().core().pid()).collect();
        pids.sort_unstable();
        pids
    }

    /// A typed address of a live process; `None` if it is gone or its message type is not `M`.
    pub fn lookup<M: Send + 'static>(&self, pid: Pid) -> Option<ProcessRef<M>> {
        let process = self.state.get(pid)?;
        let block: Arc<ProcessBlock<M>> = process.into_any().downcast().ok()?;
        if block.mailbox.is_closed() || !block.core.try_retain() {
            return None;
        }
        Some(ProcessRef::from_retained(block))
    }

    /// How many processes are alive.
    pub fn process_count(&self) -> usize {
        self.state.table.len()
    }

    /// The node's telemetry: attach observers of the ecosystems' events.
    pub fn telemetry(&self) -> &crate::telemetry::Telemetry {
        &self.services.telemetry
    }

    /// The name registry.
    pub fn registry(&self) -> Registry<'_> {
        Registry::new(self)
    }

    /// The process groups of the default scope, `"pg"` (OTP's default `pg` scope).
    pub fn groups(&self) -> Groups<'_> {
        Groups::new(self, crate::engine::group_table::DEFAULT_SCOPE)
    }

    /// The process groups of `scope`: a namespace of its own (OTP's `pg:start_link(Scope)`),
    /// whose groups, members and monitors are apart from every other scope's. A scope needs no
    /// starting: it exists while it has a group or a monitor. `group_scope("pg")` is
    /// [`groups`](Node::groups).
    ///
    /// Fails if `scope` is empty.
    pub fn group_scope<'a>(&'a self, scope: &'a str) -> Result<Groups<'a>, ConfigError> {
        if scope.is_empty() {
            return Err(ConfigError::new("scope", "\"\"", "non-empty scope names"));
        }
        Ok(Groups::new(self, scope))
    }

    /// Sends `msg` to `target` after `delay` (Erlang's `send_after`). The timer holds only a
    /// weak address.
    pub fn send_after<M: Send + 'static>(
        &self,
        target: &ProcessRef<M>,
        delay: Duration,
        msg: M,
    ) -> TimerRef {
        timer::send_after(self, target.downgrade(), delay, msg)
    }

    /// Sends `make()` to `target` every `period` until cancelled or until it exits. A zero
    /// `period` is a [`ConfigError`](crate::ConfigError) naming `period`.
    pub fn send_interval<M: Send + 'static>(
        &self,
        target: &ProcessRef<M>,
        period: Duration,
        make: impl FnMut() -> M + Send + 'static,
    ) -> Result<TimerRef, crate::ConfigError> {
        timer::send_interval(self, target.downgrade(), period, make)
    }
}

/// Sends a `Shutdown` exit signal from the node to `pid` when dropped, unless `pid` was taken
/// out: what a dropped `spawn_supervisor` leaves behind (a drop cannot wait for the exit).
struct StopOnDrop<'a> {
    node: &'a Node,
    pid: Option<Pid>,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            self.node.exit(pid, ExitReason::Shutdown(None));
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("id", &self.state.id)
            .field("processes", &self.state.table.len())
            .finish()
    }
}
