//! Property tests: a supervisor against a model of OTP's restart semantics.
//!
//! Each case builds a random supervisor (a strategy, 1 to 6 workers with random restart
//! policies, an intensity of 1 to 5 restarts in 1 to 10 s) and plays a random sequence of
//! steps on tokio's paused clock: wait a random virtual time, then end a random child with a
//! random reason (an error, a kill, a `Normal` stop, a `Shutdown` stop). A small model of the
//! rules of OTP's `supervisor` (see `supervisor_otp.rs`) predicts, after every step:
//!
//! - which children are listed, in which order, which are running, and how many times each was
//!   restarted;
//! - which children got a new incarnation (a new pid) and which were left alone;
//! - whether the supervisor gave up (more restarts than the intensity in the period, the
//!   window including its edge), and then that it names the child that failed last and that
//!   nothing is left running.
//!
//! The model: a child that ends is restarted if `Permanent`, or `Transient` and ended
//! abnormally; a `Temporary` child is forgotten. A restart counts against the intensity; then
//! `one_for_one` starts the child again, `one_for_all` stops and starts every child, and
//! `rest_for_one` the child and those after it. Temporary children stopped by such a restart
//! are forgotten, not started again.
//!
//! Each case runs on its own paused current-thread runtime, so it is deterministic: after a
//! child's incarnation has exited, the supervisor has its exit signal, which it handles before
//! the next `which_children` request.

mod common;

use std::collections::VecDeque;
use std::time::Duration;

use foundation::supervisor::{
    ChildInfo, ChildSpec, Restart, RestartIntensity, Strategy as RestartStrategy, SupervisorError,
    SupervisorRef, SupervisorSpec,
};
use foundation::{BoxError, Context, ExitReason, Node, Pid, Process};
use proptest::prelude::*;

/// Long enough that only something that never happens hits it (the clock is paused).
const WAIT: Duration = Duration::from_secs(600);

enum Msg {
    Crash,
    Stop(ExitReason),
}

struct Worker;

impl Process for Worker {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Crash => return Err("boom".into()),
            Msg::Stop(reason) => ctx.stop(reason),
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    Crash,
    Kill,
    Normal,
    Shutdown,
}

impl Action {
    fn abnormal(self) -> bool {
        matches!(self, Action::Crash | Action::Kill)
    }
}

#[derive(Clone, Debug)]
struct Step {
    after: Duration,
    /// The child's index in the spec.
    child: usize,
    action: Action,
}

#[derive(Clone, Debug)]
struct Case {
    strategy: RestartStrategy,
    restarts: Vec<Restart>,
    max_restarts: u32,
    period: Duration,
    steps: Vec<Step>,
}

fn id(index: usize) -> String {
    format!("c{index}")
}

// ---------------------------------------------------------------------------------------------
// The model.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: String,
    restart: Restart,
    running: bool,
    restarts: u64,
}

struct Model {
    strategy: RestartStrategy,
    max_restarts: u32,
    period: Duration,
    rows: Vec<Row>,
    /// Virtual times of the restarts in the current window.
    window: VecDeque<Duration>,
    now: Duration,
    gave_up: Option<String>,
}

impl Model {
    fn new(case: &Case) -> Self {
        let rows = case
            .restarts
            .iter()
            .enumerate()
            .map(|(i, &restart)| Row { id: id(i), restart, running: true, restarts: 0 })
            .collect();
        Model {
            strategy: case.strategy,
            max_restarts: case.max_restarts,
            period: case.period,
            rows,
            window: VecDeque::new(),
            now: Duration::ZERO,
            gave_up: None,
        }
    }

    /// The running child at `index` ended; returns the ids of the children started again.
    fn child_ended(&mut self, index: usize, abnormal: bool) -> Vec<String> {
        let row = &mut self.rows[index];
        row.running = false;
        match row.restart {
            Restart::Temporary => {
                self.rows.remove(index);
                return Vec::new();
            }
            Restart::Transient if !abnormal => return Vec::new(),
            _ => {}
        }
        // OTP keeps the restarts at or after `now - period`.
        self.window.push_back(self.now);
        while self.window.front().is_some_and(|&t| self.now - t > self.period) {
            self.window.pop_front();
        }
        if self.window.len() > self.max_restarts as usize {
            self.gave_up = Some(self.rows[index].id.clone());
            return Vec::new();
        }
        let (mut i, mut end) = match self.strategy {
            RestartStrategy::OneForAll => (0, self.rows.len()),
            RestartStrategy::RestForOne => (index, self.rows.len()),
            _ => (index, index + 1),
        };
        let mut started = Vec::new();
        while i < end {
            if self.rows[i].restart == Restart::Temporary {
                self.rows.remove(i);
                end -= 1;
                continue;
            }
            self.rows[i].running = true;
            self.rows[i].restarts += 1;
            started.push(self.rows[i].id.clone());
            i += 1;
        }
        started
    }
}

// ---------------------------------------------------------------------------------------------
// The check.
// ---------------------------------------------------------------------------------------------

fn observed(children: &[ChildInfo]) -> Vec<Row> {
    children
        .iter()
        .map(|c| Row {
            id: c.id.clone(),
            restart: c.restart,
            running: c.pid.is_some(),
            restarts: c.restarts,
        })
        .collect()
}

async fn children(sup: &SupervisorRef) -> Vec<ChildInfo> {
    sup.which_children().await.expect("the supervisor is up")
}

async fn check(case: Case) {
    let node = Node::new().unwrap();
    let mut spec = SupervisorSpec::new()
        .strategy(case.strategy)
        .intensity(RestartIntensity::new(case.max_restarts, case.period));
    for (i, &restart) in case.restarts.iter().enumerate() {
        spec = spec.child(ChildSpec::worker(id(i), || Worker).restart(restart));
    }
    let sup = node.spawn_supervisor(spec).await.unwrap();
    let mut model = Model::new(&case);
    let mut seen: Vec<Pid> = Vec::new();

    let mut before = children(&sup).await;
    assert_eq!(observed(&before), model.rows);

    for (n, step) in case.steps.iter().enumerate() {
        tokio::time::advance(step.after).await;
        model.now += step.after;
        seen.extend(before.iter().filter_map(|c| c.pid));

        let target = before.iter().position(|c| c.id == id(step.child));
        let Some((index, pid)) = target.and_then(|i| before[i].pid.map(|pid| (i, pid))) else {
            continue; // gone or stopped: nothing to end
        };
        if step.action == Action::Kill {
            assert!(node.kill(pid));
        } else {
            let child = node.lookup::<Msg>(pid).expect("a running child is alive");
            let msg = match step.action {
                Action::Crash => Msg::Crash,
                Action::Normal => Msg::Stop(ExitReason::Normal),
                _ => Msg::Stop(ExitReason::Shutdown(None)),
            };
            assert!(child.send(msg).await.is_ok());
        }
        let reason = tokio::time::timeout(WAIT, node.wait_exit(pid)).await.expect("it exits");
        assert_eq!(reason.is_normal(), !step.action.abnormal(), "{reason}");

        let started = model.child_ended(index, step.action.abnormal());
        if let Some(failed) = &model.gave_up {
            let reason = tokio::time::timeout(WAIT, sup.exited()).await.expect("it gives up");
            let ExitReason::Error(err) = &reason else { panic!("step {n}: exited with {reason}") };
            match err.downcast_ref::<SupervisorError>() {
                Some(SupervisorError::RestartIntensityReached {
                    id, max_restarts, period, ..
                }) => {
                    assert_eq!(id, failed, "step {n}");
                    assert_eq!((*max_restarts, *period), (case.max_restarts, case.period));
                }
                other => panic!("step {n}: expected RestartIntensityReached, got {other:?}"),
            }
            for pid in seen {
                assert!(!node.is_alive(pid), "step {n}: {pid} outlived its supervisor");
            }
            assert_eq!(node.process_count(), 0);
            return;
        }

        let after = match sup.which_children().await {
            Ok(after) => after,
            Err(err) => panic!("step {n}: the supervisor is gone ({err}) but should not be"),
        };
        assert_eq!(observed(&after), model.rows, "step {n}: {step:?}");
        for child in &after {
            let old = before.iter().find(|c| c.id == child.id).and_then(|c| c.pid);
            if started.contains(&child.id) {
                assert!(
                    child.pid.is_some() && child.pid != old,
                    "step {n}: {} restarted",
                    child.id
                );
            } else if child.id == id(step.child) {
                assert_eq!(child.pid, None, "step {n}: {} stays stopped", child.id);
            } else {
                assert_eq!(child.pid, old, "step {n}: {} left alone", child.id);
            }
            if let Some(pid) = child.pid {
                assert!(node.is_alive(pid));
            }
        }
        before = after;
    }

    assert!(node.is_alive(sup.pid()), "never gave up");
    drop(sup);
    let report = node.shutdown(WAIT).await;
    assert_eq!(report.killed, 0);
    assert_eq!(node.process_count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------

/// A random case. Unless `temporary_siblings`, temporary children appear only under
/// `one_for_one`, where no sibling's failure stops them.
fn case(temporary_siblings: bool) -> impl Strategy<Value = Case> {
    let strategy = prop_oneof![
        Just(RestartStrategy::OneForOne),
        Just(RestartStrategy::OneForAll),
        Just(RestartStrategy::RestForOne),
    ];
    (strategy, 1..=6usize, 1..=5u32, 1..=10u64)
        .prop_flat_map(move |(strategy, n, max_restarts, period)| {
            let restart = if temporary_siblings || strategy == RestartStrategy::OneForOne {
                prop_oneof![
                    Just(Restart::Permanent),
                    Just(Restart::Transient),
                    Just(Restart::Temporary)
                ]
                .boxed()
            } else {
                prop_oneof![Just(Restart::Permanent), Just(Restart::Transient)].boxed()
            };
            let action = prop_oneof![
                3 => Just(Action::Crash),
                1 => Just(Action::Kill),
                1 => Just(Action::Normal),
                1 => Just(Action::Shutdown),
            ];
            // Often no time between steps (restarts pile up), else up to 6 s (they spread), in
            // half seconds so that restarts fall exactly on the window's edge now and then.
            let after = prop_oneof![1 => Just(0u64), 2 => (0..=12u64).prop_map(|k| k * 500)];
            let step = (after, 0..n, action).prop_map(|(ms, child, action)| Step {
                after: Duration::from_millis(ms),
                child,
                action,
            });
            (
                Just(strategy),
                proptest::collection::vec(restart, n),
                Just(max_restarts),
                Just(Duration::from_secs(period)),
                proptest::collection::vec(step, 1..=12),
            )
        })
        .prop_map(|(strategy, restarts, max_restarts, period, steps)| Case {
            strategy,
            restarts,
            max_restarts,
            period,
            steps,
        })
}

fn run(case: Case) {
    common::runtime::paused().block_on(check(case));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_supervisor_follows_otp_restart_semantics(case in case(false)) {
        run(case);
    }

    #[test]
    fn temporary_siblings_follow_otp_restart_semantics(case in case(true)) {
        run(case);
    }
}
