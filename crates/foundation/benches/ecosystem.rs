//! Ecosystems: creation until every member is ready, and coordinator recovery.
//!
//! Run: `cargo bench -p foundation --bench ecosystem`.
//!
//! Creation is timed from the call to `spawn_ecosystem` until it returns, which is when every
//! member's `init` has completed (members start one after another, as OTP's `start_link`), with
//! supervision on. Recovery is timed from `kill` of the coordinator until the new coordinator
//! has answered a call through the same address.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Process, ReplyTo};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

enum Msg {
    Ping(ReplyTo<()>),
}

struct Member;

impl Process for Member {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        let Msg::Ping(reply) = msg;
        let _ = reply.reply(());
        Ok(())
    }
}

fn spec(name: &str, workers: usize) -> EcosystemSpec<Member, Member> {
    let config = EcosystemConfig::new(name)
        .workers(workers)
        .restart_intensity(RestartIntensity::new(u32::MAX, Duration::from_secs(1)));
    EcosystemSpec::new(config).coordinator(|_| Member).worker(|_| Member)
}

fn creation(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("ecosystem_creation");
    group.sample_size(10);
    for workers in [10usize, 100, 1_000, 10_000, 100_000] {
        group.throughput(Throughput::Elements(workers as u64));
        group.bench_with_input(BenchmarkId::from_parameter(workers), &workers, |b, &workers| {
            b.to_async(&rt).iter_custom(|iters| async move {
                tokio::spawn(async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let node = Node::new().unwrap();
                        let start = Instant::now();
                        let eco = node.spawn_ecosystem(spec("bench", workers)).await.unwrap();
                        total += start.elapsed();
                        eco.shutdown().await;
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

fn recovery(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("coordinator_recovery");
    for workers in [10usize, 1_000, 10_000] {
        let (node, eco) = rt.block_on(async {
            let node = Node::new().unwrap();
            let eco = node.spawn_ecosystem(spec("recovery", workers)).await.unwrap();
            (node, eco)
        });
        group.bench_with_input(BenchmarkId::from_parameter(workers), &workers, |b, _| {
            let (node, eco) = (node.clone(), eco.clone());
            b.to_async(&rt).iter_custom(move |iters| {
                let (node, eco) = (node.clone(), eco.clone());
                async move {
                    tokio::spawn(async move {
                        let coordinator = eco.coordinator();
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            coordinator.call(Msg::Ping).await.unwrap();
                            let old = coordinator.pid();
                            let start = Instant::now();
                            node.kill(old);
                            // Until the supervisor has started the next incarnation.
                            while coordinator.pid() == old {
                                tokio::task::yield_now().await;
                            }
                            coordinator.call(Msg::Ping).await.unwrap();
                            total += start.elapsed();
                        }
                        total
                    })
                    .await
                    .unwrap()
                }
            });
        });
        rt.block_on(eco.shutdown());
    }
    group.finish();
}

criterion_group!(benches, creation, recovery);
criterion_main!(benches);
