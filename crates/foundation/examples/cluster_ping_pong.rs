//! Ping-pong across two nodes: node `b` exports a process, node `a` finds it by name and
//! calls it. Both nodes run in this one program, on loopback, for the example's sake; across
//! machines they are the same code with `listen` on a routable address, `seed`s, and TLS
//! (`ClusterConfig::tls`, see docs/CLUSTER_GUIDE.md).
//!
//! Run with `cargo run -p foundation --features cluster --example cluster_ping_pong`.

use std::time::Instant;

use foundation::cluster::{ClusterConfig, NodeName};
use foundation::{BoxError, Context, Process, ReplyTo};
use serde::{Deserialize, Serialize};

/// What crosses the wire: any serde type. The `ReplyTo` in a request crosses too.
#[derive(Debug, Serialize, Deserialize)]
enum Ping {
    Ping(u64, ReplyTo<u64>),
}

struct Ponger;

impl Process for Ponger {
    type Message = Ping;
    async fn handle(&mut self, _ctx: &mut Context<Ping>, msg: Ping) -> Result<(), BoxError> {
        let Ping::Ping(n, reply) = msg;
        let _ = reply.reply(n + 1);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let on_loopback = |name| -> Result<ClusterConfig, BoxError> {
        Ok(ClusterConfig::new(NodeName::new(name)?)
            .listen("127.0.0.1:0".parse()?)
            // Plain TCP, by name: only on a trusted loopback. Use `.tls(identity)` elsewhere.
            .insecure_plaintext())
    };
    let a = on_loopback("a")?.start().await?;
    let b = on_loopback("b")?.start().await?;

    // b's process receives from other nodes once exported.
    let ponger = b.node().spawn(Ponger)?;
    b.export("ponger", &ponger);

    let peer = a.connect(b.listen_addr().ok_or("b listens")?).await?;
    let remote = a.lookup::<Ping>(&peer, "ponger").await?;
    println!("a found {peer}'s ponger at {}", remote.pid());

    let rounds = 1_000;
    let started = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        n = remote.call(|reply| Ping::Ping(n, reply)).await?;
    }
    let each = started.elapsed() / rounds;
    println!("{rounds} calls across nodes, {each:?} each (round trip); the count is {n}");
    assert_eq!(n, u64::from(rounds));

    for stats in a.link_stats() {
        println!(
            "link to {}: {} bytes out, {} bytes in, {} frames in {} writes",
            stats.node, stats.bytes_out, stats.bytes_in, stats.frames_out, stats.writes
        );
    }
    a.node().shutdown(std::time::Duration::from_secs(1)).await;
    b.node().shutdown(std::time::Duration::from_secs(1)).await;
    Ok(())
}
