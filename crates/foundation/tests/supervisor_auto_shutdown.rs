//! `auto_shutdown` and significant children (OTP 24+), as OTP's `supervisor` documents them:
//! a significant child must be transient or temporary and its supervisor's `auto_shutdown`
//! not `never`; the supervisor shuts itself down (reason `shutdown`) when any / all of its
//! significant children have ended by themselves without being restarted.

mod common;

use std::time::Duration;

use common::wait::WAIT;
use foundation::supervisor::{
    AutoShutdown, ChildSpec, Restart, RestartIntensity, SupervisorError, SupervisorRef,
    SupervisorSpec,
};
use foundation::{BoxError, Context, ExitReason, Node, Pid, Process};

struct Worker;

impl Process for Worker {
    type Message = ExitReason;

    async fn handle(
        &mut self,
        ctx: &mut Context<ExitReason>,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        ctx.stop(reason);
        Ok(())
    }
}

fn worker(id: &'static str) -> ChildSpec {
    ChildSpec::worker(id, || Worker)
}

async fn pid_of(sup: &SupervisorRef, id: &str) -> Pid {
    let listed = sup.which_children().await.unwrap();
    listed.into_iter().find(|c| c.id == id).and_then(|c| c.pid).expect("running")
}

async fn end(node: &Node, sup: &SupervisorRef, id: &str, reason: ExitReason) {
    let pid = pid_of(sup, id).await;
    node.lookup::<ExitReason>(pid).unwrap().send(reason).await.unwrap();
    tokio::time::timeout(WAIT, node.wait_exit(pid)).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn significant_children_are_validated_as_otp_does() {
    let node = Node::new().unwrap();
    let cases = [
        // Permanent and significant: invalid whatever the auto_shutdown.
        (AutoShutdown::AnySignificant, worker("p").significant(true)),
        // Significant under `never`: invalid.
        (AutoShutdown::Never, worker("t").restart(Restart::Transient).significant(true)),
    ];
    for (auto, child) in cases {
        let spec = SupervisorSpec::new().auto_shutdown(auto).child(child);
        match node.spawn_supervisor(spec).await {
            Err(SupervisorError::Config(e)) => {
                assert_eq!(e.field(), "children[].significant");
                assert!(
                    e.to_string().contains("transient or temporary")
                        || e.to_string().contains("auto_shutdown"),
                    "{e}"
                );
            }
            other => panic!("expected a Config error, got {other:?}"),
        }
    }
    let sup = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();
    let refused = sup.start_child(worker("t").restart(Restart::Temporary).significant(true)).await;
    assert!(
        matches!(&refused, Err(SupervisorError::Config(e)) if e.field() == "significant"),
        "{refused:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn any_significant_shuts_down_when_a_significant_child_ends_for_good() {
    let node = Node::new().unwrap();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .auto_shutdown(AutoShutdown::AnySignificant)
                .intensity(RestartIntensity::new(5, Duration::from_secs(5)))
                .child(worker("other"))
                .child(worker("key").restart(Restart::Transient).significant(true)),
        )
        .await
        .unwrap();
    let other = pid_of(&sup, "other").await;
    // An abnormal exit of a transient child restarts it: no shutdown.
    end(&node, &sup, "key", ExitReason::error("boom")).await;
    assert!(node.is_alive(sup.pid()));
    // A normal one ends the supervisor, which stops its other children.
    end(&node, &sup, "key", ExitReason::Normal).await;
    let reason = tokio::time::timeout(WAIT, sup.exited()).await.unwrap();
    assert_eq!(reason, ExitReason::Shutdown(None));
    assert!(!node.is_alive(other));
}

#[tokio::test(start_paused = true)]
async fn all_significant_shuts_down_once_the_last_significant_child_ends() {
    let node = Node::new().unwrap();
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .auto_shutdown(AutoShutdown::AllSignificant)
                .child(worker("other"))
                .child(worker("a").restart(Restart::Temporary).significant(true))
                .child(worker("b").restart(Restart::Temporary).significant(true)),
        )
        .await
        .unwrap();
    end(&node, &sup, "a", ExitReason::error("boom")).await;
    assert!(node.is_alive(sup.pid()), "b still runs");
    // terminate_child is not an end by itself: no shutdown, as OTP.
    let c = worker("c").restart(Restart::Transient).significant(true);
    sup.start_child(c).await.unwrap().expect("started, not ignored");
    sup.terminate_child("c").await.unwrap();
    assert!(node.is_alive(sup.pid()));
    end(&node, &sup, "b", ExitReason::Normal).await;
    let reason = tokio::time::timeout(WAIT, sup.exited()).await.unwrap();
    assert_eq!(reason, ExitReason::Shutdown(None));
}
