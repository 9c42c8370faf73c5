//! Processes and helpers the benches share (each bench is its own crate; this file is
//! included with `mod common;`).

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use foundation::{BoxError, Context, Process, ReplyTo};
use tokio::sync::Notify;

/// The runtime every bench runs on: multi-thread, 2 workers (this machine has 2 cores).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Runs a workload as a task on the runtime, as a process's caller would be, not on the
/// bench's own thread (which would turn every wake-up into a cross-thread one).
pub async fn on_runtime<F, T>(f: F) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(f).await.unwrap()
}

/// Times `iters` runs of `round`, each run a fresh task on the runtime.
pub fn timed<F, Fut>(rt: &tokio::runtime::Runtime, b: &mut criterion::Bencher<'_>, round: F)
where
    F: Fn() -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    b.to_async(rt).iter_custom(|iters| {
        on_runtime(async move {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let start = std::time::Instant::now();
                round().await;
                total += start.elapsed();
            }
            total
        })
    });
}

/// Counts messages; notifies when it has seen `target` of them.
pub struct Sink {
    pub seen: u64,
    pub target: u64,
    pub done: Arc<Notify>,
}

impl Process for Sink {
    type Message = u64;

    async fn handle(&mut self, _ctx: &mut Context<u64>, _msg: u64) -> Result<(), BoxError> {
        self.seen += 1;
        if self.seen == self.target {
            self.done.notify_one();
        }
        Ok(())
    }
}

/// Signals readiness from `init` (the last of a batch notifies), then idles.
pub struct Ready(pub Arc<(AtomicUsize, Notify)>);

impl Process for Ready {
    type Message = ();

    async fn init(&mut self, _ctx: &mut Context<()>) -> Result<(), BoxError> {
        if self.0.0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.1.notify_one();
        }
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<()>, _msg: ()) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A request answered with its own number.
pub enum Echo {
    Ping(u64, ReplyTo<u64>),
}

/// Answers every `Echo::Ping`.
pub struct Echoer;

impl Process for Echoer {
    type Message = Echo;

    async fn handle(&mut self, _ctx: &mut Context<Echo>, msg: Echo) -> Result<(), BoxError> {
        let Echo::Ping(n, reply) = msg;
        let _ = reply.reply(n);
        Ok(())
    }
}
