//! ractor 0.16: actors on the caller's tokio runtime, driven through `ractor::Actor`.
//!
//! - `spawn`: `Actor::spawn` per actor (it runs `pre_start` and returns once the actor's loop is
//!   spawned); each actor then signals from `post_start`, which runs inside its own task, and
//!   the run waits for all `n` signals. Torn down with `stop` and the join handles.
//! - `tell`, `complex`, `payload`: `ActorRef::cast` from tokio tasks into one counting actor
//!   that notifies at its target.
//! - `call`: `call_t!` (an RPC through an `RpcReplyPort`) with a 5 s timeout, as Foundation's
//!   `call` has.
//! - `chain`: emitter → forwarder → forwarder → counting actor, every hop a `cast`.
//! - `recovery`: none. ractor's supervision tells the supervisor an actor failed
//!   (`handle_supervisor_evt`); the supervisor may spawn a replacement, but that replacement has
//!   a new `ActorRef`, and the killed one stays dead: no address survives the restart.
//!
//! Mailboxes: ractor's are unbounded (a tokio unbounded channel) and it has no bounded option,
//! so `cast` never waits and there is no backpressure; `CAPACITY` cannot be applied.
//!
//! Built with ractor's `cluster` feature (ractor_cluster, in the same build for `cross_node`,
//! turns it on): a message type then implements `ractor::Message` itself, which for a local
//! type is an empty `impl`; `Bytes`, a foreign type, travels in a [`Payload`].

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ractor::concurrency::JoinHandle;
use ractor::{Actor, ActorProcessingErr, ActorRef, Message, RpcReplyPort, call_t};
use tokio::sync::{Notify, mpsc};

use super::{BenchSystem, Order, Spawned, heap, order};

/// ractor.
#[derive(Debug, Default)]
pub(crate) struct Ractor;

/// Stops an actor and waits for its task to end.
async fn stop<M: Message>(actor: ActorRef<M>, handle: JoinHandle<()>) {
    actor.stop(None);
    let _ = handle.await;
}

/// An idle actor that signals once its task runs (`post_start`).
struct Idle;

impl Actor for Idle {
    type Msg = u64;
    type State = Option<mpsc::UnboundedSender<()>>;
    type Arguments = Option<mpsc::UnboundedSender<()>>;

    async fn pre_start(
        &self,
        _: ActorRef<u64>,
        ready: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(ready)
    }

    async fn post_start(
        &self,
        _: ActorRef<u64>,
        ready: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        Ok(())
    }
}

/// Counts `target` messages of any type, then notifies. State: (seen, target, done).
struct Sink<M>(PhantomData<fn(M)>);

impl<M: Message> Actor for Sink<M> {
    type Msg = M;
    type State = (u64, u64, Arc<Notify>);
    type Arguments = (u64, Arc<Notify>);

    async fn pre_start(
        &self,
        _: ActorRef<M>,
        (target, done): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok((0, target, done))
    }

    async fn handle(
        &self,
        _: ActorRef<M>,
        msg: M,
        (seen, target, done): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        drop(msg);
        *seen += 1;
        if *seen == *target {
            done.notify_one();
        }
        Ok(())
    }
}

/// Spawns a sink for `n` messages: its address, its task and the notification.
async fn sink<M: Message>(n: u64) -> Option<(ActorRef<M>, JoinHandle<()>, Arc<Notify>)> {
    let done = Arc::new(Notify::new());
    let (to, handle) =
        Actor::spawn(None, Sink::<M>(PhantomData), (n, Arc::clone(&done))).await.ok()?;
    Some((to, handle, done))
}

/// `cast`s everything from `produce` to a fresh sink from one task; time until all arrived.
async fn one_to_one<M: Message>(
    messages: u64,
    produce: impl Fn(u64) -> M + Send + 'static,
) -> Option<Duration> {
    let start = Instant::now();
    let (to, handle, done) = sink::<M>(messages).await?;
    let notified = done.notified();
    let from = to.clone();
    tokio::spawn(async move {
        for i in 0..messages {
            let _ = from.cast(produce(i));
        }
    });
    notified.await;
    let elapsed = start.elapsed();
    stop(to, handle).await;
    Some(elapsed)
}

/// A request for its own number back.
struct Ask(u64, RpcReplyPort<u64>);

impl Message for Ask {}

impl Message for Order {}

/// A payload of bytes as a message. Only moving and dropping it is measured; nobody reads it.
#[allow(dead_code)]
struct Payload(Bytes);

impl Message for Payload {}

/// Answers every `Ask` with its number.
struct Echo;

impl Actor for Echo {
    type Msg = Ask;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Ask>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<Ask>,
        Ask(n, reply): Ask,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        let _ = reply.send(n);
        Ok(())
    }
}

/// Casts every message on to the next actor.
struct Forward;

impl Actor for Forward {
    type Msg = u64;
    type State = ActorRef<u64>;
    type Arguments = ActorRef<u64>;

    async fn pre_start(
        &self,
        _: ActorRef<u64>,
        next: ActorRef<u64>,
    ) -> Result<ActorRef<u64>, ActorProcessingErr> {
        Ok(next)
    }

    async fn handle(
        &self,
        _: ActorRef<u64>,
        msg: u64,
        next: &mut ActorRef<u64>,
    ) -> Result<(), ActorProcessingErr> {
        let _ = next.cast(msg);
        Ok(())
    }
}

/// Casts `n` messages to the next actor when told `n`.
struct Emit;

impl Actor for Emit {
    type Msg = u64;
    type State = ActorRef<u64>;
    type Arguments = ActorRef<u64>;

    async fn pre_start(
        &self,
        _: ActorRef<u64>,
        next: ActorRef<u64>,
    ) -> Result<ActorRef<u64>, ActorProcessingErr> {
        Ok(next)
    }

    async fn handle(
        &self,
        _: ActorRef<u64>,
        n: u64,
        next: &mut ActorRef<u64>,
    ) -> Result<(), ActorProcessingErr> {
        for i in 0..n {
            let _ = next.cast(i);
        }
        Ok(())
    }
}

impl BenchSystem for Ractor {
    const NAME: &'static str = "ractor";

    async fn spawn(&self, n: usize) -> Option<Spawned> {
        let before = heap();
        let start = Instant::now();
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
        let mut actors = Vec::with_capacity(n);
        for _ in 0..n {
            actors.push(Actor::spawn(None, Idle, Some(ready_tx.clone())).await.ok()?);
        }
        for _ in 0..n {
            ready_rx.recv().await?;
        }
        let elapsed = start.elapsed();
        let bytes = heap().zip(before).map(|(after, before)| after.saturating_sub(before));
        for (actor, handle) in actors {
            stop(actor, handle).await;
        }
        Some(Spawned { elapsed, bytes })
    }

    async fn tell(&self, messages: u64, senders: u64) -> Option<Duration> {
        let start = Instant::now();
        let (to, handle, done) = sink::<u64>(messages).await?;
        let notified = done.notified();
        for _ in 0..senders {
            let to = to.clone();
            tokio::spawn(async move {
                for i in 0..messages / senders {
                    let _ = to.cast(i);
                }
            });
        }
        notified.await;
        let elapsed = start.elapsed();
        stop(to, handle).await;
        Some(elapsed)
    }

    async fn complex(&self, messages: u64) -> Option<Duration> {
        one_to_one::<Order>(messages, order).await
    }

    async fn call(&self, calls: u64) -> Option<Vec<Duration>> {
        let (echo, handle) = Actor::spawn(None, Echo, ()).await.ok()?;
        let mut latencies = Vec::with_capacity(calls as usize);
        for i in 0..calls {
            let start = Instant::now();
            // The same 5 s timeout Foundation's `call` has.
            call_t!(echo, Ask, 5_000, i).ok()?;
            latencies.push(start.elapsed());
        }
        stop(echo, handle).await;
        Some(latencies)
    }

    async fn payload(&self, messages: u64, payload: Bytes) -> Option<Duration> {
        one_to_one::<Payload>(messages, move |_| Payload(payload.clone())).await
    }

    async fn chain(&self, messages: u64) -> Option<Duration> {
        let (last, last_handle, done) = sink::<u64>(messages).await?;
        let (back, back_handle) = Actor::spawn(None, Forward, last.clone()).await.ok()?;
        let (front, front_handle) = Actor::spawn(None, Forward, back.clone()).await.ok()?;
        let (emitter, emitter_handle) = Actor::spawn(None, Emit, front.clone()).await.ok()?;
        let notified = done.notified();
        let start = Instant::now();
        emitter.cast(messages).ok()?;
        notified.await;
        let elapsed = start.elapsed();
        stop(emitter, emitter_handle).await;
        stop(front, front_handle).await;
        stop(back, back_handle).await;
        stop(last, last_handle).await;
        Some(elapsed)
    }
}
