//! kameo 0.22: actors on the caller's tokio runtime, driven through `kameo::Actor` and
//! `kameo::message::Message`.
//!
//! - `spawn`: `Actor::spawn_with_mailbox` per actor (returns at once; `on_start` runs in the
//!   actor's task), then `ActorRef::wait_for_startup` on every one. Torn down with
//!   `stop_gracefully` and `wait_for_shutdown`.
//! - `tell`, `complex`, `payload`: `ActorRef::tell(..).await` from tokio tasks into one counting
//!   actor that notifies at its target; the await is where a full mailbox pushes back.
//! - `call`: `ActorRef::ask(..).reply_timeout(5 s)`, the timeout Foundation's `call` has.
//! - `chain`: emitter → forwarder → forwarder → counting actor, every hop a `tell(..).await`.
//! - `recovery`: not measured yet. kameo 0.22 has supervisors that restart a failed child
//!   (`Spawn::supervise`, with OTP-like strategies and restart limits); a recovery row driven
//!   through them belongs to the benchmark's next revision. Until then kameo has no row.
//!
//! Mailboxes: kameo's default (`Actor::spawn`) is bounded at 64; every actor here gets
//! `mailbox::bounded(CAPACITY)` instead, the bound the other systems use.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::error::Infallible;
use kameo::mailbox;
use kameo::message::{Context, Message};
use tokio::sync::Notify;

use super::{BenchSystem, CAPACITY, Order, Spawned, heap, order};

/// kameo.
#[derive(Debug, Default)]
pub(crate) struct Kameo;

/// Spawns `actor` with the common bounded mailbox.
fn start<A: Actor<Args = A>>(actor: A) -> ActorRef<A> {
    A::spawn_with_mailbox(actor, mailbox::bounded(CAPACITY))
}

/// Stops an actor after what its mailbox holds, and waits until it has.
async fn stop<A: Actor>(actor: &ActorRef<A>) {
    let _ = actor.stop_gracefully().await;
    actor.wait_for_shutdown().await;
}

/// An idle actor.
#[derive(Actor)]
struct Idle;

/// Counts `target` messages of any type, then notifies.
struct Sink<M> {
    seen: u64,
    target: u64,
    done: Arc<Notify>,
    _m: PhantomData<fn(M)>,
}

impl<M: Send + 'static> Actor for Sink<M> {
    type Args = Self;
    type Error = Infallible;

    async fn on_start(sink: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(sink)
    }
}

impl<M: Send + 'static> Message<M> for Sink<M> {
    type Reply = ();

    async fn handle(&mut self, msg: M, _: &mut Context<Self, ()>) {
        drop(msg);
        self.seen += 1;
        if self.seen == self.target {
            self.done.notify_one();
        }
    }
}

/// Spawns a sink for `n` messages; returns its address and the notification.
fn sink<M: Send + 'static>(n: u64) -> (ActorRef<Sink<M>>, Arc<Notify>) {
    let done = Arc::new(Notify::new());
    let sink = Sink { seen: 0, target: n, done: Arc::clone(&done), _m: PhantomData };
    (start(sink), done)
}

/// Tells everything from `produce` to a fresh sink from one task; time until all arrived.
async fn one_to_one<M: Send + 'static>(
    messages: u64,
    produce: impl Fn(u64) -> M + Send + 'static,
) -> Option<Duration> {
    let start = Instant::now();
    let (to, done) = sink::<M>(messages);
    let notified = done.notified();
    let from = to.clone();
    tokio::spawn(async move {
        for i in 0..messages {
            let _ = from.tell(produce(i)).await;
        }
    });
    notified.await;
    let elapsed = start.elapsed();
    stop(&to).await;
    Some(elapsed)
}

/// Answers every number with itself.
#[derive(Actor)]
struct Echo;

impl Message<u64> for Echo {
    type Reply = u64;

    async fn handle(&mut self, n: u64, _: &mut Context<Self, u64>) -> u64 {
        n
    }
}

/// Tells every message on to the next actor.
struct Forward<A: Actor>(ActorRef<A>);

impl<A: Message<u64>> Actor for Forward<A> {
    type Args = Self;
    type Error = Infallible;

    async fn on_start(forward: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(forward)
    }
}

impl<A: Message<u64>> Message<u64> for Forward<A> {
    type Reply = ();

    async fn handle(&mut self, msg: u64, _: &mut Context<Self, ()>) {
        let _ = self.0.tell(msg).await;
    }
}

/// Tells `n` messages to the next actor when told `n`.
struct Emit<A: Actor>(ActorRef<A>);

impl<A: Message<u64>> Actor for Emit<A> {
    type Args = Self;
    type Error = Infallible;

    async fn on_start(emit: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(emit)
    }
}

impl<A: Message<u64>> Message<u64> for Emit<A> {
    type Reply = ();

    async fn handle(&mut self, n: u64, _: &mut Context<Self, ()>) {
        for i in 0..n {
            let _ = self.0.tell(i).await;
        }
    }
}

impl BenchSystem for Kameo {
    const NAME: &'static str = "kameo";

    async fn spawn(&self, n: usize) -> Option<Spawned> {
        let before = heap();
        let start_time = Instant::now();
        let actors: Vec<ActorRef<Idle>> = (0..n).map(|_| start(Idle)).collect();
        for actor in &actors {
            actor.wait_for_startup().await;
        }
        let elapsed = start_time.elapsed();
        let bytes = heap().zip(before).map(|(after, before)| after.saturating_sub(before));
        for actor in &actors {
            stop(actor).await;
        }
        Some(Spawned { elapsed, bytes })
    }

    async fn tell(&self, messages: u64, senders: u64) -> Option<Duration> {
        let start = Instant::now();
        let (to, done) = sink::<u64>(messages);
        let notified = done.notified();
        for _ in 0..senders {
            let to = to.clone();
            tokio::spawn(async move {
                for i in 0..messages / senders {
                    let _ = to.tell(i).await;
                }
            });
        }
        notified.await;
        let elapsed = start.elapsed();
        stop(&to).await;
        Some(elapsed)
    }

    async fn complex(&self, messages: u64) -> Option<Duration> {
        one_to_one::<Order>(messages, order).await
    }

    async fn call(&self, calls: u64) -> Option<Vec<Duration>> {
        let echo = start(Echo);
        echo.wait_for_startup().await;
        let mut latencies = Vec::with_capacity(calls as usize);
        for i in 0..calls {
            let start = Instant::now();
            // The same 5 s timeout Foundation's `call` has.
            echo.ask(i).reply_timeout(Duration::from_secs(5)).await.ok()?;
            latencies.push(start.elapsed());
        }
        stop(&echo).await;
        Some(latencies)
    }

    async fn payload(&self, messages: u64, payload: Bytes) -> Option<Duration> {
        one_to_one::<Bytes>(messages, move |_| payload.clone()).await
    }

    async fn chain(&self, messages: u64) -> Option<Duration> {
        let (last, done) = sink::<u64>(messages);
        let back = start(Forward(last.clone()));
        let front = start(Forward(back.clone()));
        let emitter = start(Emit(front.clone()));
        emitter.wait_for_startup().await;
        let notified = done.notified();
        let start_time = Instant::now();
        emitter.tell(messages).await.ok()?;
        notified.await;
        let elapsed = start_time.elapsed();
        stop(&emitter).await;
        stop(&front).await;
        stop(&back).await;
        stop(&last).await;
        Some(elapsed)
    }
}
