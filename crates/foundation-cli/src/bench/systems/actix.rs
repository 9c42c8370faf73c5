//! actix 0.13: actors on an actix `System`, its own single-threaded runtime (actix-rt 2).
//!
//! Each workload runs on a fresh thread inside `actix_rt::System::new().block_on(..)`, measured
//! there; the tokio task that asked awaits the result through a oneshot (thread and system
//! start-up are not measured). Everything of a workload lives on that one arbiter thread, which
//! is how actix runs unless actors are placed on other arbiters.
//!
//! - `spawn`: `Actor::start` per actor; each signals from `started`; the run waits for all.
//! - `tell`, `complex`, `payload`: `Addr::do_send` from futures spawned on the system
//!   (`actix_rt::spawn`) into one counting actor that notifies at its target.
//! - `call`: `Addr::send(..).timeout(5 s)` (a request with its response future), the timeout
//!   Foundation's `call` has.
//! - `chain`: emitter → forwarder → forwarder → counting actor, every hop a `do_send` to a
//!   `Recipient` (actix's address by message type).
//! - `recovery`: `actix::Supervisor::start` keeps the `Addr` and its mailbox across restarts.
//!   The coordinator (holding its workers' addresses) is told to stop itself (`ctx.stop()`,
//!   actix has no external kill); the supervisor calls `restarting` on the same actor value
//!   and starts it again, and a `send` queued behind the stop is answered by the restarted
//!   actor. Time from the stop to that answer.
//!
//! Mailboxes: actix's default capacity is 16 (`set_mailbox_capacity` changes it), but it only
//! bounds `send`/`try_send`; `do_send`, actix's tell, always queues, so every tell here is
//! effectively unbounded with no backpressure, and the capacity is left at its default.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorContext, Addr, Context, Handler, Message, Recipient, Supervised, Supervisor,
};
use bytes::Bytes;
use tokio::sync::{Notify, mpsc, oneshot};

use super::{BenchSystem, Order, Spawned, heap, order};

/// actix.
#[derive(Debug, Default)]
pub(crate) struct Actix;

/// Runs `work` in an actix system on its own thread; awaits its result without blocking.
fn on_actix<T, F, W>(work: W) -> impl Future<Output = Option<T>> + Send
where
    T: Send + 'static,
    F: Future<Output = Option<T>> + 'static,
    W: FnOnce() -> F + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let thread = std::thread::Builder::new().name("bench-actix".to_owned()).spawn(move || {
        let system = actix_rt::System::new();
        let result = system.block_on(work());
        // The system and its actors are gone before the caller goes on.
        drop(system);
        let _ = tx.send(result);
    });
    async move {
        thread.ok()?;
        rx.await.ok().flatten()
    }
}

/// A message of any type to an actix actor (actix wants a `Message` impl per type).
struct Tell<T>(T);

impl<T: 'static> Message for Tell<T> {
    type Result = ();
}

/// An idle actor that signals from `started`.
struct Idle(Option<mpsc::UnboundedSender<()>>);

impl Actor for Idle {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        if let Some(ready) = self.0.take() {
            let _ = ready.send(());
        }
    }
}

/// Counts `target` messages of any type, then notifies.
struct Sink<T> {
    seen: u64,
    target: u64,
    done: Arc<Notify>,
    _m: PhantomData<fn(T)>,
}

impl<T: 'static> Actor for Sink<T> {
    type Context = Context<Self>;
}

impl<T: Send + 'static> Handler<Tell<T>> for Sink<T> {
    type Result = ();

    fn handle(&mut self, msg: Tell<T>, _: &mut Context<Self>) {
        drop(msg);
        self.seen += 1;
        if self.seen == self.target {
            self.done.notify_one();
        }
    }
}

/// Starts a sink for `n` messages; returns its address and the notification.
fn sink<T: Send + 'static>(n: u64) -> (Addr<Sink<T>>, Arc<Notify>) {
    let done = Arc::new(Notify::new());
    let sink = Sink { seen: 0, target: n, done: Arc::clone(&done), _m: PhantomData };
    (sink.start(), done)
}

/// `do_send`s everything from `produce` to a fresh sink from one future; time until all arrived.
async fn one_to_one<T: Send + 'static>(
    messages: u64,
    produce: impl Fn(u64) -> T + 'static,
) -> Option<Duration> {
    let start = Instant::now();
    let (to, done) = sink::<T>(messages);
    let from = to.clone();
    actix_rt::spawn(async move {
        for i in 0..messages {
            from.do_send(Tell(produce(i)));
        }
    });
    done.notified().await;
    Some(start.elapsed())
}

/// A request for a number back.
#[derive(Message)]
#[rtype(result = "u64")]
struct Ask(u64);

/// Answers every `Ask` with its number.
struct Echo;

impl Actor for Echo {
    type Context = Context<Self>;
}

impl Handler<Ask> for Echo {
    type Result = u64;

    fn handle(&mut self, Ask(n): Ask, _: &mut Context<Self>) -> u64 {
        n
    }
}

/// `do_send`s every message on to the next actor.
struct Forward(Recipient<Tell<u64>>);

impl Actor for Forward {
    type Context = Context<Self>;
}

impl Handler<Tell<u64>> for Forward {
    type Result = ();

    fn handle(&mut self, msg: Tell<u64>, _: &mut Context<Self>) {
        self.0.do_send(msg);
    }
}

/// `do_send`s `n` messages to the next actor when told `n`.
struct Emit(Recipient<Tell<u64>>);

impl Actor for Emit {
    type Context = Context<Self>;
}

impl Handler<Tell<u64>> for Emit {
    type Result = ();

    fn handle(&mut self, Tell(n): Tell<u64>, _: &mut Context<Self>) {
        for i in 0..n {
            self.0.do_send(Tell(i));
        }
    }
}

/// Tells its coordinator to stop itself.
#[derive(Message)]
#[rtype(result = "()")]
struct Die;

/// A supervised coordinator of idle workers; answers `Ask` with how often it was restarted.
struct Coordinator {
    _workers: Vec<Addr<Idle>>,
    restarts: u64,
}

impl Actor for Coordinator {
    type Context = Context<Self>;
}

impl Supervised for Coordinator {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.restarts += 1;
    }
}

impl Handler<Ask> for Coordinator {
    type Result = u64;

    fn handle(&mut self, _: Ask, _: &mut Context<Self>) -> u64 {
        self.restarts
    }
}

impl Handler<Die> for Coordinator {
    type Result = ();

    fn handle(&mut self, _: Die, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl BenchSystem for Actix {
    const NAME: &'static str = "actix";

    async fn spawn(&self, n: usize) -> Option<Spawned> {
        on_actix(move || async move {
            let before = heap();
            let start = Instant::now();
            let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
            let actors: Vec<Addr<Idle>> =
                (0..n).map(|_| Idle(Some(ready_tx.clone())).start()).collect();
            for _ in 0..n {
                ready_rx.recv().await?;
            }
            let elapsed = start.elapsed();
            let bytes = heap().zip(before).map(|(after, before)| after.saturating_sub(before));
            // The actors stop once their addresses are gone.
            drop(actors);
            Some(Spawned { elapsed, bytes })
        })
        .await
    }

    async fn tell(&self, messages: u64, senders: u64) -> Option<Duration> {
        on_actix(move || async move {
            let start = Instant::now();
            let (to, done) = sink::<u64>(messages);
            for _ in 0..senders {
                let to = to.clone();
                actix_rt::spawn(async move {
                    for i in 0..messages / senders {
                        to.do_send(Tell(i));
                    }
                });
            }
            done.notified().await;
            Some(start.elapsed())
        })
        .await
    }

    async fn complex(&self, messages: u64) -> Option<Duration> {
        on_actix(move || one_to_one::<Order>(messages, order)).await
    }

    async fn call(&self, calls: u64) -> Option<Vec<Duration>> {
        on_actix(move || async move {
            let echo = Echo.start();
            let mut latencies = Vec::with_capacity(calls as usize);
            for i in 0..calls {
                let start = Instant::now();
                // The same 5 s timeout Foundation's `call` has.
                echo.send(Ask(i)).timeout(Duration::from_secs(5)).await.ok()?;
                latencies.push(start.elapsed());
            }
            Some(latencies)
        })
        .await
    }

    async fn payload(&self, messages: u64, payload: Bytes) -> Option<Duration> {
        on_actix(move || one_to_one::<Bytes>(messages, move |_| payload.clone())).await
    }

    async fn chain(&self, messages: u64) -> Option<Duration> {
        on_actix(move || async move {
            let (last, done) = sink::<u64>(messages);
            let back = Forward(last.recipient()).start();
            let front = Forward(back.recipient()).start();
            let emitter = Emit(front.recipient()).start();
            let start = Instant::now();
            emitter.do_send(Tell(messages));
            done.notified().await;
            Some(start.elapsed())
        })
        .await
    }

    async fn recovery(&self, workers: usize) -> Option<Duration> {
        on_actix(move || async move {
            let workers = (0..workers).map(|_| Idle(None).start()).collect();
            let coordinator =
                Supervisor::start(move |_| Coordinator { _workers: workers, restarts: 0 });
            coordinator.send(Ask(0)).await.ok()?;
            let start = Instant::now();
            coordinator.do_send(Die);
            // Queued behind `Die`: answered by the restarted actor (which says it restarted once).
            let restarts = coordinator.send(Ask(1)).timeout(Duration::from_secs(5)).await.ok()?;
            let elapsed = start.elapsed();
            (restarts == 1).then_some(elapsed)
        })
        .await
    }
}
