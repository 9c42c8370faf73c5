//! The cost of memory accounting, and what GC strategies give back.
//!
//! Run in one go with the unaccounted `process` bench, for the overhead ratio:
//! `cargo bench -p foundation --bench process --bench accounting -- 'spawn_to_ready/foundation|send_1to1/foundation_bounded'`
//!
//! This binary installs the accounting allocator; `process` does not. The workloads are the
//! same code. `idle bytes` and the GC comparison print their figures.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec, GcStrategy};
use foundation::memory::AccountingAllocator;
use foundation::{BoxError, Context, Node, Process, ReplyTo};
use tokio::sync::Notify;

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

mod common;

use common::{Ready, Sink, runtime};

fn spawn_to_ready(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("spawn_to_ready");
    group.sample_size(10);
    for n in [1_000usize, 100_000] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("foundation_accounted", n), &n, |b, &n| {
            b.to_async(&rt).iter_custom(|iters| async move {
                tokio::spawn(async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let node = Node::new().unwrap();
                        let gate = Arc::new((AtomicUsize::new(n), Notify::new()));
                        let mut refs = Vec::with_capacity(n);
                        let start = Instant::now();
                        for _ in 0..n {
                            refs.push(node.spawn(Ready(Arc::clone(&gate))).unwrap());
                        }
                        gate.1.notified().await;
                        total += start.elapsed();
                        drop(refs);
                        node.shutdown(Duration::from_secs(10)).await;
                    }
                    total
                })
                .await
                .unwrap()
            });
        });
    }
    group.finish();
}

const MESSAGES: u64 = 1_000_000;

fn one_to_one(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("send_1to1");
    group.throughput(Throughput::Elements(MESSAGES));
    group.sample_size(10);
    group.bench_function("foundation_bounded_1024_accounted", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            tokio::spawn(async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let node = Node::new().unwrap();
                    let done = Arc::new(Notify::new());
                    let sink = node
                        .spawn(Sink { seen: 0, target: MESSAGES, done: Arc::clone(&done) })
                        .unwrap();
                    let notified = done.notified();
                    let start = Instant::now();
                    tokio::spawn(async move {
                        for i in 0..MESSAGES {
                            sink.send(i).await.unwrap();
                        }
                    });
                    notified.await;
                    total += start.elapsed();
                }
                total
            })
            .await
            .unwrap()
        });
    });
    group.finish();
}

enum Msg {
    Burst(usize),
    Ping(ReplyTo<()>),
}

#[derive(Default)]
struct Worker {
    scratch: Vec<u8>,
}

impl Process for Worker {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Burst(bytes) => {
                self.scratch.resize(bytes, 1);
                self.scratch.clear();
            }
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
        }
        Ok(())
    }

    fn compact(&mut self, _ctx: &mut Context<Msg>) {
        self.scratch.shrink_to_fit();
    }
}

/// Prints bytes per idle process (accounted) and the idle bytes per worker after a burst of
/// 64 KiB each, under both GC strategies. Not a timing: printed once per run.
fn memory_figures(_c: &mut Criterion) {
    let rt = runtime();
    rt.block_on(async {
        tokio::spawn(async {
            let node = Node::new().unwrap();
            let refs: Vec<_> = (0..10_000)
                .map(|_| {
                    node.spawn(Sink { seen: 0, target: 0, done: Arc::new(Notify::new()) }).unwrap()
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let total: u64 = refs.iter().filter_map(|r| node.process_info(r.pid())?.memory).sum();
            println!(
                "idle_process_bytes/foundation_accounted: {} B per process (10,000)",
                total / 10_000
            );
            drop(refs);
            node.shutdown(Duration::from_secs(5)).await;

            for gc in [GcStrategy::Standard, GcStrategy::FrequentMinor] {
                let node = Node::new().unwrap();
                let config = EcosystemConfig::new("gc").workers(1_000).gc_strategy(gc);
                let spec = EcosystemSpec::new(config)
                    .coordinator(|_| Worker::default())
                    .worker(|_| Worker::default());
                let eco = node.spawn_ecosystem(spec).await.unwrap();
                let before = eco.info().total_memory.unwrap();
                for w in eco.workers() {
                    w.send(Msg::Burst(64 * 1024)).await.unwrap();
                }
                for w in eco.workers() {
                    w.call(Msg::Ping).await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                let after = eco.info().total_memory.unwrap();
                println!(
                    "gc_idle_bytes_after_burst/{gc:?}: {} B per worker ({} B before the burst)",
                    after / 1_001,
                    before / 1_001
                );
                eco.shutdown().await;
            }
        })
        .await
        .unwrap();
    });
}

criterion_group!(benches, spawn_to_ready, one_to_one, memory_figures);
criterion_main!(benches);
