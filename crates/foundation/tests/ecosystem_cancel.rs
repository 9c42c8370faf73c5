//! Dropping the future of an ecosystem call leaves the ecosystem consistent: nothing running
//! and nothing registered after a dropped `spawn_ecosystem`; after a dropped `add_workers`,
//! `remove_workers` or `shutdown`, the members and the supervisor's children in agreement.
//!
//! The clock is paused: a slow `init` or `terminate` takes virtual time, and `run_until` lets
//! the runtime run without moving the clock.

mod common;

use std::time::Duration;

use common::members::{Counts, Member, Msg};
use common::wait::{WAIT, alive_tasks, poll_once, processes, run_until};
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec, HealthStatus, LookupError};
use foundation::{Name, Node, ProcessStatus};

/// The registry name of an ecosystem's supervisor.
fn registered(name: &str) -> Name {
    Name::scoped("foundation.ecosystem", name)
}

/// An ecosystem whose worker `index` is made by `worker(index)`; the coordinator is quick.
fn spec(
    config: EcosystemConfig,
    coordinator: &Counts,
    worker: impl Fn(usize) -> Member + Send + Sync + 'static,
) -> EcosystemSpec<Member, Member> {
    let coordinator = coordinator.clone();
    EcosystemSpec::new(config)
        .coordinator(move |_| Member::quick(&coordinator))
        .worker(move |start| worker(start.index()))
}

/// The supervisor's children's ids.
async fn children(eco: &foundation::ecosystem::Ecosystem<Msg, Msg>) -> Vec<String> {
    let children = eco.supervisor().which_children().await.unwrap();
    children.into_iter().map(|c| c.id).collect()
}

/// Asserts that nothing of the ecosystem `name` is left on `node`.
async fn assert_gone(node: &Node, name: &str, before: usize, tasks: usize) {
    assert!(
        run_until(|| node.process_count() == before && alive_tasks() == tasks).await,
        "left running: {} ({} tasks, {tasks} before)",
        processes(node),
        alive_tasks()
    );
    assert_eq!(node.registry().whereis(registered(name)), None, "the name is still taken");
    assert!(
        matches!(node.ecosystem::<Msg, Msg>(name), Err(LookupError::NoEcosystem { .. })),
        "still in the node's directory"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dropped_spawn_ecosystem_leaves_no_member_no_supervisor_and_no_name() {
    let node = Node::new().unwrap();
    let (before, tasks) = (node.process_count(), alive_tasks());
    let (coordinator, workers) = (Counts::default(), Counts::default());
    let config = EcosystemConfig::new("orders").workers(3);
    let slow_second = {
        let workers = workers.clone();
        move |index| match index {
            1 => Member::slow_start(&workers, Duration::from_secs(10)),
            _ => Member::quick(&workers),
        }
    };

    let start = node.spawn_ecosystem(spec(config.clone(), &coordinator, slow_second));
    assert!(tokio::time::timeout(Duration::from_secs(1), start).await.is_err());

    assert_gone(&node, "orders", before, tasks).await;
    assert_eq!(coordinator.terminates(), 1, "the coordinator was up: it is stopped");
    assert_eq!(workers.inits(), 1, "worker 0 only; worker 1 was killed in its init");
    assert_eq!(workers.terminates(), 1, "worker 0 is stopped");

    tokio::time::sleep(WAIT).await;
    assert_gone(&node, "orders", before, tasks).await;
    assert_eq!(workers.inits(), 1, "no member started later");

    // The name is free for a new ecosystem.
    let quick = move |_| Member::quick(&Counts::default());
    let eco = node.spawn_ecosystem(spec(config, &Counts::default(), quick)).await.unwrap();
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_spawn_ecosystem_dropped_after_its_start_succeeded_leaves_nothing() {
    let node = Node::new().unwrap();
    let (before, tasks) = (node.process_count(), alive_tasks());
    let coordinator = Counts::default();
    let quick = move |_| Member::quick(&Counts::default());
    let config = EcosystemConfig::new("billing").workers(2);

    let start = poll_once(Box::pin(node.spawn_ecosystem(spec(config, &coordinator, quick)))).await;
    let supervisor = node.registry().whereis(registered("billing")).expect("registered at spawn");
    // Once the supervisor waits for messages its `init` is over: it has reported success, but
    // the caller has not looked yet.
    let reported =
        || node.process_info(supervisor).is_some_and(|i| i.status == ProcessStatus::Waiting);
    assert!(run_until(reported).await, "the supervisor never finished starting");
    assert_eq!(node.process_count(), before + 4);
    drop(start);

    assert_gone(&node, "billing", before, tasks).await;
    assert_eq!(coordinator.terminates(), 1, "stopped gracefully: its terminate ran");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_add_workers_whose_worker_fails_to_start_leaves_no_member_behind() {
    let node = Node::new().unwrap();
    let workers = Counts::default();
    let third_fails = {
        let workers = workers.clone();
        move |index| match index {
            2 => Member::failing_start(&workers, Duration::from_secs(2)),
            _ => Member::quick(&workers),
        }
    };
    let config = EcosystemConfig::new("grow").workers(2);
    let eco = node.spawn_ecosystem(spec(config, &Counts::default(), third_fails)).await.unwrap();

    let add = tokio::time::timeout(Duration::from_secs(1), eco.add_workers(1)).await;
    assert!(add.is_err(), "worker 2's init holds the call up past the timeout");
    // Worker 2's init fails at 2 s; the supervisor has dealt with it before the next request.
    tokio::time::sleep(Duration::from_secs(5)).await;

    assert_eq!(children(&eco).await, ["coordinator", "worker-0", "worker-1"]);
    assert_eq!(eco.members().worker_indices(), [0, 1], "a member with no child behind it");
    assert_eq!(eco.info().workers.len(), 2);
    assert_eq!(eco.health().status, HealthStatus::Healthy);

    // The next worker added takes the next index, and is both a member and a child.
    let added = eco.add_workers(1).await.unwrap();
    added[0].call(Msg::Ping).await.unwrap();
    assert_eq!(eco.members().worker_indices(), [0, 1, 3]);
    assert_eq!(children(&eco).await, ["coordinator", "worker-0", "worker-1", "worker-3"]);
    eco.shutdown().await;
    assert_eq!(node.process_count(), 0, "{}", processes(&node));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_add_workers_whose_worker_starts_keeps_it_as_a_member() {
    let node = Node::new().unwrap();
    let workers = Counts::default();
    let third_slow = {
        let workers = workers.clone();
        move |index| match index {
            2 => Member::slow_start(&workers, Duration::from_secs(2)),
            _ => Member::quick(&workers),
        }
    };
    let config = EcosystemConfig::new("grow").workers(2);
    let eco = node.spawn_ecosystem(spec(config, &Counts::default(), third_slow)).await.unwrap();

    let add = tokio::time::timeout(Duration::from_secs(1), eco.add_workers(1)).await;
    assert!(add.is_err());
    tokio::time::sleep(Duration::from_secs(5)).await;

    assert_eq!(children(&eco).await, ["coordinator", "worker-0", "worker-1", "worker-2"]);
    assert_eq!(eco.members().worker_indices(), [0, 1, 2]);
    eco.members().worker(2).unwrap().call(Msg::Ping).await.unwrap();
    assert_eq!(eco.health().status, HealthStatus::Healthy);
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_dropped_remove_workers_still_removes_every_worker_asked_for() {
    let node = Node::new().unwrap();
    let workers = Counts::default();
    let slow_stop = {
        let workers = workers.clone();
        move |_| Member::slow_stop(&workers, Duration::from_secs(2))
    };
    let config = EcosystemConfig::new("shrink").workers(3);
    let eco = node.spawn_ecosystem(spec(config, &Counts::default(), slow_stop)).await.unwrap();
    let addresses = eco.workers();

    let remove = tokio::time::timeout(Duration::from_secs(1), eco.remove_workers(2)).await;
    assert!(remove.is_err(), "worker 2's terminate holds the call up past the timeout");
    assert_eq!(eco.members().worker_indices(), [0], "both leave the members at once");
    // Workers 2 then 1 take 2 s each to stop.
    tokio::time::sleep(Duration::from_secs(10)).await;

    assert_eq!(children(&eco).await, ["coordinator", "worker-0"]);
    assert_eq!(workers.terminates(), 2);
    assert!(!addresses[1].is_alive() && !addresses[2].is_alive(), "their addresses close");
    assert!(addresses[0].is_alive());
    assert_eq!(eco.info().workers.len(), 1);
    assert_eq!(eco.health().status, HealthStatus::Healthy);
    assert_eq!(node.process_count(), 3, "supervisor, coordinator, worker 0");
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_dropped_shutdown_still_stops_the_whole_ecosystem() {
    let node = Node::new().unwrap();
    let (before, tasks) = (node.process_count(), alive_tasks());
    let workers = Counts::default();
    let slow_stop = {
        let workers = workers.clone();
        move |_| Member::slow_stop(&workers, Duration::from_secs(2))
    };
    let config = EcosystemConfig::new("stop").workers(2);
    let eco = node.spawn_ecosystem(spec(config, &Counts::default(), slow_stop)).await.unwrap();

    let stop = tokio::time::timeout(Duration::from_secs(1), eco.shutdown()).await;
    assert!(stop.is_err(), "the workers' terminate holds the call up past the timeout");
    tokio::time::sleep(Duration::from_secs(10)).await;

    assert_gone(&node, "stop", before, tasks).await;
    assert_eq!(workers.terminates(), 2);
    eco.shutdown().await;
}
