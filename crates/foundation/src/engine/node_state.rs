//! What a node owns: the process table, the name and group registries, and its counters.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};

use dashmap::DashMap;
use event_listener::Event;
use parking_lot::RwLock;

use crate::engine::group_table::GroupTable;
use crate::engine::name::Name;
use crate::engine::process_block::AnyProcess;
use crate::engine::remote::Remote;
use crate::engine::signal::Signal;
use crate::{MonitorRef, Pid};

/// A new node incarnation: unique within this OS process (a counter), and unlikely to repeat
/// across OS processes (it starts from a random value, as Erlang's creations are hard to
/// repeat), never 0.
fn next_creation() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    static BASE: OnceLock<u32> = OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let base = *BASE.get_or_init(|| {
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        (random >> 32) as u32 ^ random as u32
    });
    match base.wrapping_add(NEXT.fetch_add(1, Relaxed)) {
        0 => base.wrapping_sub(1).max(1),
        creation => creation,
    }
}

/// Below this many processes at its peak, the table never shrinks (it is small anyway).
const SHRINK_FROM: usize = 16;

pub(crate) struct NodeState {
    pub(crate) id: u32,
    /// This node's incarnation, in every pid and reference it makes (see `Pid::creation`).
    pub(crate) creation: u32,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) table: DashMap<u64, Arc<dyn AnyProcess>>,
    /// Processes in the table, and the most there have been since the table last shrank.
    live: AtomicUsize,
    peak: AtomicUsize,
    next_local: AtomicU64,
    next_ref: AtomicU64,
    pub(crate) names: RwLock<HashMap<Name, Pid>>,
    /// Process groups, by scope (OTP's `pg`).
    pub(crate) groups: RwLock<GroupTable>,
    pub(crate) shutting_down: AtomicBool,
    /// Notified whenever a process leaves the table.
    pub(crate) exits: Event,
    /// When the node started, on its runtime's clock: the zero of its traffic timestamps.
    pub(crate) epoch: tokio::time::Instant,
    /// What carries signals to processes of other nodes, once the node is in a cluster.
    pub(crate) remote: std::sync::OnceLock<Arc<dyn Remote>>,
}

impl NodeState {
    pub(crate) fn new(id: u32, runtime: tokio::runtime::Handle) -> Self {
        crate::engine::panic_location::install();
        NodeState {
            id,
            creation: next_creation(),
            runtime,
            table: DashMap::new(),
            live: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            next_local: AtomicU64::new(1),
            next_ref: AtomicU64::new(1),
            names: RwLock::new(HashMap::new()),
            groups: RwLock::default(),
            shutting_down: AtomicBool::new(false),
            exits: Event::new(),
            epoch: tokio::time::Instant::now(),
            remote: std::sync::OnceLock::new(),
        }
    }

    /// The pid that stands for the node itself: the sender of exit signals from outside any
    /// process.
    pub(crate) fn self_pid(&self) -> Pid {
        Pid::new(self.id, self.creation, 0)
    }

    pub(crate) fn next_pid(&self) -> Pid {
        Pid::new(self.id, self.creation, self.next_local.fetch_add(1, Relaxed))
    }

    pub(crate) fn next_monitor_ref(&self) -> MonitorRef {
        MonitorRef::new(self.id, self.creation, self.next_ref.fetch_add(1, Relaxed))
    }

    /// Puts a process in the table (on the shared heap: the table is the node's).
    pub(crate) fn admit(&self, pid: Pid, process: Arc<dyn AnyProcess>) {
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        self.table.insert(pid.local_id(), process);
        let live = self.live.fetch_add(1, Relaxed) + 1;
        self.peak.fetch_max(live, Relaxed);
    }

    /// Takes a process out of the table. Once the table holds under a quarter of the most it
    /// held, it gives the room back: a node that ran 100,000 processes and runs 10 again does
    /// not keep a table sized for 100,000 (amortised: each shrink follows as many removals as
    /// it moves entries).
    pub(crate) fn forget(&self, pid: Pid) {
        if self.table.remove(&pid.local_id()).is_none() {
            return;
        }
        let live = self.live.fetch_sub(1, Relaxed) - 1;
        let peak = self.peak.load(Relaxed);
        if ((peak >= SHRINK_FROM && live * 4 < peak) || (live == 0 && peak > 0))
            && self.peak.compare_exchange(peak, live, Relaxed, Relaxed).is_ok()
        {
            let _shared_heap = crate::memory::ChargeTo::shared_heap();
            self.table.shrink_to_fit();
        }
    }

    /// The live process with this pid, if it is on this node.
    pub(crate) fn get(&self, pid: Pid) -> Option<Arc<dyn AnyProcess>> {
        if pid.node() != self.id || pid.creation() != self.creation {
            return None;
        }
        self.table.get(&pid.local_id()).map(|e| Arc::clone(e.value()))
    }

    /// `true` when `pid` is a process of another node.
    pub(crate) fn is_remote(&self, pid: Pid) -> bool {
        pid.node() != self.id
    }

    /// What carries signals to `pid`'s node, when `pid` is remote and the node is clustered.
    pub(crate) fn remote_for(&self, pid: Pid) -> Option<&Arc<dyn Remote>> {
        if self.is_remote(pid) { self.remote.get() } else { None }
    }

    /// Delivers a signal to the incarnation `pid`, in its lane (through the node's
    /// [`Remote`] when `pid` is another node's); `false` when it is gone.
    pub(crate) fn deliver(&self, pid: Pid, signal: Signal) -> bool {
        if let Some(remote) = self.remote_for(pid) {
            return remote.signal(pid, signal);
        }
        match self.get(pid) {
            Some(p) => p.signal(pid, signal),
            None => false,
        }
    }
}
