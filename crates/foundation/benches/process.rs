//! Throughput of the process core against raw tokio, in one run.
//!
//! Run: `cargo bench -p foundation --bench process`.
//!
//! All workloads run on a multi-thread tokio runtime with 2 worker threads (this machine has 2
//! cores). Messages are `u64`. Senders do not yield between sends except when the mailbox is
//! full; the receiver counts and signals the bench when the last message arrives.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use foundation::Node;
use tokio::sync::{Notify, mpsc, oneshot};

mod common;

use common::{Echo, Echoer, Ready, Sink, on_runtime, runtime, timed};

fn spawn_to_ready(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("spawn_to_ready");
    group.sample_size(10);
    for n in [1_000usize, 100_000] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("foundation", n), &n, |b, &n| {
            b.to_async(&rt).iter_custom(|iters| {
                on_runtime(async move {
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
            });
        });
        group.bench_with_input(BenchmarkId::new("tokio_task", n), &n, |b, &n| {
            b.to_async(&rt).iter_custom(|iters| {
                on_runtime(async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let gate = Arc::new((AtomicUsize::new(n), Notify::new()));
                        let mut handles = Vec::with_capacity(n);
                        let start = Instant::now();
                        for _ in 0..n {
                            let gate = Arc::clone(&gate);
                            let (tx, mut rx) = mpsc::unbounded_channel::<()>();
                            handles.push(tx);
                            tokio::spawn(async move {
                                if gate.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                                    gate.1.notify_one();
                                }
                                while rx.recv().await.is_some() {}
                            });
                        }
                        gate.1.notified().await;
                        total += start.elapsed();
                        drop(handles);
                    }
                    total
                })
            });
        });
    }
    group.finish();
}

const MESSAGES: u64 = 1_000_000;

async fn foundation_sink(senders: u64, bounded: bool) {
    let node = Node::new().unwrap();
    let done = Arc::new(Notify::new());
    let builder = if bounded { node.process() } else { node.process().unbounded_mailbox() };
    let sink = builder.spawn(Sink { seen: 0, target: MESSAGES, done: Arc::clone(&done) }).unwrap();
    let notified = done.notified();
    for _ in 0..senders {
        let sink = sink.clone();
        tokio::spawn(async move {
            for i in 0..MESSAGES / senders {
                sink.send(i).await.unwrap();
            }
        });
    }
    drop(sink);
    notified.await;
}

async fn tokio_bounded_sink(senders: u64) {
    let (tx, mut rx) = mpsc::channel::<u64>(1024);
    let recv = tokio::spawn(async move {
        let mut seen = 0;
        while rx.recv().await.is_some() {
            seen += 1;
            if seen == MESSAGES {
                break;
            }
        }
    });
    for _ in 0..senders {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..MESSAGES / senders {
                tx.send(i).await.unwrap();
            }
        });
    }
    recv.await.unwrap();
}

async fn tokio_unbounded_sink(senders: u64) {
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let recv = tokio::spawn(async move {
        let mut seen = 0;
        while rx.recv().await.is_some() {
            seen += 1;
            if seen == MESSAGES {
                break;
            }
        }
    });
    for _ in 0..senders {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..MESSAGES / senders {
                tx.send(i).unwrap();
            }
        });
    }
    recv.await.unwrap();
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    for senders in [1u64, 100] {
        let mut group = c.benchmark_group(format!("send_{senders}to1"));
        group.throughput(Throughput::Elements(MESSAGES));
        group.sample_size(10);
        group.bench_function("foundation_bounded_1024", |b| {
            timed(&rt, b, move || foundation_sink(senders, true));
        });
        group.bench_function("foundation_unbounded", |b| {
            timed(&rt, b, move || foundation_sink(senders, false));
        });
        group.bench_function("tokio_mpsc_bounded_1024", |b| {
            timed(&rt, b, move || tokio_bounded_sink(senders));
        });
        group.bench_function("tokio_mpsc_unbounded", |b| {
            timed(&rt, b, move || tokio_unbounded_sink(senders));
        });
        group.finish();
    }
}

const CALLS: u64 = 10_000;

fn call_round_trip(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("call_round_trip");
    group.throughput(Throughput::Elements(CALLS));
    group.bench_function("foundation", |b| {
        timed(&rt, b, || async {
            let node = Node::new().unwrap();
            let echo = node.spawn(Echoer).unwrap();
            for i in 0..CALLS {
                echo.call(|r| Echo::Ping(i, r)).await.unwrap();
            }
        });
    });
    group.bench_function("tokio_mpsc_oneshot", |b| {
        timed(&rt, b, || async {
            let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
            tokio::spawn(async move {
                while let Some((n, reply)) = rx.recv().await {
                    let _ = reply.send(n);
                }
            });
            for i in 0..CALLS {
                let (reply, answer) = oneshot::channel();
                tx.send((i, reply)).await.unwrap();
                answer.await.unwrap();
            }
        });
    });
    group.bench_function("tokio_mpsc_oneshot_timeout_5s", |b| {
        timed(&rt, b, || async {
            let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
            tokio::spawn(async move {
                while let Some((n, reply)) = rx.recv().await {
                    let _ = reply.send(n);
                }
            });
            for i in 0..CALLS {
                let (reply, answer) = oneshot::channel();
                tx.send((i, reply)).await.unwrap();
                tokio::time::timeout(Duration::from_secs(5), answer).await.unwrap().unwrap();
            }
        });
    });
    group.finish();
}

criterion_group!(benches, spawn_to_ready, throughput, call_round_trip);
criterion_main!(benches);
