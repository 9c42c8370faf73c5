//! Links, monitors and exit trapping, Erlang-style.
//!
//! Run: `cargo run --example links`
//!
//! A `Boss` traps exits and spawns linked `Worker`s plus a monitored `Auditor`. One worker
//! crashes (a panic): the boss survives because it traps exits, learns why in `handle_exit`, and
//! starts a replacement. The boss is then shut down, which takes its linked workers with it.

use std::time::Duration;

use foundation::{BoxError, Context, Down, ExitReason, Node, Pid, Process, ReplyTo};

enum Job {
    Work(u64, ReplyTo<u64>),
    Crash,
}

struct Worker;

impl Process for Worker {
    type Message = Job;

    async fn handle(&mut self, _ctx: &mut Context<Job>, job: Job) -> Result<(), BoxError> {
        match job {
            Job::Work(n, reply) => {
                let _ = reply.reply(n * n);
            }
            Job::Crash => panic!("worker hit a bad job"),
        }
        Ok(())
    }
}

enum BossMsg {
    Spawn(ReplyTo<foundation::ProcessRef<Job>>),
    Workers(ReplyTo<Vec<Pid>>),
}

#[derive(Default)]
struct Boss {
    workers: Vec<foundation::ProcessRef<Job>>,
}

impl Process for Boss {
    type Message = BossMsg;

    async fn init(&mut self, ctx: &mut Context<BossMsg>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        let (auditor, _monitor) = ctx.spawn_monitor(Worker)?;
        drop(auditor); // its only address: the auditor ends normally, and we hear of it
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<BossMsg>, msg: BossMsg) -> Result<(), BoxError> {
        match msg {
            BossMsg::Spawn(reply) => {
                let worker = ctx.spawn_link(Worker)?;
                self.workers.push(worker.clone());
                let _ = reply.reply(worker);
            }
            BossMsg::Workers(reply) => {
                let _ = reply.reply(self.workers.iter().map(|w| w.pid()).collect());
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        ctx: &mut Context<BossMsg>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        if !self.workers.iter().any(|w| w.pid() == from) {
            // Not one of ours: the node (or whoever started us) asks us to go, as OTP's
            // `{'EXIT', Parent, Reason}`. Our linked workers go with us.
            println!("boss {}: asked to exit by {from} ({reason})", ctx.pid());
            ctx.stop(reason);
            return Ok(());
        }
        self.workers.retain(|w| w.pid() != from);
        println!("boss {}: worker {from} exited ({reason})", ctx.pid());
        if !reason.is_normal() {
            let replacement = ctx.spawn_link(Worker)?;
            println!("boss {}: replaced it with {}", ctx.pid(), replacement.pid());
            self.workers.push(replacement);
        }
        Ok(())
    }

    async fn handle_down(
        &mut self,
        ctx: &mut Context<BossMsg>,
        down: Down,
    ) -> Result<(), BoxError> {
        println!("boss {}: monitored {} is down ({})", ctx.pid(), down.pid, down.reason);
        Ok(())
    }

    async fn terminate(&mut self, ctx: &mut Context<BossMsg>, reason: &ExitReason) {
        println!("boss {}: terminating ({reason})", ctx.pid());
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let node = Node::new()?;
    let boss = node.process().name("boss").spawn(Boss::default())?;

    let first = boss.call(BossMsg::Spawn).await?;
    let second = boss.call(BossMsg::Spawn).await?;
    println!("3 squared by {}: {}", first.pid(), first.call(|r| Job::Work(3, r)).await?);

    first.send(Job::Crash).await?;
    println!("{} ended: {}", first.pid(), first.exited().await);

    let workers = boss.call(BossMsg::Workers).await?;
    println!("workers now: {workers:?} (second {} still alive)", second.pid());

    let reason = node.stop(boss.pid(), Duration::from_secs(1)).await;
    println!("boss stopped: {reason:?}");
    println!("second worker ended with the boss: {}", second.exited().await);
    node.shutdown(Duration::from_secs(5)).await;
    Ok(())
}
