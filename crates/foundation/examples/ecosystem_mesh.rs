//! A mesh ecosystem: workers gossip rumours to their peers until everyone knows; a worker is
//! killed, catches up from its peers when it comes back, and hears new rumours like the rest.
//!
//! Run: `cargo run --example ecosystem_mesh`
//!
//! Every worker can address every other (`Members::peers`). A worker that hears a rumour for
//! the first time passes it on to all its peers and tells the coordinator, which keeps track
//! of who knows what and answers "when does everyone know this?". A worker's state dies with
//! it; its restarted incarnation asks its peers what they know (from `init`, by message: it
//! never waits on them) and so relearns everything.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use foundation::ecosystem::{
    Ecosystem, EcosystemConfig, EcosystemSpec, FaultTolerance, Members, Topology,
};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Process, ReplyTo};

const WORKERS: usize = 6;

enum CoordMsg {
    /// Worker `index` has learned `rumour`.
    Learned { index: usize, rumour: String },
    /// Answers once every worker knows `rumour`.
    WhenEveryoneKnows(String, ReplyTo<()>),
}

struct Coordinator {
    workers: usize,
    knowers: BTreeMap<String, BTreeSet<usize>>,
    waiting: Vec<(String, ReplyTo<()>)>,
}

impl Process for Coordinator {
    type Message = CoordMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<CoordMsg>,
        msg: CoordMsg,
    ) -> Result<(), BoxError> {
        match msg {
            CoordMsg::Learned { index, rumour } => {
                self.knowers.entry(rumour).or_default().insert(index);
            }
            CoordMsg::WhenEveryoneKnows(rumour, reply) => self.waiting.push((rumour, reply)),
        }
        let (ready, waiting): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.waiting).into_iter().partition(|(rumour, _)| {
                self.knowers.get(rumour).is_some_and(|k| k.len() == self.workers)
            });
        self.waiting = waiting;
        for (_, reply) in ready {
            let _ = reply.reply(());
        }
        Ok(())
    }
}

enum WorkerMsg {
    /// A rumour, from a peer (or from outside: `from` is `None`).
    Gossip { rumour: String, from: Option<usize> },
    /// A restarted peer asks what this worker knows.
    WhatDoYouKnow { asker: usize },
    /// This worker's rumours and how many gossip messages it received.
    Known(ReplyTo<(BTreeSet<String>, u64)>),
}

struct Worker {
    index: usize,
    incarnation: u64,
    members: Members<CoordMsg, WorkerMsg>,
    known: BTreeSet<String>,
    heard: u64,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn init(&mut self, _ctx: &mut Context<WorkerMsg>) -> Result<(), BoxError> {
        if self.incarnation > 0 {
            println!(
                "  worker {} is back (incarnation {}): asking its peers",
                self.index, self.incarnation
            );
            for peer in self.members.peers(self.index)? {
                // A message, not a call: a peer may be busy, and we must not keep the
                // supervisor waiting for our `init`.
                let _ = peer.try_send(WorkerMsg::WhatDoYouKnow { asker: self.index });
            }
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        _ctx: &mut Context<WorkerMsg>,
        msg: WorkerMsg,
    ) -> Result<(), BoxError> {
        match msg {
            WorkerMsg::Gossip { rumour, from } => {
                self.heard += 1;
                if !self.known.insert(rumour.clone()) {
                    return Ok(()); // old news
                }
                if let Some(from) = from {
                    println!("  worker {} heard {rumour:?} from worker {from}", self.index);
                }
                let coordinator = self.members.coordinator();
                coordinator
                    .send(CoordMsg::Learned { index: self.index, rumour: rumour.clone() })
                    .await?;
                for peer in self.members.peers(self.index)? {
                    let gossip =
                        WorkerMsg::Gossip { rumour: rumour.clone(), from: Some(self.index) };
                    let _ = peer.send(gossip).await;
                }
            }
            WorkerMsg::WhatDoYouKnow { asker } => {
                if let Some(asker) = self.members.worker(asker) {
                    for rumour in &self.known {
                        let gossip =
                            WorkerMsg::Gossip { rumour: rumour.clone(), from: Some(self.index) };
                        let _ = asker.send(gossip).await;
                    }
                }
            }
            WorkerMsg::Known(reply) => {
                let _ = reply.reply((self.known.clone(), self.heard));
            }
        }
        Ok(())
    }
}

async fn spread(
    eco: &Ecosystem<CoordMsg, WorkerMsg>,
    at: usize,
    rumour: &str,
) -> Result<(), BoxError> {
    println!("\nrumour {rumour:?} starts at worker {at}");
    eco.workers()[at].send(WorkerMsg::Gossip { rumour: rumour.to_string(), from: None }).await?;
    eco.coordinator()
        .call_timeout(
            |r| CoordMsg::WhenEveryoneKnows(rumour.to_string(), r),
            Duration::from_secs(5),
        )
        .await?;
    println!("everyone knows {rumour:?}");
    Ok(())
}

async fn print_knowledge(eco: &Ecosystem<CoordMsg, WorkerMsg>) -> Result<(), BoxError> {
    for (i, w) in eco.workers().iter().enumerate() {
        let (known, heard) = w.call(WorkerMsg::Known).await?;
        println!("  worker {i} ({}): knows {known:?}, received {heard} gossip messages", w.pid());
    }
    let health = eco.health();
    println!(
        "  health: {:?}, workers alive {} of {}",
        health.status, health.workers.alive, health.workers.total
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let node = Node::new()?;
    let config = EcosystemConfig::new("gossip")
        .workers(WORKERS)
        .topology(Topology::Mesh)
        .fault_tolerance(FaultTolerance::SelfHealing)
        .restart_intensity(RestartIntensity::new(3, Duration::from_secs(5)));
    let spec = EcosystemSpec::new(config)
        .coordinator(|_| Coordinator {
            workers: WORKERS,
            knowers: BTreeMap::new(),
            waiting: Vec::new(),
        })
        .worker(|start| Worker {
            index: start.index(),
            incarnation: start.incarnation(),
            members: start.members().clone(),
            known: BTreeSet::new(),
            heard: 0,
        });
    let eco = node.spawn_ecosystem(spec).await?;
    println!("a mesh of {WORKERS} workers: worker 0's peers are {:?}", eco.members().peers(0)?);

    spread(&eco, 0, "the build is green").await?;
    print_knowledge(&eco).await?;

    let victim = eco.workers()[3].clone();
    let old = victim.pid();
    println!("\nkilling worker 3 ({old}); its address stays valid while it restarts");
    node.kill(old);
    node.wait_exit(old).await;

    spread(&eco, 5, "worker 3 was killed").await?;
    // Its peers' answers to "what do you know?" may still be on their way.
    for _ in 0..1000 {
        let (known, _) = victim.call(WorkerMsg::Known).await?;
        if known.contains("the build is green") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    print_knowledge(&eco).await?;
    let (known, _) = victim.call(WorkerMsg::Known).await?;
    assert!(known.contains("the build is green") && known.contains("worker 3 was killed"));
    println!("worker 3 is now {} (restarts: {})", victim.pid(), eco.info().workers[3].restarts);

    eco.shutdown().await;
    println!("\nshut down: {} processes left", node.process_count());
    Ok(())
}
