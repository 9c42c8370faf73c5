//! A monitor that sees a node die: node `a` monitors and links to a process of node `b`;
//! `b` goes away; `a`'s process gets a `Down` and an exit signal with reason `noconnection`,
//! and `a` hears that `b` is down, and why.
//!
//! Run with `cargo run -p foundation --features cluster --example cluster_monitor`.

use std::time::{Duration, Instant};

use foundation::cluster::{ClusterConfig, NodeEvent, NodeName};
use foundation::{BoxError, Context, Down, ExitReason, Pid, Process, ReplyTo};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// b's process: it only has to exist (and be exported, so that a can find it).
#[derive(Serialize, Deserialize)]
struct Nothing;

struct Idle;

impl Process for Idle {
    type Message = Nothing;
    async fn handle(&mut self, _: &mut Context<Nothing>, _: Nothing) -> Result<(), BoxError> {
        Ok(())
    }
}

/// a's process: traps exits, links to and monitors the pid it is given, reports both ends.
struct Watcher(mpsc::UnboundedSender<String>);

impl Process for Watcher {
    type Message = (Pid, ReplyTo<()>);
    async fn init(&mut self, ctx: &mut Context<Self::Message>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        Ok(())
    }
    async fn handle(
        &mut self,
        ctx: &mut Context<Self::Message>,
        (pid, done): Self::Message,
    ) -> Result<(), BoxError> {
        ctx.link(pid)?;
        ctx.monitor(pid);
        let _ = done.reply(());
        Ok(())
    }
    async fn handle_exit(
        &mut self,
        _: &mut Context<Self::Message>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        let _ = self.0.send(format!("exit signal from {from}: {reason}"));
        Ok(())
    }
    async fn handle_down(
        &mut self,
        _: &mut Context<Self::Message>,
        down: Down,
    ) -> Result<(), BoxError> {
        let _ = self.0.send(format!("down: {} ended with {}", down.pid, down.reason));
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let config = |name| -> Result<ClusterConfig, BoxError> {
        Ok(ClusterConfig::new(NodeName::new(name)?)
            .listen("127.0.0.1:0".parse()?)
            .insecure_plaintext()
            .tick(Duration::from_millis(250))
            .detection(Duration::from_secs(1)))
    };
    let a = config("a")?.start().await?;
    let b = config("b")?.start().await?;
    let idle = b.node().spawn(Idle)?;
    b.export("idle", &idle);

    let mut events = a.node_events();
    let peer = a.connect(b.listen_addr().ok_or("b listens")?).await?;
    let remote = a.lookup::<Nothing>(&peer, "idle").await?;
    let (tx, mut seen) = mpsc::unbounded_channel();
    let watcher = a.node().spawn(Watcher(tx))?;
    watcher.call(|done| (remote.pid(), done)).await?;
    // The link and monitor are on their way; a round trip behind them (a look-up travels in
    // the same lane, in order) makes sure b has set its side before b goes away.
    a.lookup::<Nothing>(&peer, "idle").await?;
    println!("a's watcher links to and monitors {} on {peer}", remote.pid());

    // b leaves: its processes stop, its connections close.
    let gone = Instant::now();
    b.node().shutdown(Duration::from_secs(1)).await;
    for _ in 0..2 {
        let line = seen.recv().await.ok_or("the watcher runs")?;
        println!("after {:?}: {line}", gone.elapsed());
    }
    loop {
        if let Some(NodeEvent::Down { name, reason, .. }) = events.recv().await {
            println!("a: node {name} is down ({reason})");
            break;
        }
    }
    a.node().shutdown(Duration::from_secs(1)).await;
    Ok(())
}
