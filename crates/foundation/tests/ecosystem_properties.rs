//! Property tests of ecosystems, through the public API only.
//!
//! For random worker counts (1 to 20), for every combination of topology and fault tolerance,
//! and with a random backlog held in every member's mailbox:
//!
//! - `info()` agrees with the handle: as many workers as asked, each member's pid is its
//!   address's pid, `total_processes` is the workers plus the coordinator and the supervisor
//!   (and so is the node's process count), `message_backlog` is the sum of the mailboxes'
//!   lengths (and each length is the backlog put there), every member is alive, and the health
//!   is `Healthy` with matching counts;
//! - `shutdown` (with every member busy) leaves no process on the node.
//!
//! A second property kills a random set of members (and maybe the supervisor), maybe lets the
//! kills take effect, and checks that `shutdown` still returns and leaves nothing behind.
//!
//! Each case runs on its own paused current-thread runtime, so it is deterministic.

mod common;

use std::time::Duration;

use foundation::ecosystem::{
    CoordinatorHealth, Ecosystem, EcosystemConfig, EcosystemSpec, FaultTolerance, HealthStatus,
    MemberState, Role, Topology,
};
use foundation::supervisor::RestartIntensity;
use foundation::{BoxError, Context, Node, Pid, Process, ProcessRef, ReplyTo};
use proptest::prelude::*;
use tokio::sync::oneshot;

/// A bound on virtual time for things that must finish (the clock is paused).
const NEVER: Duration = Duration::from_secs(600);

const TOPOLOGIES: [Topology; 3] = [Topology::Tree, Topology::Mesh, Topology::Ring];
const FAULT_TOLERANCES: [FaultTolerance; 2] =
    [FaultTolerance::Standard, FaultTolerance::SelfHealing];

/// The same messages for the coordinator and the workers.
enum Msg {
    /// Answers, then waits for the gate (or for its sender to be dropped).
    Hold(ReplyTo<()>, oneshot::Receiver<()>),
    Noop,
}

struct Member;

impl Process for Member {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Hold(started, gate) => {
                let _ = started.reply(());
                let _ = gate.await;
            }
            Msg::Noop => {}
        }
        Ok(())
    }
}

type Eco = Ecosystem<Msg, Msg>;

async fn start(
    node: &Node,
    workers: usize,
    topology: Topology,
    fault_tolerance: FaultTolerance,
    intensity: RestartIntensity,
) -> Eco {
    let config = EcosystemConfig::new(format!("prop-{topology:?}-{fault_tolerance:?}"))
        .workers(workers)
        .topology(topology)
        .fault_tolerance(fault_tolerance)
        .restart_intensity(intensity);
    let spec = EcosystemSpec::new(config).coordinator(|_| Member).worker(|_| Member);
    node.spawn_ecosystem(spec).await.unwrap()
}

/// Holds `member` busy, then queues `backlog` messages behind; returns the gate.
async fn hold_with_backlog(member: &ProcessRef<Msg>, backlog: usize) -> oneshot::Sender<()> {
    let (gate, held) = oneshot::channel();
    member.call(|r| Msg::Hold(r, held)).await.unwrap();
    for _ in 0..backlog {
        member.send(Msg::Noop).await.unwrap();
    }
    gate
}

async fn shutdown_leaves_nothing(node: &Node, eco: &Eco, context: &str) {
    tokio::time::timeout(NEVER, eco.shutdown())
        .await
        .unwrap_or_else(|_| panic!("{context}: shutdown did not return"));
    assert_eq!(node.process_count(), 0, "{context}: left {:?}", node.processes());
    assert!(!eco.coordinator().is_alive(), "{context}");
    assert!(eco.workers().iter().all(|w| !w.is_alive()), "{context}");
    assert_eq!(eco.info().supervisor, None, "{context}");
}

/// One ecosystem: info against the handle, then shutdown.
async fn info_agrees_with_handle(
    workers: usize,
    topology: Topology,
    fault_tolerance: FaultTolerance,
    backlogs: &[usize],
) {
    let context = format!("{workers} workers, {topology:?}, {fault_tolerance:?}");
    let node = Node::new().unwrap();
    let eco = start(&node, workers, topology, fault_tolerance, RestartIntensity::default()).await;

    // Every member busy with a backlog behind it: the coordinator's is backlogs[0], worker i's
    // is backlogs[i + 1].
    let mut gates = vec![hold_with_backlog(&eco.coordinator(), backlogs[0]).await];
    for (i, w) in eco.workers().iter().enumerate() {
        gates.push(hold_with_backlog(w, backlogs[i + 1]).await);
    }
    let expected_backlog: usize = backlogs[..=workers].iter().sum();

    let info = eco.info();
    let handle_workers = eco.workers();
    assert_eq!(info.name, eco.name(), "{context}");
    assert_eq!((info.topology, info.fault_tolerance), (topology, fault_tolerance), "{context}");
    assert_eq!(info.supervisor, Some(eco.supervisor().pid()), "{context}");
    assert_eq!(handle_workers.len(), workers, "{context}");
    assert_eq!(info.workers.len(), workers, "{context}");
    assert_eq!(eco.members().worker_count(), workers, "{context}");
    assert_eq!(info.coordinator.role, Role::Coordinator, "{context}");
    assert_eq!(info.coordinator.pid, Some(eco.coordinator().pid()), "{context}");
    assert_eq!(info.coordinator.mailbox_len, backlogs[0], "{context}: coordinator");
    for (i, (w, address)) in info.workers.iter().zip(&handle_workers).enumerate() {
        assert_eq!(w.role, Role::Worker(i), "{context}");
        assert_eq!(w.pid, Some(address.pid()), "{context}: worker {i}");
        assert_eq!(w.mailbox_len, backlogs[i + 1], "{context}: worker {i}");
        assert_eq!(w.restarts, 0, "{context}: worker {i}");
    }
    let members = std::iter::once(&info.coordinator).chain(&info.workers);
    for m in members.clone() {
        assert_eq!(m.state, MemberState::Alive, "{context}: {:?}", m.role);
        assert!(m.status.is_some(), "{context}: {:?}", m.role);
    }
    let mut pids: Vec<Pid> = members.clone().map(|m| m.pid.unwrap()).collect();
    pids.push(eco.supervisor().pid());
    pids.sort_unstable();
    assert_eq!(pids, node.processes(), "{context}: the ecosystem is every process on the node");
    assert_eq!(info.total_processes, workers + 2, "{context}");
    assert_eq!(node.process_count(), workers + 2, "{context}");
    let mailbox_sum: usize = members.map(|m| m.mailbox_len).sum();
    assert_eq!(info.message_backlog, mailbox_sum, "{context}");
    assert_eq!(info.message_backlog, expected_backlog, "{context}");

    let health = eco.health();
    assert_eq!(health.status, HealthStatus::Healthy, "{context}");
    assert_eq!(health.coordinator, CoordinatorHealth::Alive, "{context}");
    assert_eq!(
        (
            health.workers.alive,
            health.workers.restarting,
            health.workers.dead,
            health.workers.total
        ),
        (workers, 0, 0, workers),
        "{context}"
    );
    assert_eq!(health.message_backlog, expected_backlog, "{context}");
    assert_eq!(health.members_at_capacity, 0, "{context}");
    assert_eq!(health.self_healing, fault_tolerance == FaultTolerance::SelfHealing, "{context}");

    // Shutdown with every member still busy.
    shutdown_leaves_nothing(&node, &eco, &context).await;
    drop(gates);
}

/// One ecosystem: kill some of it, then shut it down.
async fn shutdown_after_kills(
    workers: usize,
    topology: Topology,
    fault_tolerance: FaultTolerance,
    killed: &[bool],
    kill_supervisor: bool,
    settle_first: bool,
) {
    let context = format!(
        "{workers} workers, {topology:?}, {fault_tolerance:?}, killed {:?}, supervisor {}, \
         settled first {}",
        &killed[..=workers],
        kill_supervisor,
        settle_first
    );
    let node = Node::new().unwrap();
    // Half as many restarts as workers: depending on the kills, it heals or gives up.
    let intensity = RestartIntensity::new(workers as u32 / 2, Duration::from_secs(5));
    let eco = start(&node, workers, topology, fault_tolerance, intensity).await;
    let members: Vec<Pid> = std::iter::once(eco.coordinator().pid())
        .chain(eco.workers().iter().map(ProcessRef::pid))
        .collect();
    for (pid, _) in members.iter().zip(killed).filter(|(_, k)| **k) {
        assert!(node.kill(*pid), "{context}");
    }
    if kill_supervisor {
        assert!(node.kill(eco.supervisor().pid()), "{context}");
    }
    if settle_first {
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
    }
    shutdown_leaves_nothing(&node, &eco, &context).await;
    // Idempotent.
    shutdown_leaves_nothing(&node, &eco, &context).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn info_agrees_with_the_handle_and_shutdown_leaves_nothing(
        workers in 1usize..=20,
        backlogs in proptest::collection::vec(0usize..4, 21),
    ) {
        common::runtime::paused().block_on(async {
            for topology in TOPOLOGIES {
                for fault_tolerance in FAULT_TOLERANCES {
                    info_agrees_with_handle(workers, topology, fault_tolerance, &backlogs).await;
                }
            }
        });
    }

    #[test]
    fn shutdown_leaves_nothing_whatever_was_killed(
        workers in 1usize..=20,
        topology in proptest::sample::select(TOPOLOGIES.to_vec()),
        fault_tolerance in proptest::sample::select(FAULT_TOLERANCES.to_vec()),
        killed in proptest::collection::vec(any::<bool>(), 21),
        kill_supervisor in proptest::bool::weighted(0.2),
        settle_first in any::<bool>(),
    ) {
        common::runtime::paused().block_on(shutdown_after_kills(
            workers,
            topology,
            fault_tolerance,
            &killed,
            kill_supervisor,
            settle_first,
        ));
    }
}
