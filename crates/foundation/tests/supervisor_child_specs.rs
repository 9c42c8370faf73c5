//! What a supervisor keeps of its children's specs, and how it refuses bad ones, as OTP's
//! `supervisor` does: no start arguments for a temporary child, ids that name the offender,
//! `which_children` in start order (on purpose; OTP lists the most recent first).

use std::sync::{Arc, Weak};

use foundation::supervisor::{ChildSpec, Restart, SupervisorError, SupervisorSpec};
use foundation::{BoxError, Context, Node, Process};

/// A worker that holds a share of some captured data.
struct Holder {
    _data: Arc<Vec<u8>>,
}

impl Process for Holder {
    type Message = ();

    async fn handle(&mut self, _ctx: &mut Context<()>, _msg: ()) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A spec whose factory captures `data`: every copy of the factory holds it.
fn holding(id: &'static str, data: &Arc<Vec<u8>>) -> ChildSpec {
    let data = Arc::clone(data);
    ChildSpec::worker(id, move || Holder { _data: Arc::clone(&data) })
}

/// How many holders of `data` there are besides the test's own.
fn holders(data: &Weak<Vec<u8>>) -> usize {
    data.strong_count() - 1
}

/// OTP keeps no start arguments for a temporary child (its `mfargs` are `undefined` once
/// started): it is never restarted. A permanent child's factory is kept for its restarts.
#[tokio::test(start_paused = true)]
async fn a_running_temporary_child_keeps_no_factory_in_its_supervisor() {
    let node = Node::new().unwrap();
    let (temporary, permanent) = (Arc::new(vec![1]), Arc::new(vec![2]));
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .child(holding("static-temporary", &temporary).restart(Restart::Temporary))
                .child(holding("permanent", &permanent)),
        )
        .await
        .unwrap();
    let dynamic = Arc::new(vec![3]);
    sup.start_child(holding("dynamic-temporary", &dynamic).restart(Restart::Temporary))
        .await
        .unwrap();
    // Each running child holds its own share; only the permanent child's factory holds one
    // more, in the supervisor.
    assert_eq!(holders(&Arc::downgrade(&temporary)), 1, "the running child only");
    assert_eq!(holders(&Arc::downgrade(&dynamic)), 1, "the running child only");
    assert_eq!(holders(&Arc::downgrade(&permanent)), 2, "the child and its factory");
    assert_eq!(sup.which_children().await.unwrap().len(), 3);
}

/// A repeated id fails the supervisor's start with an error that names the id and says it is
/// repeated; a `start_child` with an id in use names it too (OTP's `already_present`).
#[tokio::test(start_paused = true)]
async fn a_duplicate_id_is_refused_naming_it() {
    let node = Node::new().unwrap();
    let data = Arc::new(Vec::new());
    let spec = SupervisorSpec::new()
        .child(holding("cache", &data))
        .child(holding("db", &data))
        .child(holding("cache", &data));
    match node.spawn_supervisor(spec).await {
        Err(SupervisorError::Config(e)) => {
            assert_eq!((e.field(), e.value()), ("children[].id", "\"cache\""));
            let text = e.to_string();
            assert!(text.contains("\"cache\"") && text.contains("repeated"), "{text}");
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
    let sup = node.spawn_supervisor(SupervisorSpec::new().child(holding("db", &data))).await;
    let sup = sup.unwrap();
    let refused = sup.start_child(holding("db", &data)).await.unwrap_err();
    assert!(matches!(&refused, SupervisorError::AlreadyPresent(id) if id == "db"));
    assert!(refused.to_string().contains("`db`"), "{refused}");
}

/// `which_children` lists in start order, the spec's order then each `start_child` after;
/// OTP lists the most recent first (see the `supervisor` module docs for why we differ).
#[tokio::test(start_paused = true)]
async fn which_children_lists_in_start_order() {
    let node = Node::new().unwrap();
    let data = Arc::new(Vec::new());
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new().child(holding("a", &data)).child(holding("b", &data)),
        )
        .await
        .unwrap();
    sup.start_child(holding("c", &data)).await.unwrap().expect("started, not ignored");
    let listed = sup.which_children().await.unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let newest_first: Vec<_> = listed.iter().rev().map(|c| c.id.as_str()).collect();
    assert_eq!(newest_first, ["c", "b", "a"], "OTP's order is the reverse");
}
