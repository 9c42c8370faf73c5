//! `Node::spawn_ecosystem`: members' addresses first, then one supervisor over them all.

use std::any::type_name;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use crate::ecosystem::Role;
use crate::ecosystem::directory;
use crate::ecosystem::handle::WorkerSpecMaker;
use crate::ecosystem::member_process::Member;
use crate::ecosystem::member_process::MemberHook;
use crate::ecosystem::{
    ConfigError, CoordinatorStart, Ecosystem, EcosystemError, EcosystemSpec, FaultTolerance,
    LookupError, Members, SnapshotStore, WorkerStart,
};
use crate::ecosystem::{EcosystemConfig, GcStrategy, MemoryStrategy, memory_watch, traffic};
use crate::engine::control_block::ControlBlock;
use crate::engine::process_block::AnyProcess;
use crate::engine::spawn::reserve;
use crate::error::RegisterError;
use crate::supervisor::{
    ChildSpec, Restart, Shutdown, ShutdownOrder, SupervisorError, SupervisorSpec,
};
use crate::telemetry::Event;
use crate::{Name, Node, Process, ProcessRef};

/// The registry namespace of ecosystems' supervisors.
pub(crate) const NAMESPACE: &str = "foundation.ecosystem";

/// Starts an ecosystem (see [`Node::spawn_ecosystem`]).
pub(crate) async fn spawn<C: Process, W: Process>(
    node: &Node,
    spec: EcosystemSpec<C, W>,
) -> Result<Ecosystem<C::Message, W::Message>, EcosystemError> {
    let EcosystemSpec { config, coordinator, worker } = spec;
    config.validate()?;
    let make_coordinator = coordinator.ok_or_else(|| {
        ConfigError::new("coordinator", "none", "a factory, given with EcosystemSpec::coordinator")
    })?;
    let make_worker = worker.ok_or_else(|| {
        ConfigError::new("worker", "none", "a factory, given with EcosystemSpec::worker")
    })?;
    let name = Name::scoped(NAMESPACE, config.name.as_str());
    if let Some(holder) = node.registry().whereis(name.clone()) {
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

    let coordinator_address = reserve::<C::Message>(node, capacity, config.overflow)?;
    prepare(&coordinator_address.core, &config, &ecosystem);
    let members =
        Members::new(config.topology, ProcessRef::from_retained(Arc::clone(&coordinator_address)));
    let coordinator_incarnations = Arc::new(AtomicU64::new(0));
    let coordinator_spec = {
        let members = members.clone();
        let snapshots = SnapshotStore::default();
        let incarnations = Arc::clone(&coordinator_incarnations);
        let (node, ecosystem) = (node.clone(), ecosystem.clone());
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
        let (node, ecosystem) = (node.clone(), ecosystem.clone());
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
    supervisor_spec.shutdown_order = ShutdownOrder::FirstLast;
    let mut worker_incarnations = Vec::with_capacity(config.workers);
    for _ in 0..config.workers {
        let address = reserve::<W::Message>(node, capacity, config.overflow)?;
        prepare(&address.core, &config, &ecosystem);
        let index = members.push_worker(ProcessRef::from_retained(Arc::clone(&address)));
        let incarnations = Arc::new(AtomicU64::new(0));
        worker_incarnations.push(Arc::clone(&incarnations));
        supervisor_spec = supervisor_spec.child(worker_spec(index, address, incarnations));
    }

    let supervisor = match node.start_supervisor(supervisor_spec, Some(name)).await {
        Ok(supervisor) => supervisor,
        Err(SupervisorError::StartFailed {
            error: crate::SpawnError::Name(RegisterError::Taken { holder, .. }),
            ..
        }) => {
            return Err(EcosystemError::DuplicateName { name: config.name.clone(), holder });
        }
        Err(err) => return Err(err.into()),
    };
    node.telemetry().emit(&Event::EcosystemStarted {
        ecosystem: config.name.clone(),
        workers: config.workers,
        topology: config.topology,
    });
    let ecosystem = Ecosystem::new(
        node.clone(),
        config.clone(),
        members.clone(),
        supervisor,
        worker_spec,
        coordinator_incarnations,
        worker_incarnations,
    );
    let supervisor_pid = ecosystem.supervisor().pid();
    node.services.ecosystems.list(
        config.name.clone(),
        directory::Entry {
            handle: Arc::new(ecosystem.clone()),
            types: (type_name::<C::Message>(), type_name::<W::Message>()),
            supervisor: supervisor_pid,
        },
    );
    // `stopped` is told when the supervisor ends, whatever ends it; the ecosystem leaves
    // the node's directory then (unless a namesake has taken its place).
    let watched = ecosystem.supervisor().inner.downgrade();
    let (watcher, name) = (node.clone(), config.name.clone());
    drop(node.state.runtime.spawn(async move {
        let reason = watched.shared.core.wait_final().await;
        watcher.services.ecosystems.unlist(&name, supervisor_pid);
        watcher.telemetry().emit(&Event::EcosystemStopped { ecosystem: name, reason });
    }));
    let all: Arc<dyn Fn() -> Vec<Arc<dyn AnyProcess>> + Send + Sync> = {
        let members = members.clone();
        Arc::new(move || members.processes())
    };
    let watched = ecosystem.supervisor().inner.downgrade();
    drop(node.state.runtime.spawn(traffic::watch(
        config.name.clone(),
        node.state.epoch,
        ecosystem.rate_window(),
        Arc::clone(&all),
        async move {
            watched.shared.core.wait_final().await;
        },
    )));
    if config.memory_budget.is_some() || crate::memory::is_installed() {
        let task = memory_watch::watch(
            node.clone(),
            config,
            all,
            ecosystem.supervisor().inner.downgrade(),
        );
        drop(node.state.runtime.spawn(task));
    }
    Ok(ecosystem)
}

/// The running ecosystem named `name` (see [`Node::ecosystem`]).
pub(crate) fn find<CM: Send + 'static, WM: Send + 'static>(
    node: &Node,
    name: &str,
) -> Result<Ecosystem<CM, WM>, LookupError> {
    let entry = node
        .services
        .ecosystems
        .get(name)
        .ok_or_else(|| LookupError::NoEcosystem { name: name.to_owned() })?;
    match Arc::clone(&entry.handle).downcast::<Ecosystem<CM, WM>>() {
        Ok(ecosystem) => Ok(Ecosystem::clone(&ecosystem)),
        Err(_) => Err(LookupError::WrongMessageTypes {
            name: name.to_owned(),
            asked: (type_name::<CM>(), type_name::<WM>()),
            actual: entry.types,
        }),
    }
}

/// Applies the ecosystem's settings to a member's address, for every incarnation: its memory
/// limit, and the hook through which the engine asks about compaction and tells flow trouble.
pub(crate) fn prepare(core: &ControlBlock, config: &EcosystemConfig, tag: &Arc<str>) {
    if config.memory_strategy == MemoryStrategy::IsolatedHeaps {
        core.set_memory_limit(config.process_memory_limit);
    }
    let eager = config.gc_strategy == GcStrategy::FrequentMinor;
    core.set_hook(Arc::new(MemberHook { ecosystem: Arc::clone(tag), eager }));
}
