//! The dispatcher: jobs go to the workers in turn, wait while no worker can take them and go
//! out as soon as one can, count in the ecosystem's health, and run at least once (never
//! acknowledged twice), so an idempotent ledger sees each job's effect exactly once.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::ecosystem::until;
use common::jobs::{CoordMsg, Coordinator};
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec, FaultTolerance, HealthStatus, Job};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Process};
use tokio::sync::Semaphore;

enum WorkerMsg {
    Job(Job<u64>),
    Crash,
}

/// What the workers did, shared with the test.
#[derive(Default)]
struct Shared {
    /// Results by job: the idempotent ledger (a second write changes nothing).
    ledger: HashMap<u64, u64>,
    /// How many times each job ran.
    runs: HashMap<u64, u32>,
    /// Which worker (index) ran each job, in order.
    by_worker: Vec<(usize, u64)>,
}

struct Worker {
    index: usize,
    shared: Arc<Mutex<Shared>>,
    /// Jobs wait for a permit: the test holds the workers back with it.
    gate: Arc<Semaphore>,
    /// Job that dies once after recording its result and before acknowledging.
    die_after_recording: Option<u64>,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn handle(&mut self, _: &mut Context<WorkerMsg>, msg: WorkerMsg) -> Result<(), BoxError> {
        let job = match msg {
            WorkerMsg::Job(job) => job,
            WorkerMsg::Crash => panic!("crash on purpose"),
        };
        self.gate.acquire().await?.forget();
        let n = *job.payload();
        let first = {
            let mut shared = self.shared.lock().unwrap();
            shared.ledger.entry(n).or_insert(n * n);
            shared.by_worker.push((self.index, n));
            let runs = shared.runs.entry(n).or_default();
            *runs += 1;
            *runs == 1
        };
        if first && self.die_after_recording == Some(n) {
            panic!("died after recording job {n}, before acknowledging it");
        }
        job.ack();
        Ok(())
    }
}

struct Setup {
    shared: Arc<Mutex<Shared>>,
    gate: Arc<Semaphore>,
    die_after_recording: Option<u64>,
}

fn spec(config: EcosystemConfig, setup: &Setup) -> EcosystemSpec<Coordinator<WorkerMsg>, Worker> {
    let (shared, gate, die) =
        (Arc::clone(&setup.shared), Arc::clone(&setup.gate), setup.die_after_recording);
    EcosystemSpec::new(config).coordinator(|start| Coordinator::new(start, WorkerMsg::Job)).worker(
        move |start| Worker {
            index: start.index(),
            shared: Arc::clone(&shared),
            gate: Arc::clone(&gate),
            die_after_recording: die,
        },
    )
}

fn open_gate() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(Semaphore::MAX_PERMITS))
}

#[tokio::test(start_paused = true)]
async fn jobs_go_to_the_workers_in_turn_and_skip_a_worker_gone_for_good() {
    let node = Node::new().unwrap();
    let setup = Setup { shared: Arc::default(), gate: open_gate(), die_after_recording: None };
    let config = EcosystemConfig::new("turns").workers(4).fault_tolerance(FaultTolerance::Standard);
    let eco = node.spawn_ecosystem(spec(config, &setup)).await.unwrap();
    for n in 0..8 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    assert!(until(|| setup.shared.lock().unwrap().ledger.len() == 8).await);
    let mut per_worker = [0; 4];
    for (index, _) in &setup.shared.lock().unwrap().by_worker {
        per_worker[*index] += 1;
    }
    assert_eq!(per_worker, [2, 2, 2, 2], "round-robin");

    // Worker 2 goes for good (standard fault tolerance: not restarted).
    let gone = eco.workers()[2].clone();
    gone.send(WorkerMsg::Crash).await.unwrap();
    gone.exited().await;
    setup.shared.lock().unwrap().by_worker.clear();
    for n in 8..14 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    assert!(until(|| setup.shared.lock().unwrap().ledger.len() == 14).await);
    let mut per_worker = [0; 4];
    for (index, _) in &setup.shared.lock().unwrap().by_worker {
        per_worker[*index] += 1;
    }
    assert_eq!(per_worker, [2, 2, 0, 2], "the others share the work evenly");
    eco.shutdown().await;
}

/// While no worker's address is open, jobs wait in the dispatcher; a worker added later gets
/// them at once, without another dispatch to set things going.
#[tokio::test(start_paused = true)]
async fn held_jobs_go_out_as_soon_as_a_worker_is_added() {
    let node = Node::new().unwrap();
    let setup = Setup { shared: Arc::default(), gate: open_gate(), die_after_recording: None };
    let config = EcosystemConfig::new("held").workers(1).fault_tolerance(FaultTolerance::Standard);
    let eco = node.spawn_ecosystem(spec(config, &setup)).await.unwrap();
    let only = eco.workers()[0].clone();
    only.send(WorkerMsg::Crash).await.unwrap();
    only.exited().await;
    for n in 0..5 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    let stats = eco.coordinator().call(CoordMsg::Stats).await.unwrap();
    assert!(until(|| eco.health().work_backlog == 5).await, "{stats:?}");
    assert_eq!(eco.info().work_backlog, 5);

    eco.add_workers(1).await.unwrap();
    assert!(
        until(|| setup.shared.lock().unwrap().ledger.len() == 5).await,
        "held jobs did not go out to the added worker"
    );
    let stats = eco.coordinator().call(CoordMsg::Stats).await.unwrap();
    assert_eq!((stats.dispatched, stats.acked, stats.pending), (5, 5, 0));
    assert_eq!(eco.health().work_backlog, 0);
    eco.shutdown().await;
}

/// Work waiting in a dispatcher counts in the health: its size, how long the oldest job has
/// waited, and past the `backlog_wait_limit` the status is degraded.
#[tokio::test(start_paused = true)]
async fn waiting_work_counts_in_the_health_and_its_age_degrades_it() {
    let node = Node::new().unwrap();
    let setup = Setup {
        shared: Arc::default(),
        gate: Arc::new(Semaphore::new(0)),
        die_after_recording: None,
    };
    let config = EcosystemConfig::new("backlog")
        .workers(1)
        .mailbox_capacity(2)
        .backlog_wait_limit(Duration::from_secs(2));
    let eco = node.spawn_ecosystem(spec(config, &setup)).await.unwrap();
    assert_eq!(eco.health().status, HealthStatus::Healthy);
    for n in 0..10 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    // The worker holds one job and its mailbox two more; the dispatcher waits for room with
    // the next one: the rest wait in the dispatcher.
    assert!(until(|| eco.health().work_backlog == 6).await, "{:?}", eco.health());
    assert_eq!(eco.health().message_backlog, 2);
    tokio::time::advance(Duration::from_secs(1)).await;
    let health = eco.health();
    assert_eq!(health.oldest_work_wait, Some(Duration::from_secs(1)));
    tokio::time::advance(Duration::from_secs(2)).await;
    let health = eco.health();
    assert!(health.oldest_work_wait > Some(Duration::from_secs(2)));
    assert_eq!(health.status, HealthStatus::Degraded);

    // Released, the workers catch up; nothing waits and nothing is lost.
    setup.gate.add_permits(10);
    assert!(until(|| setup.shared.lock().unwrap().ledger.len() == 10).await);
    assert!(until(|| eco.health().work_backlog == 0).await);
    assert_eq!(eco.health().oldest_work_wait, None);
    eco.shutdown().await;
}

/// At-least-once execution, at-most-once acknowledgement: a worker that recorded a job's
/// result and died before acknowledging it makes the job run again; the job is acknowledged
/// once, and the idempotent ledger holds one result per job.
#[tokio::test(start_paused = true)]
async fn a_job_whose_worker_died_before_acknowledging_runs_again_and_is_acked_once() {
    let node = Node::new().unwrap();
    let setup = Setup { shared: Arc::default(), gate: open_gate(), die_after_recording: Some(3) };
    let config = EcosystemConfig::new("twice")
        .workers(2)
        .restart_intensity(RestartIntensity::new(5, Duration::from_secs(5)));
    let eco = node.spawn_ecosystem(spec(config, &setup)).await.unwrap();
    for n in 0..10 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    assert!(until(|| setup.shared.lock().unwrap().runs.values().sum::<u32>() == 11).await);
    let stats = eco.coordinator().call(CoordMsg::Stats).await.unwrap();
    assert!(until(|| eco.coordinator().try_send(CoordMsg::Submit(100)).is_ok()).await);
    {
        let shared = setup.shared.lock().unwrap();
        assert_eq!(shared.runs[&3], 2, "job 3 ran again");
        assert!(shared.runs.iter().all(|(n, runs)| *runs == 1 || *n == 3));
        assert_eq!(shared.ledger.len(), 10);
        assert_eq!(shared.ledger[&3], 9, "one result, whatever the runs");
    }
    assert_eq!((stats.dispatched, stats.acked, stats.returned), (10, 10, 1));
    eco.shutdown().await;
}
