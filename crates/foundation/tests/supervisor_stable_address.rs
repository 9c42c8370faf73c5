//! A supervised child keeps its address and the messages in its mailbox across restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorSpec};
use foundation::{BoxError, Context, ExitReason, Node, Process, ReplyTo};

enum Msg {
    Record(u64),
    Crash,
    Seen(ReplyTo<Vec<u64>>),
    Block(tokio::sync::oneshot::Receiver<()>),
}

struct Recorder {
    seen: Vec<u64>,
    incarnations: Arc<AtomicU64>,
}

impl Process for Recorder {
    type Message = Msg;

    async fn init(&mut self, _ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        self.incarnations.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Record(n) => self.seen.push(n),
            Msg::Crash => panic!("crash on purpose"),
            Msg::Seen(reply) => {
                let _ = reply.reply(self.seen.clone());
            }
            Msg::Block(gate) => {
                let _ = gate.await;
            }
        }
        Ok(())
    }
}

fn spec(incarnations: &Arc<AtomicU64>) -> SupervisorSpec {
    let incarnations = Arc::clone(incarnations);
    SupervisorSpec::new().intensity(RestartIntensity::new(5, Duration::from_secs(5))).child(
        ChildSpec::worker("recorder", move || Recorder {
            seen: Vec::new(),
            incarnations: Arc::clone(&incarnations),
        }),
    )
}

#[tokio::test(start_paused = true)]
async fn messages_queued_behind_a_crash_reach_the_next_incarnation() {
    let node = Node::new().unwrap();
    let incarnations = Arc::new(AtomicU64::new(0));
    let sup = node.spawn_supervisor(spec(&incarnations)).await.unwrap();
    let child = sup.child::<Msg>("recorder").await.unwrap().unwrap();
    let first = child.pid();

    // Hold the child in a handler while the crash and three messages queue up behind it.
    let (open, gate) = tokio::sync::oneshot::channel();
    child.send(Msg::Block(gate)).await.unwrap();
    child.send(Msg::Crash).await.unwrap();
    for n in 1..=3 {
        child.send(Msg::Record(n)).await.unwrap();
    }
    open.send(()).unwrap();

    // The same address answers, from a new incarnation that got the queued messages.
    assert_eq!(child.call(Msg::Seen).await.unwrap(), vec![1, 2, 3]);
    assert_ne!(child.pid(), first, "a restart makes a new pid");
    assert!(child.is_alive());
    assert_eq!(incarnations.load(Ordering::SeqCst), 2);
    assert!(!node.is_alive(first));
    let children = sup.which_children().await.unwrap();
    assert_eq!((children[0].pid, children[0].restarts), (Some(child.pid()), 1));
}

#[tokio::test(start_paused = true)]
async fn address_closes_when_the_supervisor_gives_up() {
    let node = Node::new().unwrap();
    let incarnations = Arc::new(AtomicU64::new(0));
    let sup = node.spawn_supervisor(spec(&incarnations)).await.unwrap();
    let child = sup.child::<Msg>("recorder").await.unwrap().unwrap();
    for _ in 0..6 {
        // Each crash is seen by the next incarnation's mailbox; the sixth exceeds 5 in 5 s.
        let _ = child.send(Msg::Crash).await;
    }
    let reason = sup.exited().await;
    assert!(reason.to_string().contains("recorder"), "{reason}");
    assert!(child.exited().await.is_panic());
    assert!(!child.is_alive());
    let err = child.send(Msg::Record(9)).await.unwrap_err();
    assert!(matches!(err.into_inner(), Msg::Record(9)));
}

#[tokio::test(start_paused = true)]
async fn stopping_the_supervisor_closes_its_children_addresses() {
    let node = Node::new().unwrap();
    let incarnations = Arc::new(AtomicU64::new(0));
    let sup = node.spawn_supervisor(spec(&incarnations)).await.unwrap();
    let child = sup.child::<Msg>("recorder").await.unwrap().unwrap();
    let reason = node.stop(sup.pid(), Duration::from_secs(5)).await.unwrap();
    assert_eq!(reason, ExitReason::Shutdown(None));
    assert_eq!(child.exited().await, ExitReason::Shutdown(None));
    assert_eq!(node.process_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn killing_the_supervisor_closes_its_children_addresses() {
    let node = Node::new().unwrap();
    let incarnations = Arc::new(AtomicU64::new(0));
    let sup = node.spawn_supervisor(spec(&incarnations)).await.unwrap();
    let child = sup.child::<Msg>("recorder").await.unwrap().unwrap();
    node.kill(sup.pid());
    assert_eq!(sup.exited().await, ExitReason::Killed);
    assert_eq!(child.exited().await, ExitReason::Killed);
    assert!(!child.is_alive());
}
