//! Foundation: processes, ecosystems and stable addresses.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec, Members};
use foundation::message::{Binary, Route};
use foundation::{BoxError, Context, Node, Process, ProcessRef, ReplyTo};
use tokio::sync::Notify;

use super::{BenchSystem, CAPACITY, Spawned, heap, order};

/// Foundation.
#[derive(Debug, Default)]
pub(crate) struct Foundation;

/// Counts `target` messages, then notifies.
struct Sink<M> {
    seen: u64,
    target: u64,
    done: Arc<Notify>,
    _m: PhantomData<fn(M)>,
}

impl<M: Send + 'static> Process for Sink<M> {
    type Message = M;

    async fn handle(&mut self, _: &mut Context<M>, msg: M) -> Result<(), BoxError> {
        drop(msg);
        self.seen += 1;
        if self.seen == self.target {
            self.done.notify_one();
        }
        Ok(())
    }
}

/// Spawns a sink for `n` messages; returns its address and the notification.
fn sink<M: Send + 'static>(node: &Node, n: u64) -> Option<(ProcessRef<M>, Arc<Notify>)> {
    let done = Arc::new(Notify::new());
    let sink = Sink { seen: 0, target: n, done: Arc::clone(&done), _m: PhantomData };
    let address = node.process().mailbox_capacity(CAPACITY).spawn(sink).ok()?;
    Some((address, done))
}

/// Answers every request with its own number.
struct Echo;

impl Process for Echo {
    type Message = (u64, ReplyTo<u64>);

    async fn handle(
        &mut self,
        _: &mut Context<Self::Message>,
        msg: Self::Message,
    ) -> Result<(), BoxError> {
        let _ = msg.1.reply(msg.0);
        Ok(())
    }
}

/// Does nothing: an idle ecosystem member.
struct Idle;

impl Process for Idle {
    type Message = u64;

    async fn handle(&mut self, _: &mut Context<u64>, _: u64) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Forwards to the coordinator of another ecosystem, found by name at `init`.
struct Forwarder {
    node: Node,
    to: Option<ProcessRef<u64>>,
}

impl Process for Forwarder {
    type Message = u64;

    async fn init(&mut self, _: &mut Context<u64>) -> Result<(), BoxError> {
        self.to = Some(self.node.ecosystem::<u64, u64>("bench-back")?.coordinator());
        Ok(())
    }

    async fn handle(&mut self, _: &mut Context<u64>, msg: u64) -> Result<(), BoxError> {
        self.to.as_ref().ok_or("not started")?.send(msg).await?;
        Ok(())
    }
}

/// Routes each message to one of its workers, round-robin.
struct Router(Members<u64, u64>);

impl Process for Router {
    type Message = u64;

    async fn handle(&mut self, _: &mut Context<u64>, msg: u64) -> Result<(), BoxError> {
        self.0.route(Route::RoundRobin).ok_or("no worker")?.send(msg).await?;
        Ok(())
    }
}

/// Emits `n` messages to its coordinator when told `n`.
struct Emitter(Members<u64, u64>);

impl Process for Emitter {
    type Message = u64;

    async fn handle(&mut self, _: &mut Context<u64>, n: u64) -> Result<(), BoxError> {
        let coordinator = self.0.coordinator();
        for i in 0..n {
            coordinator.send(i).await?;
        }
        Ok(())
    }
}

/// Counts into a shared tally; the last one notifies.
struct Counter(Arc<(AtomicU64, u64, Notify)>);

impl Process for Counter {
    type Message = u64;

    async fn handle(&mut self, _: &mut Context<u64>, _: u64) -> Result<(), BoxError> {
        let (seen, target, done) = &*self.0;
        if seen.fetch_add(1, Ordering::AcqRel) + 1 == *target {
            done.notify_one();
        }
        Ok(())
    }
}

async fn stop(node: Node) {
    node.shutdown(Duration::from_secs(10)).await;
}

impl BenchSystem for Foundation {
    const NAME: &'static str = "foundation";

    async fn spawn(&self, n: usize) -> Option<Spawned> {
        let node = Node::new().ok()?;
        let before = heap();
        let start = Instant::now();
        let spec = EcosystemSpec::new(EcosystemConfig::new("bench").workers(n))
            .coordinator(|_| Idle)
            .worker(|_| Idle);
        let ecosystem = node.spawn_ecosystem(spec).await.ok()?;
        let elapsed = start.elapsed();
        let bytes = heap().zip(before).map(|(after, before)| after.saturating_sub(before));
        ecosystem.shutdown().await;
        stop(node).await;
        Some(Spawned { elapsed, bytes })
    }

    async fn tell(&self, messages: u64, senders: u64) -> Option<Duration> {
        let node = Node::new().ok()?;
        let start = Instant::now();
        let (to, done) = sink::<u64>(&node, messages)?;
        let notified = done.notified();
        for _ in 0..senders {
            let to = to.clone();
            tokio::spawn(async move {
                for i in 0..messages / senders {
                    let _ = to.send(i).await;
                }
            });
        }
        drop(to);
        notified.await;
        let elapsed = start.elapsed();
        stop(node).await;
        Some(elapsed)
    }

    async fn complex(&self, messages: u64) -> Option<Duration> {
        let node = Node::new().ok()?;
        let start = Instant::now();
        let (to, done) = sink(&node, messages)?;
        let notified = done.notified();
        tokio::spawn(async move {
            for i in 0..messages {
                let _ = to.send(order(i)).await;
            }
        });
        notified.await;
        let elapsed = start.elapsed();
        stop(node).await;
        Some(elapsed)
    }

    async fn call(&self, calls: u64) -> Option<Vec<Duration>> {
        let node = Node::new().ok()?;
        let echo = node.spawn(Echo).ok()?;
        let mut latencies = Vec::with_capacity(calls as usize);
        for i in 0..calls {
            let start = Instant::now();
            echo.call(|reply| (i, reply)).await.ok()?;
            latencies.push(start.elapsed());
        }
        stop(node).await;
        Some(latencies)
    }

    async fn payload(&self, messages: u64, payload: Bytes) -> Option<Duration> {
        let node = Node::new().ok()?;
        let payload = Binary::from(payload);
        let start = Instant::now();
        let (to, done) = sink::<Binary>(&node, messages)?;
        let notified = done.notified();
        tokio::spawn(async move {
            for _ in 0..messages {
                let _ = to.send(payload.clone()).await;
            }
        });
        notified.await;
        let elapsed = start.elapsed();
        stop(node).await;
        Some(elapsed)
    }

    async fn chain(&self, messages: u64) -> Option<Duration> {
        let node = Node::new().ok()?;
        let tally = Arc::new((AtomicU64::new(0), messages, Notify::new()));
        let t = Arc::clone(&tally);
        let back = EcosystemSpec::new(EcosystemConfig::new("bench-back").workers(2))
            .coordinator(|s| Router(s.members().clone()))
            .worker(move |_| Counter(Arc::clone(&t)));
        node.spawn_ecosystem(back).await.ok()?;
        let n = node.clone();
        let front = EcosystemSpec::new(EcosystemConfig::new("bench-front").workers(1))
            .coordinator(move |_| Forwarder { node: n.clone(), to: None })
            .worker(|s| Emitter(s.members().clone()));
        let front = node.spawn_ecosystem(front).await.ok()?;
        let emitter = front.workers().into_iter().next()?;
        let done = tally.2.notified();
        let start = Instant::now();
        emitter.send(messages).await.ok()?;
        done.await;
        let elapsed = start.elapsed();
        stop(node).await;
        Some(elapsed)
    }

    async fn recovery(&self, workers: usize) -> Option<Duration> {
        let node = Node::new().ok()?;
        let spec = EcosystemSpec::new(EcosystemConfig::new("bench-recovery").workers(workers))
            .coordinator(|_| Echo)
            .worker(|_| Idle);
        let ecosystem = node.spawn_ecosystem(spec).await.ok()?;
        let coordinator = ecosystem.coordinator();
        coordinator.call(|r| (0, r)).await.ok()?;
        let start = Instant::now();
        node.kill(coordinator.pid());
        // The call waits in the stable address's mailbox for the next incarnation.
        coordinator.call(|r| (1, r)).await.ok()?;
        let elapsed = start.elapsed();
        stop(node).await;
        Some(elapsed)
    }
}
