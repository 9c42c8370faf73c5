//! Supervisors, checked against OTP's: a port of the scenarios of OTP's
//! `lib/stdlib/test/supervisor_SUITE.erl` and of the rules in the OTP Design Principles chapter
//! "Supervisor Behaviour" (and the `supervisor` module reference). The rules, as ported:
//!
//! - Children start in the order of the spec and stop in the reverse order, each per its
//!   shutdown policy: a `Shutdown` exit signal then a kill at the timeout (`Timeout`), a kill at
//!   once without `terminate` (`BrutalKill`), or an unbounded wait (`Infinity`).
//! - `one_for_one` restarts the failed child only; `one_for_all` stops the others (last first)
//!   and restarts every child in order; `rest_for_one` does that for the failed child and the
//!   children started after it.
//! - `permanent` children are always restarted (after a `normal` exit too); `transient` ones
//!   only after an abnormal exit (not `normal`, not `shutdown`); `temporary` ones never, and
//!   they are forgotten, also when a sibling's failure stops them.
//! - More restarts than the intensity within the period (default 1 in 5 s; a window that
//!   includes its edge, as OTP's `Restart >= Now - Period`) ends the supervisor with the
//!   failing child's id, after it has stopped all its children. Its own supervisor then treats
//!   it as any failed child: failures escalate up the tree.
//! - A supervisor that cannot start its children (a name taken, duplicate ids, a bad period)
//!   fails to start and leaves nothing running.
//! - `start_child`, `terminate_child`, `restart_child`, `delete_child` and `which_children`
//!   behave as OTP's, with the errors `already_present`, `not_found` and `running`. A manual
//!   `restart_child` does not count against the intensity.
//!
//! Every test runs on tokio's current-thread runtime with the clock paused (but for one ignored
//! stress repro of a race), so timeouts and restart windows are exact in virtual time and
//! nothing really sleeps. To wait for a child's end the test waits for that incarnation
//! (`Node::wait_exit` with its pid; the child's address outlives it); the supervisor has then
//! got the child's exit signal, and since a process handles its pending signals before its next
//! message, the next request to the supervisor (`which_children`) sees the restart done.
//!

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::wait::{POLLS, WAIT};
use foundation::supervisor::{
    ChildInfo, ChildKind, ChildSpec, Restart, RestartIntensity, Shutdown, Strategy,
    SupervisorError, SupervisorRef, SupervisorSpec,
};
use foundation::{
    BoxError, Context, Down, ExitReason, Node, Pid, Process, RegisterError, ReplyTo, SpawnError,
};
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// The worker: a child driven by messages, recording its lifecycle in a shared log.
// ---------------------------------------------------------------------------------------------

/// What happened, in order, across every process of a test.
#[derive(Clone, Debug, PartialEq)]
enum Event {
    /// A worker's `init` ran (its end, for a worker with a slow `init`).
    Init(&'static str),
    /// A worker's `terminate` ran with this reason.
    Terminate(&'static str, ExitReason),
    /// A stubborn worker got (and ignored) an exit signal with this reason.
    Trapped(&'static str, ExitReason),
    /// The observer saw this process end.
    Down(&'static str),
}

type Log = Arc<Mutex<Vec<Event>>>;

fn new_log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

/// Takes the log's events so far.
fn take(log: &Log) -> Vec<Event> {
    std::mem::take(&mut *log.lock().unwrap())
}

enum Msg {
    /// The handler fails: an abnormal exit.
    Crash,
    /// Ends with this reason.
    Stop(ExitReason),
    /// Answers with its pid.
    Ping(ReplyTo<Pid>),
    /// Links itself to a process; answers whether it could.
    Link(Pid, ReplyTo<bool>),
    /// Sends an exit signal to a process (Erlang's `exit/2`).
    Exit(Pid, ExitReason, ReplyTo<bool>),
}

#[derive(Clone)]
struct Worker {
    id: &'static str,
    log: Log,
    /// Traps exits and ignores every exit signal, the supervisor's `Shutdown` included.
    stubborn: bool,
    /// Sleeps this long (virtual time) in `init` before logging it.
    slow_init: Option<Duration>,
    /// Fails in `init`.
    fails_init: bool,
}

impl Worker {
    fn new(id: &'static str, log: &Log) -> Self {
        Worker { id, log: Arc::clone(log), stubborn: false, slow_init: None, fails_init: false }
    }

    fn stubborn(mut self) -> Self {
        self.stubborn = true;
        self
    }

    fn slow_init(mut self, delay: Duration) -> Self {
        self.slow_init = Some(delay);
        self
    }

    fn fails_init(mut self) -> Self {
        self.fails_init = true;
        self
    }

    /// A worker child spec (default options) with this worker's id, making a copy of it at
    /// every start.
    fn spec(self) -> ChildSpec {
        let id = self.id;
        ChildSpec::worker(id, move || self.clone())
    }

    fn record(&self, event: Event) {
        self.log.lock().unwrap().push(event);
    }
}

impl Process for Worker {
    type Message = Msg;

    async fn init(&mut self, ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        if self.stubborn {
            ctx.trap_exit(true);
        }
        if let Some(delay) = self.slow_init {
            tokio::time::sleep(delay).await;
        }
        if self.fails_init {
            return Err("init failed".into());
        }
        self.record(Event::Init(self.id));
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Crash => return Err("boom".into()),
            Msg::Stop(reason) => ctx.stop(reason),
            Msg::Ping(reply) => {
                let _ = reply.reply(ctx.pid());
            }
            Msg::Link(pid, reply) => {
                let _ = reply.reply(ctx.link(pid).is_ok());
            }
            Msg::Exit(pid, reason, reply) => {
                let _ = reply.reply(ctx.exit(pid, reason));
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        _ctx: &mut Context<Msg>,
        _from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.record(Event::Trapped(self.id, reason));
        Ok(())
    }

    async fn terminate(&mut self, _ctx: &mut Context<Msg>, reason: &ExitReason) {
        self.record(Event::Terminate(self.id, reason.clone()));
    }
}

fn boom() -> ExitReason {
    ExitReason::error("boom")
}

fn shutdown() -> ExitReason {
    ExitReason::Shutdown(None)
}

// ---------------------------------------------------------------------------------------------
// The observer: monitors processes and logs their ends, in order.
// ---------------------------------------------------------------------------------------------

enum ObsMsg {
    Watch(Pid, &'static str, ReplyTo<()>),
}

struct Observer {
    log: Log,
    labels: HashMap<Pid, &'static str>,
}

impl Process for Observer {
    type Message = ObsMsg;

    async fn init(&mut self, ctx: &mut Context<ObsMsg>) -> Result<(), BoxError> {
        // Trapping makes a node shutdown arrive after the `Down`s already on their way.
        ctx.trap_exit(true);
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<ObsMsg>, msg: ObsMsg) -> Result<(), BoxError> {
        let ObsMsg::Watch(pid, label, reply) = msg;
        self.labels.insert(pid, label);
        ctx.monitor(pid);
        let _ = reply.reply(());
        Ok(())
    }

    async fn handle_down(
        &mut self,
        _ctx: &mut Context<ObsMsg>,
        down: Down,
    ) -> Result<(), BoxError> {
        self.log.lock().unwrap().push(Event::Down(self.labels[&down.pid]));
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        ctx: &mut Context<ObsMsg>,
        _from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        ctx.stop(reason);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

async fn children(sup: &SupervisorRef) -> Vec<ChildInfo> {
    sup.which_children().await.expect("the supervisor is up")
}

fn ids(children: &[ChildInfo]) -> Vec<&str> {
    children.iter().map(|c| c.id.as_str()).collect()
}

/// The pid of the running child `id`.
async fn pid_of(sup: &SupervisorRef, id: &str) -> Pid {
    children(sup)
        .await
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no child `{id}`"))
        .pid
        .unwrap_or_else(|| panic!("child `{id}` is not running"))
}

/// The pids of the children, by id, `None` for a child not running.
async fn pids(sup: &SupervisorRef) -> Vec<(String, Option<Pid>)> {
    children(sup).await.into_iter().map(|c| (c.id, c.pid)).collect()
}

/// Sends `msg` to the live worker `pid` and waits until that incarnation has exited; returns
/// why. (The child's address outlives it: the supervisor keeps it for the next incarnation.)
async fn end_child(node: &Node, pid: Pid, msg: Msg) -> ExitReason {
    let child = node.lookup::<Msg>(pid).expect("the child is alive");
    assert!(child.send(msg).await.is_ok(), "the child takes messages");
    drop(child);
    tokio::time::timeout(WAIT, node.wait_exit(pid)).await.expect("the child exits")
}

/// Makes the live worker `pid` fail, and waits until it has exited.
async fn crash(node: &Node, pid: Pid) {
    assert_eq!(end_child(node, pid, Msg::Crash).await, boom());
}

/// Asks the worker `pid` for its pid: returns once its `init` has run.
async fn ping(node: &Node, pid: Pid) -> Pid {
    let child = node.lookup::<Msg>(pid).expect("the child is alive");
    child.call(Msg::Ping).await.expect("the child answers")
}

/// The supervisor's reason when it gave up: `(id, max_restarts, period, last_exit)`.
fn gave_up(reason: &ExitReason) -> (String, u32, Duration, ExitReason) {
    let ExitReason::Error(err) = reason else {
        panic!("expected an error exit, got {reason:?}");
    };
    match err.downcast_ref::<SupervisorError>() {
        Some(SupervisorError::RestartIntensityReached { id, max_restarts, period, last_exit }) => {
            (id.clone(), *max_restarts, *period, last_exit.clone())
        }
        other => panic!("expected RestartIntensityReached, got {other:?} ({reason})"),
    }
}

/// Waits, a bounded number of scheduler rounds, until `name` is registered to a pid other than
/// `old`; returns it.
async fn registered_anew(node: &Node, name: &str, old: Option<Pid>) -> Pid {
    for _ in 0..POLLS {
        if let Some(pid) = node.registry().whereis(name)
            && Some(pid) != old
        {
            return pid;
        }
        tokio::task::yield_now().await;
    }
    panic!("`{name}` was not registered anew");
}

fn intensity(max_restarts: u32, period_secs: u64) -> RestartIntensity {
    RestartIntensity::new(max_restarts, Duration::from_secs(period_secs))
}

// ---------------------------------------------------------------------------------------------
// Start and stop order.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn children_start_in_spec_order_and_stop_in_reverse_order() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec())
                .child(Worker::new("c", &log).spec()),
        )
        .await
        .unwrap();

    let listed = children(&sup).await;
    assert_eq!(ids(&listed), ["a", "b", "c"]);
    for child in &listed {
        assert_eq!(child.kind, ChildKind::Worker);
        assert_eq!(child.restart, Restart::Permanent);
        assert_eq!(child.restarts, 0);
        let pid = child.pid.expect("running");
        assert_eq!(ping(&node, pid).await, pid);
    }
    let started: Vec<Pid> = listed.iter().map(|c| c.pid.unwrap()).collect();
    assert!(started.windows(2).all(|w| w[0] < w[1]), "spawned in order: {started:?}");
    assert_eq!(take(&log), [Event::Init("a"), Event::Init("b"), Event::Init("c")]);

    // The node asks the supervisor to go: it stops its children, last first, then itself; a
    // permanent child stopped that way is not restarted.
    let reason = node.stop(sup.pid(), WAIT).await;
    assert_eq!(reason, Some(shutdown()));
    assert_eq!(
        take(&log),
        [
            Event::Terminate("c", shutdown()),
            Event::Terminate("b", shutdown()),
            Event::Terminate("a", shutdown()),
        ]
    );
    for pid in started {
        assert!(!node.is_alive(pid));
    }
    assert_eq!(node.process_count(), 0);
}

/// OTP's `supervisor:start_link` starts each child with a synchronous `start_link`: a child's
/// `init` has finished before the next child is started, and before `start_link` returns.
#[tokio::test(start_paused = true)]
async fn a_child_init_finishes_before_the_next_child_starts() {
    let node = Node::new().unwrap();
    let log = new_log();
    let t0 = Instant::now();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).slow_init(Duration::from_secs(1)).spec())
                .child(Worker::new("b", &log).spec()),
        )
        .await
        .unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(1), "spawn_supervisor waits for a's init");
    let b = pid_of(&sup, "b").await;
    ping(&node, b).await;
    assert_eq!(take(&log), [Event::Init("a"), Event::Init("b")]);
}

/// The same, for a nested supervisor: OTP starts the tree depth first.
#[tokio::test(start_paused = true)]
async fn a_tree_starts_depth_first() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sub = SupervisorSpec::new()
        .child(Worker::new("b", &log).spec().name("b"))
        .child(Worker::new("c", &log).spec().name("c"));
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(ChildSpec::supervisor("sub", sub))
                .child(Worker::new("d", &log).spec()),
        )
        .await
        .unwrap();
    let c = registered_anew(&node, "c", None).await;
    ping(&node, c).await;
    ping(&node, pid_of(&sup, "d").await).await;
    assert_eq!(
        take(&log),
        [Event::Init("a"), Event::Init("b"), Event::Init("c"), Event::Init("d")]
    );
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

async fn four_children(node: &Node, log: &Log, strategy: Strategy) -> SupervisorRef {
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .strategy(strategy)
                .intensity(intensity(10, 5))
                .child(Worker::new("a", log).spec())
                .child(Worker::new("b", log).spec())
                .child(Worker::new("c", log).spec())
                .child(Worker::new("d", log).spec()),
        )
        .await
        .unwrap();
    for (_, pid) in pids(&sup).await {
        ping(node, pid.unwrap()).await;
    }
    take(log);
    sup
}

#[tokio::test(start_paused = true)]
async fn one_for_one_restarts_only_the_failed_child() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = four_children(&node, &log, Strategy::OneForOne).await;
    let before = pids(&sup).await;

    crash(&node, pid_of(&sup, "b").await).await;

    let after = children(&sup).await;
    assert_eq!(ids(&after), ["a", "b", "c", "d"]);
    for (old, new) in before.iter().zip(&after) {
        if new.id == "b" {
            assert_ne!(new.pid, old.1, "b was restarted");
            assert!(new.pid.is_some());
            assert_eq!(new.restarts, 1);
        } else {
            assert_eq!(new.pid, old.1, "{} was left alone", new.id);
            assert_eq!(new.restarts, 0);
        }
    }
    ping(&node, after[1].pid.unwrap()).await;
    assert_eq!(take(&log), [Event::Terminate("b", boom()), Event::Init("b")]);
}

#[tokio::test(start_paused = true)]
async fn one_for_all_stops_the_others_in_reverse_order_and_restarts_all_in_order() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = four_children(&node, &log, Strategy::OneForAll).await;
    let before = pids(&sup).await;

    crash(&node, pid_of(&sup, "b").await).await;

    let after = children(&sup).await;
    assert_eq!(ids(&after), ["a", "b", "c", "d"]);
    for (old, new) in before.iter().zip(&after) {
        assert!(new.pid.is_some() && new.pid != old.1, "{} was restarted", new.id);
        assert!(!node.is_alive(old.1.unwrap()));
        assert_eq!(new.restarts, 1, "{}", new.id);
        ping(&node, new.pid.unwrap()).await;
    }
    assert_eq!(
        take(&log),
        [
            Event::Terminate("b", boom()),
            Event::Terminate("d", shutdown()),
            Event::Terminate("c", shutdown()),
            Event::Terminate("a", shutdown()),
            Event::Init("a"),
            Event::Init("b"),
            Event::Init("c"),
            Event::Init("d"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_restarts_the_failed_child_and_those_after_it() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = four_children(&node, &log, Strategy::RestForOne).await;
    let before = pids(&sup).await;

    crash(&node, pid_of(&sup, "b").await).await;

    let after = children(&sup).await;
    assert_eq!(ids(&after), ["a", "b", "c", "d"]);
    assert_eq!(after[0].pid, before[0].1, "a, before the failed child, is left alone");
    assert_eq!(after[0].restarts, 0);
    for (old, new) in before.iter().zip(&after).skip(1) {
        assert!(new.pid.is_some() && new.pid != old.1, "{} was restarted", new.id);
        assert_eq!(new.restarts, 1, "{}", new.id);
        ping(&node, new.pid.unwrap()).await;
    }
    assert_eq!(
        take(&log),
        [
            Event::Terminate("b", boom()),
            Event::Terminate("d", shutdown()),
            Event::Terminate("c", shutdown()),
            Event::Init("b"),
            Event::Init("c"),
            Event::Init("d"),
        ]
    );

    // The last child failing restarts only itself.
    let before = pids(&sup).await;
    crash(&node, pid_of(&sup, "d").await).await;
    let after = pids(&sup).await;
    assert_eq!(after[..3], before[..3]);
    assert_ne!(after[3], before[3]);
}

// ---------------------------------------------------------------------------------------------
// Restart policies.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_permanent_child_is_always_restarted() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new().intensity(intensity(10, 5)).child(Worker::new("p", &log).spec()),
        )
        .await
        .unwrap();

    let reasons = [
        ExitReason::Normal,
        shutdown(),
        ExitReason::shutdown_with("bye"),
        boom(),
        ExitReason::Killed,
    ];
    for (n, reason) in reasons.into_iter().enumerate() {
        let pid = pid_of(&sup, "p").await;
        ping(&node, pid).await;
        if reason.is_killed() {
            assert!(node.kill(pid));
            assert_eq!(node.wait_exit(pid).await, ExitReason::Killed);
        } else {
            let msg = if reason == boom() { Msg::Crash } else { Msg::Stop(reason.clone()) };
            assert_eq!(end_child(&node, pid, msg).await, reason);
        }
        let child = &children(&sup).await[0];
        assert!(child.pid.is_some_and(|p| p != pid), "restarted after {reason}");
        assert_eq!(child.restarts, n as u64 + 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_transient_child_is_restarted_only_after_an_abnormal_exit() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .intensity(intensity(10, 5))
                .child(Worker::new("t", &log).spec().restart(Restart::Transient))
                .child(Worker::new("other", &log).spec()),
        )
        .await
        .unwrap();
    let other = pid_of(&sup, "other").await;

    // Abnormal: an error, a kill.
    let pid = pid_of(&sup, "t").await;
    crash(&node, pid).await;
    let pid2 = pid_of(&sup, "t").await;
    assert_ne!(pid2, pid);
    assert!(node.kill(pid2));
    assert_eq!(node.wait_exit(pid2).await, ExitReason::Killed);
    let pid3 = pid_of(&sup, "t").await;
    assert_ne!(pid3, pid2);
    assert_eq!(children(&sup).await[0].restarts, 2);

    // Normal ends: `Normal`, `Shutdown`, `Shutdown` with a reason. The child stays listed,
    // stopped, and can be restarted by hand.
    let mut pid = pid3;
    for reason in [ExitReason::Normal, shutdown(), ExitReason::shutdown_with("done")] {
        assert_eq!(end_child(&node, pid, Msg::Stop(reason.clone())).await, reason);
        let listed = children(&sup).await;
        assert_eq!(ids(&listed), ["t", "other"]);
        assert_eq!(listed[0].pid, None, "not restarted after {reason}");
        assert_eq!(listed[0].restarts, 2);
        assert_eq!(listed[0].restart, Restart::Transient);
        pid = sup.restart_child("t").await.unwrap().expect("started, not ignored");
    }
    assert_eq!(pid_of(&sup, "other").await, other);
}

#[tokio::test(start_paused = true)]
async fn a_temporary_child_is_never_restarted_and_is_forgotten() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("crashes", &log).spec().restart(Restart::Temporary))
                .child(Worker::new("ends", &log).spec().restart(Restart::Temporary))
                .child(Worker::new("stays", &log).spec()),
        )
        .await
        .unwrap();
    assert_eq!(children(&sup).await[0].restart, Restart::Temporary);

    crash(&node, pid_of(&sup, "crashes").await).await;
    assert_eq!(ids(&children(&sup).await), ["ends", "stays"]);
    let ends = pid_of(&sup, "ends").await;
    end_child(&node, ends, Msg::Stop(ExitReason::Normal)).await;
    assert_eq!(ids(&children(&sup).await), ["stays"]);
    assert!(
        matches!(sup.restart_child("ends").await, Err(SupervisorError::NotFound(id)) if id == "ends")
    );

    // Neither counted as a restart: the default intensity (1) still allows one.
    crash(&node, pid_of(&sup, "stays").await).await;
    assert_eq!(children(&sup).await[0].restarts, 1);
    assert!(children(&sup).await[0].pid.is_some());
}

/// OTP: "A temporary child process is never restarted (even when the supervisor's restart
/// strategy is rest_for_one or one_for_all and a sibling's death causes the temporary process
/// to be terminated)."
#[tokio::test(start_paused = true)]
async fn a_temporary_sibling_stopped_by_a_restart_is_not_restarted() {
    for strategy in [Strategy::OneForAll, Strategy::RestForOne] {
        let node = Node::new().unwrap();
        let log = new_log();
        let sup = node
            .spawn_supervisor(
                SupervisorSpec::new()
                    .strategy(strategy)
                    .child(Worker::new("a", &log).spec())
                    .child(Worker::new("tmp", &log).spec().restart(Restart::Temporary))
                    .child(Worker::new("b", &log).spec().restart(Restart::Temporary)),
            )
            .await
            .unwrap();
        let tmp = pid_of(&sup, "tmp").await;
        ping(&node, tmp).await;
        take(&log);

        crash(&node, pid_of(&sup, "a").await).await;

        assert!(!node.is_alive(tmp));
        assert_eq!(ids(&children(&sup).await), ["a"], "{strategy:?}");
        node.shutdown(WAIT).await;
        let inits = take(&log).iter().filter(|e| **e == Event::Init("tmp")).count();
        assert_eq!(inits, 0, "{strategy:?}: tmp started again");
    }
}

// ---------------------------------------------------------------------------------------------
// Restart intensity.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn two_restarts_within_five_seconds_end_the_supervisor_and_its_children() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec())
                .child(Worker::new("c", &log).spec()),
        )
        .await
        .unwrap();

    crash(&node, pid_of(&sup, "a").await).await; // 1 restart in 5 s: allowed
    assert_eq!(children(&sup).await[0].restarts, 1);
    tokio::time::advance(Duration::from_secs(4)).await;
    let survivors: Vec<Pid> = pids(&sup).await.into_iter().filter_map(|(_, p)| p).collect();
    for &pid in &survivors {
        ping(&node, pid).await;
    }
    take(&log);

    crash(&node, pid_of(&sup, "b").await).await; // 2 restarts in 4 s: too many
    let reason = tokio::time::timeout(WAIT, sup.exited()).await.expect("the supervisor exits");
    let (id, max, period, last) = gave_up(&reason);
    assert_eq!(id, "b", "names the child that failed last");
    assert_eq!((max, period), (1, Duration::from_secs(5)));
    assert_eq!(last, boom());

    // It stopped its other children, last first, and restarted none.
    assert_eq!(
        take(&log),
        [
            Event::Terminate("b", boom()),
            Event::Terminate("c", shutdown()),
            Event::Terminate("a", shutdown()),
        ]
    );
    for pid in survivors {
        assert!(!node.is_alive(pid));
    }
    assert_eq!(node.process_count(), 0);
    assert!(matches!(sup.which_children().await, Err(SupervisorError::Unavailable(_))));
    assert!(matches!(sup.restart_child("b").await, Err(SupervisorError::Unavailable(_))));
}

#[tokio::test(start_paused = true)]
async fn restarts_spaced_wider_than_the_period_never_exceed_the_intensity() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec()),
        )
        .await
        .unwrap();
    for round in 0..6u64 {
        let id = if round % 3 == 2 { "b" } else { "a" };
        crash(&node, pid_of(&sup, id).await).await;
        assert!(children(&sup).await.iter().all(|c| c.pid.is_some()));
        // Sleeping on the paused clock: time jumps ahead, the supervisor stays idle.
        tokio::time::sleep(Duration::from_millis(5001)).await;
    }
    let listed = children(&sup).await;
    assert_eq!((listed[0].restarts, listed[1].restarts), (4, 2));
    assert!(node.is_alive(sup.pid()));
}

/// The window includes its edge, as OTP's `Restart >= Now - Period`: a restart exactly one
/// period after the previous one still counts with it.
#[tokio::test(start_paused = true)]
async fn the_restart_window_includes_its_edge() {
    let node = Node::new().unwrap();
    let log = new_log();
    let spec = || SupervisorSpec::new().child(Worker::new("a", &log).spec());

    let sup = node.spawn_supervisor(spec()).await.unwrap();
    crash(&node, pid_of(&sup, "a").await).await;
    tokio::time::advance(Duration::from_secs(5) + Duration::from_millis(1)).await;
    crash(&node, pid_of(&sup, "a").await).await;
    assert_eq!(children(&sup).await[0].restarts, 2, "just past the window: allowed");
    tokio::time::advance(Duration::from_secs(5)).await;
    crash(&node, pid_of(&sup, "a").await).await;
    let reason =
        tokio::time::timeout(WAIT, sup.exited()).await.expect("exactly on the edge: too many");
    assert_eq!(gave_up(&reason).0, "a");
}

#[tokio::test(start_paused = true)]
async fn a_custom_intensity_of_three_in_ten_seconds() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .intensity(intensity(3, 10))
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec()),
        )
        .await
        .unwrap();

    // Restarts at 0 s, 3 s, 6 s: three in the window, allowed.
    for at in [0, 3, 6] {
        if at > 0 {
            tokio::time::advance(Duration::from_secs(3)).await;
        }
        crash(&node, pid_of(&sup, "a").await).await;
    }
    assert_eq!(children(&sup).await[0].restarts, 3);
    // At 10.5 s the one at 0 s has left the window: 3, 6, 10.5.
    tokio::time::advance(Duration::from_millis(4500)).await;
    crash(&node, pid_of(&sup, "b").await).await;
    assert_eq!(children(&sup).await[1].restarts, 1);
    // At 11 s: 3, 6, 10.5, 11 is four.
    tokio::time::advance(Duration::from_millis(500)).await;
    crash(&node, pid_of(&sup, "a").await).await;
    let reason = tokio::time::timeout(WAIT, sup.exited()).await.expect("the supervisor exits");
    let (id, max, period, last) = gave_up(&reason);
    assert_eq!((id.as_str(), max, period), ("a", 3, Duration::from_secs(10)));
    assert_eq!(last, boom());
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_intensity_of_zero_allows_no_restart() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .intensity(intensity(0, 1))
                .child(Worker::new("a", &log).spec().restart(Restart::Transient))
                .child(Worker::new("b", &log).spec()),
        )
        .await
        .unwrap();
    // A normal end of a transient child is no restart: the supervisor stays.
    end_child(&node, pid_of(&sup, "a").await, Msg::Stop(ExitReason::Normal)).await;
    assert_eq!(children(&sup).await[0].pid, None);
    crash(&node, pid_of(&sup, "b").await).await;
    let reason = tokio::time::timeout(WAIT, sup.exited()).await.expect("the supervisor exits");
    assert_eq!(gave_up(&reason).0, "b");
}

// ---------------------------------------------------------------------------------------------
// Shutdown policies.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn shutdown_timeout_kills_a_child_that_ignores_the_shutdown_signal() {
    let node = Node::new().unwrap();
    let log = new_log();
    let limit = Duration::from_secs(2);
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(
                    Worker::new("stubborn", &log)
                        .stubborn()
                        .spec()
                        .shutdown(Shutdown::Timeout(limit)),
                )
                .child(Worker::new("meek", &log).spec()),
        )
        .await
        .unwrap();
    assert_eq!(
        children(&sup).await.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["stubborn", "meek"]
    );
    let stubborn = node.lookup::<Msg>(pid_of(&sup, "stubborn").await).unwrap();
    let meek = node.lookup::<Msg>(pid_of(&sup, "meek").await).unwrap();
    ping(&node, stubborn.pid()).await;
    ping(&node, meek.pid()).await;
    take(&log);

    // A child that complies ends at once, with `terminate`.
    let t0 = Instant::now();
    sup.terminate_child("meek").await.unwrap();
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert_eq!(meek.exit_reason(), Some(shutdown()));
    assert_eq!(take(&log), [Event::Terminate("meek", shutdown())]);

    // One that ignores it is killed at the timeout, without `terminate`.
    let t0 = Instant::now();
    sup.terminate_child("stubborn").await.unwrap();
    let elapsed = t0.elapsed();
    assert!(elapsed >= limit && elapsed < limit + Duration::from_millis(100), "{elapsed:?}");
    assert_eq!(stubborn.exit_reason(), Some(ExitReason::Killed));
    assert_eq!(take(&log), [Event::Trapped("stubborn", shutdown())]);
    assert!(children(&sup).await.iter().all(|c| c.pid.is_none()));

    // The same when the supervisor itself is stopped.
    let stubborn = sup.restart_child("stubborn").await.unwrap().expect("started, not ignored");
    ping(&node, stubborn).await;
    take(&log);
    let t0 = Instant::now();
    assert_eq!(node.stop(sup.pid(), WAIT).await, Some(shutdown()));
    let elapsed = t0.elapsed();
    assert!(elapsed >= limit && elapsed < limit + Duration::from_millis(100), "{elapsed:?}");
    assert_eq!(take(&log), [Event::Trapped("stubborn", shutdown())]);
    assert!(!node.is_alive(stubborn));
}

#[tokio::test(start_paused = true)]
async fn brutal_kill_kills_at_once_without_terminate() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("meek", &log).spec().shutdown(Shutdown::BrutalKill))
                .child(
                    Worker::new("stubborn", &log).stubborn().spec().shutdown(Shutdown::BrutalKill),
                ),
        )
        .await
        .unwrap();
    assert_eq!(children(&sup).await.len(), 2);
    for id in ["meek", "stubborn"] {
        let child = node.lookup::<Msg>(pid_of(&sup, id).await).unwrap();
        ping(&node, child.pid()).await;
        take(&log);
        let t0 = Instant::now();
        sup.terminate_child(id).await.unwrap();
        assert_eq!(t0.elapsed(), Duration::ZERO);
        assert_eq!(child.exit_reason(), Some(ExitReason::Killed), "{id}");
        assert_eq!(take(&log), [], "{id}: no terminate, no trapped signal");
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_infinity_waits_as_long_as_it_takes() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("slow", &log).stubborn().spec().shutdown(Shutdown::Infinity)),
        )
        .await
        .unwrap();
    let slow = node.lookup::<Msg>(pid_of(&sup, "slow").await).unwrap();
    ping(&node, slow.pid()).await;
    take(&log);

    let stopping = tokio::spawn({
        let sup = sup.clone();
        async move { sup.terminate_child("slow").await }
    });
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(!stopping.is_finished(), "still waiting after an hour");
    assert!(slow.is_alive());
    assert_eq!(take(&log), [Event::Trapped("slow", shutdown())]);

    // The child ends on its own: the supervisor is done waiting.
    assert!(slow.send(Msg::Stop(ExitReason::Normal)).await.is_ok());
    let result = tokio::time::timeout(WAIT, stopping).await.expect("terminate_child returns");
    assert!(result.unwrap().is_ok());
    assert_eq!(slow.exit_reason(), Some(ExitReason::Normal));
    assert_eq!(take(&log), [Event::Terminate("slow", ExitReason::Normal)]);
    assert_eq!(children(&sup).await[0].pid, None);
}

#[test]
fn default_shutdown_policies_are_otps() {
    let log = new_log();
    let worker = Worker::new("w", &log).spec();
    assert_eq!(worker.shutdown_policy(), Shutdown::Timeout(Duration::from_secs(5)));
    assert_eq!(worker.restart_policy(), Restart::Permanent);
    assert_eq!(worker.kind(), ChildKind::Worker);
    let sup = ChildSpec::supervisor("s", SupervisorSpec::new());
    assert_eq!(sup.shutdown_policy(), Shutdown::Infinity);
    assert_eq!(sup.kind(), ChildKind::Supervisor);
    let spec = SupervisorSpec::new();
    assert_eq!(spec.strategy, Strategy::OneForOne);
    assert_eq!(spec.intensity, RestartIntensity::new(1, Duration::from_secs(5)));
}

// ---------------------------------------------------------------------------------------------
// Start failures.
// ---------------------------------------------------------------------------------------------

/// Waits, a bounded number of rounds, until only `expected` processes are left.
async fn settle_to(node: &Node, expected: usize) {
    for _ in 0..POLLS {
        if node.process_count() == expected {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("{} processes left, expected {expected}: {:?}", node.process_count(), node.processes());
}

#[tokio::test(start_paused = true)]
async fn a_child_that_cannot_start_fails_the_supervisor_and_stops_the_others() {
    let node = Node::new().unwrap();
    let log = new_log();
    let holder = node.process().name("taken").spawn(Worker::new("holder", &log)).unwrap();
    ping(&node, holder.pid()).await;
    take(&log);

    let result = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec().name("taken"))
                .child(Worker::new("c", &log).spec()),
        )
        .await;
    match result {
        Err(SupervisorError::StartFailed {
            id,
            error: SpawnError::Name(RegisterError::Taken { holder: by, .. }),
        }) => {
            assert_eq!(id, "b");
            assert_eq!(by, holder.pid());
        }
        other => panic!("expected StartFailed for b, got {other:?}"),
    }
    settle_to(&node, 1).await;
    assert_eq!(node.processes(), [holder.pid()]);
    assert_eq!(node.registry().whereis("taken"), Some(holder.pid()));
    // a was started, then stopped (so soon that its `init` may not have run: the signal was
    // there first); c never started.
    let events: Vec<Event> = take(&log).into_iter().filter(|e| *e != Event::Init("a")).collect();
    assert_eq!(events, [Event::Terminate("a", shutdown())]);
}

#[tokio::test(start_paused = true)]
async fn an_invalid_spec_fails_the_supervisor_before_any_child_starts() {
    let node = Node::new().unwrap();
    let log = new_log();
    let cases = [
        (
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("a", &log).spec()),
            "children[].id",
        ),
        (
            SupervisorSpec::new().child(ChildSpec::worker("", || Worker::new("x", &new_log()))),
            "children[].id",
        ),
        (
            SupervisorSpec::new()
                .intensity(RestartIntensity::new(1, Duration::ZERO))
                .child(Worker::new("a", &log).spec()),
            "intensity.period",
        ),
    ];
    for (spec, expected) in cases {
        match node.spawn_supervisor(spec).await {
            Err(SupervisorError::Config(e)) => assert_eq!(e.field(), expected),
            other => panic!("expected Config({expected}), got {other:?}"),
        }
        settle_to(&node, 0).await;
        assert_eq!(take(&log), []);
    }
}

/// OTP: if a child's start function fails (its `init` returns an error), `start_link` of the
/// supervisor fails with `{shutdown, {failed_to_start_child, Id, Reason}}`, after stopping the
/// children already started.
#[tokio::test(start_paused = true)]
async fn a_child_failing_in_init_fails_the_supervisor() {
    let node = Node::new().unwrap();
    let log = new_log();
    let result = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).fails_init().spec())
                .child(Worker::new("c", &log).spec()),
        )
        .await;
    assert!(
        matches!(&result, Err(SupervisorError::StartFailed { id, .. }) if id == "b"),
        "expected StartFailed for b, got {result:?}"
    );
    settle_to(&node, 0).await;
    assert_eq!(take(&log), [Event::Init("a"), Event::Terminate("a", shutdown())]);
}

// ---------------------------------------------------------------------------------------------
// Dynamic children.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn start_terminate_restart_and_delete_children() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();
    assert_eq!(children(&sup).await, []);

    // start_child: listed last, running, supervised.
    let a = sup
        .start_child(Worker::new("a", &log).spec())
        .await
        .unwrap()
        .expect("started, not ignored");
    let b = sup
        .start_child(Worker::new("b", &log).spec().restart(Restart::Transient))
        .await
        .unwrap()
        .expect("started, not ignored");
    assert_eq!(ping(&node, a).await, a);
    assert_eq!(pids(&sup).await, [("a".into(), Some(a)), ("b".into(), Some(b))]);
    assert!(matches!(
        sup.start_child(Worker::new("a", &log).spec()).await,
        Err(SupervisorError::AlreadyPresent(id)) if id == "a"
    ));
    assert!(matches!(
        sup.start_child(ChildSpec::worker("", || Worker::new("x", &new_log()))).await,
        Err(SupervisorError::Config(_))
    ));
    crash(&node, a).await;
    let a = pid_of(&sup, "a").await;
    assert_eq!(ping(&node, a).await, a, "a dynamic child is restarted as any other");

    // Unknown ids.
    for result in [
        sup.terminate_child("nope").await.map(|_| ()),
        sup.restart_child("nope").await.map(|_| ()),
        sup.delete_child("nope").await,
    ] {
        assert!(matches!(result, Err(SupervisorError::NotFound(id)) if id == "nope"));
    }

    // A running child can be neither restarted nor deleted.
    assert!(matches!(sup.restart_child("a").await, Err(SupervisorError::Running(id)) if id == "a"));
    assert!(matches!(sup.delete_child("a").await, Err(SupervisorError::Running(id)) if id == "a"));

    // terminate_child: stopped, still listed, and not restarted; again is fine.
    take(&log);
    sup.terminate_child("a").await.unwrap();
    assert!(!node.is_alive(a));
    assert_eq!(take(&log), [Event::Terminate("a", shutdown())]);
    assert_eq!(pids(&sup).await, [("a".into(), None), ("b".into(), Some(b))]);
    sup.terminate_child("a").await.unwrap();
    assert!(matches!(
        sup.start_child(Worker::new("a", &log).spec()).await,
        Err(SupervisorError::AlreadyPresent(id)) if id == "a"
    ));

    // restart_child: a new incarnation; does not count against the intensity (1 in 5 s).
    for _ in 0..3 {
        let a = sup.restart_child("a").await.unwrap().expect("started, not ignored");
        assert_eq!(ping(&node, a).await, a);
        assert_eq!(pid_of(&sup, "a").await, a);
        sup.terminate_child("a").await.unwrap();
    }
    let restarted = sup.restart_child("a").await.unwrap().expect("started, not ignored");

    // delete_child: only once stopped; then gone, and the id is free again.
    sup.terminate_child("a").await.unwrap();
    sup.delete_child("a").await.unwrap();
    assert!(!node.is_alive(restarted));
    assert_eq!(ids(&children(&sup).await), ["b"]);
    assert!(matches!(sup.restart_child("a").await, Err(SupervisorError::NotFound(_))));
    let a = sup
        .start_child(Worker::new("a", &log).spec())
        .await
        .unwrap()
        .expect("started, not ignored");
    assert_eq!(ids(&children(&sup).await), ["b", "a"]);
    assert_eq!(children(&sup).await[1].restarts, 0);

    // A transient child that ended normally can be deleted.
    end_child(&node, b, Msg::Stop(ExitReason::Normal)).await;
    sup.delete_child("b").await.unwrap();
    assert_eq!(pids(&sup).await, [("a".into(), Some(a))]);
    assert!(node.is_alive(sup.pid()));
}

#[tokio::test(start_paused = true)]
async fn dynamic_start_failures_and_temporary_children() {
    let node = Node::new().unwrap();
    let log = new_log();
    let holder = node.process().name("taken").spawn(Worker::new("holder", &log)).unwrap();
    let sup = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();

    // A child whose name is taken: an error, and not listed.
    match sup.start_child(Worker::new("n", &log).spec().name("taken")).await {
        Err(SupervisorError::StartFailed { id, error: SpawnError::Name(_) }) => assert_eq!(id, "n"),
        other => panic!("expected StartFailed, got {other:?}"),
    }
    assert_eq!(children(&sup).await, []);
    assert_eq!(node.registry().whereis("taken"), Some(holder.pid()));

    // A temporary child is forgotten once terminated (OTP's terminate_child on a temporary
    // child deletes it) or once it ends.
    let t1 = sup
        .start_child(Worker::new("t1", &log).spec().restart(Restart::Temporary))
        .await
        .unwrap()
        .expect("started, not ignored");
    let t2 = sup
        .start_child(Worker::new("t2", &log).spec().restart(Restart::Temporary))
        .await
        .unwrap()
        .expect("started, not ignored");
    sup.terminate_child("t1").await.unwrap();
    assert!(!node.is_alive(t1));
    assert_eq!(ids(&children(&sup).await), ["t2"]);
    crash(&node, t2).await;
    assert_eq!(children(&sup).await, []);
    assert!(matches!(sup.terminate_child("t2").await, Err(SupervisorError::NotFound(_))));
}

// ---------------------------------------------------------------------------------------------
// Trees.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_failing_subtree_is_restarted_by_its_parent_and_failures_escalate() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sub = SupervisorSpec::new()
        .child(Worker::new("s1", &log).spec().name("s1"))
        .child(Worker::new("s2", &log).spec().name("s2"));
    let top = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("w", &log).spec())
                .child(ChildSpec::supervisor("sub", sub)),
        )
        .await
        .unwrap();
    let listed = children(&top).await;
    assert_eq!(ids(&listed), ["w", "sub"]);
    assert_eq!(listed[1].kind, ChildKind::Supervisor);
    let w = listed[0].pid.unwrap();
    let sub = listed[1].pid.unwrap();
    let s1 = registered_anew(&node, "s1", None).await;
    let s2 = registered_anew(&node, "s2", None).await;
    ping(&node, s2).await;

    // The subtree restarts s1 once, on its own.
    crash(&node, s1).await;
    let s1 = registered_anew(&node, "s1", Some(s1)).await;
    assert!(node.is_alive(sub));
    ping(&node, s1).await;
    take(&log);

    // A second failure within 5 s exceeds the subtree's intensity: it stops s2 and exits.
    let (_, sub_exit) = tokio::join!(crash(&node, s1), node.wait_exit(sub));
    let (id, ..) = gave_up(&sub_exit);
    assert_eq!(id, "s1");
    assert!(!node.is_alive(s2));

    // The top restarts it, with fresh children; w is untouched.
    let listed = children(&top).await;
    assert_eq!(listed[0].pid, Some(w));
    assert_eq!(listed[0].restarts, 0);
    let sub2 = listed[1].pid.expect("the subtree was restarted");
    assert_ne!(sub2, sub);
    assert_eq!(listed[1].restarts, 1);
    let s1 = registered_anew(&node, "s1", Some(s1)).await;
    let s2b = registered_anew(&node, "s2", Some(s2)).await;
    ping(&node, s2b).await;
    assert_eq!(
        take(&log),
        [
            Event::Terminate("s1", boom()),
            Event::Terminate("s2", shutdown()),
            Event::Init("s1"),
            Event::Init("s2"),
        ]
    );

    // The subtree failing again within 5 s exceeds the top's intensity in turn: the top exits
    // naming the subtree, whose own reason is the last exit, and the whole tree is gone.
    crash(&node, s1).await;
    let s1 = registered_anew(&node, "s1", Some(s1)).await;
    crash(&node, s1).await;
    let reason = tokio::time::timeout(WAIT, top.exited()).await.expect("the top exits");
    let (id, _, _, last) = gave_up(&reason);
    assert_eq!(id, "sub");
    assert_eq!(gave_up(&last).0, "s1");
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn node_shutdown_stops_a_tree_children_before_their_supervisor() {
    let node = Node::new().unwrap();
    let log = new_log();
    // Older than the tree, so the node stops it last and it sees the whole tree go.
    let observer = node.spawn(Observer { log: Arc::clone(&log), labels: HashMap::new() }).unwrap();
    let sub = SupervisorSpec::new()
        .child(Worker::new("b", &log).spec().name("b"))
        .child(Worker::new("c", &log).stubborn().spec().name("c").shutdown(Shutdown::BrutalKill));
    let top = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(ChildSpec::supervisor("sub", sub))
                .child(Worker::new("d", &log).spec()),
        )
        .await
        .unwrap();
    let b = registered_anew(&node, "b", None).await;
    let c = registered_anew(&node, "c", None).await;
    let watched = [
        (top.pid(), "top"),
        (pid_of(&top, "a").await, "a"),
        (pid_of(&top, "sub").await, "sub"),
        (b, "b"),
        (c, "c"),
        (pid_of(&top, "d").await, "d"),
    ];
    for (pid, label) in watched {
        observer.call(|r| ObsMsg::Watch(pid, label, r)).await.unwrap();
    }
    for pid in [watched[1].0, b, c, watched[5].0] {
        ping(&node, pid).await;
    }
    let mut inits = take(&log);
    inits.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(inits, [Event::Init("a"), Event::Init("b"), Event::Init("c"), Event::Init("d")]);
    drop(top);

    let report = node.shutdown(WAIT).await;
    assert_eq!(report.killed, 0, "every process went when asked (c by its supervisor's kill)");
    assert_eq!(node.process_count(), 0);
    assert_eq!(
        take(&log),
        [
            Event::Terminate("d", shutdown()),
            Event::Down("d"),
            Event::Down("c"), // brutally killed: no terminate
            Event::Terminate("b", shutdown()),
            Event::Down("b"),
            Event::Down("sub"),
            Event::Terminate("a", shutdown()),
            Event::Down("a"),
            Event::Down("top"),
        ]
    );
}

/// A supervisor runs until it is stopped, as in OTP: dropping every handle does not end it; a
/// stop from the node ends its children first, in reverse order.
#[tokio::test(start_paused = true)]
async fn dropping_every_handle_leaves_the_supervisor_running_until_stopped() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec()),
        )
        .await
        .unwrap();
    for (_, pid) in pids(&sup).await {
        ping(&node, pid.unwrap()).await;
    }
    take(&log);
    let pid = sup.pid();
    drop(sup);
    tokio::time::sleep(WAIT).await;
    assert!(node.is_alive(pid), "a supervisor without handles runs on");
    assert_eq!(node.process_count(), 3);
    assert!(take(&log).is_empty());
    let reason = tokio::time::timeout(WAIT, node.stop(pid, WAIT)).await.expect("it ends");
    assert_eq!(reason, Some(shutdown()));
    assert_eq!(take(&log), [Event::Terminate("b", shutdown()), Event::Terminate("a", shutdown())]);
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn exit_signals_from_strangers_are_ignored() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(SupervisorSpec::new().child(Worker::new("a", &log).spec()))
        .await
        .unwrap();
    let a = pid_of(&sup, "a").await;

    // A process that linked itself to the supervisor fails: not a child, so nothing happens.
    let stranger = node.spawn(Worker::new("stranger", &log)).unwrap();
    assert!(stranger.call(|r| Msg::Link(sup.pid(), r)).await.unwrap());
    crash(&node, stranger.pid()).await;
    // One that asks it to shut down is not its parent: ignored too, as OTP's supervisor does.
    let other = node.spawn(Worker::new("other", &log)).unwrap();
    assert!(other.call(|r| Msg::Exit(sup.pid(), shutdown(), r)).await.unwrap());

    let listed = children(&sup).await;
    assert_eq!((listed[0].pid, listed[0].restarts), (Some(a), 0));
    assert!(node.is_alive(sup.pid()));
    assert_eq!(ping(&node, a).await, a);
}

#[tokio::test(start_paused = true)]
async fn a_killed_supervisor_takes_its_tree_down() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sub = SupervisorSpec::new().child(Worker::new("b", &log).spec().name("b"));
    let top = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(Worker::new("a", &log).spec())
                .child(ChildSpec::supervisor("sub", sub)),
        )
        .await
        .unwrap();
    let a = pid_of(&top, "a").await;
    let sub = pid_of(&top, "sub").await;
    let b = registered_anew(&node, "b", None).await;
    ping(&node, b).await;

    // `kill` cannot be trapped: the supervisor ends without stopping its children. They hear
    // of it through their links: a worker that does not trap exits dies of it; the nested
    // supervisor takes it as its parent's order to go, and stops its own children first.
    assert!(node.kill(top.pid()));
    let ends = async { tokio::join!(top.exited(), node.wait_exit(a), node.wait_exit(sub)) };
    let ends = tokio::time::timeout(WAIT, ends).await.expect("the tree ends");
    assert_eq!(ends, (ExitReason::Killed, ExitReason::Killed, ExitReason::Killed));
    settle_to(&node, 0).await;
    assert!(take(&log).contains(&Event::Terminate("b", shutdown())));
    assert_eq!(node.registry().whereis("b"), None);
}

/// Erlang: a process's registered name is gone by the time anyone can observe its death. The
/// waiter of `Node::wait_exit` checks the registry at the very instant it is woken (its waker
/// runs the check on the thread that announces the exit), so the order of the two steps is
/// seen exactly, on any runtime, every run.
#[tokio::test(start_paused = true)]
async fn a_name_is_free_once_the_exit_is_announced() {
    let node = Node::new().unwrap();
    let log = new_log();
    let p = node.process().name("x").spawn(Worker::new("x", &log)).unwrap();
    let pid = p.pid();
    let free = {
        let node = node.clone();
        common::wait::WakeCheck::new(move || node.registry().whereis("x").is_none())
    };
    let mut exit = Box::pin(node.wait_exit(pid));
    assert!(!free.poll(&mut exit), "not exited yet");
    assert!(p.send(Msg::Crash).await.is_ok());
    assert!(common::wait::run_until(|| !free.answers().is_empty()).await, "the exit was announced");
    assert_eq!(free.answers(), [true], "the name was still taken when the exit was announced");
    assert!(free.poll(&mut exit));
}

// ---------------------------------------------------------------------------------------------
// Names and counts.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_named_child_is_found_by_name_after_every_restart() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .strategy(Strategy::OneForAll)
                .intensity(intensity(10, 5))
                .child(Worker::new("cache", &log).spec().name("cache"))
                .child(Worker::new("other", &log).spec()),
        )
        .await
        .unwrap();
    let mut pid = pid_of(&sup, "cache").await;
    assert_eq!(node.registry().whereis("cache"), Some(pid));

    // Its own failure, and a sibling's (which stops it on purpose, then starts it again).
    for victim in ["cache", "other", "cache"] {
        crash(&node, pid_of(&sup, victim).await).await;
        let now = pid_of(&sup, "cache").await;
        assert_ne!(now, pid);
        assert_eq!(node.registry().whereis("cache"), Some(now));
        let by_name = node.registry().lookup::<Msg>("cache").expect("registered");
        assert_eq!(by_name.call(Msg::Ping).await.unwrap(), now);
        pid = now;
    }
    sup.terminate_child("cache").await.unwrap();
    assert_eq!(node.registry().whereis("cache"), None);
    let again = sup.restart_child("cache").await.unwrap().expect("started, not ignored");
    assert_eq!(node.registry().whereis("cache"), Some(again));
}

#[tokio::test(start_paused = true)]
async fn which_children_reports_ids_kinds_policies_and_restart_counts() {
    let node = Node::new().unwrap();
    let log = new_log();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .intensity(intensity(10, 60))
                .child(Worker::new("a", &log).spec())
                .child(Worker::new("b", &log).spec().restart(Restart::Transient))
                .child(
                    ChildSpec::supervisor("s", SupervisorSpec::new()).restart(Restart::Temporary),
                ),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        crash(&node, pid_of(&sup, "a").await).await;
    }
    crash(&node, pid_of(&sup, "b").await).await;
    let listed = children(&sup).await;
    let summary: Vec<_> =
        listed.iter().map(|c| (c.id.as_str(), c.kind, c.restart, c.restarts)).collect();
    assert_eq!(
        summary,
        [
            ("a", ChildKind::Worker, Restart::Permanent, 3),
            ("b", ChildKind::Worker, Restart::Transient, 1),
            ("s", ChildKind::Supervisor, Restart::Temporary, 0),
        ]
    );
    assert!(listed.iter().all(|c| c.pid.is_some_and(|p| node.is_alive(p))));
}
