//! Broadcast (to addresses, groups, an ecosystem's workers, topology neighbours), `Route`, and
//! `Node::ecosystem`, through the public API only. Every test runs on tokio's paused clock and
//! waits by awaiting replies or exits (or a bounded number of `yield_now`s); never a real sleep.

use std::any::type_name;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::ecosystem::{
    Ecosystem, EcosystemConfig, EcosystemSpec, FaultTolerance, LookupError, SnapshotStore, Topology,
};
use foundation::message::{Overflow, Route, RouteError, broadcast};
use foundation::{BoxError, Context, Node, Pid, Process, ProcessRef, ReplyTo};
use tokio::sync::oneshot;

/// A bound on waiting for a reply (virtual time: it only passes when everything is idle).
const TIMEOUT: Duration = Duration::from_secs(1);

/// The payload of a broadcast (its id): shared, never copied.
#[derive(Debug)]
struct Note(u64);

fn note(id: u64) -> Arc<Note> {
    Arc::new(Note(id))
}

/// (receiver index, its incarnation, note id): who handled which note.
type Log = Arc<Mutex<Vec<(usize, u64, u64)>>>;

/// The index the coordinator of a `listeners` ecosystem logs under.
const COORDINATOR: usize = usize::MAX;

enum Msg {
    Note(Arc<Note>),
    /// Answers with the notes this incarnation handled.
    Seen(ReplyTo<Vec<Arc<Note>>>),
    /// Answers, then waits until the gate opens or its sender is dropped.
    Hold(ReplyTo<()>, oneshot::Receiver<()>),
    /// Answers with (index, incarnation, payload).
    Echo(u64, ReplyTo<(usize, u64, u64)>),
    /// Adds to the total, saved for the next incarnation; answers (incarnation, total).
    Deposit(u64, ReplyTo<(u64, u64)>),
}

impl Clone for Msg {
    /// Only notes are broadcast; the other variants carry a one-shot reply.
    fn clone(&self) -> Self {
        match self {
            Msg::Note(note) => Msg::Note(Arc::clone(note)),
            _ => unreachable!("only notes are broadcast"),
        }
    }
}

struct Listener {
    index: usize,
    incarnation: u64,
    seen: Vec<Arc<Note>>,
    log: Log,
    total: u64,
    snapshots: SnapshotStore,
}

fn listener(index: usize, incarnation: u64, log: &Log) -> Listener {
    let (seen, log, snapshots) = (Vec::new(), Arc::clone(log), SnapshotStore::default());
    Listener { index, incarnation, seen, log, total: 0, snapshots }
}

impl Process for Listener {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Note(note) => {
                self.log.lock().unwrap().push((self.index, self.incarnation, note.0));
                self.seen.push(note);
            }
            Msg::Seen(reply) => drop(reply.reply(self.seen.clone())),
            Msg::Hold(started, gate) => {
                let _ = started.reply(());
                let _ = gate.await;
            }
            Msg::Echo(x, reply) => drop(reply.reply((self.index, self.incarnation, x))),
            Msg::Deposit(amount, reply) => {
                self.total += amount;
                self.snapshots.save(self.total);
                let _ = reply.reply((self.incarnation, self.total));
            }
        }
        Ok(())
    }
}

/// A worker of ecosystem "front" that talks to ecosystem "bank", found by name each time.
enum FrontMsg {
    Deposit(u64, ReplyTo<(u64, u64)>),
    /// Routes the payload by key to a bank worker and answers with its echo.
    Ask(String, u64, ReplyTo<(usize, u64, u64)>),
}

struct Front;

impl Process for Front {
    type Message = FrontMsg;

    async fn handle(&mut self, ctx: &mut Context<FrontMsg>, msg: FrontMsg) -> Result<(), BoxError> {
        let bank = ctx.node().ecosystem::<Msg, Msg>("bank");
        match msg {
            FrontMsg::Deposit(amount, reply) => {
                let to = bank?.coordinator();
                let _ = reply.reply(to.call_timeout(|r| Msg::Deposit(amount, r), TIMEOUT).await?);
            }
            FrontMsg::Ask(key, x, reply) => {
                let to = bank?.route(Route::key(&key))?;
                let _ = reply.reply(to.call_timeout(|r| Msg::Echo(x, r), TIMEOUT).await?);
            }
        }
        Ok(())
    }
}

/// An ecosystem of listeners. The coordinator logs as `COORDINATOR` (so a broadcast reaching
/// it would show) and starts from the total its previous incarnation saved.
async fn listeners(node: &Node, config: EcosystemConfig, log: &Log) -> Ecosystem<Msg, Msg> {
    let (c, w) = (Arc::clone(log), Arc::clone(log));
    let spec = EcosystemSpec::new(config)
        .coordinator(move |s| Listener {
            total: s.recovered::<u64>().unwrap_or(0),
            snapshots: s.snapshots(),
            ..listener(COORDINATOR, s.incarnation(), &c)
        })
        .worker(move |s| listener(s.index(), s.incarnation(), &w));
    node.spawn_ecosystem(spec).await.unwrap()
}

/// Who handled note `id`, as (index, incarnation), sorted.
fn heard(log: &Log, id: u64) -> Vec<(usize, u64)> {
    let mut heard: Vec<_> =
        log.lock().unwrap().iter().filter(|h| h.2 == id).map(|h| (h.0, h.1)).collect();
    heard.sort_unstable();
    heard
}

/// The ids of the notes `to` handled; waits until it handled everything sent before.
async fn seen(to: &ProcessRef<Msg>) -> Vec<u64> {
    to.call(Msg::Seen).await.unwrap().iter().map(|n| n.0).collect()
}

/// Waits until the coordinator and every worker handled everything sent to them before.
async fn sync(eco: &Ecosystem<Msg, Msg>) {
    for member in std::iter::once(eco.coordinator()).chain(eco.workers()) {
        seen(&member).await;
    }
}

fn pids(refs: &[ProcessRef<Msg>]) -> Vec<Pid> {
    refs.iter().map(ProcessRef::pid).collect()
}

fn is_note(msg: &Msg, note: &Arc<Note>) -> bool {
    matches!(msg, Msg::Note(back) if Arc::ptr_eq(back, note))
}

#[tokio::test(start_paused = true)]
async fn broadcast_shares_one_allocation_and_reaches_each_receiver_once() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let refs: Vec<_> = (0..5).map(|i| node.spawn(listener(i, 0, &log)).unwrap()).collect();
    let payload = note(7);
    let report = broadcast(&refs, Msg::Note(Arc::clone(&payload))).unwrap();
    assert_eq!(report.delivered, 5);
    assert!(report.is_complete(), "{report:?}");
    for r in &refs {
        let got = r.call(Msg::Seen).await.unwrap();
        assert_eq!(got.len(), 1, "exactly once");
        assert!(Arc::ptr_eq(&got[0], &payload), "the same allocation, not a copy");
    }
    assert_eq!(Arc::strong_count(&payload), 1 + 5, "one reference per receiver, nothing else");
    assert_eq!(heard(&log, 7), (0..5).map(|i| (i, 0)).collect::<Vec<_>>());

    let err =
        broadcast(&Vec::<ProcessRef<Msg>>::new(), Msg::Note(Arc::clone(&payload))).unwrap_err();
    assert!(err.to_string().contains("no receivers"), "{err}");
    assert!(is_note(&err.into_inner(), &payload), "the message comes back");
    assert_eq!(Arc::strong_count(&payload), 6);
}

#[tokio::test(start_paused = true)]
async fn group_broadcast_reaches_live_members_once_and_reports_the_others() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let groups = node.groups();
    let members: Vec<_> = (0..4).map(|i| node.spawn(listener(i, 0, &log)).unwrap()).collect();
    for m in &members {
        assert!(groups.join("room", m.pid()).unwrap());
    }
    let other = node.spawn(Front).unwrap();
    groups.join("room", other.pid()).unwrap();
    assert!(node.kill(members[3].pid()));
    members[3].exited().await;

    let report = groups.broadcast("room", Msg::Note(note(1))).unwrap();
    assert_eq!(report.delivered, 3, "{report:?}");
    assert_eq!(report.mismatched, [other.pid()]);
    assert!(report.full.is_empty() && report.dropped.is_empty(), "{report:?}");
    for m in &members[..3] {
        assert_eq!(seen(m).await, [1]);
    }
    assert_eq!(heard(&log, 1), [(0, 0), (1, 0), (2, 0)]);

    let payload = note(2);
    let err = groups.broadcast("nobody", Msg::Note(Arc::clone(&payload))).unwrap_err();
    assert_eq!(err.target(), "group \"nobody\"");
    assert!(is_note(&err.into_inner(), &payload));
    // A group whose only member exited is gone, so an error too.
    let lonely = node.spawn(listener(9, 0, &log)).unwrap();
    groups.join("lonely", lonely.pid()).unwrap();
    assert!(node.kill(lonely.pid()));
    lonely.exited().await;
    let err = groups.broadcast("lonely", Msg::Note(Arc::clone(&payload))).unwrap_err();
    assert!(is_note(&err.into_inner(), &payload));
    assert!(heard(&log, 2).is_empty());
}

#[tokio::test(start_paused = true)]
async fn full_mailboxes_follow_each_receivers_policy_without_holding_the_broadcast_up() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let fast = node.spawn(listener(0, 0, &log)).unwrap();
    let policies = [Overflow::Wait, Overflow::Fail, Overflow::DropNewest, Overflow::DropOldest];
    let (mut slow, mut gates) = (Vec::new(), Vec::new());
    for (i, policy) in policies.into_iter().enumerate() {
        let builder = node.process().mailbox_capacity(1).overflow(policy);
        let r = builder.spawn(listener(i + 1, 0, &log)).unwrap();
        let (gate, held) = oneshot::channel();
        r.call(|started| Msg::Hold(started, held)).await.unwrap();
        // The handler is blocked; a filler takes the only slot.
        assert!(r.try_send(Msg::Note(note(100 + i as u64))).is_ok());
        let info = node.process_info(r.pid()).unwrap();
        assert_eq!((info.mailbox_len, info.overflow, info.messages.dropped), (1, policy, 0));
        slow.push(r);
        gates.push(gate);
    }
    let mut to = vec![fast.clone()];
    to.extend(slow.iter().cloned());
    let report = broadcast(&to, Msg::Note(note(1))).unwrap();
    assert_eq!(report.delivered, 2, "the fast one and DropOldest: {report:?}");
    assert_eq!(report.full, [slow[0].pid()], "Wait: at capacity");
    assert_eq!(report.refused, [slow[1].pid()], "Fail: refused");
    assert_eq!(report.dropped, [slow[2].pid()], "DropNewest");
    assert_eq!(report.displaced, [slow[3].pid()], "DropOldest: delivered, the filler dropped");
    assert!(!report.is_complete());
    assert!(report.gone.is_empty() && report.mismatched.is_empty());

    let stats = |r: &ProcessRef<Msg>| node.process_info(r.pid()).unwrap().messages;
    let waiting = stats(&slow[0]);
    assert_eq!((waiting.stalls, waiting.dropped, waiting.refused), (0, 0, 0), "did not wait");
    assert_eq!(stats(&slow[1]).refused, 1);
    assert_eq!(stats(&slow[2]).dropped, 1);
    assert_eq!(stats(&slow[3]).dropped, 1, "the filler was displaced");

    drop(gates);
    let mut handled = Vec::new();
    for r in &to {
        handled.push(seen(r).await);
    }
    // Wait, Fail and DropNewest kept their filler; DropOldest's filler gave way to the note.
    assert_eq!(handled, [[1], [100], [101], [102], [1]]);
}

#[tokio::test(start_paused = true)]
async fn ecosystem_broadcast_reaches_every_worker_once_even_one_being_restarted() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let eco = listeners(&node, EcosystemConfig::new("bcast").workers(6), &log).await;
    let workers = eco.workers();
    let before = workers[2].pid();
    assert!(node.kill(before));
    // Sent while worker 2 is being killed: its next incarnation handles it.
    let report = eco.broadcast(Msg::Note(note(9))).unwrap();
    assert_eq!(report.delivered, 6, "{report:?}");
    assert!(report.is_complete());
    sync(&eco).await;
    assert_eq!(heard(&log, 9), [(0, 0), (1, 0), (2, 1), (3, 0), (4, 0), (5, 0)]);
    assert_ne!(workers[2].pid(), before);
    eco.shutdown().await;
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn ecosystem_broadcast_reaches_a_thousand_workers_exactly_once() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let eco = listeners(&node, EcosystemConfig::new("wide").workers(1000), &log).await;
    let payload = note(1);
    let report = eco.broadcast(Msg::Note(Arc::clone(&payload))).unwrap();
    assert_eq!(report.delivered, 1000);
    assert!(report.is_complete());
    sync(&eco).await;
    assert_eq!(heard(&log, 1), (0..1000).map(|i| (i, 0)).collect::<Vec<_>>());
    assert_eq!(Arc::strong_count(&payload), 1 + 1000);
    eco.shutdown().await;
    assert_eq!(Arc::strong_count(&payload), 1);
}

#[tokio::test(start_paused = true)]
async fn broadcast_to_neighbours_follows_the_topology() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let config = |name: &str, topology| EcosystemConfig::new(name).workers(5).topology(topology);
    let mesh = listeners(&node, config("mesh", Topology::Mesh), &log).await;
    let report = mesh.members().broadcast_neighbours(1, Msg::Note(note(1))).unwrap();
    assert_eq!(report.delivered, 4);
    sync(&mesh).await;
    assert_eq!(heard(&log, 1), [(0, 0), (2, 0), (3, 0), (4, 0)]);

    let ring = listeners(&node, config("ring", Topology::Ring), &log).await;
    assert_eq!(ring.members().broadcast_neighbours(4, Msg::Note(note(2))).unwrap().delivered, 1);
    assert_eq!(ring.members().broadcast_neighbours(1, Msg::Note(note(3))).unwrap().delivered, 1);
    sync(&ring).await;
    assert_eq!(heard(&log, 2), [(0, 0)], "the successor of the last is the first");
    assert_eq!(heard(&log, 3), [(2, 0)]);

    let tree = listeners(&node, config("tree", Topology::Tree), &log).await;
    let payload = note(4);
    let err = tree.members().broadcast_neighbours(0, Msg::Note(Arc::clone(&payload))).unwrap_err();
    assert!(err.target().contains("tree"), "{err}");
    assert!(is_note(&err.into_inner(), &payload));
    sync(&tree).await;
    assert!(heard(&log, 4).is_empty());
    for eco in [mesh, ring, tree] {
        eco.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn routes_go_round_robin_by_key_or_to_the_least_loaded() {
    let node = Node::new().unwrap();
    let eco = listeners(&node, EcosystemConfig::new("rr").workers(4), &Log::default()).await;
    let all: BTreeSet<Pid> = pids(&eco.workers()).into_iter().collect();
    for round in 0..3 {
        let picked: BTreeSet<Pid> =
            (0..4).map(|_| eco.route(Route::RoundRobin).unwrap().pid()).collect();
        assert_eq!(picked, all, "round {round}");
    }
    let workers = eco.workers();
    for k in 0..8u64 {
        assert_eq!(eco.route(Route::Key(k)).unwrap().pid(), workers[(k % 4) as usize].pid());
    }
    assert_eq!(Route::key(&"user-42"), Route::key(&"user-42"));
    let a = eco.route(Route::key(&"user-42")).unwrap().pid();
    assert_eq!(eco.route(Route::key(&"user-42")).unwrap().pid(), a);
    let spread: BTreeSet<Pid> =
        (0..64).map(|i| eco.route(Route::key(&format!("user-{i}"))).unwrap().pid()).collect();
    assert_eq!(spread, all, "64 keys spread over every worker");

    // Least loaded: workers 0, 1 and 3 are busy with a backlog; 2 has none.
    let mut gates = Vec::new();
    for (i, w) in workers.iter().enumerate().filter(|(i, _)| *i != 2) {
        let (gate, held) = oneshot::channel();
        w.call(|r| Msg::Hold(r, held)).await.unwrap();
        for n in 0..=i as u64 {
            w.try_send(Msg::Note(note(n))).unwrap();
        }
        gates.push(gate);
    }
    let backlog: Vec<usize> = eco.info().workers.iter().map(|w| w.mailbox_len).collect();
    assert_eq!(backlog, [1, 2, 0, 4]);
    for _ in 0..8 {
        assert_eq!(eco.route(Route::LeastLoaded).unwrap().pid(), workers[2].pid());
    }
    drop(gates);
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn routing_skips_workers_gone_for_good_and_fails_when_none_is_left() {
    let node = Node::new().unwrap();
    let config = EcosystemConfig::new("std").workers(4).fault_tolerance(FaultTolerance::Standard);
    let eco = listeners(&node, config, &Log::default()).await;
    let workers = eco.workers();
    assert!(node.kill(workers[1].pid()));
    workers[1].exited().await;
    let picked: BTreeSet<Pid> =
        (0..8).map(|_| eco.route(Route::RoundRobin).unwrap().pid()).collect();
    let open: BTreeSet<Pid> = [0, 2, 3].map(|i| workers[i].pid()).into();
    assert_eq!(picked, open);
    assert_eq!(eco.route(Route::Key(1)).unwrap().pid(), workers[2].pid(), "the next open one");
    for _ in 0..4 {
        assert_ne!(eco.route(Route::LeastLoaded).unwrap().pid(), workers[1].pid());
    }

    for i in [0, 2, 3] {
        assert!(node.kill(workers[i].pid()));
        workers[i].exited().await;
    }
    for route in [Route::RoundRobin, Route::Key(3), Route::LeastLoaded] {
        let err = eco.route(route).unwrap_err();
        assert_eq!(err, RouteError::NoWorker { name: "std".into() });
        assert!(err.to_string().contains("\"std\""), "{err}");
    }
    // A broadcast reaches none of them, and says so.
    if let Ok(report) = eco.broadcast(Msg::Note(note(1))) {
        assert_eq!((report.delivered, report.gone), (0, pids(&workers)));
    }
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn ecosystems_are_found_by_name_and_type_and_leave_the_directory_when_stopped() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let eco = listeners(&node, EcosystemConfig::new("bank").workers(2), &log).await;
    let found = node.ecosystem::<Msg, Msg>("bank").unwrap();
    assert_eq!((found.name(), found.coordinator().pid()), ("bank", eco.coordinator().pid()));

    let err = node.ecosystem::<Msg, FrontMsg>("bank").unwrap_err();
    let asked = (type_name::<Msg>(), type_name::<FrontMsg>());
    let actual = (type_name::<Msg>(), type_name::<Msg>());
    assert_eq!(err, LookupError::WrongMessageTypes { name: "bank".into(), asked, actual });
    assert!(err.to_string().contains("FrontMsg"), "{err}");
    let err = node.ecosystem::<Msg, Msg>("nobody").unwrap_err();
    assert_eq!(err, LookupError::NoEcosystem { name: "nobody".into() });

    eco.shutdown().await;
    let mut polls = 0;
    while node.ecosystem::<Msg, Msg>("bank").is_ok() {
        assert!(polls < 100, "still in the directory after {polls} yields");
        polls += 1;
        tokio::task::yield_now().await;
    }
    let err = node.ecosystem::<Msg, Msg>("bank").unwrap_err();
    assert_eq!(err, LookupError::NoEcosystem { name: "bank".into() });

    // A namesake started right after a shutdown stays in the directory.
    let first = listeners(&node, EcosystemConfig::new("bank").workers(1), &log).await;
    first.shutdown().await;
    let second = listeners(&node, EcosystemConfig::new("bank").workers(1), &log).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    let found = node.ecosystem::<Msg, Msg>("bank").expect("the namesake is found");
    assert_eq!(found.coordinator().pid(), second.coordinator().pid());
    second.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn requests_cross_ecosystems_and_survive_a_coordinator_restart() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let bank_eco = listeners(&node, EcosystemConfig::new("bank").workers(3), &log).await;
    let log2 = Arc::clone(&log);
    let spec = EcosystemSpec::new(EcosystemConfig::new("front").workers(2))
        .coordinator(move |s| listener(COORDINATOR, s.incarnation(), &log2))
        .worker(|_| Front);
    let front = node.spawn_ecosystem(spec).await.unwrap();
    let (a, b) = (front.workers()[0].clone(), front.workers()[1].clone());
    assert_eq!(a.call(|r| FrontMsg::Deposit(5, r)).await.unwrap(), (0, 5));
    assert_eq!(b.call(|r| FrontMsg::Deposit(7, r)).await.unwrap(), (0, 12));

    let before = bank_eco.coordinator().pid();
    assert!(node.kill(before));
    // Answered by the next incarnation, from the state the killed one saved.
    assert_eq!(a.call(|r| FrontMsg::Deposit(30, r)).await.unwrap(), (1, 42));
    assert_ne!(bank_eco.coordinator().pid(), before);
    assert_eq!(bank_eco.info().coordinator.restarts, 1);

    let bank_workers = pids(&bank_eco.workers());
    for key in ["alice", "bob", "carol", "dave"] {
        let expected = bank_eco.route(Route::key(&key)).unwrap().pid();
        for (x, via) in [(1, &a), (2, &b)] {
            let echo = via.call(|r| FrontMsg::Ask(key.into(), x, r)).await.unwrap();
            assert_eq!((bank_workers[echo.0], echo.1, echo.2), (expected, 0, x), "{key}");
        }
    }

    front.shutdown().await;
    bank_eco.shutdown().await;
    assert_eq!(node.process_count(), 0);
}
