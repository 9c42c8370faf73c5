//! The supervisor process: OTP's `supervisor` behaviour, built on links and exit trapping.
//!
//! The supervisor traps exits and is linked to every child it starts. A child's exit arrives as
//! a trapped exit signal; the supervisor decides from the child's restart policy whether to
//! restart, checks the restart intensity, and applies its strategy. To stop a child on purpose
//! it first unlinks it (so the child's end is not taken for a failure), then sends the
//! `Shutdown` exit signal and waits for the child's exit, killing it at the deadline.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::time::Instant;

use crate::engine::process_block::AnyProcess;
use crate::error::{ConfigError, SpawnError};
use crate::supervisor::child::{ChildProcess, StartMode};
use crate::supervisor::{
    ChildInfo, ChildSpec, Restart, RestartIntensity, Shutdown, ShutdownOrder, Strategy,
    SupervisorError, SupervisorSpec,
};
use crate::{BoxError, Context, ExitReason, Pid, Process, ReplyTo};

/// Requests to a supervisor.
pub(crate) enum SupervisorMsg {
    StartChild(ChildSpec, ReplyTo<Result<Pid, SupervisorError>>),
    TerminateChild(Arc<str>, ReplyTo<Result<(), SupervisorError>>),
    RestartChild(Arc<str>, ReplyTo<Result<Pid, SupervisorError>>),
    DeleteChild(Arc<str>, ReplyTo<Result<(), SupervisorError>>),
    WhichChildren(ReplyTo<Vec<ChildInfo>>),
    Child(Arc<str>, ReplyTo<Option<Arc<dyn AnyProcess>>>),
}

struct Child {
    spec: ChildSpec,
    /// The child's address, kept across restarts; `None` before its first start.
    handle: Option<ChildProcess>,
    running: bool,
    restarts: u64,
}

impl Child {
    fn new(spec: ChildSpec) -> Self {
        Child { spec, handle: None, running: false, restarts: 0 }
    }

    fn running_pid(&self) -> Option<Pid> {
        self.handle.as_ref().filter(|_| self.running).map(ChildProcess::pid)
    }

    fn info(&self) -> ChildInfo {
        ChildInfo {
            id: self.spec.id.to_string(),
            pid: self.running_pid(),
            kind: self.spec.kind,
            restart: self.spec.restart,
            restarts: self.restarts,
        }
    }
}

pub(crate) struct Supervisor {
    strategy: Strategy,
    shutdown_order: ShutdownOrder,
    intensity: RestartIntensity,
    specs: Vec<ChildSpec>,
    children: Vec<Child>,
    restarts: VecDeque<Instant>,
    /// Told how `init` went, for a caller that waits for the start (as OTP's `start_link`).
    ready: Option<tokio::sync::oneshot::Sender<Result<(), SupervisorError>>>,
}

impl Supervisor {
    pub(crate) fn new(spec: SupervisorSpec) -> Self {
        Supervisor {
            strategy: spec.strategy,
            shutdown_order: spec.shutdown_order,
            intensity: spec.intensity,
            specs: spec.children,
            children: Vec::new(),
            restarts: VecDeque::new(),
            ready: None,
        }
    }

    /// A supervisor that reports the outcome of its `init` to `ready`.
    pub(crate) fn reporting(
        spec: SupervisorSpec,
        ready: tokio::sync::oneshot::Sender<Result<(), SupervisorError>>,
    ) -> Self {
        Supervisor { ready: Some(ready), ..Supervisor::new(spec) }
    }

    async fn start_children(
        &mut self,
        ctx: &Context<SupervisorMsg>,
    ) -> Result<(), SupervisorError> {
        let period = self.intensity.period();
        if period.is_zero() {
            return Err(SupervisorError::Config(ConfigError::new(
                "intensity.period",
                format_args!("{period:?}"),
                "durations above zero",
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for spec in &self.specs {
            if spec.id.is_empty() || !seen.insert(spec.id.clone()) {
                return Err(SupervisorError::Config(ConfigError::new(
                    "children[].id",
                    format_args!("{:?}", &*spec.id),
                    "non-empty ids, unique within the supervisor",
                )));
            }
        }
        for spec in std::mem::take(&mut self.specs) {
            self.children.push(Child::new(spec));
            let index = self.children.len() - 1;
            if let Err(err) = self.start(ctx, index).await {
                self.stop_range(ctx, 0..index).await;
                return Err(err);
            }
        }
        Ok(())
    }

    fn position(&self, pid: Pid) -> Option<usize> {
        self.children.iter().position(|c| c.running_pid() == Some(pid))
    }

    fn find(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| &*c.spec.id == id)
    }

    /// Records a restart; `false` once more than the allowed restarts fall in one period.
    fn allow_restart(&mut self) -> bool {
        let now = Instant::now();
        self.restarts.push_back(now);
        while let Some(&oldest) = self.restarts.front() {
            if now.duration_since(oldest) > self.intensity.period() {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.len() <= self.intensity.max_restarts() as usize
    }

    /// Starts child `index` and waits until its `init` has run, as OTP's `start_link`: the
    /// next child starts only once this one is up, and an `init` that fails is a failed start.
    async fn start(
        &mut self,
        ctx: &Context<SupervisorMsg>,
        index: usize,
    ) -> Result<Pid, SupervisorError> {
        let child = &mut self.children[index];
        let id = child.spec.id.to_string();
        let mode = match &child.handle {
            Some(handle) => StartMode::Adopt(handle),
            None => StartMode::Fresh,
        };
        let (ack, acked) = tokio::sync::oneshot::channel();
        // The child's factory runs here, in the supervisor: its panic is a failed start of that
        // child, not the supervisor's end.
        let spec = &child.spec;
        let started =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| spec.start(ctx, mode, ack)))
                .unwrap_or_else(|payload| {
                    Err(SpawnError::InitFailed(ExitReason::from_panic(&*payload)))
                });
        match started {
            Ok(Some(handle)) => child.handle = Some(handle),
            Ok(None) => {}
            Err(error) => return Err(SupervisorError::StartFailed { id, error }),
        }
        let pid = child.handle.as_ref().map_or(ctx.pid(), ChildProcess::pid);
        match acked.await {
            Ok(Ok(())) => {
                child.running = true;
                child.spec.started();
                Ok(pid)
            }
            Ok(Err(reason)) => {
                Err(SupervisorError::StartFailed { id, error: SpawnError::InitFailed(reason) })
            }
            Err(_) => Err(SupervisorError::StartFailed {
                id,
                error: SpawnError::InitFailed(ExitReason::Killed),
            }),
        }
    }

    /// The caller stopped waiting for the start: kills the children caught in their `init`
    /// (or in their stop after a failed start) and waits until they are gone. A child in its
    /// `init` cannot be asked to stop (a trapped exit waits behind its `init`), so it is killed,
    /// as OTP's `proc_lib` kills a process whose `start_link` timed out. The children that are
    /// up are left to `terminate`.
    async fn abandon_start(&mut self, ctx: &Context<SupervisorMsg>) {
        for child in self.children.iter().filter(|c| !c.running) {
            let Some(handle) = &child.handle else { continue };
            let pid = handle.pid();
            ctx.unlink(pid);
            if ctx.node().kill(pid) {
                handle.process().core().wait_exit_of(pid).await;
            }
        }
    }

    /// Stops a child on purpose, per its shutdown policy, and waits until it is gone.
    async fn stop(ctx: &Context<SupervisorMsg>, child: &mut Child) {
        Self::stop_all(ctx, std::iter::once(child)).await;
    }

    /// Stops children on purpose, all at once, each per its shutdown policy, and waits until
    /// every one is gone. Every signal goes out first, each child's deadline counted from
    /// then; the exits are then awaited one after another, each up to its own deadline (then
    /// the child is killed). So the children stop together, as with one wait each, but the
    /// supervisor waits with one waker whatever their number (a `join_all` over 100,000 stops
    /// would park 100,000 wakers in the runtime at once, and the runtime keeps the room).
    async fn stop_all<'c>(
        ctx: &Context<SupervisorMsg>,
        children: impl Iterator<Item = &'c mut Child>,
    ) {
        let now = Instant::now();
        let mut stopping = Vec::new();
        for child in children {
            let Some(pid) = child.running_pid() else { continue };
            child.running = false;
            let Some(process) = &child.handle else { continue };
            ctx.unlink(pid);
            let deadline = match child.spec.shutdown {
                Shutdown::BrutalKill => {
                    ctx.node().kill(pid);
                    None
                }
                Shutdown::Timeout(limit) => {
                    ctx.exit(pid, ExitReason::Shutdown(None));
                    Some(now + limit)
                }
                Shutdown::Infinity => {
                    ctx.exit(pid, ExitReason::Shutdown(None));
                    None
                }
            };
            stopping.push((Arc::clone(process.process()), pid, deadline));
        }
        for (process, pid, deadline) in stopping {
            let core = process.core();
            if let Some(deadline) = deadline
                && tokio::time::timeout_at(deadline, core.wait_exit_of(pid)).await.is_err()
            {
                ctx.node().kill(pid);
            }
            core.wait_exit_of(pid).await;
        }
    }

    /// Stops the children in `range` (by index), last first.
    async fn stop_range(&mut self, ctx: &Context<SupervisorMsg>, range: std::ops::Range<usize>) {
        for index in range.rev() {
            Self::stop(ctx, &mut self.children[index]).await;
        }
    }

    /// Starts the children in `indices` that are not running, in order. A failure counts as a
    /// restart of that child and is retried until the intensity runs out.
    async fn restart_all(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        indices: impl Iterator<Item = usize> + Clone,
    ) -> Result<(), ExitReason> {
        for index in indices {
            if self.children[index].running {
                continue;
            }
            loop {
                match self.start(ctx, index).await {
                    Ok(_) => {
                        self.children[index].restarts += 1;
                        break;
                    }
                    Err(err) => {
                        if !self.allow_restart() {
                            return Err(self.gave_up(index, ExitReason::error(err)));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Temporary children stopped by a restart are not restarted: they are forgotten, as OTP
    /// does.
    fn forget_temporaries(&mut self, stopped: impl Fn(usize) -> bool) {
        let mut i = 0;
        self.children.retain(|child| {
            let forget = stopped(i) && child.spec.restart == Restart::Temporary;
            i += 1;
            !forget
        });
    }

    fn gave_up(&self, index: usize, last: ExitReason) -> ExitReason {
        ExitReason::error(SupervisorError::RestartIntensityReached {
            id: self.children[index].spec.id.to_string(),
            max_restarts: self.intensity.max_restarts(),
            period: self.intensity.period(),
            last_exit: last,
        })
    }

    async fn child_exited(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        index: usize,
        reason: ExitReason,
    ) -> Result<(), ExitReason> {
        self.children[index].running = false;
        let restart = match self.children[index].spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !reason.is_normal(),
            Restart::Temporary => false,
        };
        if self.children[index].spec.restart == Restart::Temporary {
            self.children.remove(index);
            return Ok(());
        }
        if !restart {
            return Ok(());
        }
        if !self.allow_restart() {
            return Err(self.gave_up(index, reason));
        }
        let len = self.children.len();
        match self.strategy {
            Strategy::OneForOne => self.restart_all(ctx, index..index + 1).await,
            Strategy::OneForAll => {
                self.stop_range(ctx, 0..len).await;
                self.forget_temporaries(|i| i != index);
                let len = self.children.len();
                self.restart_all(ctx, 0..len).await
            }
            Strategy::RestForOne => {
                self.stop_range(ctx, index + 1..len).await;
                self.forget_temporaries(|i| i > index);
                let len = self.children.len();
                self.restart_all(ctx, index..len).await
            }
        }
    }
}

impl Process for Supervisor {
    type Message = SupervisorMsg;

    async fn init(&mut self, ctx: &mut Context<SupervisorMsg>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        let Some(mut ready) = self.ready.take() else {
            return self.start_children(ctx).await.map_err(|e| Box::new(e) as BoxError);
        };
        // The caller waits for the outcome (`Node::spawn_supervisor`). If it stops waiting (its
        // future was dropped), the start is abandoned at once rather than after the slowest
        // child's `init`: the exit signal the caller sends then would wait behind this `init`.
        let started = tokio::select! {
            biased;
            started = self.start_children(ctx) => started,
            () = ready.closed() => {
                self.abandon_start(ctx).await;
                // `terminate` stops the children already started, in order, per their
                // shutdown; `Shutdown` because nothing failed: nobody wants the supervisor.
                ctx.stop(ExitReason::Shutdown(None));
                return Ok(());
            }
        };
        let _ = ready.send(started.clone());
        started.map_err(|e| Box::new(e) as BoxError)
    }

    async fn handle(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        msg: SupervisorMsg,
    ) -> Result<(), BoxError> {
        match msg {
            SupervisorMsg::StartChild(spec, reply) => {
                let result = if spec.id.is_empty() {
                    Err(SupervisorError::Config(ConfigError::new(
                        "id",
                        "\"\"",
                        "non-empty ids, unique within the supervisor",
                    )))
                } else if self.find(&spec.id).is_some() {
                    Err(SupervisorError::AlreadyPresent(spec.id.to_string()))
                } else {
                    self.children.push(Child::new(spec));
                    let index = self.children.len() - 1;
                    let started = self.start(ctx, index).await;
                    if started.is_err() {
                        self.children.pop();
                    }
                    started
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::TerminateChild(id, reply) => {
                let result = match self.find(&id) {
                    Some(index) => {
                        Self::stop(ctx, &mut self.children[index]).await;
                        if self.children[index].spec.restart == Restart::Temporary {
                            self.children.remove(index);
                        }
                        Ok(())
                    }
                    None => Err(SupervisorError::NotFound(id.to_string())),
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::RestartChild(id, reply) => {
                let result = match self.find(&id) {
                    Some(index) if self.children[index].running => {
                        Err(SupervisorError::Running(id.to_string()))
                    }
                    Some(index) => self.start(ctx, index).await,
                    None => Err(SupervisorError::NotFound(id.to_string())),
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::DeleteChild(id, reply) => {
                let result = match self.find(&id) {
                    Some(index) if self.children[index].running => {
                        Err(SupervisorError::Running(id.to_string()))
                    }
                    Some(index) => {
                        self.children.remove(index);
                        Ok(())
                    }
                    None => Err(SupervisorError::NotFound(id.to_string())),
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::WhichChildren(reply) => {
                let _ = reply.reply(self.children.iter().map(Child::info).collect());
            }
            SupervisorMsg::Child(id, reply) => {
                let child = self.find(&id).and_then(|i| self.children[i].handle.as_ref());
                let _ = reply.reply(child.map(|c| Arc::clone(c.process())));
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        ctx: &mut Context<SupervisorMsg>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        if let Some(index) = self.position(from) {
            if let Err(gave_up) = self.child_exited(ctx, index, reason).await {
                ctx.stop(gave_up);
            }
        } else if Some(from) == ctx.parent() || from == ctx.node().self_pid() {
            // The parent or the node asks us to go, as OTP's `{'EXIT', Parent, Reason}`; our
            // children go first, in `terminate`.
            ctx.stop(reason);
        }
        // Any other exit signal (a stale one, from a process that linked itself to us) is
        // ignored, as OTP's supervisor does.
        Ok(())
    }

    async fn terminate(&mut self, ctx: &mut Context<SupervisorMsg>, _reason: &ExitReason) {
        let len = self.children.len();
        let ctx = &*ctx;
        match self.shutdown_order {
            ShutdownOrder::Reverse => self.stop_range(ctx, 0..len).await,
            ShutdownOrder::Concurrent => {
                Self::stop_all(ctx, self.children.iter_mut()).await;
            }
            ShutdownOrder::FirstLast if len > 0 => {
                let (first, rest) = self.children.split_at_mut(1);
                Self::stop_all(ctx, rest.iter_mut()).await;
                Self::stop(ctx, &mut first[0]).await;
            }
            ShutdownOrder::FirstLast => {}
        }
    }
}
