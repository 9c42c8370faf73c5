//! A running ecosystem: its members, its reports, its growth and its shutdown.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use parking_lot::Mutex;

use crate::ecosystem::EcosystemTraffic;
use crate::ecosystem::traffic::RateWindow;
use crate::ecosystem::{
    CoordinatorHealth, EcosystemConfig, EcosystemError, EcosystemInfo, FaultTolerance, Health,
    HealthStatus, MemberInfo, MemberState, Members, MemoryPressure, Role, WorkerCounts,
};
use crate::engine::process_block::ProcessBlock;
use crate::message::{BroadcastError, BroadcastReport, Route, RouteError};
use crate::supervisor::{ChildSpec, SupervisorRef};
use crate::{Node, Pid, ProcessRef};

/// Makes the child spec of worker `index` living in `address`, with its incarnation counter.
pub(crate) type WorkerSpecMaker<WM> =
    Arc<dyn Fn(usize, Arc<ProcessBlock<WM>>, Arc<AtomicU64>) -> ChildSpec + Send + Sync>;

/// A running ecosystem: a coordinator and its workers under one supervisor.
///
/// Cheap to clone. Dropping every handle does not stop the ecosystem: [`shutdown`](Self::shutdown)
/// does (and so does [`Node::shutdown`](crate::Node::shutdown)).
pub struct Ecosystem<CM, WM> {
    inner: Arc<Inner<CM, WM>>,
}

struct Inner<CM, WM> {
    node: Node,
    config: EcosystemConfig,
    members: Members<CM, WM>,
    supervisor: SupervisorRef,
    make_worker: WorkerSpecMaker<WM>,
    coordinator_incarnations: Arc<AtomicU64>,
    /// Incarnation counters by worker index.
    worker_incarnations: Mutex<Vec<Arc<AtomicU64>>>,
    /// Serialises growth, shrinking and shutdown.
    changes: tokio::sync::Mutex<()>,
    /// Traffic samples for the rates in `info`.
    rates: Arc<RateWindow>,
}

impl<CM: Send + 'static, WM: Send + 'static> Ecosystem<CM, WM> {
    pub(crate) fn new(
        node: Node,
        config: EcosystemConfig,
        members: Members<CM, WM>,
        supervisor: SupervisorRef,
        make_worker: WorkerSpecMaker<WM>,
        coordinator_incarnations: Arc<AtomicU64>,
        worker_incarnations: Vec<Arc<AtomicU64>>,
    ) -> Self {
        Ecosystem {
            inner: Arc::new(Inner {
                node,
                config,
                members,
                supervisor,
                make_worker,
                coordinator_incarnations,
                worker_incarnations: Mutex::new(worker_incarnations),
                changes: tokio::sync::Mutex::new(()),
                rates: Arc::default(),
            }),
        }
    }

    /// The ecosystem's name.
    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    /// The settings it was started with.
    pub fn config(&self) -> &EcosystemConfig {
        &self.inner.config
    }

    /// The coordinator's address: valid across coordinator restarts, so it never goes stale.
    pub fn coordinator(&self) -> ProcessRef<CM> {
        self.inner.members.coordinator()
    }

    /// The workers' addresses, by index; each valid across that worker's restarts.
    pub fn workers(&self) -> Vec<ProcessRef<WM>> {
        self.inner.members.workers()
    }

    /// The members, with topology-aware addressing.
    pub fn members(&self) -> &Members<CM, WM> {
        &self.inner.members
    }

    /// Picks one of the workers by `route` (round-robin, by key, least loaded); see
    /// [`Members::route`]. Fails with [`RouteError::NoWorker`] if no worker can take
    /// messages.
    pub fn route(&self, route: Route) -> Result<ProcessRef<WM>, RouteError> {
        self.inner
            .members
            .route(route)
            .ok_or_else(|| RouteError::NoWorker { name: self.inner.config.name.clone() })
    }

    /// Sends `msg` to every worker, sharing it (see [`broadcast`](crate::message::broadcast)
    /// for the rules): clone an `Arc` or a [`Binary`](crate::message::Binary), not the payload.
    pub fn broadcast(&self, msg: WM) -> Result<BroadcastReport, BroadcastError<WM>>
    where
        WM: Clone,
    {
        self.inner.members.broadcast_workers(msg)
    }

    pub(crate) fn rate_window(&self) -> Arc<RateWindow> {
        Arc::clone(&self.inner.rates)
    }

    /// The supervisor of the coordinator and the workers.
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.inner.supervisor
    }

    /// A snapshot of every member: state, pid, mailbox, messages handled, restarts. Dead
    /// members are reported as dead.
    pub fn info(&self) -> EcosystemInfo {
        let inner = &*self.inner;
        let coordinator = self.member(
            Role::Coordinator,
            &inner.members.coordinator().shared,
            inner.coordinator_incarnations.load(Relaxed),
        );
        let incarnations = inner.worker_incarnations.lock().clone();
        let workers: Vec<MemberInfo> = inner
            .members
            .worker_indices()
            .into_iter()
            .filter_map(|i| {
                let worker = inner.members.worker(i)?;
                let count = incarnations.get(i).map_or(0, |c| c.load(Relaxed));
                Some(self.member(Role::Worker(i), &worker.shared, count))
            })
            .collect();
        let supervisor = self.supervisor_pid();
        let alive = std::iter::once(&coordinator)
            .chain(&workers)
            .filter(|m| m.state == MemberState::Alive)
            .count();
        let message_backlog =
            coordinator.mailbox_len + workers.iter().map(|w| w.mailbox_len).sum::<usize>();
        let mut traffic = EcosystemTraffic::sum(
            std::iter::once(&coordinator).chain(&workers).map(|m| &m.messages),
        );
        inner.rates.rates(&mut traffic);
        let total_memory =
            std::iter::once(&coordinator).chain(&workers).map(|m| m.memory).sum::<Option<u64>>();
        let (work_backlog, oldest_work_wait) = inner.members.work_backlog();
        EcosystemInfo {
            name: inner.config.name.clone(),
            topology: inner.config.topology,
            fault_tolerance: inner.config.fault_tolerance,
            supervisor,
            coordinator,
            workers,
            total_processes: alive + usize::from(supervisor.is_some()),
            total_memory,
            message_backlog,
            work_backlog,
            oldest_work_wait,
            traffic,
        }
    }

    /// Health by the rules of [`HealthStatus`].
    pub fn health(&self) -> Health {
        let info = self.info();
        let coordinator = match info.coordinator.state {
            MemberState::Alive => CoordinatorHealth::Alive,
            MemberState::Restarting => CoordinatorHealth::Restarting,
            MemberState::Dead => CoordinatorHealth::Dead,
        };
        let mut workers = WorkerCounts { total: info.workers.len(), ..WorkerCounts::default() };
        for w in &info.workers {
            match w.state {
                MemberState::Alive => workers.alive += 1,
                MemberState::Restarting => workers.restarting += 1,
                MemberState::Dead => workers.dead += 1,
            }
        }
        let members_at_capacity = std::iter::once(&info.coordinator)
            .chain(&info.workers)
            .filter(|m| m.mailbox_full)
            .count();
        let memory_pressure = self.memory_pressure(&info);
        let backlogged =
            info.oldest_work_wait.is_some_and(|w| w > self.inner.config.backlog_wait_limit);
        let status = if info.supervisor.is_none()
            || coordinator == CoordinatorHealth::Dead
            || workers.alive + workers.restarting == 0
        {
            HealthStatus::Critical
        } else if coordinator != CoordinatorHealth::Alive
            || workers.alive < workers.total
            || members_at_capacity > 0
            || memory_pressure == Some(MemoryPressure::High)
            || backlogged
        {
            HealthStatus::Degraded
        } else {
            HealthStatus::Healthy
        };
        Health {
            status,
            coordinator,
            workers,
            memory_pressure,
            message_backlog: info.message_backlog,
            work_backlog: info.work_backlog,
            oldest_work_wait: info.oldest_work_wait,
            members_at_capacity,
            self_healing: self.inner.config.fault_tolerance == FaultTolerance::SelfHealing,
        }
    }

    /// Adds `count` workers, started like the others, one after another; returns their
    /// addresses. Stops at the first worker that fails to start; the ones added before it stay.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future adds no further worker, and leaves the members and the supervisor's
    /// children in agreement. A worker whose start the supervisor was asked for is seen
    /// through by the supervisor, as OTP's `start_child` is: if it starts, it is a member like
    /// the others (listed in [`workers`](Self::workers), only its address was not returned);
    /// if it fails to start, it leaves the members again and its address closes. Dropped while
    /// waiting for its turn (another change is in progress), it adds nothing.
    pub async fn add_workers(&self, count: usize) -> Result<Vec<ProcessRef<WM>>, EcosystemError> {
        let inner = &*self.inner;
        let _changing = inner.changes.lock().await;
        let mut added = Vec::with_capacity(count);
        let tag: Arc<str> = Arc::from(inner.config.name.as_str());
        for _ in 0..count {
            let address = crate::engine::spawn::reserve::<WM>(
                &inner.node,
                Some(inner.config.mailbox_capacity),
                inner.config.overflow,
            )?;
            crate::ecosystem::spawn::prepare(&address.core, &inner.config, &tag);
            let worker = ProcessRef::from_retained(Arc::clone(&address));
            let index = inner.members.push_worker(worker.clone());
            let incarnations = Arc::new(AtomicU64::new(0));
            {
                let mut counters = inner.worker_incarnations.lock();
                counters.resize_with(index + 1, || Arc::new(AtomicU64::new(0)));
                counters[index] = Arc::clone(&incarnations);
            }
            // Listed before it starts (its factory gets the complete members); taken off the
            // list by the supervisor itself if it never starts, so that a dropped future
            // cannot leave a member with no child behind it.
            let unlisted = {
                let (members, address) = (inner.members.clone(), Arc::clone(&address));
                move || {
                    members.remove_worker(index);
                    if address.core.orphan() {
                        crate::engine::process_block::AnyProcess::close(&*address, 0);
                    }
                }
            };
            let spec = (inner.make_worker)(index, address, incarnations).if_never_started(unlisted);
            if let Err(err) = inner.supervisor.start_child(spec).await {
                inner.members.remove_worker(index);
                return Err(err.into());
            }
            added.push(worker);
        }
        Ok(added)
    }

    /// Stops and removes the `count` highest-indexed workers, one after another, each within
    /// the shutdown timeout. At least one worker must remain. The workers leave the members
    /// (routing, broadcasts, [`workers`](Self::workers)) at once; the call returns once the
    /// supervisor has stopped and forgotten every one of them.
    ///
    /// # Cancel safety
    ///
    /// Once it has its turn (no other change in progress), the removal is asked for as a whole
    /// before the first wait: dropping the future after that does not stop it, and the
    /// supervisor stops and forgets every one of the `count` workers, as if the answer had
    /// been awaited. So no worker is ever left half removed (off the members but still
    /// supervised, or stopped but still a member). Dropped while waiting for its turn, it
    /// removes nothing.
    pub async fn remove_workers(&self, count: usize) -> Result<(), EcosystemError> {
        let inner = &*self.inner;
        let _changing = inner.changes.lock().await;
        let indices = inner.members.worker_indices();
        if count >= indices.len() {
            return Err(EcosystemError::Config(crate::ConfigError::new(
                "workers",
                format_args!("0 (removing {count} of {})", indices.len()),
                "1 or more: a removal must leave at least one worker",
            )));
        }
        // No `.await` until every request is in the supervisor's mailbox.
        let removals: Vec<_> = indices
            .iter()
            .rev()
            .take(count)
            .map(|&index| {
                inner.members.remove_worker(index);
                inner.supervisor.remove_child(&format!("worker-{index}"))
            })
            .collect();
        for removal in removals {
            match removal.await {
                Ok(()) | Err(crate::supervisor::SupervisorError::NotFound(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// Shuts the ecosystem down: the workers all at once, then the coordinator, each within
    /// the shutdown timeout and then killed, then the supervisor. Returns when every process
    /// of the ecosystem is gone, a restarted coordinator included. Calling it again, or on an
    /// ecosystem that already died, returns at once.
    ///
    /// # Cancel safety
    ///
    /// Once it has its turn (no other change in progress), the supervisor is told to stop
    /// before the first wait: dropping the future after that does not stop the shutdown, which
    /// goes on in the supervisor (each member within the shutdown timeout, then killed) until
    /// every process of the ecosystem is gone. Dropped while waiting for its turn, it does
    /// nothing; calling it again finishes the job either way.
    pub async fn shutdown(&self) {
        let inner = &*self.inner;
        let _changing = inner.changes.lock().await;
        let pid = inner.supervisor.pid();
        // Workers then coordinator, each up to the timeout, plus slack for the supervisor.
        let bound = inner.config.shutdown_timeout.saturating_mul(2) + Duration::from_secs(1);
        if inner.node.is_alive(pid) {
            inner.node.stop(pid, bound).await;
        }
        inner.supervisor.exited().await;
        inner.members.coordinator().exited().await;
        for worker in inner.members.workers() {
            worker.exited().await;
        }
    }

    /// Pressure against the budget; without one, the fullest member against its own limit.
    fn memory_pressure(&self, info: &EcosystemInfo) -> Option<MemoryPressure> {
        let config = &self.inner.config;
        if let Some(budget) = config.memory_budget {
            return Some(crate::ecosystem::memory_watch::pressure(info.total_memory?, budget));
        }
        let limit = config.process_memory_limit?;
        std::iter::once(&info.coordinator)
            .chain(&info.workers)
            .filter_map(|m| m.memory)
            .map(|held| crate::ecosystem::memory_watch::pressure(held, limit))
            .max()
    }

    fn supervisor_pid(&self) -> Option<Pid> {
        let pid = self.inner.supervisor.pid();
        self.inner.node.is_alive(pid).then_some(pid)
    }

    fn member<M: Send + 'static>(
        &self,
        role: Role,
        shared: &ProcessBlock<M>,
        incarnations: u64,
    ) -> MemberInfo {
        let core = &shared.core;
        let pid = core.pid();
        let state = if shared.mailbox.is_closed() {
            MemberState::Dead
        } else if self.inner.node.is_alive(pid) {
            MemberState::Alive
        } else {
            MemberState::Restarting
        };
        let alive = state == MemberState::Alive;
        MemberInfo {
            role,
            pid: alive.then_some(pid),
            state,
            status: alive.then(|| core.status()),
            memory: core.memory(),
            mailbox_len: shared.mailbox.len(),
            mailbox_capacity: shared.mailbox.capacity(),
            mailbox_full: shared.mailbox.is_full(),
            messages_handled: core.handled(),
            messages: shared.traffic.snapshot(core.handled(), self.inner.node.state.epoch),
            restarts: incarnations.saturating_sub(1),
            last_exit: core.last_exit(),
        }
    }
}

impl<CM, WM> Clone for Ecosystem<CM, WM> {
    fn clone(&self) -> Self {
        Ecosystem { inner: Arc::clone(&self.inner) }
    }
}

impl<CM, WM> fmt::Debug for Ecosystem<CM, WM> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ecosystem")
            .field("name", &self.inner.config.name)
            .field("supervisor", &self.inner.supervisor)
            .finish_non_exhaustive()
    }
}
