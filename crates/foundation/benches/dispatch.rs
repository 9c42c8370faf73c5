//! The dispatcher: what handing out a job costs, with 10 and with 10,000 workers.
//!
//! Run: `cargo bench -p foundation --bench dispatch`.
//!
//! Each iteration dispatches a batch of 10,000 jobs (from outside the ecosystem, as a
//! coordinator's handler would). Two figures, per job:
//! - `dispatch_hand_out`: until every job is in a worker's mailbox, the workers busy (each
//!   held in a handler), so no hand-out wakes one: the dispatcher's own cost, which must not
//!   grow with the number of workers;
//! - `dispatch_end_to_end`: until the workers have acknowledged every job, from idle: this
//!   adds the workers' own wake-ups, one per burst of jobs a worker takes, so with 10,000
//!   workers (one job each per batch) it includes a wake-up per job, and with 10 workers one
//!   per thousand.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use foundation::ecosystem::{Dispatcher, EcosystemConfig, EcosystemSpec, Job};
use foundation::{BoxError, Context, Node, Process};
use tokio::sync::{Notify, Semaphore};

const BATCH: u64 = 10_000;

enum WorkerMsg {
    Job(Job<u64>),
    /// Wait in the handler until the gate opens (keeps the worker busy: no wake-up needed).
    Hold,
}

/// Acknowledgements so far, and who to tell when they reach a target; workers holding.
struct Acks {
    done: AtomicU64,
    target: AtomicU64,
    reached: Notify,
    holding: AtomicU64,
    gate: Semaphore,
}

impl Default for Acks {
    fn default() -> Self {
        Acks {
            done: AtomicU64::new(0),
            target: AtomicU64::new(u64::MAX),
            reached: Notify::new(),
            holding: AtomicU64::new(0),
            gate: Semaphore::new(0),
        }
    }
}

struct Worker {
    acks: Arc<Acks>,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn handle(&mut self, _: &mut Context<WorkerMsg>, msg: WorkerMsg) -> Result<(), BoxError> {
        let job = match msg {
            WorkerMsg::Job(job) => job,
            WorkerMsg::Hold => {
                self.acks.holding.fetch_add(1, Ordering::AcqRel);
                self.acks.gate.acquire().await?.forget();
                return Ok(());
            }
        };
        job.ack();
        let done = self.acks.done.fetch_add(1, Ordering::AcqRel) + 1;
        if done == self.acks.target.load(Ordering::Acquire) {
            self.acks.reached.notify_one();
        }
        Ok(())
    }
}

struct Coordinator;

impl Process for Coordinator {
    type Message = ();

    async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> {
        Ok(())
    }
}

type Slot = Arc<Mutex<Option<Dispatcher<u64, WorkerMsg>>>>;

fn spec(workers: usize, acks: &Arc<Acks>, slot: &Slot) -> EcosystemSpec<Coordinator, Worker> {
    let (acks, slot) = (Arc::clone(acks), Arc::clone(slot));
    EcosystemSpec::new(EcosystemConfig::new("dispatch").workers(workers))
        .coordinator(move |start| {
            *slot.lock().unwrap() = Some(Dispatcher::new(start, WorkerMsg::Job));
            Coordinator
        })
        .worker(move |_| Worker { acks: Arc::clone(&acks) })
}

/// One ecosystem of `workers` workers for a bench group, with its dispatcher.
struct Bed {
    node: Node,
    eco: foundation::ecosystem::Ecosystem<(), WorkerMsg>,
    acks: Arc<Acks>,
    dispatcher: Dispatcher<u64, WorkerMsg>,
}

impl Bed {
    fn new(rt: &tokio::runtime::Runtime, workers: usize) -> Self {
        let acks = Arc::new(Acks::default());
        let slot: Slot = Arc::default();
        let (node, eco) = rt.block_on(async {
            let node = Node::new().unwrap();
            let eco = node.spawn_ecosystem(spec(workers, &acks, &slot)).await.unwrap();
            (node, eco)
        });
        let dispatcher = slot.lock().unwrap().clone().unwrap();
        Bed { node, eco, acks, dispatcher }
    }

    fn end(self, rt: &tokio::runtime::Runtime) {
        rt.block_on(async {
            self.eco.shutdown().await;
            self.node.shutdown(Duration::from_secs(5)).await;
        });
    }
}

/// Dispatches a batch and waits until the workers have acknowledged it all.
async fn batch_acked(acks: &Acks, dispatcher: &Dispatcher<u64, WorkerMsg>) {
    let target = acks.done.load(Ordering::Acquire) + BATCH;
    acks.target.store(target, Ordering::Release);
    let reached = acks.reached.notified();
    for n in 0..BATCH {
        dispatcher.dispatch(n);
    }
    if acks.done.load(Ordering::Acquire) < target {
        reached.await;
    }
}

fn hand_out(c: &mut Criterion) {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("dispatch_hand_out");
    group.throughput(Throughput::Elements(BATCH));
    for workers in [10usize, 10_000] {
        let bed = Bed::new(&rt, workers);
        group.bench_with_input(BenchmarkId::from_parameter(workers), &workers, |b, &workers| {
            b.to_async(&rt).iter_custom(|iters| {
                let (acks, dispatcher) = (Arc::clone(&bed.acks), bed.dispatcher.clone());
                let held = bed.eco.workers();
                async move {
                    tokio::spawn(async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            // Every worker busy in a handler first (not timed).
                            acks.holding.store(0, Ordering::Release);
                            for worker in &held {
                                worker.send(WorkerMsg::Hold).await.unwrap();
                            }
                            while acks.holding.load(Ordering::Acquire) < workers as u64 {
                                tokio::task::yield_now().await;
                            }
                            let target = acks.done.load(Ordering::Acquire) + BATCH;
                            acks.target.store(target, Ordering::Release);
                            let reached = acks.reached.notified();
                            let start = Instant::now();
                            for n in 0..BATCH {
                                dispatcher.dispatch(n);
                            }
                            while dispatcher.stats().pending > 0 {
                                tokio::task::yield_now().await;
                            }
                            total += start.elapsed();
                            // Then let the workers go and take it all (not timed).
                            acks.gate.add_permits(workers);
                            if acks.done.load(Ordering::Acquire) < target {
                                reached.await;
                            }
                        }
                        total
                    })
                    .await
                    .unwrap()
                }
            });
        });
        bed.end(&rt);
    }
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut group = c.benchmark_group("dispatch_end_to_end");
    group.throughput(Throughput::Elements(BATCH));
    for workers in [10usize, 10_000] {
        let bed = Bed::new(&rt, workers);
        group.bench_with_input(BenchmarkId::from_parameter(workers), &workers, |b, _| {
            b.to_async(&rt).iter_custom(|iters| {
                let (acks, dispatcher) = (Arc::clone(&bed.acks), bed.dispatcher.clone());
                async move {
                    tokio::spawn(async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let start = Instant::now();
                            batch_acked(&acks, &dispatcher).await;
                            total += start.elapsed();
                        }
                        total
                    })
                    .await
                    .unwrap()
                }
            });
        });
        bed.end(&rt);
    }
    group.finish();
}

criterion_group!(benches, hand_out, end_to_end);
criterion_main!(benches);
