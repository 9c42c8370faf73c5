//! Dropping the future of a supervisor call: what is left running, and what is carried out.
//!
//! - A dropped `Node::spawn_supervisor` leaves nothing: the child whose `init` was running is
//!   killed, the children already started are stopped (their `terminate` runs), no further
//!   child starts, and every name is free again, once the runtime has run, without the clock
//!   moving.
//! - A dropped `SupervisorRef` request is still carried out by the supervisor, as OTP's
//!   `supervisor:start_child` whose caller went away.
//!
//! The clock is paused: a "slow" `init` takes virtual time, and `run_until` lets the runtime
//! run without moving the clock, so what happens after a drop is not the slow `init` ending.

mod common;

use std::time::Duration;

use common::members::{Counts, Member};
use common::wait::{WAIT, alive_tasks, processes, run_until};
use foundation::Node;
use foundation::supervisor::{ChildSpec, SupervisorSpec};

fn worker(id: &'static str, make: impl Fn() -> Member + Send + Sync + 'static) -> ChildSpec {
    ChildSpec::worker(id, make).name(id)
}

#[tokio::test(start_paused = true)]
async fn a_dropped_spawn_supervisor_stops_the_supervisor_and_the_children_it_started() {
    let node = Node::new().unwrap();
    let (before, tasks) = (node.process_count(), alive_tasks());
    let (first, slow, last) = (Counts::default(), Counts::default(), Counts::default());
    let spec = SupervisorSpec::new()
        .child(worker("first", {
            let counts = first.clone();
            move || Member::quick(&counts)
        }))
        .child(worker("slow", {
            let counts = slow.clone();
            move || Member::slow_start(&counts, Duration::from_secs(10))
        }))
        .child(worker("last", {
            let counts = last.clone();
            move || Member::quick(&counts)
        }));

    let start = tokio::time::timeout(Duration::from_secs(1), node.spawn_supervisor(spec)).await;
    assert!(start.is_err(), "the slow child's init holds the start up past the timeout");

    assert!(
        run_until(|| node.process_count() == before && alive_tasks() == tasks).await,
        "left running after the drop: {}",
        processes(&node)
    );
    for name in ["first", "slow", "last"] {
        assert_eq!(node.registry().whereis(name), None, "`{name}` is still registered");
    }
    assert_eq!(first.inits(), 1);
    assert_eq!(first.terminates(), 1, "the child that was up is stopped, not killed");
    assert_eq!(slow.inits(), 0, "the child in its init is killed there");

    // Long after, nothing has come back: no late start, no restart.
    tokio::time::sleep(WAIT).await;
    assert_eq!(node.process_count(), before, "{}", processes(&node));
    assert_eq!((first.inits(), slow.inits(), last.inits()), (1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_start_child_is_still_carried_out_by_the_supervisor() {
    let node = Node::new().unwrap();
    let supervisor = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();
    let counts = Counts::default();
    let spec = worker("late", {
        let counts = counts.clone();
        move || Member::slow_start(&counts, Duration::from_secs(10))
    });

    let start = tokio::time::timeout(Duration::from_secs(1), supervisor.start_child(spec)).await;
    assert!(start.is_err(), "the child's init holds the call up past the timeout");

    let children = supervisor.which_children().await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].id, "late");
    assert!(children[0].pid.is_some(), "started and supervised: {children:?}");
    assert_eq!(counts.inits(), 1);
    assert_eq!(node.registry().whereis("late"), children[0].pid);
}
