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
use crate::supervisor::child::{ChildProcess, StartMode, Started};
use crate::supervisor::spec::ChildrenInit;
use crate::supervisor::{
    AutoShutdown, ChildInfo, ChildSpec, ChildStatus, Restart, RestartIntensity, ShutdownOrder,
    Strategy, SupervisorError, SupervisorSpec,
};
use crate::{BoxError, Context, ExitReason, Pid, Process, ReplyTo};

/// Requests to a supervisor.
pub(crate) enum SupervisorMsg {
    StartChild(ChildSpec, ReplyTo<Result<Option<Pid>, SupervisorError>>),
    TerminateChild(Arc<str>, ReplyTo<Result<(), SupervisorError>>),
    /// Stops the child `pid` and forgets it (a dynamic supervisor's `terminate_child`).
    TerminatePid(Pid, ReplyTo<Result<(), SupervisorError>>),
    RestartChild(Arc<str>, ReplyTo<Result<Option<Pid>, SupervisorError>>),
    DeleteChild(Arc<str>, ReplyTo<Result<(), SupervisorError>>),
    WhichChildren(ReplyTo<Vec<ChildInfo>>),
    Child(Arc<str>, ReplyTo<Option<Arc<dyn AnyProcess>>>),
    /// The supervisor's own: try again to restart this child, whose last attempt failed with
    /// this reason (OTP's `try_again_restart`).
    TryAgainRestart(Arc<str>, ExitReason),
}

/// A child as its supervisor holds it: its spec, its address, whether it runs.
pub(super) struct Child {
    pub(super) spec: ChildSpec,
    /// The child's address, kept across restarts; `None` before its first start.
    pub(super) handle: Option<ChildProcess>,
    pub(super) status: ChildStatus,
    pub(super) restarts: u64,
}

impl Child {
    fn new(spec: ChildSpec) -> Self {
        Child { spec, handle: None, status: ChildStatus::Stopped, restarts: 0 }
    }

    pub(super) fn running_pid(&self) -> Option<Pid> {
        let running = self.status == ChildStatus::Running;
        self.handle.as_ref().filter(|_| running).map(ChildProcess::pid)
    }

    fn info(&self) -> ChildInfo {
        ChildInfo {
            id: self.spec.id.to_string(),
            pid: self.running_pid(),
            status: self.status,
            kind: self.spec.kind,
            restart: self.spec.restart,
            restarts: self.restarts,
        }
    }
}

pub(crate) struct Supervisor {
    pub(super) strategy: Strategy,
    shutdown_order: ShutdownOrder,
    pub(super) intensity: RestartIntensity,
    specs: Vec<ChildSpec>,
    /// In start order.
    pub(super) children: Vec<Child>,
    /// A dynamic supervisor's: children not to be restarted are forgotten, not kept stopped.
    pub(super) dynamic: bool,
    max_children: Option<usize>,
    /// Computes more children at each start (`SupervisorSpec::init`).
    init: Option<ChildrenInit>,
    pub(super) auto_shutdown: AutoShutdown,
    /// When the restarts within the last period happened, oldest first.
    pub(super) restarts: VecDeque<Instant>,
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
            dynamic: spec.dynamic,
            max_children: spec.max_children,
            init: spec.init,
            auto_shutdown: spec.auto_shutdown,
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
        if let Some(ChildrenInit(init)) = &self.init {
            let reason = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| init())) {
                Ok(Ok(computed)) => {
                    self.specs.extend(computed);
                    None
                }
                Ok(Err(error)) => Some(ExitReason::Error(Arc::from(error))),
                Err(payload) => Some(ExitReason::from_panic(&*payload)),
            };
            if let Some(reason) = reason {
                let error = SpawnError::InitFailed(reason);
                return Err(SupervisorError::StartFailed { id: String::new(), error });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for spec in &self.specs {
            let allowed = if spec.id.is_empty() {
                "non-empty ids"
            } else if !seen.insert(spec.id.clone()) {
                "ids no other child of the supervisor has (this one is repeated)"
            } else {
                continue;
            };
            return Err(SupervisorError::Config(ConfigError::new(
                "children[].id",
                format_args!("{:?}", &*spec.id),
                allowed,
            )));
        }
        for spec in &self.specs {
            spec.check_significant(self.auto_shutdown, "children[].significant")?;
        }
        for spec in std::mem::take(&mut self.specs) {
            self.children.push(Child::new(spec));
            let index = self.children.len() - 1;
            match self.start(ctx, index).await {
                Ok(Some(_)) => {}
                Ok(None) if !self.keeps_ignored(index) => drop(self.children.pop()),
                Ok(None) => {}
                Err(err) => {
                    self.stop_range(ctx, 0..index).await;
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    /// Whether child `index`, ignored by its factory, is kept stopped (OTP keeps an ignored
    /// child's spec only where it could start it again: not a temporary child, nor a dynamic
    /// supervisor's).
    pub(super) fn keeps_ignored(&self, index: usize) -> bool {
        !self.dynamic && self.children[index].spec.restart != Restart::Temporary
    }

    fn position(&self, pid: Pid) -> Option<usize> {
        self.children.iter().position(|c| c.running_pid() == Some(pid))
    }

    pub(super) fn find(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| &*c.spec.id == id)
    }

    /// Starts child `index` and waits until its `init` has run, as OTP's `start_link`: the
    /// next child starts only once this one is up, and an `init` that fails is a failed start.
    /// `Ok(None)`: the child's factory said to ignore it; it stays stopped.
    pub(super) async fn start(
        &mut self,
        ctx: &Context<SupervisorMsg>,
        index: usize,
    ) -> Result<Option<Pid>, SupervisorError> {
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
            Ok(Started::Fresh(handle)) => child.handle = Some(handle),
            Ok(Started::Adopted) => {}
            Ok(Started::Ignored) => {
                child.status = ChildStatus::Stopped;
                return Ok(None);
            }
            Err(error) => return Err(SupervisorError::StartFailed { id, error }),
        }
        let pid = child.handle.as_ref().expect("a started child has an address").pid();
        match acked.await {
            Ok(Ok(())) => {
                child.status = ChildStatus::Running;
                child.spec.started();
                if child.spec.restart == Restart::Temporary {
                    child.spec.forget_start();
                }
                Ok(Some(pid))
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
                } else if let Err(e) = spec.check_significant(self.auto_shutdown, "significant") {
                    Err(SupervisorError::Config(e))
                } else if self.find(&spec.id).is_some() {
                    Err(SupervisorError::AlreadyPresent(spec.id.to_string()))
                } else if let Some(max_children) =
                    self.max_children.filter(|&max| self.children.len() >= max)
                {
                    Err(SupervisorError::MaxChildren { max_children })
                } else {
                    self.children.push(Child::new(spec));
                    let index = self.children.len() - 1;
                    let started = self.start(ctx, index).await;
                    // A failed start is not kept; nor is an ignored temporary or dynamic child
                    // (OTP keeps an ignored child's spec only where it could restart it).
                    let keep = match &started {
                        Ok(Some(_)) => true,
                        Ok(None) => self.keeps_ignored(index),
                        Err(_) => false,
                    };
                    if !keep {
                        self.children.pop();
                    }
                    started
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::TerminateChild(id, reply) => {
                let result = match self.find(&id) {
                    Some(index) => {
                        // A child being restarted is stopped too: no attempt follows.
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
            SupervisorMsg::TerminatePid(pid, reply) => {
                let result = match self.position(pid) {
                    Some(index) => {
                        Self::stop(ctx, &mut self.children[index]).await;
                        self.children.remove(index);
                        Ok(())
                    }
                    None => Err(SupervisorError::NotFound(pid.to_string())),
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::RestartChild(id, reply) => {
                let result = match self.find(&id).map(|i| (i, self.children[i].status)) {
                    Some((_, ChildStatus::Running)) => {
                        Err(SupervisorError::Running(id.to_string()))
                    }
                    Some((_, ChildStatus::Restarting)) => {
                        Err(SupervisorError::Restarting(id.to_string()))
                    }
                    Some((index, _)) => self.start(ctx, index).await,
                    None => Err(SupervisorError::NotFound(id.to_string())),
                };
                let _ = reply.reply(result);
            }
            SupervisorMsg::DeleteChild(id, reply) => {
                let result = match self.find(&id).map(|i| (i, self.children[i].status)) {
                    Some((_, ChildStatus::Running)) => {
                        Err(SupervisorError::Running(id.to_string()))
                    }
                    Some((_, ChildStatus::Restarting)) => {
                        Err(SupervisorError::Restarting(id.to_string()))
                    }
                    Some((index, _)) => {
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
            SupervisorMsg::TryAgainRestart(id, last) => {
                if let Err(gave_up) = self.try_again(ctx, &id, last).await {
                    ctx.stop(gave_up);
                }
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
