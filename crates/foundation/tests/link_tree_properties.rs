//! Property tests: exit propagation through random graphs of linked processes.
//!
//! Each case builds a random tree of 2 to 30 processes (every process after the first is
//! spawned with `spawn_link` by a random earlier one), adds a few random extra links (so cycles
//! happen), lets a random subset trap exits, and has an observer process monitor every one.
//! Then 1 to 3 random victims are killed with `node.kill`, or end with an error. The rules
//! (Erlang's, see `link_monitor_semantics.rs`) predict exactly which processes die:
//!
//! - a victim dies; a non-trapping process linked to a dead one dies with the same reason;
//! - a trapping process that is not a victim survives, and its `handle_exit` got exactly one
//!   exit signal from each dead neighbour, with that reason;
//! - every process that died with a `Killed` or `Error` reason, nothing else;
//! - the observer got exactly one `Down` per dead process (monitors fire at most once, and
//!   always for a death), none for a survivor.
//!
//! Each case runs on its own runtime: a paused current-thread one (deterministic), and, in a
//! second property, a two-worker multi-threaded one (real concurrency; waiting on the
//! observer's `Down`s, which a process sends only after its exit signals, makes the checks
//! free of races there too).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use common::collect::Collected;
use foundation::{
    BoxError, Context, Down, ExitReason, MonitorRef, Node, Pid, Process, ProcessRef, ReplyTo,
};
use proptest::prelude::*;
use proptest::sample::Index;

const WAIT: Duration = Duration::from_secs(30);

enum Msg {
    SpawnLink(bool, ReplyTo<ProcessRef<Msg>>),
    Link(Pid, ReplyTo<bool>),
    Fail,
    Exits(ReplyTo<Vec<(Pid, ExitReason)>>),
}

#[derive(Default)]
struct Member {
    exits: Vec<(Pid, ExitReason)>,
}

impl Process for Member {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::SpawnLink(trap, r) => {
                let _ = r.reply(ctx.process().trap_exit(trap).spawn_link(Member::default())?);
            }
            Msg::Link(pid, r) => {
                let _ = r.reply(ctx.link(pid).is_ok());
            }
            Msg::Fail => return Err("boom".into()),
            Msg::Exits(r) => {
                let _ = r.reply(self.exits.clone());
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        ctx: &mut Context<Msg>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        if from == ctx.node().self_pid() {
            // The node shutting down: comply, so the shutdown is quick.
            ctx.stop(reason);
            return Ok(());
        }
        self.exits.push((from, reason));
        Ok(())
    }
}

enum ObsMsg {
    Monitor(Pid, ReplyTo<MonitorRef>),
    /// Replies once at least this many `Down`s have arrived.
    WaitDowns(usize, ReplyTo<Vec<Down>>),
}

#[derive(Default)]
struct Observer {
    downs: Collected<Down>,
}

impl Process for Observer {
    type Message = ObsMsg;

    async fn handle(&mut self, ctx: &mut Context<ObsMsg>, msg: ObsMsg) -> Result<(), BoxError> {
        match msg {
            ObsMsg::Monitor(pid, r) => {
                let _ = r.reply(ctx.monitor(pid));
            }
            ObsMsg::WaitDowns(n, r) => self.downs.wait_for(n, r),
        }
        Ok(())
    }

    async fn handle_down(
        &mut self,
        _ctx: &mut Context<ObsMsg>,
        down: Down,
    ) -> Result<(), BoxError> {
        self.downs.push(down);
        Ok(())
    }
}

/// A generated case.
#[derive(Clone, Debug)]
struct Case {
    /// `parent[i]` for process `i + 1`.
    parents: Vec<usize>,
    traps: Vec<bool>,
    extra_links: Vec<(usize, usize)>,
    victims: Vec<usize>,
    kill: bool,
}

impl Case {
    fn len(&self) -> usize {
        self.traps.len()
    }

    fn neighbours(&self) -> Vec<BTreeSet<usize>> {
        let mut adj = vec![BTreeSet::new(); self.len()];
        let tree = self.parents.iter().enumerate().map(|(i, &p)| (i + 1, p));
        for (a, b) in tree.chain(self.extra_links.iter().copied()) {
            if a != b {
                adj[a].insert(b);
                adj[b].insert(a);
            }
        }
        adj
    }

    /// Which processes die, by the rules.
    fn dead(&self) -> Vec<bool> {
        let adj = self.neighbours();
        let mut dead = vec![false; self.len()];
        let mut todo = Vec::new();
        for &v in &self.victims {
            if !dead[v] {
                dead[v] = true;
                todo.push(v);
            }
        }
        while let Some(w) = todo.pop() {
            for &u in &adj[w] {
                if !dead[u] && !self.traps[u] {
                    dead[u] = true;
                    todo.push(u);
                }
            }
        }
        dead
    }

    fn reason(&self) -> ExitReason {
        if self.kill { ExitReason::Killed } else { ExitReason::error("boom") }
    }
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..=30)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(any::<Index>(), n - 1),
                proptest::collection::vec(any::<bool>(), n),
                proptest::collection::vec((any::<Index>(), any::<Index>()), 0..=n / 3),
                proptest::collection::vec(any::<Index>(), 1..=3),
                any::<bool>(),
            )
        })
        .prop_map(|(parents, traps, extra, victims, kill)| {
            let n = traps.len();
            Case {
                parents: parents.iter().enumerate().map(|(i, ix)| ix.index(i + 1)).collect(),
                extra_links: extra.iter().map(|(a, b)| (a.index(n), b.index(n))).collect(),
                victims: victims.iter().map(|v| v.index(n)).collect(),
                traps,
                kill,
            }
        })
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: timed out"),
    }
}

/// Builds the graph, strikes the victims, and checks the outcome against the model.
async fn check(case: Case) {
    let node = Node::new().unwrap();
    let observer = node.spawn(Observer::default()).unwrap();
    let mut refs: Vec<ProcessRef<Msg>> = Vec::new();
    refs.push(node.process().trap_exit(case.traps[0]).spawn(Member::default()).unwrap());
    for (i, &parent) in case.parents.iter().enumerate() {
        let trap = case.traps[i + 1];
        refs.push(refs[parent].call(|r| Msg::SpawnLink(trap, r)).await.unwrap());
    }
    let pids: Vec<Pid> = refs.iter().map(ProcessRef::pid).collect();
    for &(a, b) in &case.extra_links {
        assert!(refs[a].call(|r| Msg::Link(pids[b], r)).await.unwrap(), "link {a}-{b}");
    }
    let mut monitors = HashMap::new();
    for (i, pid) in pids.iter().enumerate() {
        monitors.insert(observer.call(|r| ObsMsg::Monitor(*pid, r)).await.unwrap(), i);
    }
    // The links are as built, both ways.
    let adj = case.neighbours();
    for (i, pid) in pids.iter().enumerate() {
        let links: BTreeSet<usize> = node
            .process_info(*pid)
            .unwrap()
            .links
            .iter()
            .map(|l| pids.iter().position(|p| p == l).unwrap())
            .collect();
        assert_eq!(links, adj[i], "links of process {i}");
    }

    for &v in &case.victims {
        if case.kill {
            node.kill(pids[v]);
        } else {
            // Already dead (from another victim's wave) is fine: the message comes back.
            let _ = refs[v].try_send(Msg::Fail);
        }
    }

    let dead = case.dead();
    let reason = case.reason();
    for (i, p) in refs.iter().enumerate() {
        if dead[i] {
            let got = within(&format!("process {i} should die"), p.exited()).await;
            assert_eq!(got, reason, "exit reason of process {i}");
        }
    }
    let n_dead = dead.iter().filter(|d| **d).count();
    let downs =
        within("observer Downs", observer.call(|r| ObsMsg::WaitDowns(n_dead, r))).await.unwrap();

    // Monitors: one Down per dead process, none twice, with the reason.
    let mut fired = BTreeSet::new();
    for d in &downs {
        assert!(fired.insert(d.monitor), "{d:?} fired twice");
        let i = monitors[&d.monitor];
        assert_eq!(d.pid, pids[i]);
        assert!(dead[i], "Down for surviving process {i}: {d:?}");
        assert_eq!(d.reason, reason);
    }
    assert_eq!(downs.len(), n_dead, "one Down per dead process");

    // Survivors: alive, and a trapping one heard from each dead neighbour once.
    for (i, p) in refs.iter().enumerate() {
        if dead[i] {
            continue;
        }
        let exits = p
            .call(Msg::Exits)
            .await
            .unwrap_or_else(|e| panic!("process {i} should have survived: {e}"));
        let mut heard: Vec<usize> = exits
            .iter()
            .map(|(from, r)| {
                assert_eq!(*r, reason, "process {i} trapped exit reason");
                pids.iter().position(|p| p == from).unwrap()
            })
            .collect();
        heard.sort_unstable();
        let expected: Vec<usize> = adj[i].iter().copied().filter(|&u| dead[u]).collect();
        assert!(case.traps[i] || expected.is_empty(), "model: untrapped {i} next to the dead");
        assert_eq!(heard, expected, "exits trapped by process {i}");
        // No survivor keeps a link to a dead process.
        let links = node.process_info(pids[i]).unwrap().links;
        assert!(links.iter().all(|l| node.is_alive(*l)), "process {i} links {links:?}");
    }
    assert_eq!(node.process_count(), 1 + case.len() - n_dead, "processes left");

    let report = node.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.killed, 0, "every process complies with the shutdown");
    assert_eq!(node.process_count(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn exits_propagate_through_links_on_a_paused_current_thread_runtime(case in case()) {
        common::runtime::paused().block_on(check(case));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn exits_propagate_through_links_on_a_multi_thread_runtime(case in case()) {
        common::runtime::multi_thread(2).block_on(check(case));
    }
}
