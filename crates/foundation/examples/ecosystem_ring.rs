//! A ring ecosystem: a token goes round the workers, each passing it to its successor
//! (`Members::next`); a member is killed and the ring heals.
//!
//! Run: `cargo run --example ecosystem_ring`
//!
//! With `SelfHealing` a killed worker keeps its place in the ring: the token sent to it waits
//! in its mailbox and is handled by its next incarnation, so the round goes on unchanged. With
//! `Standard` a killed worker is gone for good and the ring closes over the gap: its
//! predecessor passes the token to the worker after it. Each round is printed as the list of
//! `worker#incarnation` that handled the token.

use std::time::Duration;

use foundation::ecosystem::{
    Ecosystem, EcosystemConfig, EcosystemSpec, FaultTolerance, Members, Topology,
};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Process, ReplyTo};

const WORKERS: usize = 5;

/// Who handled the token: (worker index, incarnation).
type Hop = (usize, u64);

enum CoordMsg {
    /// Starts a round at the first worker; the token's last holder answers.
    Round(ReplyTo<Vec<Hop>>),
}

struct Coordinator {
    members: Members<CoordMsg, WorkerMsg>,
    rounds: u64,
}

impl Process for Coordinator {
    type Message = CoordMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<CoordMsg>,
        msg: CoordMsg,
    ) -> Result<(), BoxError> {
        let CoordMsg::Round(done) = msg;
        self.rounds += 1;
        // Workers whose address is open: alive, or being restarted.
        let live: Vec<_> = self.members.workers().into_iter().filter(|w| w.is_alive()).collect();
        let first = live.first().ok_or("no live workers")?;
        // Round the ring and back to the first: as many hops as there are live workers.
        let hops = live.len();
        let token =
            WorkerMsg::Token { round: self.rounds, hops_left: hops, trail: Vec::new(), done };
        first.send(token).await.map_err(|_| "the first worker is gone")?;
        Ok(())
    }
}

enum WorkerMsg {
    Token { round: u64, hops_left: usize, trail: Vec<Hop>, done: ReplyTo<Vec<Hop>> },
}

struct Worker {
    index: usize,
    incarnation: u64,
    members: Members<CoordMsg, WorkerMsg>,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<WorkerMsg>,
        msg: WorkerMsg,
    ) -> Result<(), BoxError> {
        let WorkerMsg::Token { round, hops_left, mut trail, done } = msg;
        trail.push((self.index, self.incarnation));
        if hops_left == 0 {
            let _ = done.reply(trail);
            return Ok(());
        }
        let mut token = WorkerMsg::Token { round, hops_left: hops_left - 1, trail, done };
        // The successor, skipping workers gone for good; if one goes between `next` and the
        // send, the token comes back and goes to the one after.
        while let Some(next) = self.members.next(self.index)? {
            match next.send(token).await {
                Ok(()) => return Ok(()),
                Err(refused) => token = refused.into_inner(),
            }
        }
        // Alone in the ring.
        let WorkerMsg::Token { trail, done, .. } = token;
        let _ = done.reply(trail);
        Ok(())
    }
}

async fn ring(
    node: &Node,
    name: &str,
    fault_tolerance: FaultTolerance,
) -> Result<Ecosystem<CoordMsg, WorkerMsg>, BoxError> {
    let config = EcosystemConfig::new(name)
        .workers(WORKERS)
        .topology(Topology::Ring)
        .fault_tolerance(fault_tolerance)
        .restart_intensity(RestartIntensity::new(3, Duration::from_secs(5)));
    let spec = EcosystemSpec::new(config)
        .coordinator(|start| Coordinator { members: start.members().clone(), rounds: 0 })
        .worker(|start| Worker {
            index: start.index(),
            incarnation: start.incarnation(),
            members: start.members().clone(),
        });
    Ok(node.spawn_ecosystem(spec).await?)
}

async fn round(eco: &Ecosystem<CoordMsg, WorkerMsg>, number: usize) -> Result<Vec<Hop>, BoxError> {
    let trail = eco.coordinator().call(CoordMsg::Round).await?;
    let shown: Vec<String> = trail.iter().map(|(i, inc)| format!("w{i}#{inc}")).collect();
    println!("  round {number}: {}", shown.join(" -> "));
    Ok(trail)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let node = Node::new()?;

    println!("self-healing ring of {WORKERS} workers:");
    let eco = ring(&node, "ring-healing", FaultTolerance::SelfHealing).await?;
    round(&eco, 1).await?;
    round(&eco, 2).await?;
    let victim = eco.workers()[2].clone();
    let old = victim.pid();
    println!("  killing worker 2 ({old})");
    node.kill(old);
    // The next round goes through worker 2's address: its next incarnation takes the token.
    let trail = round(&eco, 3).await?;
    assert_eq!(trail[2], (2, 1), "the restarted worker kept its place");
    round(&eco, 4).await?;
    let health = eco.health();
    println!(
        "  worker 2 is now {} (restarts: {}); health {:?}",
        victim.pid(),
        eco.info().workers[2].restarts,
        health.status
    );
    eco.shutdown().await;

    println!("\nstandard ring of {WORKERS} workers (nothing restarts):");
    let eco = ring(&node, "ring-standard", FaultTolerance::Standard).await?;
    round(&eco, 1).await?;
    let victim = eco.workers()[2].clone();
    println!("  killing worker 2 ({})", victim.pid());
    node.kill(victim.pid());
    victim.exited().await;
    // The ring closes over the gap: worker 1 passes to worker 3.
    let trail = round(&eco, 2).await?;
    assert!(!trail.iter().any(|&(i, _)| i == 2));
    round(&eco, 3).await?;
    let health = eco.health();
    println!(
        "  health {:?}: workers alive {}, dead {}",
        health.status, health.workers.alive, health.workers.dead
    );
    eco.shutdown().await;

    println!("\nshut down: {} processes left", node.process_count());
    Ok(())
}
