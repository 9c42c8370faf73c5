//! ractor_cluster 0.16 across nodes: `foundation bench-peer ractor` as the peer, a
//! `NodeServer` here that dials it with `client_connect`, the peer's `echo` found in the
//! process group both nodes share (a `RemoteActor` here stands for it).
//!
//! - Messages: `ActorRef::cast`, which never waits: a remote cast goes through the
//!   `RemoteActor`'s, the `NodeSession`'s and the socket writer's mailboxes, all unbounded,
//!   so there is no flow control and a slow or hung peer grows the sender's memory.
//! - Calls: `ActorRef::call` with a 5 s timeout, as Foundation's `call` has.
//! - Death: a monitor (ractor's `monitors` feature) of the `RemoteActor`. When the connection
//!   closes, its `NodeSession` stops and takes its `RemoteActor`s with it; the monitor is told
//!   `ActorTerminated`. ractor has no `noconnection` reason: any end of the actor counts.
//! - Idle: the connection's heap includes the `RemoteActor` that ractor_cluster spawns for
//!   the peer's `echo` (it does so for every actor the peer can serve remotely).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ractor::concurrency::JoinHandle;
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use ractor_cluster::{NodeServerMessage, RactorMessage};
use tokio::sync::oneshot;

use super::memory::{growth, quiet_heap};
use super::peer::Peer;
use super::ractor_peer::{EchoMsg, GROUP, node_server, with_free_port};
use super::{Burst, COUNT_TIMEOUT, CrossNodeSystem, Payload, check_count, settled};
use crate::bench::systems::heap;
use crate::bench::workload::KIB;

/// ractor_cluster.
#[derive(Debug, Default)]
pub(crate) struct Ractor;

/// How long the peer's `echo` may take to appear here, or its stand-in to go.
const GROUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the peer: `foundation bench-peer ractor --listen 127.0.0.1:0`.
async fn peer() -> Result<Peer, String> {
    Peer::start(&["bench-peer", "ractor", "--listen", "127.0.0.1:0"]).await
}

/// This side's node server, `bench` (it must listen to dial: on a free loopback port).
async fn bench_node() -> Result<(ActorRef<NodeServerMessage>, JoinHandle<()>), String> {
    let addr = with_free_port(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    Actor::spawn(None, node_server("bench", addr), ())
        .await
        .map_err(|e| format!("cannot start the bench node server: {e}"))
}

/// The members of [`GROUP`] here that stand for another node's actor.
fn remote_members() -> Vec<ractor::ActorCell> {
    let mut members = ractor::pg::get_members(&GROUP.to_owned());
    members.retain(|m| !m.get_id().is_local());
    members
}

/// Waits until `done` holds, polling every millisecond, at most [`GROUP_TIMEOUT`].
async fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > GROUP_TIMEOUT {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    true
}

/// Dials the peer and waits for its `echo` to join the group here.
async fn connect(
    server: &ActorRef<NodeServerMessage>,
    peer: &Peer,
) -> Result<ActorRef<EchoMsg>, String> {
    if !wait_for(|| remote_members().is_empty()).await {
        return Err("an earlier peer's echo is still in the group".into());
    }
    ractor_cluster::client_connect(server, peer.addr())
        .await
        .map_err(|e| format!("cannot connect to the peer: {e}"))?;
    let mut echo = None;
    if !wait_for(|| {
        echo = remote_members().pop();
        echo.is_some()
    })
    .await
    {
        return Err(format!("the peer's echo did not join the group within {GROUP_TIMEOUT:?}"));
    }
    echo.map(ActorRef::from).ok_or_else(|| "no echo".to_owned())
}

/// Kills the peer, stops the node server, and waits until the stand-in of the peer's `echo`
/// has left the group.
async fn close(peer: Peer, server: ActorRef<NodeServerMessage>, task: JoinHandle<()>) {
    drop(peer);
    server.stop(None);
    let _ = task.await;
    wait_for(|| remote_members().is_empty()).await;
}

/// This node, connected to the peer, with the peer's `echo`.
struct Connected {
    server: ActorRef<NodeServerMessage>,
    task: JoinHandle<()>,
    echo: ActorRef<EchoMsg>,
    peer: Peer,
}

impl Connected {
    async fn new() -> Result<Connected, String> {
        let peer = peer().await?;
        let (server, task) = bench_node().await?;
        match connect(&server, &peer).await {
            Ok(echo) => Ok(Connected { server, task, echo, peer }),
            Err(e) => {
                close(peer, server, task).await;
                Err(e)
            }
        }
    }

    async fn close(self) {
        drop(self.echo);
        close(self.peer, self.server, self.task).await;
    }
}

/// A call to `echo`, with its outcome as a `Result`.
async fn ask<T: Send + 'static>(
    echo: &ActorRef<EchoMsg>,
    make: impl FnOnce(RpcReplyPort<T>) -> EchoMsg,
    timeout: Duration,
) -> Result<T, String> {
    match echo.call(make, Some(timeout)).await {
        Ok(CallResult::Success(answer)) => Ok(answer),
        Ok(CallResult::Timeout) => Err(format!("no answer within {timeout:?}")),
        Ok(CallResult::SenderError) => Err("the reply port was dropped".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The same 5 s Foundation's `call` has.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Nothing: the watcher takes no messages.
#[derive(RactorMessage)]
struct Nothing;

/// Reports the first end of an actor it monitors: when the notice arrived, and why.
struct Watcher;

impl Actor for Watcher {
    type Msg = Nothing;
    type State = Option<oneshot::Sender<(Instant, String)>>;
    type Arguments = oneshot::Sender<(Instant, String)>;

    async fn pre_start(
        &self,
        _: ActorRef<Nothing>,
        tx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(Some(tx))
    }

    async fn handle_supervisor_evt(
        &self,
        _: ActorRef<Nothing>,
        event: SupervisionEvent,
        tx: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let arrived = Instant::now();
        let why = match event {
            SupervisionEvent::ActorTerminated(_, _, reason) => {
                reason.unwrap_or_else(|| "terminated".to_owned())
            }
            SupervisionEvent::ActorFailed(_, e) => format!("failed: {e}"),
            _ => return Ok(()),
        };
        if let Some(tx) = tx.take() {
            let _ = tx.send((arrived, why));
        }
        Ok(())
    }
}

async fn tell(c: &Connected, messages: u64, payload: Payload) -> Result<Duration, String> {
    let blob = vec![7u8; KIB];
    let start = Instant::now();
    for i in 0..messages {
        let msg = match payload {
            Payload::U64 => EchoMsg::Cast(i),
            Payload::Kib => EchoMsg::Blob(blob.clone()),
        };
        c.echo.cast(msg).map_err(|e| format!("cast {i} of {messages}: {e}"))?;
    }
    let counted = ask(&c.echo, EchoMsg::Count, COUNT_TIMEOUT)
        .await
        .map_err(|e| format!("the count after {messages} messages: {e}"))?;
    let elapsed = start.elapsed();
    check_count(counted, messages)?;
    Ok(elapsed)
}

async fn call(c: &Connected, calls: u64) -> Result<Vec<Duration>, String> {
    let mut latencies = Vec::with_capacity(calls as usize);
    for i in 0..calls {
        let start = Instant::now();
        let answer = ask(&c.echo, |r| EchoMsg::Ping(i, r), CALL_TIMEOUT)
            .await
            .map_err(|e| format!("call {i}: {e}"))?;
        latencies.push(start.elapsed());
        if answer != i {
            return Err(format!("call {i} was answered {answer}"));
        }
    }
    Ok(latencies)
}

async fn death(c: &mut Connected) -> Result<Duration, String> {
    let (tx, rx) = oneshot::channel();
    let (watcher, task) =
        Actor::spawn(None, Watcher, tx).await.map_err(|e| format!("watcher: {e}"))?;
    watcher.monitor(c.echo.get_cell());
    ask(&c.echo, |r| EchoMsg::Ping(0, r), CALL_TIMEOUT).await.map_err(|e| format!("ping: {e}"))?;
    let start = Instant::now();
    let killed = c.peer.kill();
    let notice = tokio::time::timeout(Duration::from_secs(10), rx).await;
    watcher.stop(None);
    let _ = task.await;
    killed?;
    let (arrived, _why) = notice
        .map_err(|_| "no notice within 10 s of kill -9".to_owned())?
        .map_err(|_| "the watcher ended without a notice".to_owned())?;
    Ok(arrived.saturating_duration_since(start))
}

async fn stopped(c: &Connected, messages: u64) -> Result<Burst, String> {
    let blob = vec![7u8; KIB];
    let before = quiet_heap().await;
    c.peer.stop()?;
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (echo, sent) = (c.echo.clone(), Arc::clone(&sent));
        tokio::spawn(async move {
            for _ in 0..messages {
                if echo.cast(EchoMsg::Blob(blob.clone())).is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::Release);
            }
        })
    };
    let accepted = settled(&sent, messages).await;
    let burst = Burst { accepted, heap: growth(before, heap()) };
    sender.abort();
    Ok(burst)
}

impl CrossNodeSystem for Ractor {
    async fn tell(&self, messages: u64, payload: Payload) -> Result<Duration, String> {
        let c = Connected::new().await?;
        let result = tell(&c, messages, payload).await;
        c.close().await;
        result
    }

    async fn call(&self, calls: u64) -> Result<Vec<Duration>, String> {
        let c = Connected::new().await?;
        let result = call(&c, calls).await;
        c.close().await;
        result
    }

    async fn death(&self) -> Result<Duration, String> {
        let mut c = Connected::new().await?;
        let result = death(&mut c).await;
        c.close().await;
        result
    }

    async fn stopped(&self, messages: u64) -> Result<Burst, String> {
        let c = Connected::new().await?;
        let result = stopped(&c, messages).await;
        c.close().await;
        result
    }

    async fn idle(&self) -> Result<Option<u64>, String> {
        let peer = peer().await?;
        let (server, task) = bench_node().await?;
        let before = quiet_heap().await;
        let connected = connect(&server, &peer).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = heap();
        close(peer, server, task).await;
        connected?;
        Ok(growth(before, after))
    }
}
