//! What a supervisor supervises, and how: OTP's child and supervisor specifications.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::SpawnError;
use crate::supervisor::child::{ChildStart, StartArgs, StartMode, Started, start_child};
use crate::supervisor::server::SupervisorMsg;
use crate::{BoxError, Context, DEFAULT_MAILBOX_CAPACITY, ExitReason, Name, Process};

/// How a supervisor reacts when a child ends and must be restarted (OTP's restart strategy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// Restart only the child that ended. The default, as in OTP.
    #[default]
    OneForOne,
    /// Stop every other child (in reverse start order), then restart all (in start order).
    OneForAll,
    /// Stop the children started after the one that ended (in reverse order), then restart it
    /// and them (in start order).
    RestForOne,
}

/// When a child is restarted (OTP's `restart` child option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Restart {
    /// Always restarted. The default, as in OTP.
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit: not after `Normal` or `Shutdown`
    /// ([`ExitReason::is_normal`](crate::ExitReason::is_normal)).
    Transient,
    /// Never restarted; removed from the supervisor when it ends.
    Temporary,
}

/// How a child is stopped when its supervisor stops it (OTP's `shutdown` child option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shutdown {
    /// Sent a `Shutdown` exit signal, waited for this long, then killed. Default for workers:
    /// 5 seconds, as in OTP.
    Timeout(Duration),
    /// Sent a `Shutdown` exit signal and waited for as long as it takes. Default for
    /// supervisors, as in OTP, so that a subtree shuts down completely.
    Infinity,
    /// Killed at once.
    BrutalKill,
}

/// The default shutdown timeout of a worker: 5 seconds, as in OTP.
pub const DEFAULT_WORKER_SHUTDOWN: Duration = Duration::from_secs(5);

/// Whether a child is a worker or a supervisor: decides its default [`Shutdown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChildKind {
    /// A process doing work.
    Worker,
    /// A supervisor of its own children.
    Supervisor,
}

/// How many restarts a supervisor allows in how much time before it gives up and exits
/// (OTP's `intensity` and `period`). Default: 1 restart in 5 seconds, as in OTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RestartIntensity {
    max_restarts: u32,
    period: Duration,
}

impl RestartIntensity {
    /// At most `max_restarts` restarts within any window of `period`. A zero `period` is
    /// rejected when the supervisor starts.
    pub const fn new(max_restarts: u32, period: Duration) -> Self {
        RestartIntensity { max_restarts, period }
    }

    /// The number of restarts allowed per period.
    pub const fn max_restarts(&self) -> u32 {
        self.max_restarts
    }

    /// The sliding window.
    pub const fn period(&self) -> Duration {
        self.period
    }
}

impl Default for RestartIntensity {
    fn default() -> Self {
        RestartIntensity::new(1, Duration::from_secs(5))
    }
}

/// One child of a supervisor: how to start it and how to treat its end.
///
/// ```
/// # use foundation::{BoxError, Context, Process};
/// use foundation::supervisor::{ChildSpec, Restart, Shutdown};
/// use std::time::Duration;
/// # struct Cache;
/// # impl Process for Cache {
/// #     type Message = ();
/// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) }
/// # }
///
/// let spec = ChildSpec::worker("cache", || Cache)
///     .name("cache")
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(spec.id(), "cache");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ChildSpec {
    pub(crate) id: Arc<str>,
    pub(crate) start: ChildStart,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) significant: bool,
    pub(crate) args: StartArgs,
    /// Run if the child never starts (see [`Unstarted`]).
    pub(crate) unstarted: Option<Arc<Unstarted>>,
}

/// What to undo if a child never starts: run when the last copy of its spec is dropped
/// before the supervisor has started the child once (its start failed, or its `start_child`
/// request was never taken, the supervisor having exited). Whoever prepared something for the
/// child (an ecosystem lists the worker among its members) can so take it back even when
/// nobody waits for the answer any more.
pub(crate) struct Unstarted(parking_lot::Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl Unstarted {
    /// The child has started: nothing to undo, ever.
    fn disarm(&self) {
        self.0.lock().take();
    }
}

impl Drop for Unstarted {
    fn drop(&mut self) {
        if let Some(undo) = self.0.get_mut().take() {
            undo();
        }
    }
}

impl ChildSpec {
    /// A worker made by `factory` at every (re)start.
    pub fn worker<P, F>(id: impl Into<Arc<str>>, factory: F) -> Self
    where
        P: Process,
        F: Fn() -> P + Send + Sync + 'static,
    {
        let start: ChildStart = Arc::new(move |ctx, args, mode, ack| {
            start_child(ctx, args, mode, false, || Some(factory()), ack)
        });
        ChildSpec::with_start(id.into(), start, ChildKind::Worker, Some(DEFAULT_MAILBOX_CAPACITY))
    }

    /// A worker whose `factory` may decide, at each (re)start, that there is nothing to start:
    /// `None` is OTP's `ignore` from a child's `init`. Nothing runs, and it is not an error:
    /// [`start_child`](crate::supervisor::SupervisorRef::start_child) returns `Ok(None)`, the
    /// child is kept stopped (listed by `which_children` with no pid, ready for
    /// [`restart_child`](crate::supervisor::SupervisorRef::restart_child)), except a temporary
    /// child, which is not kept, as in OTP. A restart that is ignored leaves the child stopped;
    /// it counts against the restart intensity like any restart.
    ///
    /// ```
    /// use foundation::supervisor::{ChildSpec, SupervisorSpec};
    /// # use foundation::{BoxError, Context, Node, Process};
    /// # struct Cache;
    /// # impl Process for Cache {
    /// #     type Message = ();
    /// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let cache_enabled = false; // from configuration, say
    /// let spec = SupervisorSpec::new()
    ///     .child(ChildSpec::worker_or_ignore("cache", move || cache_enabled.then_some(Cache)));
    /// let node = Node::new()?;
    /// let supervisor = node.spawn_supervisor(spec).await?;
    /// let children = supervisor.which_children().await?;
    /// assert_eq!(children[0].pid, None); // listed, not running
    /// # Ok(()) }
    /// ```
    pub fn worker_or_ignore<P, F>(id: impl Into<Arc<str>>, factory: F) -> Self
    where
        P: Process,
        F: Fn() -> Option<P> + Send + Sync + 'static,
    {
        let start: ChildStart = Arc::new(move |ctx, args, mode, ack| {
            start_child(ctx, args, mode, false, &factory, ack)
        });
        ChildSpec::with_start(id.into(), start, ChildKind::Worker, Some(DEFAULT_MAILBOX_CAPACITY))
    }

    /// A worker that lives in an address made beforehand (an ecosystem's members).
    pub(crate) fn worker_in<P, F>(
        id: impl Into<Arc<str>>,
        address: Arc<crate::engine::process_block::ProcessBlock<P::Message>>,
        factory: F,
    ) -> Self
    where
        P: Process,
        F: Fn() -> P + Send + Sync + 'static,
    {
        let start: ChildStart = Arc::new(move |ctx, args, mode, ack| {
            crate::supervisor::child::start_reserved(ctx, args, mode, &address, &factory, ack)
        });
        ChildSpec::with_start(id.into(), start, ChildKind::Worker, None)
    }

    /// A nested supervisor, started from `spec` at every (re)start.
    pub fn supervisor(id: impl Into<Arc<str>>, spec: SupervisorSpec) -> Self {
        let start: ChildStart = Arc::new(move |ctx, args, mode, ack| {
            crate::supervisor::child::start_linked(ctx, spec.clone(), args, mode, ack)
        });
        ChildSpec::with_start(id.into(), start, ChildKind::Supervisor, None)
    }

    /// OTP's defaults for a child of `kind`: permanent; 5 s to shut down for a worker,
    /// infinity for a supervisor.
    fn with_start(
        id: Arc<str>,
        start: ChildStart,
        kind: ChildKind,
        capacity: Option<usize>,
    ) -> Self {
        let shutdown = match kind {
            ChildKind::Supervisor => Shutdown::Infinity,
            ChildKind::Worker => Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN),
        };
        ChildSpec {
            id,
            start,
            restart: Restart::Permanent,
            shutdown,
            kind,
            significant: false,
            args: StartArgs { name: None, capacity, memory_limit: None },
            unstarted: None,
        }
    }

    /// Runs `undo` if the child never starts (see [`Unstarted`]).
    pub(crate) fn if_never_started(mut self, undo: impl FnOnce() + Send + 'static) -> Self {
        self.unstarted = Some(Arc::new(Unstarted(parking_lot::Mutex::new(Some(Box::new(undo))))));
        self
    }

    /// The supervisor has started the child: what [`if_never_started`](Self::if_never_started)
    /// would undo stays.
    pub(crate) fn started(&self) {
        if let Some(unstarted) = &self.unstarted {
            unstarted.disarm();
        }
    }

    /// Lets go of what starts the child (its factory and what the factory captured), as OTP
    /// keeps no start arguments for a temporary child: it is never started again.
    pub(crate) fn forget_start(&mut self) {
        self.start = Arc::new(|_, _, _, _| {
            Err(SpawnError::InitFailed(ExitReason::error("a temporary child is never restarted")))
        });
    }

    /// When to restart the child (default [`Restart::Permanent`]).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Marks the child significant for its supervisor's [`AutoShutdown`] (OTP's `significant`
    /// child option; default `false`). Only a transient or temporary child may be significant,
    /// and only under a supervisor whose `auto_shutdown` is not `Never`: otherwise the
    /// supervisor refuses the child (a [`ConfigError`](crate::ConfigError) naming
    /// `children[].significant`, or `significant` for [`start_child`](crate::supervisor::SupervisorRef::start_child)).
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Whether the child is significant (see [`significant`](Self::significant)).
    pub fn is_significant(&self) -> bool {
        self.significant
    }

    /// How to stop the child (default 5 s for a worker, [`Shutdown::Infinity`] for a
    /// supervisor).
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Registers every incarnation of the child under `name`, so it can be found after a
    /// restart.
    pub fn name(mut self, name: impl Into<Name>) -> Self {
        self.args.name = Some(name.into());
        self
    }

    /// Bounds the child's mailbox (default [`DEFAULT_MAILBOX_CAPACITY`] for a worker; a
    /// supervisor's mailbox is unbounded). `0` is rejected when the child starts.
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.args.capacity = Some(capacity);
        self
    }

    /// Ends the child with [`ExitReason::MemoryLimit`](crate::ExitReason::MemoryLimit) once
    /// an incarnation holds more than `bytes`, as
    /// [`ProcessBuilder::memory_limit`](crate::ProcessBuilder::memory_limit) does; the
    /// supervisor then applies the child's restart policy. Each incarnation is measured on an
    /// account of its own (see [`memory`](crate::memory#restarts)). Below 4,096 bytes is
    /// rejected when the child starts.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.args.memory_limit = Some(bytes);
        self
    }

    /// The child's id, unique within its supervisor.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The restart policy.
    pub fn restart_policy(&self) -> Restart {
        self.restart
    }

    /// The shutdown policy.
    pub fn shutdown_policy(&self) -> Shutdown {
        self.shutdown
    }

    /// Worker or supervisor.
    pub fn kind(&self) -> ChildKind {
        self.kind
    }

    pub(crate) fn start(
        &self,
        ctx: &Context<SupervisorMsg>,
        mode: StartMode<'_>,
        ack: crate::process::context::InitAck,
    ) -> Result<Started, SpawnError> {
        (self.start)(ctx, &self.args, mode, ack)
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("significant", &self.significant)
            .field("name", &self.args.name)
            .field("mailbox_capacity", &self.args.capacity)
            .finish_non_exhaustive()
    }
}

/// Whether a supervisor shuts itself down when its significant children end (OTP 24's
/// `auto_shutdown` supervisor flag; see [`ChildSpec::significant`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AutoShutdown {
    /// Never: the default, as in OTP. A significant child is then refused.
    #[default]
    Never,
    /// When any significant child ends by itself and is not restarted (a transient one after
    /// a normal exit, a temporary one after any exit), the supervisor stops its other children
    /// and exits with `Shutdown`.
    AnySignificant,
    /// As `AnySignificant`, once the last significant child still running has so ended.
    AllSignificant,
}

/// In which order a supervisor stops its children when it shuts down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShutdownOrder {
    /// One after another, last started first, each within its own [`Shutdown`]. The default,
    /// as OTP's supervisors.
    #[default]
    Reverse,
    /// All at once, each within its own [`Shutdown`], as OTP's `simple_one_for_one`
    /// supervisors: for large pools of interchangeable workers, where stopping one by one would
    /// take as long as all their timeouts added up.
    Concurrent,
    /// Every child but the first at once, then the first: for a coordinator and its workers,
    /// where the first child outlives the others so that it sees them go (an ecosystem's
    /// order).
    FirstLast,
}

/// A supervisor's configuration: strategy, restart intensity, and children in start order.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SupervisorSpec {
    /// How to restart (default [`Strategy::OneForOne`]).
    pub strategy: Strategy,
    /// How many restarts to allow (default 1 in 5 s).
    pub intensity: RestartIntensity,
    /// The children, started in this order and stopped in reverse.
    pub children: Vec<ChildSpec>,
    /// How the children are stopped when the supervisor shuts down.
    pub shutdown_order: ShutdownOrder,
    /// Whether significant children ending shut the supervisor down (default
    /// [`AutoShutdown::Never`]).
    pub auto_shutdown: AutoShutdown,
    /// A dynamic supervisor's (see [`DynamicSupervisorSpec`](crate::supervisor::DynamicSupervisorSpec)).
    pub(crate) dynamic: bool,
    pub(crate) max_children: Option<usize>,
    /// Computes more children at every start of the supervisor (see [`SupervisorSpec::init`]).
    pub(crate) init: Option<ChildrenInit>,
}

/// What computes a supervisor's children when it starts.
#[derive(Clone)]
pub(crate) struct ChildrenInit(
    pub(crate) Arc<dyn Fn() -> Result<Vec<ChildSpec>, BoxError> + Send + Sync>,
);

impl fmt::Debug for ChildrenInit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChildrenInit(..)")
    }
}

impl SupervisorSpec {
    /// An empty one-for-one supervisor with OTP's default intensity.
    pub fn new() -> Self {
        SupervisorSpec::default()
    }

    /// Sets the strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the restart intensity.
    pub fn intensity(mut self, intensity: RestartIntensity) -> Self {
        self.intensity = intensity;
        self
    }

    /// Sets the shutdown order.
    pub fn shutdown_order(mut self, order: ShutdownOrder) -> Self {
        self.shutdown_order = order;
        self
    }

    /// Sets the automatic shutdown.
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Adds a child after the others.
    pub fn child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }

    /// Computes children when the supervisor starts, and again at each of its restarts (OTP's
    /// `init/1` returning its child specs): they start after the children given with
    /// [`child`](Self::child), in the order returned. `init` runs inside the supervisor, before
    /// any child starts; an `Err` (or a panic) is a failed start of the supervisor, as an
    /// `init` returning `{stop, Reason}`, and its ids are checked as the others'.
    ///
    /// ```
    /// use foundation::supervisor::{ChildSpec, SupervisorSpec};
    /// # use foundation::{BoxError, Context, Node, Process};
    /// # #[allow(dead_code)] // the shard's index, for its work
    /// # struct Shard(usize);
    /// # impl Process for Shard {
    /// #     type Message = ();
    /// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let spec = SupervisorSpec::new().init(|| {
    ///     let shards = 3; // read from configuration at every start, say
    ///     Ok((0..shards)
    ///         .map(|i| ChildSpec::worker(format!("shard-{i}"), move || Shard(i)))
    ///         .collect())
    /// });
    /// let node = Node::new()?;
    /// let supervisor = node.spawn_supervisor(spec).await?;
    /// assert_eq!(supervisor.which_children().await?.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn init<F>(mut self, init: F) -> Self
    where
        F: Fn() -> Result<Vec<ChildSpec>, BoxError> + Send + Sync + 'static,
    {
        self.init = Some(ChildrenInit(Arc::new(init)));
        self
    }
}

impl ChildSpec {
    /// OTP's rules for `significant`: only for transient and temporary children, and only under
    /// a supervisor with an automatic shutdown. `field` names the setting as the caller spells it.
    pub(crate) fn check_significant(
        &self,
        auto_shutdown: AutoShutdown,
        field: &'static str,
    ) -> Result<(), crate::ConfigError> {
        if !self.significant {
            return Ok(());
        }
        if self.restart == Restart::Permanent {
            return Err(crate::ConfigError::new(
                field,
                format_args!("true (child {:?}, permanent)", &*self.id),
                "false for a permanent child; true only for a transient or temporary one",
            ));
        }
        if auto_shutdown == AutoShutdown::Never {
            return Err(crate::ConfigError::new(
                field,
                format_args!("true (child {:?}, auto_shutdown never)", &*self.id),
                "false unless the supervisor's auto_shutdown is AnySignificant or AllSignificant",
            ));
        }
        Ok(())
    }
}
