//! Ecosystems: spawn, info, health, self-healing with snapshots, shutdown (the spec's tests).

mod common;

use std::time::Duration;

use common::ecosystem::{CoordMsg, Coordinator, Worker, WorkerMsg, spec};
use foundation::ecosystem::{
    CoordinatorHealth, EcosystemConfig, EcosystemSpec, FaultTolerance, HealthStatus, MemberState,
};
use foundation::{Node, ProcessRef};

#[tokio::test(start_paused = true)]
async fn five_workers_make_six_live_processes_and_info_agrees() {
    let node = Node::new().unwrap();
    let eco = node.spawn_ecosystem(spec(EcosystemConfig::new("five").workers(5))).await.unwrap();
    let info = eco.info();
    assert_eq!(info.workers.len(), 5);
    assert_eq!(info.total_processes, 7, "coordinator, five workers and the supervisor");
    assert_eq!(info.coordinator.state, MemberState::Alive);
    assert_eq!(info.coordinator.pid, Some(eco.coordinator().pid()));
    for (i, w) in info.workers.iter().enumerate() {
        assert_eq!(w.pid, Some(eco.workers()[i].pid()));
        assert_eq!(w.memory, None);
    }
    assert_eq!(eco.health().status, HealthStatus::Healthy);
    eco.shutdown().await;
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn coordinator_restarts_with_its_snapshot_and_workers_reach_it_unchanged() {
    let node = Node::new().unwrap();
    let config = EcosystemConfig::new("heal").workers(3);
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let coordinator = eco.coordinator();
    let first = coordinator.pid();
    coordinator.send(CoordMsg::Add(42)).await.unwrap();
    coordinator.send(CoordMsg::Crash).await.unwrap();
    // Queued behind the crash: handled by the next incarnation.
    coordinator.send(CoordMsg::Add(1)).await.unwrap();
    eco.workers()[1].call(WorkerMsg::Report).await.unwrap();
    assert_eq!(coordinator.call(CoordMsg::Total).await.unwrap(), 42 + 1 + 2000);
    assert_ne!(coordinator.pid(), first);
    let info = eco.info();
    assert_eq!(info.coordinator.restarts, 1);
    assert!(info.coordinator.last_exit.as_ref().unwrap().is_panic());
    assert_eq!(eco.health().coordinator, CoordinatorHealth::Alive);
    eco.shutdown().await;
    eco.shutdown().await; // idempotent
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn standard_fault_tolerance_leaves_dead_workers_dead_and_says_so() {
    let node = Node::new().unwrap();
    let config = EcosystemConfig::new("plain").workers(5).fault_tolerance(FaultTolerance::Standard);
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let workers = eco.workers();
    workers[0].send(WorkerMsg::Crash).await.unwrap();
    workers[3].send(WorkerMsg::Crash).await.unwrap();
    workers[0].exited().await;
    workers[3].exited().await;
    let health = eco.health();
    assert_eq!((health.workers.alive, health.workers.dead, health.workers.total), (3, 2, 5));
    assert_eq!(health.status, HealthStatus::Degraded);
    assert!(!health.self_healing);
    assert_eq!(eco.coordinator().call(CoordMsg::Total).await.unwrap(), 0);
    eco.shutdown().await;
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn killed_workers_are_replaced_under_self_healing() {
    let node = Node::new().unwrap();
    let config = EcosystemConfig::new("replace").workers(5).restart_intensity(
        foundation::supervisor::RestartIntensity::new(5, Duration::from_secs(5)),
    );
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let workers = eco.workers();
    let before: Vec<_> = workers.iter().map(ProcessRef::pid).collect();
    node.kill(before[1]);
    node.kill(before[2]);
    // The replacements answer through the same addresses.
    workers[1].call(WorkerMsg::Report).await.unwrap();
    workers[2].call(WorkerMsg::Report).await.unwrap();
    assert_eq!(eco.coordinator().call(CoordMsg::Total).await.unwrap(), 2000 + 3000);
    let info = eco.info();
    assert!(info.workers.iter().all(|w| w.state == MemberState::Alive));
    assert_eq!(info.workers[1].restarts, 1);
    assert_ne!(info.workers[1].pid, Some(before[1]));
    eco.shutdown().await;
}

#[tokio::test]
async fn bad_configs_are_typed_errors_naming_the_field() {
    let node = Node::new().unwrap();
    let err =
        node.spawn_ecosystem(spec(EcosystemConfig::new("zero").workers(0))).await.unwrap_err();
    assert!(err.to_string().contains("`workers`"), "{err}");
    let err = node.spawn_ecosystem(spec(EcosystemConfig::new(""))).await.unwrap_err();
    assert!(err.to_string().contains("`name`"), "{err}");
    let missing: EcosystemSpec<Coordinator, Worker> = EcosystemSpec::new(EcosystemConfig::new("x"));
    let err = node.spawn_ecosystem(missing).await.unwrap_err();
    assert!(err.to_string().contains("`coordinator`"), "{err}");
    let eco = node.spawn_ecosystem(spec(EcosystemConfig::new("twice"))).await.unwrap();
    let err = node.spawn_ecosystem(spec(EcosystemConfig::new("twice"))).await.unwrap_err();
    assert!(err.to_string().contains("already runs"), "{err}");
    #[cfg(feature = "serde")]
    {
        use foundation::ecosystem::Topology;
        let bad: Result<EcosystemConfig, _> = toml::from_str("name = \"t\"\ntopology = \"star\"\n");
        assert!(bad.unwrap_err().to_string().contains("star"));
        let good: EcosystemConfig = toml::from_str(
            "name = \"t\"\nworkers = 3\ntopology = \"mesh\"\nrestart_period = \"2s\"\n",
        )
        .unwrap();
        assert_eq!((good.workers, good.topology), (3, Topology::Mesh));
    }
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn telemetry_reports_start_restarts_sampled_messages_and_stop_in_order() {
    use foundation::telemetry::{Event, Recorder};
    let node = Node::new().unwrap();
    let recorder = Recorder::default();
    let id = node.telemetry().attach(recorder.clone());
    let config =
        EcosystemConfig::new("observed").workers(2).message_sample_every(2).restart_intensity(
            foundation::supervisor::RestartIntensity::new(5, Duration::from_secs(5)),
        );
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let coordinator = eco.coordinator();
    coordinator.send(CoordMsg::Add(1)).await.unwrap();
    coordinator.send(CoordMsg::Crash).await.unwrap();
    assert_eq!(coordinator.call(CoordMsg::Total).await.unwrap(), 1);
    eco.workers()[0].send(WorkerMsg::Crash).await.unwrap();
    eco.workers()[0].call(WorkerMsg::Report).await.unwrap();
    eco.shutdown().await;
    tokio::task::yield_now().await;
    let names = recorder.names();
    assert_eq!(names.first(), Some(&"foundation.ecosystem.started"));
    assert_eq!(names.last(), Some(&"foundation.ecosystem.stopped"));
    let restarts: Vec<_> = recorder
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::CoordinatorRestarted { .. } | Event::WorkerRestarted { .. }))
        .collect();
    assert_eq!(restarts.len(), 2, "{restarts:?}");
    assert!(
        matches!(&restarts[0], Event::CoordinatorRestarted { incarnation: 1, reason: Some(r), .. } if r.is_panic())
    );
    assert!(matches!(&restarts[1], Event::WorkerRestarted { index: 0, incarnation: 1, .. }));
    // The coordinator handled Add, then (new incarnation) Total and the worker's report: one
    // sample of 2 from the second incarnation.
    assert!(names.contains(&"foundation.ecosystem.message_processed"), "{names:?}");
    assert!(node.telemetry().detach(id));
    assert!(!node.telemetry().detach(id));
}
