//! The acknowledge protocol: work handed out before a worker crash is completed, and each job
//! reported once (these workers acknowledge before they report: a crash before that runs the
//! job again, unreported).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::jobs::{CoordMsg, Coordinator};
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec, FaultTolerance, Job, WorkStats};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Process, ProcessRef};

enum WorkerMsg {
    Job(Job<u64>),
}

struct Worker {
    coordinator: ProcessRef<CoordMsg>,
    /// Crash on job 7, once across all workers.
    crash_once: Arc<AtomicBool>,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<WorkerMsg>,
        msg: WorkerMsg,
    ) -> Result<(), BoxError> {
        let WorkerMsg::Job(job) = msg;
        if *job.payload() == 7 && self.crash_once.swap(false, Ordering::SeqCst) {
            panic!("crash while holding job 7");
        }
        let n = job.ack();
        self.coordinator.send(CoordMsg::Done(n, n * n)).await?;
        Ok(())
    }
}

fn spec(
    config: EcosystemConfig,
    crash_once: Arc<AtomicBool>,
) -> EcosystemSpec<Coordinator<WorkerMsg>, Worker> {
    EcosystemSpec::new(config).coordinator(|start| Coordinator::new(start, WorkerMsg::Job)).worker(
        move |start| Worker {
            coordinator: start.members().coordinator(),
            crash_once: Arc::clone(&crash_once),
        },
    )
}

async fn results_when_done(
    coordinator: &ProcessRef<CoordMsg>,
    count: usize,
) -> (HashMap<u64, u64>, WorkStats) {
    for _ in 0..10_000 {
        let (results, stats) = coordinator.call(CoordMsg::Results).await.unwrap();
        if results.len() == count {
            return (results, stats);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("work did not complete");
}

#[tokio::test(start_paused = true)]
async fn work_held_by_a_crashed_worker_is_completed_exactly_once() {
    let node = Node::new().unwrap();
    let crash_once = Arc::new(AtomicBool::new(true));
    let config = EcosystemConfig::new("work")
        .workers(3)
        .restart_intensity(RestartIntensity::new(5, Duration::from_secs(5)));
    let eco = node.spawn_ecosystem(spec(config, Arc::clone(&crash_once))).await.unwrap();
    for n in 0..20 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    let (results, stats) = results_when_done(&eco.coordinator(), 20).await;
    assert!(!crash_once.load(Ordering::SeqCst), "the crash happened");
    assert_eq!(results, (0..20).map(|n| (n, n * n)).collect());
    assert_eq!((stats.dispatched, stats.acked, stats.outstanding, stats.pending), (20, 20, 0, 0));
    assert!(stats.returned >= 1, "job 7 went round again: {stats:?}");
    assert_eq!(eco.info().workers.iter().map(|w| w.restarts).sum::<u64>(), 1);
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn work_queued_to_a_worker_gone_for_good_goes_to_the_others() {
    let node = Node::new().unwrap();
    let crash_once = Arc::new(AtomicBool::new(true));
    let config =
        EcosystemConfig::new("standard-work").workers(3).fault_tolerance(FaultTolerance::Standard);
    let eco = node.spawn_ecosystem(spec(config, crash_once)).await.unwrap();
    for n in 0..30 {
        eco.coordinator().send(CoordMsg::Submit(n)).await.unwrap();
    }
    let (results, stats) = results_when_done(&eco.coordinator(), 30).await;
    assert_eq!(results.len(), 30);
    assert_eq!((stats.acked, stats.outstanding), (30, 0));
    assert_eq!(eco.health().workers.dead, 1, "the worker that crashed stays dead");
    eco.shutdown().await;
}
