//! Memory per idle process and call latency percentiles, against raw tokio, in one run.
//!
//! Run: `cargo bench -p foundation --bench footprint`.
//!
//! Bytes are counted by a counting global allocator (the `cap` crate) around spawning 100,000
//! processes that then sit idle: everything they hold (control block, mailbox, task) divided
//! by their number. Latency is measured per call with `Instant`, 100,000 calls after 10,000 of
//! warm-up, on a 2-worker multi-thread runtime, caller and callee both tasks on it.

use std::alloc::System;
use std::time::{Duration, Instant};

use cap::Cap;
mod common;

use common::{Echo, Echoer};
use foundation::{BoxError, Context, Node, Process};
use tokio::sync::{mpsc, oneshot};

#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

const IDLE: usize = 100_000;
const CALLS: usize = 100_000;

struct Idle;

impl Process for Idle {
    type Message = u64;

    async fn handle(&mut self, _ctx: &mut Context<u64>, _msg: u64) -> Result<(), BoxError> {
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    println!(
        "call_latency/{name}: p50 {:?}  p99 {:?}  max {:?}",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

async fn idle_bytes() {
    let node = Node::new().unwrap();
    // One process first, so one-time allocations (runtime, table) are not counted.
    let warm = node.spawn(Idle).unwrap();
    tokio::task::yield_now().await;
    let before = ALLOC.allocated();
    let mut refs = Vec::with_capacity(IDLE);
    let vec_bytes = IDLE * std::mem::size_of::<foundation::ProcessRef<u64>>();
    for _ in 0..IDLE {
        refs.push(node.spawn(Idle).unwrap());
    }
    while refs.iter().any(|r| {
        node.process_info(r.pid()).is_some_and(|i| i.status != foundation::ProcessStatus::Waiting)
    }) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = ALLOC.allocated();
    println!(
        "idle_process_bytes/foundation: {} B per process ({} processes)",
        (after - before - vec_bytes) / IDLE,
        IDLE
    );
    drop(refs);
    drop(warm);
    node.shutdown(Duration::from_secs(10)).await;

    let before = ALLOC.allocated();
    let mut senders = Vec::with_capacity(IDLE);
    let vec_bytes = IDLE * std::mem::size_of::<mpsc::Sender<u64>>();
    for _ in 0..IDLE {
        let (tx, mut rx) = mpsc::channel::<u64>(1024);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        senders.push(tx);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = ALLOC.allocated();
    println!(
        "idle_process_bytes/tokio_task_mpsc: {} B per task+channel ({} tasks)",
        (after - before - vec_bytes) / IDLE,
        IDLE
    );
}

async fn call_latency() {
    let node = Node::new().unwrap();
    let echo = node.spawn(Echoer).unwrap();
    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..(CALLS + CALLS / 10) {
        let start = Instant::now();
        echo.call(|r| Echo::Ping(i as u64, r)).await.unwrap();
        if i >= CALLS / 10 {
            samples.push(start.elapsed());
        }
    }
    report("foundation", samples);

    let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
    tokio::spawn(async move {
        while let Some((n, reply)) = rx.recv().await {
            let _ = reply.send(n);
        }
    });
    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..(CALLS + CALLS / 10) {
        let start = Instant::now();
        let (reply, answer) = oneshot::channel();
        tx.send((i as u64, reply)).await.unwrap();
        answer.await.unwrap();
        if i >= CALLS / 10 {
            samples.push(start.elapsed());
        }
    }
    report("tokio_mpsc_oneshot", samples);

    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..(CALLS + CALLS / 10) {
        let start = Instant::now();
        let (reply, answer) = oneshot::channel();
        tx.send((i as u64, reply)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), answer).await.unwrap().unwrap();
        if i >= CALLS / 10 {
            samples.push(start.elapsed());
        }
    }
    report("tokio_mpsc_oneshot_timeout_5s", samples);
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: keep that run short.
    if !std::env::args().any(|a| a == "--bench") {
        println!("footprint: skipped outside `cargo bench`");
        return;
    }
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        tokio::spawn(idle_bytes()).await.unwrap();
        tokio::spawn(call_latency()).await.unwrap();
    });
}
