//! Ecosystem topologies, through the public API only: rings, meshes and trees.
//!
//! - Ring: a token forwarded with `Members::next` visits every worker in order and comes back.
//!   With `Standard` fault tolerance a dead worker is gone for good and the ring closes over
//!   the gap; with `SelfHealing` a killed worker keeps its place, and a token sent to it (even
//!   one already waiting in its mailbox) is handled by its next incarnation.
//! - Mesh: `Members::peers` gives every other worker whose address is open, and a broadcast
//!   reaches every other worker exactly once, also after a member died (skipped under
//!   `Standard`, reached after its restart under `SelfHealing`).
//! - Tree: the coordinator routes to workers by index; `peers` and `next` are errors naming
//!   the topology (as are `next` in a mesh and `peers` in a ring).
//!
//! Every test runs on tokio's paused clock and waits by awaiting replies, addresses' `exited`,
//! or by polling `info()` with `yield_now` in a bounded loop; never a real sleep.

mod common;

use std::collections::BTreeSet;

use common::ecosystem::{
    CoordMsg, Eco, HeardLog, Setup, Visit, WorkerMsg, allow_restarts, closed, settle, spec_with,
};
use foundation::ecosystem::{EcosystemConfig, FaultTolerance, HealthStatus, MemberState, Topology};
use foundation::{Node, Pid, ProcessRef};
use tokio::sync::oneshot;

// ---------------------------------------------------------------------------------------------
// The members are `common::ecosystem`'s.

async fn start(
    node: &Node,
    name: &str,
    workers: usize,
    topology: Topology,
    fault_tolerance: FaultTolerance,
) -> (Eco, HeardLog) {
    let setup = Setup::default();
    let config = EcosystemConfig::new(name)
        .workers(workers)
        .topology(topology)
        .fault_tolerance(fault_tolerance)
        .restart_intensity(allow_restarts(10));
    (node.spawn_ecosystem(spec_with(config, &setup)).await.unwrap(), setup.heard)
}

// ---------------------------------------------------------------------------------------------
// Helpers.

async fn shutdown(node: &Node, eco: &Eco) {
    common::ecosystem::shutdown(eco).await;
    assert_eq!(node.process_count(), 0, "left: {:?}", node.processes());
}

/// Kills a worker under `Standard` and waits until its address is closed for good.
async fn kill_for_good(node: &Node, worker: &ProcessRef<WorkerMsg>) {
    assert!(node.kill(worker.pid()));
    closed(worker).await;
}

/// Starts a token at worker `from` for `hops` hops; returns the visits.
async fn pass_token(eco: &Eco, from: usize, hops: usize) -> Vec<Visit> {
    eco.workers()[from]
        .call(|done| WorkerMsg::Token { hops_left: hops, visits: Vec::new(), done })
        .await
        .expect("the token comes back")
}

fn pids(refs: &[ProcessRef<WorkerMsg>]) -> Vec<Pid> {
    refs.iter().map(ProcessRef::pid).collect()
}

/// Waits until every live worker has handled every message sent to it so far.
async fn sync_all(eco: &Eco) {
    for w in eco.workers().iter().filter(|w| w.is_alive()) {
        w.call(WorkerMsg::Ping).await.unwrap();
    }
}

/// The receivers of gossip `id`, in the order heard, with their incarnation.
fn heard(log: &HeardLog, id: u64) -> Vec<Visit> {
    let mut heard: Vec<Visit> =
        log.lock().unwrap().iter().filter(|h| h.3 == id).map(|h| (h.0, h.1)).collect();
    heard.sort_unstable();
    heard
}

// ---------------------------------------------------------------------------------------------
// Ring.

#[tokio::test(start_paused = true)]
async fn ring_token_visits_every_worker_in_order() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "ring", 5, Topology::Ring, FaultTolerance::SelfHealing).await;
    let members = eco.members();
    let workers = eco.workers();
    for i in 0..5 {
        let next = members.next(i).unwrap().expect("a successor");
        assert_eq!(next.pid(), workers[(i + 1) % 5].pid(), "next({i})");
    }
    let round: Vec<Visit> = [0, 1, 2, 3, 4, 0].map(|i| (i, 0)).to_vec();
    assert_eq!(pass_token(&eco, 0, 5).await, round);
    let from_three: Vec<Visit> = [3, 4, 0, 1, 2, 3].map(|i| (i, 0)).to_vec();
    assert_eq!(pass_token(&eco, 3, 5).await, from_three);
    // Three times round.
    let long = pass_token(&eco, 0, 15).await;
    assert_eq!(long.len(), 16);
    assert!(long.iter().enumerate().all(|(k, &(i, _))| i == k % 5));
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn a_ring_of_one_has_no_successor() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "ring-1", 1, Topology::Ring, FaultTolerance::SelfHealing).await;
    assert!(eco.members().next(0).unwrap().is_none());
    assert_eq!(pass_token(&eco, 0, 3).await, [(0, 0)], "nobody to pass to");
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn standard_ring_closes_over_a_dead_worker() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "ring-std", 5, Topology::Ring, FaultTolerance::Standard).await;
    let workers = eco.workers();
    kill_for_good(&node, &workers[2]).await;
    let members = eco.members();
    assert_eq!(members.next(1).unwrap().map(|w| w.pid()), Some(workers[3].pid()), "skips 2");
    assert_eq!(members.next(0).unwrap().map(|w| w.pid()), Some(workers[1].pid()));
    let round: Vec<Visit> = [0, 1, 3, 4, 0].map(|i| (i, 0)).to_vec();
    assert_eq!(pass_token(&eco, 0, 4).await, round);

    // Over the wrap-around, and over two gaps in a row.
    kill_for_good(&node, &workers[4]).await;
    assert_eq!(members.next(3).unwrap().map(|w| w.pid()), Some(workers[0].pid()));
    kill_for_good(&node, &workers[3]).await;
    assert_eq!(members.next(1).unwrap().map(|w| w.pid()), Some(workers[0].pid()));
    let round: Vec<Visit> = [1, 0, 1, 0, 1].map(|i| (i, 0)).to_vec();
    assert_eq!(pass_token(&eco, 1, 4).await, round);
    kill_for_good(&node, &workers[1]).await;
    assert!(members.next(0).unwrap().is_none(), "no other worker is left");
    assert_eq!(eco.health().status, HealthStatus::Degraded);
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn standard_ring_token_in_flight_goes_round_a_worker_that_dies_before_it_arrives() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "ring-std-race", 4, Topology::Ring, FaultTolerance::Standard).await;
    let workers = eco.workers();
    // Worker 1 is held busy with the token queued behind; worker 2 dies meanwhile.
    let (gate, held) = oneshot::channel();
    workers[1].call(|r| WorkerMsg::Hold(r, held)).await.unwrap();
    let token = workers[0].call(|done| WorkerMsg::Token { hops_left: 3, visits: Vec::new(), done });
    let (visits, ()) = tokio::join!(token, async {
        settle(&eco, "the token waits at worker 1", |i| i.workers[1].mailbox_len == 1).await;
        kill_for_good(&node, &workers[2]).await;
        gate.send(()).unwrap();
    });
    let round: Vec<Visit> = [0, 1, 3, 0].map(|i| (i, 0)).to_vec();
    assert_eq!(visits.unwrap(), round);
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn self_healing_ring_keeps_a_killed_workers_place() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "ring-heal", 5, Topology::Ring, FaultTolerance::SelfHealing).await;
    let workers = eco.workers();
    let before = workers[2].pid();
    // Killed just before the token starts: the token reaches its next incarnation.
    assert!(node.kill(before));
    let round: Vec<Visit> = vec![(0, 0), (1, 0), (2, 1), (3, 0), (4, 0), (0, 0)];
    assert_eq!(pass_token(&eco, 0, 5).await, round);
    assert_ne!(workers[2].pid(), before);
    assert_eq!(
        eco.members().next(1).unwrap().map(|w| w.pid()),
        Some(workers[2].pid()),
        "the restarted worker keeps its place"
    );
    let info =
        settle(&eco, "healed", |i| i.workers.iter().all(|w| w.state == MemberState::Alive)).await;
    assert_eq!(info.workers[2].restarts, 1);
    assert_eq!(eco.health().status, HealthStatus::Healthy);
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn self_healing_ring_a_token_waiting_in_a_killed_workers_mailbox_is_not_lost() {
    let node = Node::new().unwrap();
    let (eco, _) =
        start(&node, "ring-heal-q", 5, Topology::Ring, FaultTolerance::SelfHealing).await;
    let workers = eco.workers();
    // Worker 2 is held busy; the token travels 0 -> 1 -> 2 and waits in 2's mailbox.
    let (gate, held) = oneshot::channel();
    workers[2].call(|r| WorkerMsg::Hold(r, held)).await.unwrap();
    let token = workers[0].call(|done| WorkerMsg::Token { hops_left: 5, visits: Vec::new(), done });
    let (visits, ()) = tokio::join!(token, async {
        settle(&eco, "the token waits at worker 2", |i| i.workers[2].mailbox_len == 1).await;
        assert!(node.kill(workers[2].pid()));
    });
    drop(gate);
    let round: Vec<Visit> = vec![(0, 0), (1, 0), (2, 1), (3, 0), (4, 0), (0, 0)];
    assert_eq!(visits.unwrap(), round);
    // And round again, through the new incarnation.
    assert_eq!(pass_token(&eco, 2, 5).await, [(2, 1), (3, 0), (4, 0), (0, 0), (1, 0), (2, 1)]);
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn ring_closes_over_removed_workers_and_takes_in_added_ones() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "ring-grow", 5, Topology::Ring, FaultTolerance::SelfHealing).await;
    eco.remove_workers(2).await.unwrap();
    let workers = eco.workers();
    assert_eq!(workers.len(), 3);
    assert_eq!(eco.members().next(2).unwrap().map(|w| w.pid()), Some(workers[0].pid()));
    assert_eq!(pass_token(&eco, 0, 3).await, [(0, 0), (1, 0), (2, 0), (0, 0)]);
    let added = eco.add_workers(1).await.unwrap();
    let (index, _) = added[0].call(WorkerMsg::Ping).await.unwrap();
    let round = pass_token(&eco, 0, 4).await;
    assert_eq!(round, [(0, 0), (1, 0), (2, 0), (index, 0), (0, 0)]);
    shutdown(&node, &eco).await;
}

// ---------------------------------------------------------------------------------------------
// Mesh.

#[tokio::test(start_paused = true)]
async fn mesh_peers_are_every_other_live_worker() {
    let node = Node::new().unwrap();
    let (eco, _) = start(&node, "mesh-peers", 5, Topology::Mesh, FaultTolerance::Standard).await;
    let workers = eco.workers();
    let all = pids(&workers);
    for i in 0..5 {
        let peers = pids(&eco.members().peers(i).unwrap());
        let others: Vec<Pid> = all.iter().copied().filter(|&p| p != all[i]).collect();
        assert_eq!(peers, others, "peers({i})");
    }
    kill_for_good(&node, &workers[3]).await;
    for i in 0..5 {
        let peers = pids(&eco.members().peers(i).unwrap());
        assert!(!peers.contains(&all[3]), "peers({i}) holds a dead worker");
        assert!(!peers.contains(&all[i]), "peers({i}) holds itself");
        assert_eq!(peers.len(), if i == 3 { 4 } else { 3 }, "peers({i})");
    }
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn mesh_broadcasts_reach_every_other_worker_exactly_once() {
    let node = Node::new().unwrap();
    let (eco, log) = start(&node, "mesh", 6, Topology::Mesh, FaultTolerance::SelfHealing).await;
    let workers = eco.workers();
    // Everyone broadcasts at once.
    let broadcasts = workers
        .iter()
        .enumerate()
        .map(|(i, w)| w.call(move |done| WorkerMsg::Broadcast { id: i as u64, done }));
    let counts = futures::future::join_all(broadcasts).await;
    assert!(counts.into_iter().all(|c| c.unwrap() == 5));
    sync_all(&eco).await;
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 6 * 5);
    let pairs: BTreeSet<(usize, usize)> = log.iter().map(|h| (h.0, h.2)).collect();
    assert_eq!(pairs.len(), 30, "no (receiver, sender) pair twice");
    assert!(pairs.iter().all(|(to, from)| to != from), "nobody hears itself");
    assert!(log.iter().all(|h| h.3 == h.2 as u64), "each gossip comes from its broadcaster");
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn standard_mesh_broadcast_skips_a_dead_worker() {
    let node = Node::new().unwrap();
    let (eco, log) = start(&node, "mesh-std", 5, Topology::Mesh, FaultTolerance::Standard).await;
    let workers = eco.workers();
    kill_for_good(&node, &workers[2]).await;
    let reached = workers[0].call(|done| WorkerMsg::Broadcast { id: 7, done }).await.unwrap();
    assert_eq!(reached, 3);
    sync_all(&eco).await;
    assert_eq!(heard(&log, 7), [(1, 0), (3, 0), (4, 0)]);
    shutdown(&node, &eco).await;
}

#[tokio::test(start_paused = true)]
async fn self_healing_mesh_broadcast_reaches_a_restarted_worker() {
    let node = Node::new().unwrap();
    let (eco, log) =
        start(&node, "mesh-heal", 5, Topology::Mesh, FaultTolerance::SelfHealing).await;
    let workers = eco.workers();
    assert!(node.kill(workers[2].pid()));
    let reached = workers[0].call(|done| WorkerMsg::Broadcast { id: 7, done }).await.unwrap();
    assert_eq!(reached, 4, "a restarting worker is still a peer");
    sync_all(&eco).await;
    assert_eq!(heard(&log, 7), [(1, 0), (2, 1), (3, 0), (4, 0)]);
    // The restarted worker broadcasts too.
    let reached = workers[2].call(|done| WorkerMsg::Broadcast { id: 8, done }).await.unwrap();
    assert_eq!(reached, 4);
    sync_all(&eco).await;
    assert_eq!(heard(&log, 8), [(0, 0), (1, 0), (3, 0), (4, 0)]);
    shutdown(&node, &eco).await;
}

// ---------------------------------------------------------------------------------------------
// Tree, and topology errors.

#[tokio::test(start_paused = true)]
async fn peers_and_next_outside_their_topology_are_errors_naming_it() {
    let node = Node::new().unwrap();
    let (tree, _) = start(&node, "tree", 3, Topology::Tree, FaultTolerance::SelfHealing).await;
    let (mesh, _) = start(&node, "mesh", 3, Topology::Mesh, FaultTolerance::SelfHealing).await;
    let (ring, _) = start(&node, "ring", 3, Topology::Ring, FaultTolerance::SelfHealing).await;
    assert_eq!(tree.members().topology(), Topology::Tree);

    let err = tree.members().peers(0).unwrap_err().to_string();
    assert!(err.contains("`peers`") && err.contains("Mesh"), "{err}");
    assert!(err.contains("`topology`") && err.contains("Tree"), "{err}");
    let err = tree.members().next(0).unwrap_err().to_string();
    assert!(err.contains("`next`") && err.contains("Ring"), "{err}");
    assert!(err.contains("`topology`") && err.contains("Tree"), "{err}");
    let err = mesh.members().next(0).unwrap_err().to_string();
    assert!(err.contains("`next`") && err.contains("Mesh"), "{err}");
    let err = ring.members().peers(0).unwrap_err().to_string();
    assert!(err.contains("`peers`") && err.contains("Ring"), "{err}");

    // A worker that asks anyway fails (and, self-healing, is replaced).
    let before = tree.workers()[0].pid();
    let asked = tree.workers()[0].call(|done| WorkerMsg::Broadcast { id: 1, done }).await;
    assert!(asked.is_err());
    let info = settle(&tree, "replaced", |i| i.workers[0].restarts == 1).await;
    assert_ne!(info.workers[0].pid, Some(before));
    let last = info.workers[0].last_exit.as_ref().unwrap().to_string();
    assert!(last.contains("topology"), "{last}");

    tree.shutdown().await;
    mesh.shutdown().await;
    ring.shutdown().await;
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn tree_coordinator_routes_to_workers_by_index() {
    for fault_tolerance in [FaultTolerance::SelfHealing, FaultTolerance::Standard] {
        let node = Node::new().unwrap();
        let (eco, _) = start(&node, "tree-route", 4, Topology::Tree, fault_tolerance).await;
        let coordinator = eco.coordinator();
        let route = |index: usize, payload: u64| {
            coordinator.call(move |reply| CoordMsg::Route { index, payload, reply })
        };
        for i in 0..4 {
            assert_eq!(route(i, 10 * i as u64).await.unwrap(), Some(((i, 0), 10 * i as u64)));
        }
        assert_eq!(route(99, 1).await.unwrap(), None, "no worker 99");

        let worker = eco.workers()[1].clone();
        assert!(node.kill(worker.pid()));
        let routed = route(1, 5).await.unwrap();
        match fault_tolerance {
            // The same address reaches the next incarnation.
            FaultTolerance::SelfHealing => assert_eq!(routed, Some(((1, 1), 5))),
            _ => {
                assert_eq!(routed, None, "a dead worker cannot answer");
                assert!(!worker.is_alive());
            }
        }
        assert_eq!(route(2, 6).await.unwrap(), Some(((2, 0), 6)), "the others still answer");
        shutdown(&node, &eco).await;
    }
}
