//! Dynamic supervisors: many children of one kind, started on demand (OTP's
//! `simple_one_for_one`, Elixir's `DynamicSupervisor`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::supervisor::server::SupervisorMsg;
use crate::supervisor::{
    ChildCounts, ChildInfo, ChildSpec, RestartIntensity, ShutdownOrder, SupervisorError,
    SupervisorRef, SupervisorSpec,
};
use crate::{ExitReason, Pid};

type Template<A> = Arc<dyn Fn(A) -> ChildSpec + Send + Sync>;

/// A dynamic supervisor's configuration: the template its children are made from, its restart
/// intensity and how many children it may have.
///
/// The template makes a child's spec from that child's arguments, once per child (the spec's
/// factory then makes each incarnation, capturing the arguments it needs): restart policy,
/// shutdown, name and mailbox are the template's. Each child gets an id of its own, the
/// template's id followed by `#` and a number (`conn#1`, `conn#2`, ...): OTP's
/// `simple_one_for_one` children have no id, and ours need one to be listed.
///
/// ```
/// # use foundation::{BoxError, Context, Node, Process};
/// use foundation::supervisor::{ChildSpec, DynamicSupervisorSpec, Restart};
/// # struct Connection { port: u16 }
/// # impl Process for Connection {
/// #     type Message = ();
/// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> {
/// #         let _ = self.port;
/// #         Ok(())
/// #     }
/// # }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let node = Node::new()?;
/// let spec = DynamicSupervisorSpec::new(|port: u16| {
///     ChildSpec::worker("connection", move || Connection { port }).restart(Restart::Transient)
/// })
/// .max_children(1_000);
/// let connections = node.spawn_dynamic_supervisor(spec).await?;
/// connections.start_child(8080).await?;
/// assert_eq!(connections.which_children().await?[0].id, "connection#1");
/// # Ok(())
/// # }
/// ```
#[non_exhaustive]
pub struct DynamicSupervisorSpec<A> {
    template: Template<A>,
    /// How many restarts to allow (default 1 in 5 s, as OTP).
    pub intensity: RestartIntensity,
    /// At most this many children at once (default: no limit, as OTP's `infinity`).
    pub max_children: Option<usize>,
    /// How the children are stopped when the supervisor shuts down (default
    /// [`ShutdownOrder::Concurrent`], as OTP's `simple_one_for_one`: all at once).
    pub shutdown_order: ShutdownOrder,
}

impl<A> DynamicSupervisorSpec<A> {
    /// A dynamic supervisor whose children are made by `template` from their arguments.
    pub fn new(template: impl Fn(A) -> ChildSpec + Send + Sync + 'static) -> Self {
        DynamicSupervisorSpec {
            template: Arc::new(template),
            intensity: RestartIntensity::default(),
            max_children: None,
            shutdown_order: ShutdownOrder::Concurrent,
        }
    }

    /// Sets the restart intensity.
    pub fn intensity(mut self, intensity: RestartIntensity) -> Self {
        self.intensity = intensity;
        self
    }

    /// Allows at most `max_children` children at once: a
    /// [`start_child`](DynamicSupervisorRef::start_child) beyond is
    /// [`SupervisorError::MaxChildren`].
    pub fn max_children(mut self, max_children: usize) -> Self {
        self.max_children = Some(max_children);
        self
    }

    /// Sets the shutdown order.
    pub fn shutdown_order(mut self, order: ShutdownOrder) -> Self {
        self.shutdown_order = order;
        self
    }

    /// The supervisor it runs: one-for-one, no static children, children that are not to be
    /// restarted forgotten.
    pub(crate) fn into_parts(self) -> (SupervisorSpec, Template<A>) {
        let mut spec = SupervisorSpec::new().intensity(self.intensity);
        spec.shutdown_order = self.shutdown_order;
        spec.dynamic = true;
        spec.max_children = self.max_children;
        (spec, self.template)
    }
}

impl<A> fmt::Debug for DynamicSupervisorSpec<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicSupervisorSpec")
            .field("intensity", &self.intensity)
            .field("max_children", &self.max_children)
            .field("shutdown_order", &self.shutdown_order)
            .finish_non_exhaustive()
    }
}

/// A running dynamic supervisor (from
/// [`Node::spawn_dynamic_supervisor`](crate::Node::spawn_dynamic_supervisor)): start children
/// from its template, stop them by pid, list them.
///
/// Its children are restarted one-for-one per the template's restart policy. A child that
/// ends and is not to be restarted (temporary, or transient after a normal exit) or that is
/// stopped with [`terminate_child`](Self::terminate_child) is forgotten, as OTP's
/// `simple_one_for_one`; there is no `restart_child` or `delete_child` (OTP answers those
/// with `{error, simple_one_for_one}`).
///
/// Cancel safety is [`SupervisorRef`]'s: a request once polled is carried out whether or not
/// its answer is awaited.
#[must_use = "a dynamic supervisor is reached only through its handle (or its pid)"]
pub struct DynamicSupervisorRef<A> {
    supervisor: SupervisorRef,
    template: Template<A>,
    next: Arc<AtomicU64>,
}

impl<A> DynamicSupervisorRef<A> {
    pub(crate) fn new(supervisor: SupervisorRef, template: Template<A>) -> Self {
        DynamicSupervisorRef { supervisor, template, next: Arc::new(AtomicU64::new(1)) }
    }

    /// The supervisor's pid.
    pub fn pid(&self) -> Pid {
        self.supervisor.pid()
    }

    /// Starts a child made by the template from `args` and waits until its `init` has run
    /// (OTP's `start_child(Sup, ExtraArgs)`). [`SupervisorError::MaxChildren`] when the
    /// supervisor has its `max_children` already. `None` if the template's child chose to
    /// start nothing ([`ChildSpec::worker_or_ignore`](crate::supervisor::ChildSpec::worker_or_ignore)):
    /// nothing is kept, as OTP's `{ok, undefined}`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the start goes on in the supervisor if the future is dropped.
    pub async fn start_child(&self, args: A) -> Result<Option<Pid>, SupervisorError> {
        let mut spec = (self.template)(args);
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        spec.id = format!("{}#{n}", spec.id).into();
        self.supervisor.start_child(spec).await
    }

    /// Stops the child `pid` per its shutdown policy and forgets it (OTP's
    /// `terminate_child(Sup, Pid)`). [`SupervisorError::NotFound`] (naming the pid) if it is
    /// not a running child of this supervisor.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the stop goes on in the supervisor if the future is dropped.
    pub async fn terminate_child(&self, pid: Pid) -> Result<(), SupervisorError> {
        self.supervisor.request(|r| SupervisorMsg::TerminatePid(pid, r)).await?
    }

    /// The children, oldest first (see [`SupervisorRef::which_children`]).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        self.supervisor.which_children().await
    }

    /// How many children the supervisor has (see [`SupervisorRef::count_children`]).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        self.supervisor.count_children().await
    }

    /// Waits until the supervisor has exited and returns why.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only watches.
    pub async fn exited(&self) -> ExitReason {
        self.supervisor.exited().await
    }
}

impl<A> Clone for DynamicSupervisorRef<A> {
    fn clone(&self) -> Self {
        DynamicSupervisorRef {
            supervisor: self.supervisor.clone(),
            template: Arc::clone(&self.template),
            next: Arc::clone(&self.next),
        }
    }
}

impl<A> fmt::Debug for DynamicSupervisorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DynamicSupervisorRef").field(&self.pid()).finish()
    }
}
