//! Who is in an ecosystem, and whom each member may address under its topology.

use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Weak};
use std::time::Duration;

use event_listener::{Event, EventListener};
use parking_lot::{Mutex, RwLock};

use crate::ProcessRef;
use crate::ecosystem::Topology;
use crate::message::{BroadcastError, BroadcastReport, Route, broadcast_shared};

/// The members of an ecosystem: the coordinator's and the workers' addresses, by topology.
///
/// Every address here is stable: it stays valid while its member is restarted (messages sent
/// meanwhile wait for the next incarnation), and closes only when the member is gone for good.
/// Cloning is cheap; every member's factory gets one.
pub struct Members<CM, WM> {
    inner: Arc<Inner<CM, WM>>,
}

struct Inner<CM, WM> {
    /// The round-robin cursor of [`Members::route`].
    cursor: AtomicUsize,
    topology: Topology,
    coordinator: ProcessRef<CM>,
    /// Workers by index; `None` where a worker was removed.
    workers: RwLock<Vec<Option<ProcessRef<WM>>>>,
    /// Bumped whenever a worker is added or removed; `changed` tells those who wait for it.
    version: AtomicU64,
    changed: Event,
    /// The dispatchers handing out this ecosystem's work, for its health.
    backlogs: Mutex<Vec<Weak<dyn Backlog>>>,
}

/// Work waiting to be handed out (a dispatcher's queue), as `health` counts it.
pub(crate) trait Backlog: Send + Sync {
    /// Jobs waiting, and how long the oldest of them has waited.
    fn backlog(&self) -> (usize, Option<Duration>);
}

impl<CM: Send + 'static, WM: Send + 'static> Members<CM, WM> {
    pub(crate) fn new(topology: Topology, coordinator: ProcessRef<CM>) -> Self {
        Members {
            inner: Arc::new(Inner {
                cursor: AtomicUsize::new(0),
                topology,
                coordinator,
                workers: RwLock::new(Vec::new()),
                version: AtomicU64::new(0),
                changed: Event::new(),
                backlogs: Mutex::new(Vec::new()),
            }),
        }
    }

    pub(crate) fn push_worker(&self, worker: ProcessRef<WM>) -> usize {
        let index = {
            let mut workers = self.inner.workers.write();
            workers.push(Some(worker));
            workers.len() - 1
        };
        self.changed();
        index
    }

    pub(crate) fn remove_worker(&self, index: usize) -> Option<ProcessRef<WM>> {
        let removed = self.inner.workers.write().get_mut(index).and_then(Option::take);
        if removed.is_some() {
            self.changed();
        }
        removed
    }

    fn changed(&self) {
        self.inner.version.fetch_add(1, AcqRel);
        self.inner.changed.notify(usize::MAX);
    }

    /// Changes with every worker added or removed.
    pub(crate) fn version(&self) -> u64 {
        self.inner.version.load(Acquire)
    }

    /// Fires at the next worker added or removed. Register, then look, then wait.
    pub(crate) fn listen_changes(&self) -> EventListener {
        self.inner.changed.listen()
    }

    /// Counts `backlog`'s waiting work in the ecosystem's health from now on, while it lives.
    pub(crate) fn register_backlog(&self, backlog: Weak<dyn Backlog>) {
        let mut backlogs = self.inner.backlogs.lock();
        backlogs.retain(|b| b.strong_count() > 0);
        backlogs.push(backlog);
    }

    /// Work waiting in the ecosystem's dispatchers: jobs, and the longest wait among them.
    pub(crate) fn work_backlog(&self) -> (usize, Option<Duration>) {
        let backlogs: Vec<_> =
            self.inner.backlogs.lock().iter().filter_map(Weak::upgrade).collect();
        backlogs
            .iter()
            .map(|b| b.backlog())
            .fold((0, None), |(jobs, oldest), (n, wait)| (jobs + n, oldest.max(wait)))
    }

    /// Every member's address, type-erased: the coordinator first.
    pub(crate) fn processes(&self) -> Vec<Arc<dyn crate::engine::process_block::AnyProcess>> {
        let mut all: Vec<Arc<dyn crate::engine::process_block::AnyProcess>> =
            vec![Arc::clone(&self.inner.coordinator.shared) as _];
        all.extend(self.inner.workers.read().iter().flatten().map(|w| Arc::clone(&w.shared) as _));
        all
    }

    /// The ecosystem's topology.
    pub fn topology(&self) -> Topology {
        self.inner.topology
    }

    /// The coordinator's address.
    pub fn coordinator(&self) -> ProcessRef<CM> {
        self.inner.coordinator.clone()
    }

    /// Every worker's address, in index order (removed workers left out).
    pub fn workers(&self) -> Vec<ProcessRef<WM>> {
        self.inner.workers.read().iter().flatten().cloned().collect()
    }

    /// The worker with this index, unless it was removed.
    pub fn worker(&self, index: usize) -> Option<ProcessRef<WM>> {
        self.inner.workers.read().get(index).cloned().flatten()
    }

    /// The indices of the workers, in order (removed workers left out).
    pub fn worker_indices(&self) -> Vec<usize> {
        let workers = self.inner.workers.read();
        (0..workers.len()).filter(|&i| workers[i].is_some()).collect()
    }

    /// How many workers there are (not counting removed ones).
    pub fn worker_count(&self) -> usize {
        self.inner.workers.read().iter().flatten().count()
    }

    /// In a mesh: every other worker whose address is open, for worker `index`. Other
    /// topologies have no peer addressing, so this is an error there.
    pub fn peers(&self, index: usize) -> Result<Vec<ProcessRef<WM>>, TopologyError> {
        self.expect(Topology::Mesh, "peers")?;
        let workers = self.inner.workers.read();
        Ok(workers
            .iter()
            .enumerate()
            .filter(|(i, w)| *i != index && w.as_ref().is_some_and(ProcessRef::is_alive))
            .filter_map(|(_, w)| w.clone())
            .collect())
    }

    /// In a ring: the successor of worker `index`: the next worker, cyclically, whose address
    /// is open, skipping workers gone for good (so the ring closes over a gap). A worker being
    /// restarted keeps its place: what is sent to it waits for its next incarnation. `None`
    /// when no other worker is left. Other topologies have no ring, so this is an error there.
    pub fn next(&self, index: usize) -> Result<Option<ProcessRef<WM>>, TopologyError> {
        self.expect(Topology::Ring, "next")?;
        let workers = self.inner.workers.read();
        let n = workers.len();
        Ok((1..n)
            .map(|step| (index + step) % n)
            .filter_map(|i| workers[i].as_ref())
            .find(|w| w.is_alive())
            .cloned())
    }

    /// A worker's topology neighbours: its peers in a mesh, its successor in a ring. A tree's
    /// workers talk only to their coordinator, so this is an error there.
    pub fn neighbours(&self, index: usize) -> Result<Vec<ProcessRef<WM>>, TopologyError> {
        match self.inner.topology {
            Topology::Mesh => self.peers(index),
            Topology::Ring => Ok(self.next(index)?.into_iter().collect()),
            actual => Err(TopologyError { call: "neighbours", needs: Topology::Mesh, actual }),
        }
    }

    /// Picks one worker by `route` (see [`Route`]): only workers whose address is open take
    /// part. `None` if there is none.
    ///
    /// ```
    /// # use foundation::ecosystem::{EcosystemConfig, EcosystemSpec};
    /// # use foundation::{BoxError, Context, Node, Process};
    /// use foundation::message::Route;
    /// # struct Worker;
    /// # impl Process for Worker {
    /// #     type Message = u64;
    /// #     async fn handle(&mut self, _: &mut Context<u64>, _: u64) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// # let node = Node::new()?;
    /// # let spec = EcosystemSpec::new(EcosystemConfig::new("shards").workers(4))
    /// #     .coordinator(|_| Worker).worker(|_| Worker);
    /// let shards = node.spawn_ecosystem(spec).await?;
    /// let a = shards.members().route(Route::key(&"user-42")).unwrap();
    /// let b = shards.members().route(Route::key(&"user-42")).unwrap();
    /// assert_eq!(a.pid(), b.pid()); // the same key, the same worker
    /// # Ok(()) }
    /// ```
    pub fn route(&self, route: Route) -> Option<ProcessRef<WM>> {
        let workers = self.inner.workers.read();
        let n = workers.len();
        if n == 0 {
            return None;
        }
        let open = |i: usize| workers[i].as_ref().filter(|w| w.is_alive());
        let start = match route {
            // The worker at (key mod slots), or the next open one after it: stable while the
            // set of workers is.
            Route::Key(key) => (key % n as u64) as usize,
            Route::LeastLoaded => {
                let from = self.inner.cursor.fetch_add(1, Relaxed) % n;
                return (0..n)
                    .map(|step| (from + step) % n)
                    .filter_map(open)
                    .min_by_key(|w| w.shared.mailbox.len())
                    .cloned();
            }
            _ => self.inner.cursor.fetch_add(1, Relaxed) % n,
        };
        (0..n).map(|step| (start + step) % n).find_map(open).cloned()
    }

    /// Sends `msg` to every worker whose address is open (see [`broadcast`](
    /// crate::message::broadcast) for the rules).
    pub fn broadcast_workers(&self, msg: WM) -> Result<BroadcastReport, BroadcastError<WM>>
    where
        WM: Clone,
    {
        let workers = self.inner.workers.read();
        broadcast_shared(workers.iter().flatten().map(|w| &w.shared), msg, "the workers")
    }

    /// Sends `msg` to worker `index`'s [`neighbours`](Self::neighbours). An error, with the
    /// message back, if the topology has none or none is open.
    pub fn broadcast_neighbours(
        &self,
        index: usize,
        msg: WM,
    ) -> Result<BroadcastReport, BroadcastError<WM>>
    where
        WM: Clone,
    {
        match self.neighbours(index) {
            Ok(neighbours) => broadcast_shared(
                neighbours.iter().map(|w| &w.shared),
                msg,
                &format!("the neighbours of worker {index}"),
            ),
            Err(_) => Err(BroadcastError::new(
                msg,
                format!("the neighbours of worker {index} (a tree's workers have none)"),
            )),
        }
    }

    fn expect(&self, topology: Topology, call: &'static str) -> Result<(), TopologyError> {
        if self.inner.topology == topology {
            Ok(())
        } else {
            Err(TopologyError { call, needs: topology, actual: self.inner.topology })
        }
    }
}

impl<CM, WM> Clone for Members<CM, WM> {
    fn clone(&self) -> Self {
        Members { inner: Arc::clone(&self.inner) }
    }
}

impl<CM, WM> fmt::Debug for Members<CM, WM> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Members")
            .field("topology", &self.inner.topology)
            .field("coordinator", &self.inner.coordinator)
            .field("workers", &self.inner.workers.read().len())
            .finish()
    }
}

/// A topology-specific call was made in another topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologyError {
    call: &'static str,
    needs: Topology,
    actual: Topology,
}

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` needs the {:?} topology; this ecosystem's `topology` is {:?}",
            self.call, self.needs, self.actual
        )
    }
}

impl std::error::Error for TopologyError {}
