//! A child start that says "ignore" (OTP's `ignore` from a child's `init`) and a supervisor
//! whose children are computed when it starts (OTP's `init/1` returning its child specs).

mod common;

use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use common::wait::WAIT;
use foundation::supervisor::{
    ChildCounts, ChildSpec, ChildStatus, DynamicSupervisorSpec, Restart, SupervisorError,
    SupervisorRef, SupervisorSpec,
};
use foundation::{BoxError, Context, Node, Pid, Process, ReplyTo};

enum Msg {
    Ping(ReplyTo<()>),
}

/// A worker that answers pings.
struct Pinger;

impl Process for Pinger {
    type Message = Msg;

    async fn handle(&mut self, _: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        let Msg::Ping(reply) = msg;
        let _ = reply.reply(());
        Ok(())
    }
}

/// A child that starts only while `enabled` holds.
fn optional(id: &'static str, enabled: &Arc<AtomicBool>) -> ChildSpec {
    let enabled = Arc::clone(enabled);
    ChildSpec::worker_or_ignore(id, move || enabled.load(SeqCst).then_some(Pinger))
}

/// The (id, pid, status) of each child, in start order.
async fn listed(sup: &SupervisorRef) -> Vec<(String, Option<Pid>, ChildStatus)> {
    sup.which_children().await.unwrap().into_iter().map(|c| (c.id, c.pid, c.status)).collect()
}

async fn ping(node: &Node, pid: Pid) {
    node.lookup::<Msg>(pid).expect("alive").call(Msg::Ping).await.unwrap();
}

/// Kills `pid` and waits until it is gone; the supervisor hears of it before any later call.
async fn kill(node: &Node, pid: Pid) {
    assert!(node.kill(pid));
    tokio::time::timeout(WAIT, node.wait_exit(pid)).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_ignored_child_is_kept_stopped_and_can_be_restarted_later() {
    let node = Node::new().unwrap();
    let enabled = Arc::new(AtomicBool::new(false));
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(optional("cache", &enabled))
                .child(ChildSpec::worker("after", || Pinger)),
        )
        .await
        .expect("an ignored child is not a failed start");
    let children = listed(&sup).await;
    assert_eq!((children[0].1, children[0].2), (None, ChildStatus::Stopped));
    assert_eq!(children[1].2, ChildStatus::Running, "the children after it start");

    // Still ignored: restart_child answers Ok(None), and it stays listed.
    assert_eq!(sup.restart_child("cache").await.unwrap(), None);
    enabled.store(true, SeqCst);
    let pid = sup.restart_child("cache").await.unwrap().expect("started this time");
    ping(&node, pid).await;
    assert_eq!(listed(&sup).await[0], ("cache".into(), Some(pid), ChildStatus::Running));
}

#[tokio::test(start_paused = true)]
async fn start_child_of_an_ignored_child_is_ok_none_and_keeps_it_unless_temporary() {
    let node = Node::new().unwrap();
    let enabled = Arc::new(AtomicBool::new(false));
    let sup = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();
    assert_eq!(sup.start_child(optional("kept", &enabled)).await.unwrap(), None);
    let temporary = optional("gone", &enabled).restart(Restart::Temporary);
    assert_eq!(sup.start_child(temporary).await.unwrap(), None);
    let ids: Vec<_> = listed(&sup).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["kept"], "OTP keeps an ignored child's spec, but not a temporary one's");
    // Kept means its id is taken.
    assert!(matches!(
        sup.start_child(optional("kept", &enabled)).await,
        Err(SupervisorError::AlreadyPresent(id)) if id == "kept"
    ));
}

#[tokio::test(start_paused = true)]
async fn a_restart_that_is_ignored_leaves_the_child_stopped_and_the_supervisor_up() {
    let node = Node::new().unwrap();
    let enabled = Arc::new(AtomicBool::new(true));
    let sup = node
        .spawn_supervisor(SupervisorSpec::new().child(optional("cache", &enabled)))
        .await
        .unwrap();
    let pid = listed(&sup).await[0].1.expect("running");
    enabled.store(false, SeqCst);
    kill(&node, pid).await;
    assert_eq!(listed(&sup).await[0], ("cache".into(), None, ChildStatus::Stopped));
    assert!(node.is_alive(sup.pid()));
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_supervisor_keeps_nothing_of_an_ignored_child() {
    let node = Node::new().unwrap();
    let sup = node
        .spawn_dynamic_supervisor(DynamicSupervisorSpec::new(|start: bool| {
            ChildSpec::worker_or_ignore("maybe", move || start.then_some(Pinger))
        }))
        .await
        .unwrap();
    assert_eq!(sup.start_child(false).await.unwrap(), None);
    assert!(sup.which_children().await.unwrap().is_empty());
    let pid = sup.start_child(true).await.unwrap().expect("started");
    ping(&node, pid).await;
    assert_eq!(sup.which_children().await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn init_computes_the_children_at_every_start_of_the_supervisor() {
    let node = Node::new().unwrap();
    let shards = Arc::new(AtomicUsize::new(2));
    let computed = {
        let shards = Arc::clone(&shards);
        SupervisorSpec::new().child(ChildSpec::worker("first", || Pinger)).init(move || {
            Ok((0..shards.load(SeqCst))
                .map(|i| ChildSpec::worker(format!("shard-{i}"), || Pinger))
                .collect())
        })
    };
    let parent = node
        .spawn_supervisor(SupervisorSpec::new().child(ChildSpec::supervisor("shards", computed)))
        .await
        .unwrap();
    let sub = parent.child_supervisor("shards").await.unwrap().expect("a child supervisor");
    let ids: Vec<_> = listed(&sub).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["first", "shard-0", "shard-1"], "given children first, then computed");

    // Restarted by its parent, it computes them again.
    shards.store(3, SeqCst);
    kill(&node, sub.pid()).await;
    let sub = parent.child_supervisor("shards").await.unwrap().expect("restarted");
    let ids: Vec<_> = listed(&sub).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["first", "shard-0", "shard-1", "shard-2"]);
}

#[tokio::test(start_paused = true)]
async fn an_init_that_fails_or_panics_is_a_failed_start_with_its_cause() {
    let node = Node::new().unwrap();
    let failing = SupervisorSpec::new().init(|| Err("no configuration".into()));
    let error = node.spawn_supervisor(failing).await.unwrap_err();
    assert!(matches!(&error, SupervisorError::StartFailed { id, .. } if id.is_empty()));
    let cause = error.source().expect("the cause is the source").to_string();
    assert!(cause.contains("no configuration"), "{cause}");

    let panicking = SupervisorSpec::new().init(|| panic!("init exploded"));
    let error = node.spawn_supervisor(panicking).await.unwrap_err();
    let cause = error.source().expect("the cause is the source").to_string();
    assert!(cause.contains("init exploded"), "{cause}");

    // Computed ids are checked as the others are.
    let repeated = SupervisorSpec::new()
        .child(ChildSpec::worker("a", || Pinger))
        .init(|| Ok(vec![ChildSpec::worker("a", || Pinger)]));
    match node.spawn_supervisor(repeated).await {
        Err(SupervisorError::Config(e)) => assert_eq!(e.field(), "children[].id"),
        other => panic!("expected a Config error, got {other:?}"),
    }
    // Nothing is left running.
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn count_children_counts_specs_active_supervisors_and_workers_as_otp() {
    let node = Node::new().unwrap();
    let enabled = Arc::new(AtomicBool::new(false));
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(optional("ignored", &enabled))
                .child(ChildSpec::worker("worker", || Pinger))
                .child(ChildSpec::supervisor("nested", SupervisorSpec::new())),
        )
        .await
        .unwrap();
    let counts = sup.count_children().await.unwrap();
    let mut expected = ChildCounts::default();
    (expected.specs, expected.active, expected.supervisors, expected.workers) = (3, 2, 1, 2);
    assert_eq!(counts, expected, "an ignored child is a spec, not active");
}

#[tokio::test(start_paused = true)]
async fn an_ignored_temporary_child_of_the_spec_is_not_kept() {
    let node = Node::new().unwrap();
    let enabled = Arc::new(AtomicBool::new(false));
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(optional("once", &enabled).restart(Restart::Temporary))
                .child(ChildSpec::worker("after", || Pinger)),
        )
        .await
        .unwrap();
    let ids: Vec<_> = listed(&sup).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["after"]);
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_child_ignored_on_its_restart_is_forgotten() {
    let node = Node::new().unwrap();
    let enabled = Arc::new(AtomicBool::new(true));
    let template = {
        let enabled = Arc::clone(&enabled);
        move |(): ()| {
            let enabled = Arc::clone(&enabled);
            ChildSpec::worker_or_ignore("maybe", move || enabled.load(SeqCst).then_some(Pinger))
        }
    };
    let sup = node.spawn_dynamic_supervisor(DynamicSupervisorSpec::new(template)).await.unwrap();
    let pid = sup.start_child(()).await.unwrap().expect("started");
    enabled.store(false, SeqCst);
    kill(&node, pid).await;
    assert!(sup.which_children().await.unwrap().is_empty(), "not kept without a pid");
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
}
