//! A tree ecosystem: a coordinator hands jobs to its workers round-robin and collects the
//! results; a worker is killed half-way through and the ecosystem heals itself.
//!
//! Run: `cargo run --example ecosystem_tree`
//!
//! The coordinator knows every worker (`Members::worker`); each worker knows only the
//! coordinator. Jobs wait in a worker's mailbox while it is being restarted and are handled by
//! its next incarnation. The one job a worker was busy with when it was killed is lost with it:
//! the coordinator hands it out again when its deadline passes (at-least-once delivery, the
//! BEAM way). `info` and `health` are printed before, during and after.

use std::collections::BTreeMap;
use std::time::Duration;

use foundation::ecosystem::{
    Ecosystem, EcosystemConfig, EcosystemSpec, FaultTolerance, MemberState, Members, Topology,
};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Process, ReplyTo};

const JOBS: u64 = 24;
/// How long the coordinator waits for a result before handing the job out again.
const JOB_DEADLINE: Duration = Duration::from_millis(300);

/// The results: job -> (square, (worker index, incarnation) that computed it).
type Results = BTreeMap<u64, (u64, (usize, u64))>;

enum CoordMsg {
    /// A job from outside: hand it to the next worker.
    Submit(u64),
    /// A worker's result.
    Done { job: u64, result: u64, by: (usize, u64) },
    /// A job's deadline: if it has no result yet, hand it out again.
    Deadline(u64),
    /// Answers once every submitted job has a result.
    WhenDone(ReplyTo<Results>),
}

struct Coordinator {
    members: Members<CoordMsg, WorkerMsg>,
    round_robin: usize,
    pending: BTreeMap<u64, u32>,
    results: Results,
    waiting: Option<ReplyTo<Results>>,
}

impl Coordinator {
    async fn dispatch(&mut self, ctx: &mut Context<CoordMsg>, job: u64) -> Result<(), BoxError> {
        let indices = self.members.worker_indices();
        let index = indices[self.round_robin % indices.len()];
        self.round_robin += 1;
        if let Some(worker) = self.members.worker(index) {
            // Waits while the worker's mailbox is full; fails only if it is gone for good, and
            // then the deadline hands the job to someone else.
            let _ = worker.send(WorkerMsg::Work(job)).await;
        }
        ctx.send_after(JOB_DEADLINE, CoordMsg::Deadline(job));
        Ok(())
    }

    fn answer_if_done(&mut self) {
        if self.pending.is_empty()
            && let Some(waiting) = self.waiting.take()
        {
            let _ = waiting.reply(self.results.clone());
        }
    }
}

impl Process for Coordinator {
    type Message = CoordMsg;

    async fn handle(&mut self, ctx: &mut Context<CoordMsg>, msg: CoordMsg) -> Result<(), BoxError> {
        match msg {
            CoordMsg::Submit(job) => {
                self.pending.insert(job, 1);
                self.dispatch(ctx, job).await?;
            }
            CoordMsg::Done { job, result, by } => {
                if self.pending.remove(&job).is_some() {
                    self.results.insert(job, (result, by));
                }
                self.answer_if_done();
            }
            CoordMsg::Deadline(job) => {
                if let Some(attempts) = self.pending.get_mut(&job) {
                    *attempts += 1;
                    println!("  coordinator: job {job} has no result yet: handing it out again");
                    self.dispatch(ctx, job).await?;
                }
            }
            CoordMsg::WhenDone(reply) => {
                self.waiting = Some(reply);
                self.answer_if_done();
            }
        }
        Ok(())
    }
}

enum WorkerMsg {
    Work(u64),
    /// Answers with (index, incarnation) once the jobs before it are done.
    Ping(ReplyTo<(usize, u64)>),
}

struct Worker {
    index: usize,
    incarnation: u64,
    coordinator: foundation::ProcessRef<CoordMsg>,
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<WorkerMsg>,
        msg: WorkerMsg,
    ) -> Result<(), BoxError> {
        match msg {
            WorkerMsg::Work(job) => {
                // Some work.
                tokio::time::sleep(Duration::from_millis(10)).await;
                let by = (self.index, self.incarnation);
                self.coordinator.send(CoordMsg::Done { job, result: job * job, by }).await?;
            }
            WorkerMsg::Ping(reply) => {
                let _ = reply.reply((self.index, self.incarnation));
            }
        }
        Ok(())
    }
}

fn print_state(title: &str, eco: &Ecosystem<CoordMsg, WorkerMsg>) {
    let info = eco.info();
    let health = eco.health();
    println!("{title}");
    println!(
        "  health: {:?} (workers alive {} / restarting {} / dead {} of {}, backlog {})",
        health.status,
        health.workers.alive,
        health.workers.restarting,
        health.workers.dead,
        health.workers.total,
        health.message_backlog,
    );
    println!(
        "  coordinator {:?}: {:?}, {} handled, {} restarts",
        info.coordinator.pid,
        info.coordinator.state,
        info.coordinator.messages_handled,
        info.coordinator.restarts
    );
    for w in &info.workers {
        println!(
            "  {:?} {:?}: {:?}, mailbox {}, {} handled, {} restarts, last exit {}",
            w.role,
            w.pid,
            w.state,
            w.mailbox_len,
            w.messages_handled,
            w.restarts,
            w.last_exit.as_ref().map_or_else(|| "-".to_string(), ToString::to_string),
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let node = Node::new()?;
    let config = EcosystemConfig::new("squares")
        .workers(4)
        .topology(Topology::Tree)
        .fault_tolerance(FaultTolerance::SelfHealing)
        .restart_intensity(RestartIntensity::new(3, Duration::from_secs(5)));
    let spec = EcosystemSpec::new(config)
        .coordinator(|start| Coordinator {
            members: start.members().clone(),
            round_robin: 0,
            pending: BTreeMap::new(),
            results: BTreeMap::new(),
            waiting: None,
        })
        .worker(|start| Worker {
            index: start.index(),
            incarnation: start.incarnation(),
            coordinator: start.members().coordinator(),
        });
    let eco = node.spawn_ecosystem(spec).await?;
    print_state("started:", &eco);

    let coordinator = eco.coordinator();
    for job in 1..=JOBS / 2 {
        coordinator.send(CoordMsg::Submit(job)).await?;
    }
    // Half-way: once worker 1 has finished its first job (so it is busy with its second, and
    // has a third queued), kill it.
    while eco.info().workers[1].messages_handled == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let victim = eco.workers()[1].clone();
    let old_pid = victim.pid();
    node.kill(old_pid);
    node.wait_exit(old_pid).await;
    println!("\nkilled worker 1 ({old_pid}) in the middle of a job\n");
    print_state("right after the kill:", &eco);
    for job in JOBS / 2 + 1..=JOBS {
        coordinator.send(CoordMsg::Submit(job)).await?;
    }

    let results = coordinator.call_timeout(CoordMsg::WhenDone, Duration::from_secs(10)).await?;
    println!("\nresults (job: square, by worker#incarnation):");
    for (job, (square, (index, incarnation))) in &results {
        println!("  {job:>2}: {square:>3}  by worker {index}#{incarnation}");
    }
    assert_eq!(results.len(), JOBS as usize);
    assert!(results.iter().all(|(job, (square, _))| *square == job * job));

    // The same address reaches worker 1's new incarnation.
    let (index, incarnation) = victim.call(WorkerMsg::Ping).await?;
    println!("\nworker {index} answers again, incarnation {incarnation}, as {}", victim.pid());
    assert_ne!(victim.pid(), old_pid);
    assert!(eco.info().workers.iter().all(|w| w.state == MemberState::Alive));
    print_state("\nhealed:", &eco);

    eco.shutdown().await;
    println!("\nshut down: {} processes left", node.process_count());
    Ok(())
}
