//! The spec's message figures and the message module's workloads, against raw tokio channels in
//! the same run.
//!
//! Run: `cargo bench -p foundation --bench messages`.
//!
//! A multi-thread tokio runtime with 2 workers (this machine has 2 cores). Foundation's
//! processes use their default bounded mailbox (1,024); tokio's channels are bounded to 1,024
//! too. Each round ends when the last message has been received.
//!
//! - `simple`: `u64` messages, one sender, one receiver.
//! - `complex`: an order of about 1 KB (a string, a vector of lines, a map, a note), cloned
//!   from a template by the sender for each message and dropped by the receiver.
//! - `cross_ecosystem`: worker → coordinator of ecosystem A → coordinator of ecosystem B (found
//!   by name) → a worker of B chosen round-robin; tokio: four tasks chained by channels.
//! - `many_to_one`: 2 and 100 senders into one bounded mailbox.
//! - `payload_1mib`: a 1 MiB `Binary` (tokio: `Bytes`) sent 1→1 by reference count.
//! - `broadcast_1000`: one `Arc` payload to 1,000 receivers, 100 times.
//! - `analytics`: the same `u64` stream to a process that reports message sizes (bytes,
//!   largest) and to one that does not: the cost of byte analytics.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use foundation::ecosystem::{CoordinatorStart, EcosystemConfig, EcosystemSpec, Members};
use foundation::message::{Binary, Route, broadcast};
use foundation::{BoxError, Context, Node, Process, ProcessRef};
use tokio::sync::{Notify, mpsc};

mod common;
use common::{Sink, on_runtime, runtime, timed};

const MESSAGES: u64 = 1_000_000;

/// Counts to a target shared by many receivers, then notifies.
#[derive(Default)]
struct Tally {
    seen: AtomicU64,
    target: AtomicU64,
    done: Notify,
}

impl Tally {
    fn expect(&self, n: u64) {
        self.seen.store(0, Ordering::SeqCst);
        self.target.store(n, Ordering::SeqCst);
    }

    fn count(&self) {
        if self.seen.fetch_add(1, Ordering::AcqRel) + 1 == self.target.load(Ordering::Acquire) {
            self.done.notify_one();
        }
    }
}

// ---- simple and sized -------------------------------------------------------------------------

/// `Sink` that reports each message's size: pays for byte analytics.
struct SizedSink(Sink);

impl Process for SizedSink {
    type Message = u64;

    async fn handle(&mut self, ctx: &mut Context<u64>, msg: u64) -> Result<(), BoxError> {
        self.0.handle(ctx, msg).await
    }

    fn message_size(_msg: &u64) -> Option<usize> {
        Some(8)
    }
}

async fn foundation_stream<P: Process<Message = M>, M: Send + 'static>(
    make: impl FnOnce(Arc<Notify>) -> P,
    senders: u64,
    message: impl Fn(u64) -> M + Clone + Send + 'static,
) {
    let node = Node::new().unwrap();
    let done = Arc::new(Notify::new());
    let sink = node.spawn(make(Arc::clone(&done))).unwrap();
    let notified = done.notified();
    for _ in 0..senders {
        let (sink, message) = (sink.clone(), message.clone());
        tokio::spawn(async move {
            for i in 0..MESSAGES / senders {
                let _ = sink.send(message(i)).await;
            }
        });
    }
    drop(sink);
    notified.await;
}

async fn tokio_stream<M: Send + 'static>(
    senders: u64,
    message: impl Fn(u64) -> M + Clone + Send + 'static,
) {
    let (tx, mut rx) = mpsc::channel::<M>(1024);
    let recv = tokio::spawn(async move {
        let mut seen = 0;
        while let Some(msg) = rx.recv().await {
            drop(msg);
            seen += 1;
            if seen == MESSAGES {
                break;
            }
        }
    });
    for _ in 0..senders {
        let (tx, message) = (tx.clone(), message.clone());
        tokio::spawn(async move {
            for i in 0..MESSAGES / senders {
                let _ = tx.send(message(i)).await;
            }
        });
    }
    recv.await.unwrap();
}

fn sink(done: Arc<Notify>) -> Sink {
    Sink { seen: 0, target: MESSAGES, done }
}

/// A message-generic sink: counts whatever it gets.
struct AnySink<M> {
    seen: u64,
    done: Arc<Notify>,
    _m: std::marker::PhantomData<fn(M)>,
}

impl<M> AnySink<M> {
    fn new(done: Arc<Notify>) -> Self {
        AnySink { seen: 0, done, _m: std::marker::PhantomData }
    }
}

impl<M: Send + 'static> Process for AnySink<M> {
    type Message = M;

    async fn handle(&mut self, _ctx: &mut Context<M>, msg: M) -> Result<(), BoxError> {
        drop(msg);
        self.seen += 1;
        if self.seen == MESSAGES {
            self.done.notify_one();
        }
        Ok(())
    }
}

fn simple(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("messages_simple");
    group.throughput(Throughput::Elements(MESSAGES)).sample_size(10);
    group.bench_function("foundation", |b| {
        timed(&rt, b, || foundation_stream(sink, 1, |i| i));
    });
    group.bench_function("tokio_mpsc", |b| timed(&rt, b, || tokio_stream(1, |i| i)));
    group.finish();

    let mut group = c.benchmark_group("messages_analytics");
    group.throughput(Throughput::Elements(MESSAGES)).sample_size(10);
    group.bench_function("foundation_unsized", |b| {
        timed(&rt, b, || foundation_stream(sink, 1, |i| i));
    });
    group.bench_function("foundation_sized", |b| {
        timed(&rt, b, || foundation_stream(|d| SizedSink(sink(d)), 1, |i| i));
    });
    group.finish();
}

// ---- complex ----------------------------------------------------------------------------------

/// An order of about 1 KB on the heap, in four allocations: a name, 16 lines, a map of 16
/// tags, a 256-byte note. Each message is a clone of a template, as a service copying a
/// parsed request would make.
#[derive(Clone)]
#[allow(dead_code)]
struct Order {
    id: u64,
    customer: String,
    lines: Vec<Line>,
    tags: BTreeMap<u32, u64>,
    note: Vec<u8>,
}

#[derive(Clone)]
#[allow(dead_code)]
struct Line {
    sku: u64,
    quantity: u32,
    price_cents: u64,
}

fn template() -> Order {
    Order {
        id: 0,
        customer: "customer-000000000000000000000042".to_owned(),
        lines: (0..16).map(|l| Line { sku: 1000 + l, quantity: 1, price_cents: 995 }).collect(),
        tags: (0..16).map(|t| (t, u64::from(t) * 7)).collect(),
        note: vec![b'x'; 256],
    }
}

fn order(id: u64) -> Order {
    thread_local! {
        static TEMPLATE: Order = template();
    }
    let mut order = TEMPLATE.with(Order::clone);
    order.id = id;
    order
}

fn complex(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("messages_complex");
    group.throughput(Throughput::Elements(MESSAGES)).sample_size(10);
    group.bench_function("foundation", |b| {
        timed(&rt, b, || foundation_stream(AnySink::<Order>::new, 1, order));
    });
    group.bench_function("tokio_mpsc", |b| timed(&rt, b, || tokio_stream(1, order)));
    group.finish();
}

// ---- cross-ecosystem --------------------------------------------------------------------------

/// A worker of the front ecosystem: told to emit `n` messages to its coordinator.
struct Emitter(Members<u64, u64>);

impl Process for Emitter {
    type Message = u64;

    async fn handle(&mut self, _ctx: &mut Context<u64>, n: u64) -> Result<(), BoxError> {
        let coordinator = self.0.coordinator();
        for i in 0..n {
            coordinator.send(i).await?;
        }
        Ok(())
    }
}

/// The front coordinator: forwards to the back ecosystem's coordinator, found by name.
struct Forwarder {
    node: Node,
    back: Option<ProcessRef<u64>>,
}

impl Process for Forwarder {
    type Message = u64;

    async fn init(&mut self, _ctx: &mut Context<u64>) -> Result<(), BoxError> {
        self.back = Some(self.node.ecosystem::<u64, u64>("back")?.coordinator());
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<u64>, msg: u64) -> Result<(), BoxError> {
        self.back.as_ref().expect("set in init").send(msg).await?;
        Ok(())
    }
}

/// The back coordinator: routes each message to a worker, round-robin.
struct Router(Members<u64, u64>);

impl Process for Router {
    type Message = u64;

    async fn handle(&mut self, _ctx: &mut Context<u64>, msg: u64) -> Result<(), BoxError> {
        let worker = self.0.route(Route::RoundRobin).ok_or("no worker")?;
        worker.send(msg).await?;
        Ok(())
    }
}

/// A back worker: counts.
struct Counter(Arc<Tally>);

impl Process for Counter {
    type Message = u64;

    async fn handle(&mut self, _ctx: &mut Context<u64>, _msg: u64) -> Result<(), BoxError> {
        self.0.count();
        Ok(())
    }
}

fn cross_ecosystem(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("messages_cross_ecosystem");
    group.throughput(Throughput::Elements(MESSAGES)).sample_size(10);
    group.bench_function("foundation", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            on_runtime(async move {
                let node = Node::new().unwrap();
                let tally = Arc::new(Tally::default());
                let t = Arc::clone(&tally);
                let back = EcosystemSpec::new(EcosystemConfig::new("back").workers(2))
                    .coordinator(|s: &CoordinatorStart<u64, u64>| Router(s.members().clone()))
                    .worker(move |_| Counter(Arc::clone(&t)));
                let _back = node.spawn_ecosystem(back).await.unwrap();
                let n = node.clone();
                let front = EcosystemSpec::new(EcosystemConfig::new("front").workers(1))
                    .coordinator(move |_| Forwarder { node: n.clone(), back: None })
                    .worker(|s| Emitter(s.members().clone()));
                let front = node.spawn_ecosystem(front).await.unwrap();
                let emitter = front.workers().remove(0);
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    tally.expect(MESSAGES);
                    let done = tally.done.notified();
                    let start = Instant::now();
                    emitter.send(MESSAGES).await.unwrap();
                    done.await;
                    total += start.elapsed();
                }
                node.shutdown(Duration::from_secs(5)).await;
                total
            })
        });
    });
    group.bench_function("tokio_mpsc", |b| {
        timed(&rt, b, || async {
            let (to_front, mut front) = mpsc::channel::<u64>(1024);
            let (to_back, mut back) = mpsc::channel::<u64>(1024);
            let tally = Arc::new(Tally::default());
            tally.expect(MESSAGES);
            let workers: Vec<mpsc::Sender<u64>> = (0..2)
                .map(|_| {
                    let (tx, mut rx) = mpsc::channel::<u64>(1024);
                    let tally = Arc::clone(&tally);
                    tokio::spawn(async move {
                        while rx.recv().await.is_some() {
                            tally.count();
                        }
                    });
                    tx
                })
                .collect();
            tokio::spawn(async move {
                while let Some(m) = front.recv().await {
                    let _ = to_back.send(m).await;
                }
            });
            tokio::spawn(async move {
                let mut next = 0;
                while let Some(m) = back.recv().await {
                    let _ = workers[next % workers.len()].send(m).await;
                    next += 1;
                }
            });
            let done = tally.done.notified();
            tokio::spawn(async move {
                for i in 0..MESSAGES {
                    let _ = to_front.send(i).await;
                }
            });
            done.await;
        });
    });
    group.finish();
}

// ---- many-to-one, payloads, broadcast ---------------------------------------------------------

fn many_to_one(c: &mut Criterion) {
    let rt = runtime();
    for senders in [2u64, 100] {
        let mut group = c.benchmark_group(format!("many_to_one_{senders}"));
        group.throughput(Throughput::Elements(MESSAGES)).sample_size(10);
        group.bench_function("foundation", |b| {
            timed(&rt, b, move || foundation_stream(sink, senders, |i| i));
        });
        group.bench_function("tokio_mpsc", |b| timed(&rt, b, move || tokio_stream(senders, |i| i)));
        group.finish();
    }
}

fn payloads(c: &mut Criterion) {
    let rt = runtime();
    let binary = Binary::build(1 << 20, |buf| buf.resize(1 << 20, 7));
    let bytes = Bytes::from(vec![7u8; 1 << 20]);
    let mut group = c.benchmark_group("payload_1mib");
    group.throughput(Throughput::Elements(MESSAGES)).sample_size(10);
    group.bench_function("foundation_binary", |b| {
        let binary = binary.clone();
        b.to_async(&rt).iter_custom(move |iters| {
            let binary = binary.clone();
            on_runtime(async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let payload = binary.clone();
                    let start = Instant::now();
                    foundation_stream(AnySink::<Binary>::new, 1, move |_| payload.clone()).await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    group.bench_function("tokio_mpsc_bytes", |b| {
        let bytes = bytes.clone();
        b.to_async(&rt).iter_custom(move |iters| {
            let bytes = bytes.clone();
            on_runtime(async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let payload = bytes.clone();
                    let start = Instant::now();
                    tokio_stream(1, move |_| payload.clone()).await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    group.finish();
}

const RECEIVERS: usize = 1000;
const ROUNDS: u64 = 100;

/// A broadcast receiver: counts.
struct Listener(Arc<Tally>);

impl Process for Listener {
    type Message = Arc<[u8; 256]>;

    async fn handle(
        &mut self,
        _ctx: &mut Context<Self::Message>,
        _: Self::Message,
    ) -> Result<(), BoxError> {
        self.0.count();
        Ok(())
    }
}

fn broadcast_1000(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("broadcast_1000");
    group.throughput(Throughput::Elements(ROUNDS * RECEIVERS as u64)).sample_size(10);
    group.bench_function("foundation", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            on_runtime(async move {
                let node = Node::new().unwrap();
                let tally = Arc::new(Tally::default());
                let listeners: Vec<_> = (0..RECEIVERS)
                    .map(|_| node.spawn(Listener(Arc::clone(&tally))).unwrap())
                    .collect();
                let payload = Arc::new([1u8; 256]);
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    tally.expect(ROUNDS * RECEIVERS as u64);
                    let done = tally.done.notified();
                    let start = Instant::now();
                    for _ in 0..ROUNDS {
                        let report = broadcast(&listeners, Arc::clone(&payload)).unwrap();
                        assert_eq!(report.delivered, RECEIVERS);
                    }
                    done.await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    group.bench_function("tokio_mpsc", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            on_runtime(async move {
                let tally = Arc::new(Tally::default());
                let senders: Vec<mpsc::Sender<Arc<[u8; 256]>>> = (0..RECEIVERS)
                    .map(|_| {
                        let (tx, mut rx) = mpsc::channel::<Arc<[u8; 256]>>(1024);
                        let tally = Arc::clone(&tally);
                        tokio::spawn(async move {
                            while rx.recv().await.is_some() {
                                tally.count();
                            }
                        });
                        tx
                    })
                    .collect();
                let payload = Arc::new([1u8; 256]);
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    tally.expect(ROUNDS * RECEIVERS as u64);
                    let done = tally.done.notified();
                    let start = Instant::now();
                    for _ in 0..ROUNDS {
                        for tx in &senders {
                            tx.try_send(Arc::clone(&payload)).unwrap();
                        }
                    }
                    done.await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    group.finish();
}

criterion_group!(benches, simple, complex, cross_ecosystem, many_to_one, payloads, broadcast_1000);
criterion_main!(benches);
