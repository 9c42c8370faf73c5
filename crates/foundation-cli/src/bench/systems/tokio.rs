//! The yardstick: raw tokio tasks and bounded mpsc channels.

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::{BenchSystem, CAPACITY, Order, Spawned, heap, order};

/// Raw tokio.
#[derive(Debug, Default)]
pub(crate) struct Tokio;

/// A receiver task counting `n` messages of any type.
fn sink<M: Send + 'static>(n: u64) -> (mpsc::Sender<M>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<M>(CAPACITY);
    let task = tokio::spawn(async move {
        let mut seen = 0;
        while let Some(msg) = rx.recv().await {
            drop(msg);
            seen += 1;
            if seen == n {
                break;
            }
        }
    });
    (tx, task)
}

impl BenchSystem for Tokio {
    const NAME: &'static str = "tokio";

    async fn spawn(&self, n: usize) -> Option<Spawned> {
        let before = heap();
        let start = Instant::now();
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
        let mut senders = Vec::with_capacity(n);
        for _ in 0..n {
            let (tx, mut rx) = mpsc::channel::<u64>(CAPACITY);
            let ready = ready_tx.clone();
            tokio::spawn(async move {
                let _ = ready.send(());
                while rx.recv().await.is_some() {}
            });
            senders.push(tx);
        }
        for _ in 0..n {
            ready_rx.recv().await?;
        }
        let elapsed = start.elapsed();
        let bytes = heap().zip(before).map(|(after, before)| after.saturating_sub(before));
        drop(senders);
        Some(Spawned { elapsed, bytes })
    }

    async fn tell(&self, messages: u64, senders: u64) -> Option<Duration> {
        let start = Instant::now();
        let (tx, task) = sink::<u64>(messages);
        for _ in 0..senders {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0..messages / senders {
                    let _ = tx.send(i).await;
                }
            });
        }
        drop(tx);
        task.await.ok()?;
        Some(start.elapsed())
    }

    async fn complex(&self, messages: u64) -> Option<Duration> {
        let start = Instant::now();
        let (tx, task) = sink::<Order>(messages);
        tokio::spawn(async move {
            for i in 0..messages {
                let _ = tx.send(order(i)).await;
            }
        });
        task.await.ok()?;
        Some(start.elapsed())
    }

    async fn call(&self, calls: u64) -> Option<Vec<Duration>> {
        let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(CAPACITY);
        tokio::spawn(async move {
            while let Some((n, reply)) = rx.recv().await {
                let _ = reply.send(n);
            }
        });
        let mut latencies = Vec::with_capacity(calls as usize);
        for i in 0..calls {
            let start = Instant::now();
            let (reply, answer) = oneshot::channel();
            tx.send((i, reply)).await.ok()?;
            // The same 5 s timeout Foundation's `call` has.
            tokio::time::timeout(Duration::from_secs(5), answer).await.ok()?.ok()?;
            latencies.push(start.elapsed());
        }
        Some(latencies)
    }

    async fn payload(&self, messages: u64, payload: Bytes) -> Option<Duration> {
        let start = Instant::now();
        let (tx, task) = sink::<Bytes>(messages);
        tokio::spawn(async move {
            for _ in 0..messages {
                let _ = tx.send(payload.clone()).await;
            }
        });
        task.await.ok()?;
        Some(start.elapsed())
    }

    async fn chain(&self, messages: u64) -> Option<Duration> {
        let start = Instant::now();
        let (to_worker, task) = sink::<u64>(messages);
        let (to_back, mut back) = mpsc::channel::<u64>(CAPACITY);
        let (to_front, mut front) = mpsc::channel::<u64>(CAPACITY);
        tokio::spawn(async move {
            while let Some(m) = back.recv().await {
                let _ = to_worker.send(m).await;
            }
        });
        tokio::spawn(async move {
            while let Some(m) = front.recv().await {
                let _ = to_back.send(m).await;
            }
        });
        tokio::spawn(async move {
            for i in 0..messages {
                let _ = to_front.send(i).await;
            }
        });
        task.await.ok()?;
        Some(start.elapsed())
    }
}
