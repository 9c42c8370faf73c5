//! An ecosystem's code and settings: what `spawn_ecosystem` starts.

use std::fmt;
use std::sync::Arc;

use crate::Process;
use crate::ecosystem::{EcosystemConfig, Members, SnapshotStore};

type CoordinatorFactory<C, CM, WM> = Arc<dyn Fn(&CoordinatorStart<CM, WM>) -> C + Send + Sync>;
type WorkerFactory<W, CM, WM> = Arc<dyn Fn(&WorkerStart<CM, WM>) -> W + Send + Sync>;

/// Everything [`Node::spawn_ecosystem`](crate::Node::spawn_ecosystem) needs: the settings and
/// the factories that make the coordinator and the workers (at start and at every restart).
///
/// ```
/// use foundation::ecosystem::{EcosystemConfig, EcosystemSpec};
/// # use foundation::{BoxError, Context, Process};
/// # struct Coordinator; struct Worker;
/// # impl Process for Coordinator { type Message = ();
/// #   async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) } }
/// # impl Process for Worker { type Message = ();
/// #   async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) } }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let spec = EcosystemSpec::new(EcosystemConfig::new("pipeline").workers(4))
///     .coordinator(|_start| Coordinator)
///     .worker(|_start| Worker);
/// let node = foundation::Node::new()?;
/// let pipeline = node.spawn_ecosystem(spec).await?;
/// assert_eq!(pipeline.workers().len(), 4);
/// # node.shutdown(std::time::Duration::from_secs(5)).await;
/// # Ok(()) }
/// ```
pub struct EcosystemSpec<C: Process, W: Process> {
    pub(crate) config: EcosystemConfig,
    pub(crate) coordinator: Option<CoordinatorFactory<C, C::Message, W::Message>>,
    pub(crate) worker: Option<WorkerFactory<W, C::Message, W::Message>>,
}

impl<C: Process, W: Process> EcosystemSpec<C, W> {
    /// A spec with these settings and no factories yet.
    pub fn new(config: EcosystemConfig) -> Self {
        EcosystemSpec { config, coordinator: None, worker: None }
    }

    /// How to make the coordinator; called at start and at every restart.
    pub fn coordinator(
        mut self,
        factory: impl Fn(&CoordinatorStart<C::Message, W::Message>) -> C + Send + Sync + 'static,
    ) -> Self {
        self.coordinator = Some(Arc::new(factory));
        self
    }

    /// How to make a worker; called for each worker at start, for every replacement, and for
    /// workers added later.
    pub fn worker(
        mut self,
        factory: impl Fn(&WorkerStart<C::Message, W::Message>) -> W + Send + Sync + 'static,
    ) -> Self {
        self.worker = Some(Arc::new(factory));
        self
    }

    /// The settings.
    pub fn config(&self) -> &EcosystemConfig {
        &self.config
    }
}

impl<C: Process, W: Process> fmt::Debug for EcosystemSpec<C, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcosystemSpec")
            .field("config", &self.config)
            .field("coordinator", &self.coordinator.is_some())
            .field("worker", &self.worker.is_some())
            .finish()
    }
}

/// What a coordinator factory is given.
pub struct CoordinatorStart<CM, WM> {
    pub(crate) node: crate::Node,
    pub(crate) members: Members<CM, WM>,
    pub(crate) snapshots: SnapshotStore,
    pub(crate) incarnation: u64,
}

impl<CM: Send + 'static, WM: Send + 'static> CoordinatorStart<CM, WM> {
    /// The ecosystem's members.
    pub fn members(&self) -> &Members<CM, WM> {
        &self.members
    }

    /// The state the previous incarnation last saved, if any (and if it is a `T`).
    pub fn recovered<T: std::any::Any + Clone>(&self) -> Option<T> {
        self.snapshots.load()
    }

    /// Where to save state for the next incarnation: keep it in the coordinator.
    pub fn snapshots(&self) -> SnapshotStore {
        self.snapshots.clone()
    }

    /// 0 for the first start, then 1, 2, ... for each restart.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }
}

impl<CM, WM> fmt::Debug for CoordinatorStart<CM, WM> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoordinatorStart").field("incarnation", &self.incarnation).finish()
    }
}

/// What a worker factory is given.
pub struct WorkerStart<CM, WM> {
    pub(crate) index: usize,
    pub(crate) members: Members<CM, WM>,
    pub(crate) incarnation: u64,
}

impl<CM: Send + 'static, WM: Send + 'static> WorkerStart<CM, WM> {
    /// This worker's index: its place among the workers, kept across its restarts.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The ecosystem's members.
    pub fn members(&self) -> &Members<CM, WM> {
        &self.members
    }

    /// 0 for the first start, then 1, 2, ... for each restart of this worker.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }
}

impl<CM, WM> fmt::Debug for WorkerStart<CM, WM> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerStart")
            .field("index", &self.index)
            .field("incarnation", &self.incarnation)
            .finish()
    }
}
