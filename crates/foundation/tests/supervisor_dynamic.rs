//! Dynamic supervisors (OTP's `simple_one_for_one`, Elixir's `DynamicSupervisor`) and handles
//! to nested supervisors.

mod common;

use std::time::Duration;

use common::wait::WAIT;
use foundation::supervisor::{
    ChildSpec, ChildStatus, DynamicSupervisorSpec, Restart, RestartIntensity, SupervisorError,
    SupervisorSpec,
};
use foundation::{BoxError, Context, ExitReason, Node, Pid, Process, ReplyTo};

enum Msg {
    Arg(ReplyTo<u32>),
    Stop(ExitReason),
}

/// A worker that answers with the argument it was started with.
struct Echo {
    arg: u32,
}

impl Process for Echo {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Arg(reply) => {
                let _ = reply.reply(self.arg);
            }
            Msg::Stop(reason) => ctx.stop(reason),
        }
        Ok(())
    }
}

fn echo(id: &'static str) -> impl Fn(u32) -> ChildSpec + Send + Sync + 'static {
    move |arg| ChildSpec::worker(id, move || Echo { arg })
}

async fn arg_of(node: &Node, pid: Pid) -> u32 {
    node.lookup::<Msg>(pid).expect("alive").call(Msg::Arg).await.unwrap()
}

async fn stop(node: &Node, pid: Pid, reason: ExitReason) {
    let child = node.lookup::<Msg>(pid).expect("alive");
    assert!(child.send(Msg::Stop(reason)).await.is_ok());
    drop(child);
    tokio::time::timeout(WAIT, node.wait_exit(pid)).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn children_start_from_one_template_with_their_own_arguments() {
    let node = Node::new().unwrap();
    let sup = node
        .spawn_dynamic_supervisor(
            DynamicSupervisorSpec::new(echo("echo"))
                .intensity(RestartIntensity::new(10, Duration::from_secs(5))),
        )
        .await
        .unwrap();
    assert!(sup.which_children().await.unwrap().is_empty());
    let one = sup.start_child(1).await.unwrap().expect("started, not ignored");
    let two = sup.start_child(2).await.unwrap().expect("started, not ignored");
    assert_eq!((arg_of(&node, one).await, arg_of(&node, two).await), (1, 2));
    let listed = sup.which_children().await.unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["echo#1", "echo#2"]);

    // A permanent child is restarted with its own arguments.
    stop(&node, one, ExitReason::error("boom")).await;
    let listed = sup.which_children().await.unwrap();
    let again = listed[0].pid.expect("restarted");
    assert_ne!(again, one);
    assert_eq!(arg_of(&node, again).await, 1);

    // terminate_child by pid: stopped and forgotten; an unknown pid is named.
    sup.terminate_child(two).await.unwrap();
    assert!(!node.is_alive(two));
    assert_eq!(sup.which_children().await.unwrap().len(), 1);
    match sup.terminate_child(two).await {
        Err(SupervisorError::NotFound(what)) => assert_eq!(what, two.to_string()),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn max_children_is_an_error_when_reached() {
    let node = Node::new().unwrap();
    let sup = node
        .spawn_dynamic_supervisor(DynamicSupervisorSpec::new(echo("echo")).max_children(2))
        .await
        .unwrap();
    let first = sup.start_child(1).await.unwrap().expect("started, not ignored");
    sup.start_child(2).await.unwrap().expect("started, not ignored");
    let refused = sup.start_child(3).await.unwrap_err();
    assert!(matches!(refused, SupervisorError::MaxChildren { max_children: 2 }), "{refused:?}");
    assert!(refused.to_string().contains("max_children"), "{refused}");
    assert_eq!(sup.which_children().await.unwrap().len(), 2);
    // Room again once a child is gone.
    sup.terminate_child(first).await.unwrap();
    assert_eq!(
        arg_of(&node, sup.start_child(4).await.unwrap().expect("started, not ignored")).await,
        4
    );
}

/// OTP's `simple_one_for_one`: a child that is not restarted is forgotten (a transient child
/// that ends normally, a temporary one), not kept stopped.
#[tokio::test(start_paused = true)]
async fn children_that_are_not_restarted_are_forgotten() {
    let node = Node::new().unwrap();
    let sup = node
        .spawn_dynamic_supervisor(DynamicSupervisorSpec::new(|arg: u32| {
            let restart = if arg == 1 { Restart::Transient } else { Restart::Temporary };
            ChildSpec::worker("echo", move || Echo { arg }).restart(restart)
        }))
        .await
        .unwrap();
    let transient = sup.start_child(1).await.unwrap().expect("started, not ignored");
    let temporary = sup.start_child(2).await.unwrap().expect("started, not ignored");
    stop(&node, transient, ExitReason::Normal).await;
    stop(&node, temporary, ExitReason::error("boom")).await;
    assert!(sup.which_children().await.unwrap().is_empty());
    assert!(node.is_alive(sup.pid()));
}

/// A handle to a nested supervisor from its parent manages that subtree, across the nested
/// supervisor's restarts.
#[tokio::test(start_paused = true)]
async fn a_nested_supervisor_is_managed_through_its_parent() {
    let node = Node::new().unwrap();
    let parent = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(ChildSpec::supervisor(
                    "sub",
                    SupervisorSpec::new().child(ChildSpec::worker("w", || Echo { arg: 7 })),
                ))
                .child(ChildSpec::worker("worker", || Echo { arg: 0 })),
        )
        .await
        .unwrap();
    assert!(parent.child_supervisor("worker").await.unwrap().is_none());
    assert!(parent.child_supervisor("nope").await.unwrap().is_none());
    let sub = parent.child_supervisor("sub").await.unwrap().expect("a supervisor");
    let sub_pid = parent.which_children().await.unwrap()[0].pid;
    assert_eq!(Some(sub.pid()), sub_pid);
    let extra = sub
        .start_child(ChildSpec::worker("extra", || Echo { arg: 8 }))
        .await
        .unwrap()
        .expect("started, not ignored");
    assert_eq!(arg_of(&node, extra).await, 8);
    let ids: Vec<_> = sub.which_children().await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["w", "extra"]);

    // The nested supervisor gives up (two failures of `w` in 5 s); its parent restarts it from
    // its spec, and the same handle reaches the new incarnation.
    let old = sub.pid();
    for _ in 0..2 {
        let w = sub.which_children().await.unwrap()[0].pid.expect("running");
        stop(&node, w, ExitReason::error("boom")).await;
    }
    tokio::time::timeout(WAIT, node.wait_exit(old)).await.unwrap();
    let listed = sub.which_children().await.unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["w"], "a restarted supervisor starts from its spec");
    assert_eq!(listed[0].status, ChildStatus::Running);
    assert_eq!(parent.which_children().await.unwrap()[0].restarts, 1);
}
