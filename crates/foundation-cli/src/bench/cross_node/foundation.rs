//! Foundation across nodes: `foundation node` (its exported `echo`) as the peer, a node of
//! `foundation::cluster` here that dials it, the peer's `echo` reached through
//! `Cluster::lookup` as a `ProcessRef` like any other.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use foundation::cluster::{Cluster, ClusterConfig, NodeName};
use foundation::{BoxError, Context, Down, ExitReason, Pid, Process, ProcessRef, ReplyTo};
use tokio::sync::oneshot;

use super::memory::{growth, quiet_heap};
use super::peer::Peer;
use super::{Burst, COUNT_TIMEOUT, CrossNodeSystem, Payload, check_count, settled};
use crate::bench::systems::heap;
use crate::bench::workload::KIB;
use crate::node::Echo;

/// Foundation's cluster.
#[derive(Debug, Default)]
pub(crate) struct Foundation;

/// Starts the peer: `foundation node --name peer --listen 127.0.0.1:0 --insecure`.
async fn peer() -> Result<Peer, String> {
    Peer::start(&["node", "--name", "peer", "--listen", "127.0.0.1:0", "--insecure"]).await
}

/// Starts this side's node, `bench`: it listens nowhere and dials the peer.
async fn bench_node() -> Result<Cluster, String> {
    let name = NodeName::new("bench").map_err(|e| e.to_string())?;
    let config = ClusterConfig::new(name).insecure_plaintext();
    config.start().await.map_err(|e| format!("cannot start the bench node: {e}"))
}

/// This node, connected to the peer, with an address of the peer's `echo`.
struct Connected {
    cluster: Cluster,
    echo: ProcessRef<Echo>,
    peer: Peer,
}

impl Connected {
    async fn new() -> Result<Connected, String> {
        let peer = peer().await?;
        let cluster = bench_node().await?;
        let echo = async {
            let name = cluster.connect(peer.addr()).await.map_err(|e| e.to_string())?;
            cluster.lookup::<Echo>(&name, "echo").await.map_err(|e| e.to_string())
        }
        .await;
        match echo {
            Ok(echo) => Ok(Connected { cluster, echo, peer }),
            Err(e) => {
                stop(&cluster).await;
                Err(format!("cannot reach the peer's echo: {e}"))
            }
        }
    }

    /// Shuts this node down, then kills the peer.
    async fn close(self) {
        stop(&self.cluster).await;
        drop(self.peer);
    }
}

async fn stop(cluster: &Cluster) {
    cluster.node().shutdown(Duration::from_secs(5)).await;
}

/// Monitors the pid it is given and reports the first `Down`: when it arrived, and why.
struct DownWatcher(Option<oneshot::Sender<(Instant, ExitReason)>>);

impl Process for DownWatcher {
    type Message = (Pid, ReplyTo<()>);

    async fn handle(
        &mut self,
        ctx: &mut Context<Self::Message>,
        (pid, done): Self::Message,
    ) -> Result<(), BoxError> {
        ctx.monitor(pid);
        let _ = done.reply(());
        Ok(())
    }

    async fn handle_down(
        &mut self,
        _: &mut Context<Self::Message>,
        down: Down,
    ) -> Result<(), BoxError> {
        let arrived = Instant::now();
        if let Some(tx) = self.0.take() {
            let _ = tx.send((arrived, down.reason));
        }
        Ok(())
    }
}

async fn tell(c: &Connected, messages: u64, payload: Payload) -> Result<Duration, String> {
    let blob = Bytes::from(vec![7u8; KIB]);
    let start = Instant::now();
    for i in 0..messages {
        let msg = match payload {
            Payload::U64 => Echo::Cast(i),
            Payload::Kib => Echo::Blob(blob.clone()),
        };
        c.echo.send(msg).await.map_err(|e| format!("send {i} of {messages}: {e}"))?;
    }
    let counted = c
        .echo
        .call_timeout(Echo::Count, COUNT_TIMEOUT)
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
        let answer =
            c.echo.call(|r| Echo::Ping(i, r)).await.map_err(|e| format!("call {i}: {e}"))?;
        latencies.push(start.elapsed());
        if answer != i {
            return Err(format!("call {i} was answered {answer}"));
        }
    }
    Ok(latencies)
}

async fn death(c: &mut Connected) -> Result<Duration, String> {
    let (tx, rx) = oneshot::channel();
    let watcher = c.cluster.node().spawn(DownWatcher(Some(tx))).map_err(|e| e.to_string())?;
    let pid = c.echo.pid();
    watcher.call(|done| (pid, done)).await.map_err(|e| format!("monitor: {e}"))?;
    // One round trip behind the monitor, so that it has reached the peer.
    c.echo.call(|r| Echo::Ping(0, r)).await.map_err(|e| format!("ping: {e}"))?;
    let start = Instant::now();
    c.peer.kill()?;
    let (arrived, reason) = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .map_err(|_| "no Down within 10 s of kill -9".to_owned())?
        .map_err(|_| "the watcher ended without a Down".to_owned())?;
    if !matches!(reason, ExitReason::NoConnection) {
        return Err(format!("the Down said {reason}, not noconnection"));
    }
    Ok(arrived.saturating_duration_since(start))
}

async fn stopped(c: &Connected, messages: u64) -> Result<Burst, String> {
    let blob = Bytes::from(vec![7u8; KIB]);
    let before = quiet_heap().await;
    c.peer.stop()?;
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (echo, sent) = (c.echo.clone(), Arc::clone(&sent));
        tokio::spawn(async move {
            for _ in 0..messages {
                if echo.send(Echo::Blob(blob.clone())).await.is_err() {
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

impl CrossNodeSystem for Foundation {
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
        // The peer first: a stopped peer cannot say goodbye, the shutdown would wait for it.
        let Connected { cluster, echo, peer } = c;
        drop((echo, peer));
        stop(&cluster).await;
        result
    }

    async fn idle(&self) -> Result<Option<u64>, String> {
        let peer = peer().await?;
        let cluster = bench_node().await?;
        let before = quiet_heap().await;
        let connected = cluster.connect(peer.addr()).await;
        // Credit and the first ticks go both ways.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = heap();
        stop(&cluster).await;
        drop(peer);
        connected.map_err(|e| format!("cannot connect to the peer: {e}"))?;
        Ok(growth(before, after))
    }
}
