//! `Node::spawn_ecosystem`: members' addresses first, then one supervisor over them all.

use std::any::type_name;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use crate::ecosystem::Role;
use crate::ecosystem::handle::WorkerSpecMaker;
use crate::ecosystem::member::Member;
use crate::ecosystem::{
    ConfigError, CoordinatorStart, Ecosystem, EcosystemError, EcosystemSpec, FaultTolerance,
    Members, SnapshotStore, WorkerStart,
};
use crate::ecosystem::{EcosystemConfig, GcStrategy, MemoryStrategy, memory_watch, traffic};
use crate::engine::control::{AnyProcess, Core};
use crate::engine::node_state::EcosystemEntry;
use crate::engine::spawn::reserve;
use crate::error::RegisterError;
use crate::message::MessageError;
use crate::supervisor::{ChildSpec, Restart, Shutdown, SupervisorError, SupervisorSpec};
use crate::telemetry::Event;
use crate::{Name, Node, Process, ProcessRef};

/// The registry namespace of ecosystems' supervisors.
pub(crate) const NAMESPACE: &str = "foundation.ecosystem";

impl Node {
    /// Starts an ecosystem: a coordinator and its workers under one supervisor, and returns
    /// once every member has started.
    ///
    /// Every member's address is made before any member runs, so the [`Members`] a factory
    /// gets are complete from the first `init`. Members start in order (coordinator, then
    /// workers by index) and stop workers-first on shutdown. With
    /// [`FaultTolerance::SelfHealing`] a dead member is restarted in its address: callers
    /// never hold a stale address, and messages waiting for it are kept.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes leaves nothing of the ecosystem behind, once
    /// the runtime has run: its supervisor stops as a dropped
    /// [`spawn_supervisor`](Node::spawn_supervisor) does (a member caught in its `init` is
    /// killed, the members already up are stopped, workers first, and none starts later), its
    /// name is free again, [`Node::ecosystem`] does not know it, no `started` event is told
    /// and no watcher task is left. The ecosystem is listed, watched and announced only once
    /// its start has succeeded, in the same poll as the future completes.
    pub async fn spawn_ecosystem<C: Process, W: Process>(
        &self,
        spec: EcosystemSpec<C, W>,
    ) -> Result<Ecosystem<C::Message, W::Message>, EcosystemError> {
        let EcosystemSpec { config, coordinator, worker } = spec;
        config.validate()?;
        let make_coordinator = coordinator.ok_or_else(|| {
            ConfigError::new("coordinator", "a factory, given with EcosystemSpec::coordinator")
        })?;
        let make_worker = worker.ok_or_else(|| {
            ConfigError::new("worker", "a factory, given with EcosystemSpec::worker")
        })?;
        let name = Name::scoped(NAMESPACE, config.name.as_str());
        if let Some(holder) = self.registry().whereis(name.clone()) {
            return Err(EcosystemError::DuplicateName { name: config.name.clone(), holder });
        }

        let capacity = Some(config.mailbox_capacity);
        let restart = match config.fault_tolerance {
            FaultTolerance::SelfHealing => Restart::Permanent,
            _ => Restart::Temporary,
        };
        let shutdown = Shutdown::Timeout(config.shutdown_timeout);
        let sample_every = config.message_sample_every;
        let ecosystem: Arc<str> = Arc::from(config.name.as_str());

        let coordinator_address = reserve::<C::Message>(self, capacity, config.overflow)?;
        prepare(&coordinator_address.core, &config, &ecosystem);
        let members = Members::new(
            config.topology,
            ProcessRef::from_retained(Arc::clone(&coordinator_address)),
        );
        let coordinator_incarnations = Arc::new(AtomicU64::new(0));
        let coordinator_spec = {
            let members = members.clone();
            let snapshots = SnapshotStore::default();
            let incarnations = Arc::clone(&coordinator_incarnations);
            let (node, ecosystem) = (self.clone(), ecosystem.clone());
            ChildSpec::worker_in("coordinator", coordinator_address, move || {
                let incarnation = incarnations.fetch_add(1, Relaxed);
                Member {
                    inner: make_coordinator(&CoordinatorStart {
                        node: node.clone(),
                        members: members.clone(),
                        snapshots: snapshots.clone(),
                        incarnation,
                    }),
                    node: node.clone(),
                    ecosystem: Arc::clone(&ecosystem),
                    role: Role::Coordinator,
                    incarnation,
                    sample_every,
                    unreported: 0,
                }
            })
            .restart(restart)
            .shutdown(shutdown)
        };

        let worker_spec: WorkerSpecMaker<W::Message> = {
            let members = members.clone();
            let (node, ecosystem) = (self.clone(), ecosystem.clone());
            Arc::new(move |index, address, incarnations| {
                let members = members.clone();
                let make_worker = Arc::clone(&make_worker);
                let (node, ecosystem) = (node.clone(), Arc::clone(&ecosystem));
                ChildSpec::worker_in(format!("worker-{index}"), address, move || {
                    let incarnation = incarnations.fetch_add(1, Relaxed);
                    Member {
                        inner: make_worker(&WorkerStart {
                            index,
                            members: members.clone(),
                            incarnation,
                        }),
                        node: node.clone(),
                        ecosystem: Arc::clone(&ecosystem),
                        role: Role::Worker(index),
                        incarnation,
                        sample_every,
                        unreported: 0,
                    }
                })
                .restart(restart)
                .shutdown(shutdown)
            })
        };

        let mut supervisor_spec =
            SupervisorSpec::new().intensity(config.intensity()).child(coordinator_spec);
        supervisor_spec.first_stops_last = true;
        let mut worker_incarnations = Vec::with_capacity(config.workers);
        for _ in 0..config.workers {
            let address = reserve::<W::Message>(self, capacity, config.overflow)?;
            prepare(&address.core, &config, &ecosystem);
            let index = members.push_worker(ProcessRef::from_retained(Arc::clone(&address)));
            let incarnations = Arc::new(AtomicU64::new(0));
            worker_incarnations.push(Arc::clone(&incarnations));
            supervisor_spec = supervisor_spec.child(worker_spec(index, address, incarnations));
        }

        let supervisor = match self.start_supervisor(supervisor_spec, Some(name)).await {
            Ok(supervisor) => supervisor,
            Err(SupervisorError::StartFailed {
                error: crate::SpawnError::Name(RegisterError::Taken { holder, .. }),
                ..
            }) => {
                return Err(EcosystemError::DuplicateName { name: config.name.clone(), holder });
            }
            Err(err) => return Err(err.into()),
        };
        self.telemetry().emit(&Event::EcosystemStarted {
            ecosystem: config.name.clone(),
            workers: config.workers,
            topology: config.topology,
        });
        let ecosystem = Ecosystem::new(
            self.clone(),
            config.clone(),
            members.clone(),
            supervisor,
            worker_spec,
            coordinator_incarnations,
            worker_incarnations,
        );
        let supervisor_pid = ecosystem.supervisor().pid();
        self.state.ecosystems.insert(
            config.name.clone(),
            EcosystemEntry {
                handle: Arc::new(ecosystem.clone()),
                types: (type_name::<C::Message>(), type_name::<W::Message>()),
                supervisor: supervisor_pid,
            },
        );
        // `stopped` is told when the supervisor ends, whatever ends it; the ecosystem leaves
        // the node's directory then (unless a namesake has taken its place).
        let watched = ecosystem.supervisor().inner.downgrade();
        let (node, name) = (self.clone(), config.name.clone());
        drop(self.state.runtime.spawn(async move {
            let reason = watched.shared.core.wait_final().await;
            node.state.ecosystems.remove_if(&name, |_, entry| entry.supervisor == supervisor_pid);
            {
                // The directory is the node's: it gives back the room the entry took.
                let _shared_heap = crate::memory::ChargeTo::shared_heap();
                node.state.ecosystems.shrink_to_fit();
            }
            node.telemetry().emit(&Event::EcosystemStopped { ecosystem: name, reason });
        }));
        let all: Arc<dyn Fn() -> Vec<Arc<dyn AnyProcess>> + Send + Sync> = {
            let members = members.clone();
            Arc::new(move || members.processes())
        };
        let watched = ecosystem.supervisor().inner.downgrade();
        drop(self.state.runtime.spawn(traffic::watch(
            config.name.clone(),
            self.state.epoch,
            ecosystem.rate_window(),
            Arc::clone(&all),
            async move {
                watched.shared.core.wait_final().await;
            },
        )));
        if config.memory_budget.is_some() || crate::memory::is_installed() {
            let task = memory_watch::watch(
                self.clone(),
                config,
                all,
                ecosystem.supervisor().inner.downgrade(),
            );
            drop(self.state.runtime.spawn(task));
        }
        Ok(ecosystem)
    }

    /// The running ecosystem named `name`, with its coordinator's and workers' message types:
    /// how one ecosystem (or any code on the node) addresses another. Its
    /// [`coordinator`](Ecosystem::coordinator) address survives restarts; pick a worker with
    /// [`route`](Ecosystem::route).
    ///
    /// Fails with [`MessageError::NoEcosystem`] if no running ecosystem has that name (it
    /// never started, or has stopped), and with [`MessageError::WrongMessageTypes`] if the
    /// types are not its own.
    pub fn ecosystem<CM: Send + 'static, WM: Send + 'static>(
        &self,
        name: &str,
    ) -> Result<Ecosystem<CM, WM>, MessageError> {
        let entry = self
            .state
            .ecosystems
            .get(name)
            .ok_or_else(|| MessageError::NoEcosystem { name: name.to_owned() })?;
        match Arc::clone(&entry.handle).downcast::<Ecosystem<CM, WM>>() {
            Ok(ecosystem) => Ok(Ecosystem::clone(&ecosystem)),
            Err(_) => Err(MessageError::WrongMessageTypes {
                name: name.to_owned(),
                asked: (type_name::<CM>(), type_name::<WM>()),
                actual: entry.types,
            }),
        }
    }
}

/// Applies the memory settings to a member's address, for every incarnation.
pub(crate) fn prepare(core: &Core, config: &EcosystemConfig, tag: &Arc<str>) {
    core.set_ecosystem(tag);
    if config.memory_strategy == MemoryStrategy::IsolatedHeaps {
        core.set_memory_limit(config.process_memory_limit);
    }
    core.set_gc_eager(config.gc_strategy == GcStrategy::FrequentMinor);
}
