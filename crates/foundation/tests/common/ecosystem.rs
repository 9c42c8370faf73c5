//! The ecosystem fixtures: one coordinator and one worker that serve the lifecycle, scenario
//! and topology tests (each message enum is the union of what those tests send), the spec
//! builders that make them, and bounded ways to wait for an ecosystem (the clock is paused: no
//! real sleep).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::ecosystem::{
    CoordinatorStart, Ecosystem, EcosystemConfig, EcosystemInfo, EcosystemSpec, Members,
    SnapshotStore, WorkerStart,
};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, ExitReason, Process, ProcessRef, ReplyTo};
use tokio::sync::oneshot;

/// A bound on virtual time for things that must finish (the clock is paused, so only something
/// that never finishes reaches it).
pub(crate) const NEVER: Duration = Duration::from_secs(600);

/// How many `yield_now`s a poll waits before declaring that something did not happen.
pub(crate) const POLLS: usize = 10_000;

/// A worker's index and incarnation: who handled something.
pub(crate) type Visit = (usize, u64);

/// The ecosystem these fixtures make.
pub(crate) type Eco = Ecosystem<CoordMsg, WorkerMsg>;

// ---------------------------------------------------------------------------------------------
// The coordinator.

/// The coordinator's messages.
pub(crate) enum CoordMsg {
    /// Adds and saves a snapshot.
    Add(u64),
    /// Adds without saving: lost if the coordinator crashes.
    AddUnsaved(u64),
    /// Answers with the total.
    Total(ReplyTo<u64>),
    /// Answers with this incarnation's number.
    Incarnation(ReplyTo<u64>),
    /// A worker's report: adds `1000 * (index + 1)`, unsaved.
    FromWorker(usize),
    /// Forwards `payload` to worker `index` and answers with what it said, or `None` if there
    /// is no such worker or it could not answer.
    Route { index: usize, payload: u64, reply: ReplyTo<Option<(Visit, u64)>> },
    /// Panics.
    Crash,
}

/// Keeps a total (restored from its snapshot by the next incarnation) and routes to workers.
pub(crate) struct Coordinator {
    /// The running total.
    pub(crate) total: u64,
    /// Which incarnation this is (0 for the first).
    pub(crate) incarnation: u64,
    /// Where `Add` saves the total.
    pub(crate) snapshots: SnapshotStore,
    /// The ecosystem's members, for `Route`.
    pub(crate) members: Members<CoordMsg, WorkerMsg>,
}

impl Coordinator {
    /// A coordinator whose total is the last snapshot's, or 0.
    pub(crate) fn new(start: &CoordinatorStart<CoordMsg, WorkerMsg>) -> Self {
        Coordinator {
            total: start.recovered::<u64>().unwrap_or(0),
            incarnation: start.incarnation(),
            snapshots: start.snapshots(),
            members: start.members().clone(),
        }
    }
}

impl Process for Coordinator {
    type Message = CoordMsg;

    async fn handle(
        &mut self,
        _ctx: &mut Context<CoordMsg>,
        msg: CoordMsg,
    ) -> Result<(), BoxError> {
        match msg {
            CoordMsg::Add(n) => {
                self.total += n;
                self.snapshots.save(self.total);
            }
            CoordMsg::AddUnsaved(n) => self.total += n,
            CoordMsg::Total(reply) => {
                let _ = reply.reply(self.total);
            }
            CoordMsg::Incarnation(reply) => {
                let _ = reply.reply(self.incarnation);
            }
            CoordMsg::FromWorker(i) => self.total += 1000 * (i as u64 + 1),
            CoordMsg::Route { index, payload, reply } => {
                let answer = match self.members.worker(index) {
                    Some(worker) => worker.call(|r| WorkerMsg::Echo(payload, r)).await.ok(),
                    None => None,
                };
                let _ = reply.reply(answer);
            }
            CoordMsg::Crash => panic!("coordinator crashes on purpose"),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The worker.

/// The worker's messages.
pub(crate) enum WorkerMsg {
    /// Answers with the worker's index and incarnation: once answered, every message sent to
    /// it before was handled.
    Ping(ReplyTo<Visit>),
    /// Tells the coordinator (`FromWorker`), then answers: once answered, the report is in the
    /// coordinator's mailbox.
    Report(ReplyTo<()>),
    /// Records a number, in this incarnation's state and in the shared log.
    Record(u64),
    /// This incarnation and what it recorded.
    Seen(ReplyTo<(u64, Vec<u64>)>),
    /// Records the visit, then forwards to the successor until no hops are left; the last
    /// worker answers with the visits.
    Token { hops_left: usize, visits: Vec<Visit>, done: ReplyTo<Vec<Visit>> },
    /// Sends `Gossip` to every peer; answers with how many.
    Broadcast { id: u64, done: ReplyTo<usize> },
    /// Recorded in the shared gossip log.
    Gossip { id: u64, from: usize },
    /// Answers with who handled it and the payload.
    Echo(u64, ReplyTo<(Visit, u64)>),
    /// Answers, then waits for the gate (or for its sender to be dropped): holds the worker
    /// busy so that messages queue behind it.
    Hold(ReplyTo<()>, oneshot::Receiver<()>),
    /// Panics.
    Crash,
}

/// What every worker incarnation recorded: (worker index, incarnation, number).
pub(crate) type Log = Arc<Mutex<Vec<(usize, u64, u64)>>>;

/// A gossip as heard: (receiver, receiver's incarnation, sender, id).
pub(crate) type Heard = (usize, u64, usize, u64);

/// Every gossip heard, in order.
pub(crate) type HeardLog = Arc<Mutex<Vec<Heard>>>;

/// Where a test leaves a gate for the next worker `init` to wait on.
pub(crate) type InitGate = Arc<Mutex<Option<oneshot::Receiver<()>>>>;

/// What the workers share with the test.
#[derive(Clone, Default)]
pub(crate) struct Setup {
    /// Where `Record` writes.
    pub(crate) log: Log,
    /// Where `Gossip` writes.
    pub(crate) heard: HeardLog,
    /// A gate for the next worker `init` to wait on.
    pub(crate) init_gate: InitGate,
    /// `init` fails in every incarnation after the first.
    pub(crate) fail_restarts: bool,
}

/// Records, gossips, forwards tokens and reports to the coordinator.
pub(crate) struct Worker {
    /// Its place among the workers.
    pub(crate) index: usize,
    /// Which incarnation this is (0 for the first).
    pub(crate) incarnation: u64,
    /// The ecosystem's members: the coordinator, successors and peers.
    pub(crate) members: Members<CoordMsg, WorkerMsg>,
    /// What this incarnation recorded.
    pub(crate) seen: Vec<u64>,
    /// What it shares with the test.
    pub(crate) setup: Setup,
}

impl Worker {
    /// The worker that `start` asks for, sharing `setup`.
    pub(crate) fn new(start: &WorkerStart<CoordMsg, WorkerMsg>, setup: &Setup) -> Self {
        Worker {
            index: start.index(),
            incarnation: start.incarnation(),
            members: start.members().clone(),
            seen: Vec::new(),
            setup: setup.clone(),
        }
    }

    /// Who this is.
    fn me(&self) -> Visit {
        (self.index, self.incarnation)
    }

    /// Sends to the successor; if it is gone by the time the message gets there, to the
    /// successor after it. Drops the message if no other worker is left.
    async fn forward(&self, mut msg: WorkerMsg) -> Result<(), BoxError> {
        while let Some(next) = self.members.next(self.index)? {
            match next.send(msg).await {
                Ok(()) => return Ok(()),
                Err(refused) => msg = refused.into_inner(),
            }
        }
        Ok(())
    }
}

impl Process for Worker {
    type Message = WorkerMsg;

    async fn init(&mut self, _ctx: &mut Context<WorkerMsg>) -> Result<(), BoxError> {
        let gate = self.setup.init_gate.lock().unwrap().take();
        if let Some(gate) = gate {
            let _ = gate.await;
        }
        if self.setup.fail_restarts && self.incarnation > 0 {
            return Err("this worker cannot restart".into());
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        _ctx: &mut Context<WorkerMsg>,
        msg: WorkerMsg,
    ) -> Result<(), BoxError> {
        match msg {
            WorkerMsg::Ping(reply) => {
                let _ = reply.reply(self.me());
            }
            WorkerMsg::Report(done) => {
                self.members.coordinator().send(CoordMsg::FromWorker(self.index)).await?;
                let _ = done.reply(());
            }
            WorkerMsg::Record(n) => {
                self.seen.push(n);
                self.setup.log.lock().unwrap().push((self.index, self.incarnation, n));
            }
            WorkerMsg::Seen(reply) => {
                let _ = reply.reply((self.incarnation, self.seen.clone()));
            }
            WorkerMsg::Token { hops_left, mut visits, done } => {
                visits.push(self.me());
                if hops_left == 0 || self.members.next(self.index)?.is_none() {
                    let _ = done.reply(visits);
                } else {
                    self.forward(WorkerMsg::Token { hops_left: hops_left - 1, visits, done })
                        .await?;
                }
            }
            WorkerMsg::Broadcast { id, done } => {
                let peers = self.members.peers(self.index)?;
                for peer in &peers {
                    // A peer gone since `peers` was taken is skipped.
                    let _ = peer.send(WorkerMsg::Gossip { id, from: self.index }).await;
                }
                let _ = done.reply(peers.len());
            }
            WorkerMsg::Gossip { id, from } => {
                self.setup.heard.lock().unwrap().push((self.index, self.incarnation, from, id));
            }
            WorkerMsg::Echo(payload, reply) => {
                let _ = reply.reply((self.me(), payload));
            }
            WorkerMsg::Hold(started, gate) => {
                let _ = started.reply(());
                let _ = gate.await;
            }
            WorkerMsg::Crash => panic!("worker crashes on purpose"),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Specs.

/// The spec of an ecosystem of these members, the workers sharing `setup`.
pub(crate) fn spec_with(
    config: EcosystemConfig,
    setup: &Setup,
) -> EcosystemSpec<Coordinator, Worker> {
    let setup = setup.clone();
    EcosystemSpec::new(config)
        .coordinator(Coordinator::new)
        .worker(move |start| Worker::new(start, &setup))
}

/// The spec of an ecosystem of these members, sharing nothing with the test.
pub(crate) fn spec(config: EcosystemConfig) -> EcosystemSpec<Coordinator, Worker> {
    spec_with(config, &Setup::default())
}

/// The spec, the workers recording into `log`.
pub(crate) fn spec_logging(
    config: EcosystemConfig,
    log: &Log,
) -> EcosystemSpec<Coordinator, Worker> {
    spec_with(config, &Setup { log: Arc::clone(log), ..Setup::default() })
}

/// The spec, the workers recording into `log`, waiting on `init_gate`, and failing to restart
/// if `fail_restarts`.
pub(crate) fn spec_full(
    config: EcosystemConfig,
    log: &Log,
    init_gate: &InitGate,
    fail_restarts: bool,
) -> EcosystemSpec<Coordinator, Worker> {
    let setup = Setup {
        log: Arc::clone(log),
        init_gate: Arc::clone(init_gate),
        fail_restarts,
        ..Setup::default()
    };
    spec_with(config, &setup)
}

/// Room for `n` restarts within the (default 5 s) period.
pub(crate) fn allow_restarts(n: u32) -> RestartIntensity {
    RestartIntensity::new(n, Duration::from_secs(5))
}

// ---------------------------------------------------------------------------------------------
// Waiting.

/// Polls `info()` until `done` holds, yielding between polls; panics after [`POLLS`] polls.
pub(crate) async fn settle<CM: Send + 'static, WM: Send + 'static>(
    eco: &Ecosystem<CM, WM>,
    what: &str,
    done: impl Fn(&EcosystemInfo) -> bool,
) -> EcosystemInfo {
    for _ in 0..POLLS {
        let info = eco.info();
        if done(&info) {
            return info;
        }
        tokio::task::yield_now().await;
    }
    panic!("{what}: not reached after {POLLS} polls; last info: {:#?}", eco.info());
}

/// Lets the runtime run (the clock is paused and does not move) until `done` holds or
/// [`POLLS`] rounds have passed; returns whether it holds.
pub(crate) async fn until(done: impl FnMut() -> bool) -> bool {
    super::wait::run_until_within(POLLS, done).await
}

/// Shuts down, failing (instead of hanging) if the shutdown does not return.
pub(crate) async fn shutdown<CM: Send + 'static, WM: Send + 'static>(eco: &Ecosystem<CM, WM>) {
    tokio::time::timeout(NEVER, eco.shutdown())
        .await
        .unwrap_or_else(|_| panic!("shutdown of `{}` did not return", eco.name()));
}

/// Waits until an address is closed for good, failing instead of hanging.
pub(crate) async fn closed<M: Send + 'static>(address: &ProcessRef<M>) -> ExitReason {
    tokio::time::timeout(NEVER, address.exited())
        .await
        .unwrap_or_else(|_| panic!("address {address:?} never closed"))
}
