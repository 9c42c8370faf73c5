//! A supervisor while it restarts: OTP's `try_again_restart`.
//!
//! OTP's supervisor restarts a child one attempt at a time. When an attempt fails (the child's
//! start or `init` fails), it counts the attempt against the restart intensity, marks the child
//! `restarting` and sends itself a message to try again, so the calls that arrived meanwhile
//! (`which_children`, `start_child`, `terminate_child`, ...) are answered between attempts.
//! Under `one_for_all` (and `rest_for_one` for its tail) an attempt that fails midway stops
//! the children it had started again, and the next attempt restarts the whole group.
//!
//! On tokio's paused clock: every `init` that waits, waits in virtual time.

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::wait::WAIT;
use foundation::supervisor::{
    ChildInfo, ChildSpec, ChildStatus, RestartIntensity, Strategy, SupervisorError, SupervisorRef,
    SupervisorSpec,
};
use foundation::{BoxError, Context, ExitReason, Node, Pid, Process};

type Log = Arc<Mutex<Vec<String>>>;

enum Msg {
    Crash,
}

/// A worker that counts its starts. Its starts `fail_from` to `fail_to` (1-based) take
/// `init_time` (virtual) and fail, unless `heal` is set.
#[derive(Clone)]
struct Flaky {
    id: &'static str,
    starts: Arc<AtomicUsize>,
    fail_from: usize,
    fail_to: usize,
    init_time: Duration,
    heal: Arc<AtomicUsize>,
    log: Log,
}

impl Flaky {
    fn new(id: &'static str, log: &Log) -> Self {
        Flaky {
            id,
            starts: Arc::new(AtomicUsize::new(0)),
            fail_from: usize::MAX,
            fail_to: usize::MAX,
            init_time: Duration::ZERO,
            heal: Arc::new(AtomicUsize::new(0)),
            log: Arc::clone(log),
        }
    }

    /// Fails every start from the `n`th on, each after `init_time`.
    fn failing_from(mut self, n: usize, init_time: Duration) -> Self {
        self.fail_from = n;
        self.init_time = init_time;
        self
    }

    /// Fails only the starts `from` to `to` (1-based, inclusive), at once.
    fn failing(mut self, from: usize, to: usize) -> Self {
        self.fail_from = from;
        self.fail_to = to;
        self
    }

    fn spec(self) -> ChildSpec {
        let id = self.id;
        ChildSpec::worker(id, move || self.clone())
    }
}

impl Process for Flaky {
    type Message = Msg;

    async fn init(&mut self, _ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        let n = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
        if (self.fail_from..=self.fail_to).contains(&n) && self.heal.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(self.init_time).await;
            self.log.lock().unwrap().push(format!("{} failed", self.id));
            return Err("cannot start".into());
        }
        self.log.lock().unwrap().push(format!("{} up", self.id));
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Crash => Err("boom".into()),
        }
    }

    async fn terminate(&mut self, _ctx: &mut Context<Msg>, _reason: &ExitReason) {
        self.log.lock().unwrap().push(format!("{} down", self.id));
    }
}

fn new_log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

async fn children(sup: &SupervisorRef) -> Vec<ChildInfo> {
    sup.which_children().await.expect("the supervisor is up")
}

async fn pid_of(sup: &SupervisorRef, id: &str) -> Pid {
    children(sup).await.into_iter().find(|c| c.id == id).and_then(|c| c.pid).expect("running")
}

/// Makes the running child `pid` fail and waits until that incarnation is gone.
async fn crash(node: &Node, pid: Pid) {
    let child = node.lookup::<Msg>(pid).expect("the child is alive");
    assert!(child.send(Msg::Crash).await.is_ok());
    drop(child);
    tokio::time::timeout(WAIT, node.wait_exit(pid)).await.expect("the child exits");
}

/// Lists the children once they all run, asking between restart attempts.
async fn all_running(sup: &SupervisorRef) -> Vec<ChildInfo> {
    for _ in 0..common::wait::POLLS {
        let listed = children(sup).await;
        if listed.iter().all(|c| c.pid.is_some()) {
            return listed;
        }
    }
    panic!("the children are not all running: {:?}", children(sup).await);
}

fn lots() -> RestartIntensity {
    RestartIntensity::new(1000, Duration::from_secs(3600))
}

/// OTP: a supervisor whose child keeps failing to restart still answers `which_children`
/// between attempts, and lists the child as `restarting`.
#[tokio::test(start_paused = true)]
async fn a_supervisor_answers_while_a_child_keeps_failing_to_restart() {
    let node = Node::new().unwrap();
    let log = new_log();
    let flaky = Flaky::new("flaky", &log).failing_from(2, Duration::from_secs(1));
    let heal = Arc::clone(&flaky.heal);
    let sup = node
        .spawn_supervisor(SupervisorSpec::new().intensity(lots()).child(flaky.spec()))
        .await
        .unwrap();
    crash(&node, pid_of(&sup, "flaky").await).await;

    // Each attempt takes 1 s; a restart loop run to its end would take 1,000 s.
    let listed = tokio::time::timeout(Duration::from_secs(5), sup.which_children())
        .await
        .expect("the supervisor answers between restart attempts")
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].pid, None);
    assert_eq!(listed[0].status, ChildStatus::Restarting);

    // Other requests are served too: a new child starts while `flaky` is being restarted.
    let other = tokio::time::timeout(
        Duration::from_secs(5),
        sup.start_child(Flaky::new("other", &log).spec()),
    )
    .await
    .expect("start_child is answered between restart attempts")
    .unwrap()
    .expect("started, not ignored");
    assert!(node.is_alive(other));

    // Once the child can start again, it is running and listed as such.
    heal.store(1, Ordering::SeqCst);
    let mut up = None;
    for _ in 0..10 {
        let listed = children(&sup).await;
        if let Some(pid) = listed[0].pid {
            assert_eq!(listed[0].status, ChildStatus::Running);
            up = Some(pid);
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(up.is_some_and(|p| node.is_alive(p)), "flaky is restarted once it can start");
    assert!(node.is_alive(sup.pid()));
}

/// A child being restarted can be stopped: `terminate_child` ends the restart attempts, as
/// OTP's (the child's pid becomes `undefined`). `delete_child` and `restart_child` of a child
/// being restarted answer `restarting`, as OTP's.
#[tokio::test(start_paused = true)]
async fn a_child_being_restarted_can_be_terminated() {
    let node = Node::new().unwrap();
    let log = new_log();
    let flaky = Flaky::new("flaky", &log).failing_from(2, Duration::from_secs(1));
    let starts = Arc::clone(&flaky.starts);
    let sup = node
        .spawn_supervisor(SupervisorSpec::new().intensity(lots()).child(flaky.spec()))
        .await
        .unwrap();
    crash(&node, pid_of(&sup, "flaky").await).await;
    assert_eq!(children(&sup).await[0].status, ChildStatus::Restarting);
    assert!(matches!(
        sup.delete_child("flaky").await,
        Err(SupervisorError::Restarting(id)) if id == "flaky"
    ));
    assert!(matches!(
        sup.restart_child("flaky").await,
        Err(SupervisorError::Restarting(id)) if id == "flaky"
    ));
    sup.terminate_child("flaky").await.unwrap();
    let listed = children(&sup).await;
    assert_eq!((listed[0].pid, listed[0].status), (None, ChildStatus::Stopped));
    let attempts = starts.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(starts.load(Ordering::SeqCst), attempts, "no attempt after terminate_child");
    sup.delete_child("flaky").await.unwrap();
    assert!(children(&sup).await.is_empty());
}

/// The restart attempts count against the intensity: a child that never starts again ends
/// the supervisor, naming it, as before.
#[tokio::test(start_paused = true)]
async fn failed_attempts_count_against_the_intensity() {
    let node = Node::new().unwrap();
    let log = new_log();
    let flaky = Flaky::new("flaky", &log).failing_from(2, Duration::from_secs(1));
    let starts = Arc::clone(&flaky.starts);
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .intensity(RestartIntensity::new(3, Duration::from_secs(60)))
                .child(flaky.spec()),
        )
        .await
        .unwrap();
    crash(&node, pid_of(&sup, "flaky").await).await;
    let reason = tokio::time::timeout(WAIT, sup.exited()).await.unwrap();
    match &reason {
        ExitReason::Error(e) => match e.downcast_ref::<SupervisorError>() {
            Some(SupervisorError::RestartIntensityReached { id, .. }) => assert_eq!(id, "flaky"),
            other => panic!("expected RestartIntensityReached, got {other:?}"),
        },
        other => panic!("expected an error exit, got {other:?}"),
    }
    // The first start, then one attempt per allowed restart (the crash is the first restart).
    assert_eq!(starts.load(Ordering::SeqCst), 1 + 3);
}

/// OTP: under `one_for_all`, when a restart fails at a later child, the children the attempt
/// had started are stopped again, and the next attempt restarts the whole group.
#[tokio::test(start_paused = true)]
async fn one_for_all_retries_the_whole_group_when_a_restart_fails_midway() {
    let node = Node::new().unwrap();
    let log = new_log();
    // `c` fails its second and third starts, then starts.
    let c = Flaky::new("c", &log).failing(2, 3);
    let c_starts = Arc::clone(&c.starts);
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .strategy(Strategy::OneForAll)
                .intensity(lots())
                .child(Flaky::new("a", &log).spec())
                .child(Flaky::new("b", &log).spec())
                .child(c.spec())
                .child(Flaky::new("d", &log).spec()),
        )
        .await
        .unwrap();
    take(&log);
    crash(&node, pid_of(&sup, "a").await).await;
    let listed = all_running(&sup).await;
    assert_eq!(c_starts.load(Ordering::SeqCst), 4);
    assert!(listed.iter().all(|c| c.status == ChildStatus::Running));
    assert_eq!(
        take(&log),
        [
            // The crash: the others stop, last first; the first attempt fails at `c`.
            "a down", "d down", "c down", "b down", "a up", "b up", "c failed",
            // The second attempt stops what the first started, and fails at `c` again.
            "b down", "a down", "a up", "b up", "c failed",
            // The third restarts the whole group.
            "b down", "a down", "a up", "b up", "c up", "d up",
        ]
    );
}

/// OTP: under `rest_for_one`, a restart that fails midway is tried again for the tail from the
/// child that failed.
#[tokio::test(start_paused = true)]
async fn rest_for_one_retries_its_tail_when_a_restart_fails_midway() {
    let node = Node::new().unwrap();
    let log = new_log();
    let c = Flaky::new("c", &log).failing(2, 3);
    let c_starts = Arc::clone(&c.starts);
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .strategy(Strategy::RestForOne)
                .intensity(lots())
                .child(Flaky::new("a", &log).spec())
                .child(Flaky::new("b", &log).spec())
                .child(c.spec())
                .child(Flaky::new("d", &log).spec()),
        )
        .await
        .unwrap();
    let a = pid_of(&sup, "a").await;
    take(&log);
    crash(&node, pid_of(&sup, "b").await).await;
    let listed = all_running(&sup).await;
    assert_eq!(c_starts.load(Ordering::SeqCst), 4);
    assert_eq!(listed[0].pid, Some(a), "a child before the tail is left alone");
    assert_eq!(
        take(&log),
        [
            // The crash: the tail stops, last first; the first attempt fails at `c`.
            "b down", "d down", "c down", "b up", "c failed",
            // The next attempts restart the tail from `c`, the child that failed (OTP's
            // `try_again_restart` names it): `b` is up and stays up.
            "c failed", "c up", "d up",
        ]
    );
}
