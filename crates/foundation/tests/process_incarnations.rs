//! Addresses and incarnations: a supervised process keeps its address across restarts, and
//! each incarnation has its own pid. An address stays equal to itself (and hashes the same)
//! while its pid changes; a signal aimed at one incarnation never reaches the next; waiting for
//! an incarnation's exit answers with that incarnation's own reason. And a process's task
//! dropped with its runtime still ends the process in the open.

use std::collections::HashSet;
use std::time::Duration;

use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorRef, SupervisorSpec};
use foundation::{BoxError, Context, ExitReason, Node, Pid, Process, ProcessRef, ReplyTo};
use tokio::sync::oneshot;

enum Msg {
    Ping(ReplyTo<Pid>),
    Panic(&'static str),
    /// Monitors the pid, then waits in the handler until released.
    MonitorAndBlock(Pid, ReplyTo<()>, oneshot::Receiver<()>),
    /// The `Down`s and trapped exits it has handled.
    Seen(ReplyTo<Vec<String>>),
}

#[derive(Default)]
struct Svc {
    seen: Vec<String>,
}

impl Process for Svc {
    type Message = Msg;

    async fn init(&mut self, ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Ping(reply) => drop(reply.reply(ctx.pid())),
            Msg::Panic(why) => panic!("{why}"),
            Msg::MonitorAndBlock(pid, entered, release) => {
                ctx.monitor(pid);
                let _ = entered.reply(());
                let _ = release.await;
            }
            Msg::Seen(reply) => drop(reply.reply(self.seen.clone())),
        }
        Ok(())
    }

    async fn handle_down(
        &mut self,
        _ctx: &mut Context<Msg>,
        down: foundation::Down,
    ) -> Result<(), BoxError> {
        self.seen.push(format!("down {}", down.pid));
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        _ctx: &mut Context<Msg>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.seen.push(format!("exit {from} {reason}"));
        Ok(())
    }
}

async fn supervised(node: &Node) -> (SupervisorRef, ProcessRef<Msg>) {
    let sup = node
        .spawn_supervisor(
            SupervisorSpec::new()
                .intensity(RestartIntensity::new(100, Duration::from_secs(5)))
                .child(ChildSpec::worker("svc", Svc::default)),
        )
        .await
        .unwrap();
    let child = sup.child::<Msg>("svc").await.unwrap().expect("a running child");
    (sup, child)
}

/// Crashes the current incarnation and waits until the next one answers; returns its pid.
async fn restart(node: &Node, child: &ProcessRef<Msg>, why: &'static str) -> Pid {
    let old = child.pid();
    child.send(Msg::Panic(why)).await.unwrap();
    node.wait_exit(old).await;
    let new = child.call(Msg::Ping).await.unwrap();
    assert_ne!(new, old);
    new
}

/// An address in a `HashSet` is still found after its process restarts, though its pid changed.
// The address's hash and equality never change; clippy sees atomics inside and cannot know.
#[allow(clippy::mutable_key_type)]
#[tokio::test(start_paused = true)]
async fn an_address_is_equal_to_itself_across_restarts() {
    let node = Node::new().unwrap();
    let (_sup, child) = supervised(&node).await;
    let mut set = HashSet::new();
    set.insert(child.clone());
    let before = child.pid();
    let after = restart(&node, &child, "once").await;
    assert_ne!(before, after);
    assert!(set.contains(&child), "the restarted address is not found");
    assert_eq!(set.iter().next().unwrap(), &child);
    let other = node.spawn(Svc::default()).unwrap();
    assert_ne!(other, child);
}

/// Signals aimed at an incarnation that has ended reach nothing: not the next incarnation.
#[tokio::test(start_paused = true)]
async fn signals_to_an_ended_incarnation_never_reach_the_next() {
    let node = Node::new().unwrap();
    let (_sup, child) = supervised(&node).await;
    let old = child.pid();
    let new = restart(&node, &child, "once").await;
    assert!(!node.kill(old), "kill found the old incarnation");
    assert!(!node.exit(old, ExitReason::error("stale")), "exit found the old incarnation");
    assert_eq!(node.stop(old, Duration::from_secs(1)).await, None);
    assert_eq!(child.call(Msg::Ping).await.unwrap(), new, "the new incarnation was touched");
    assert!(child.call(Msg::Seen).await.unwrap().is_empty());
}

/// A `Down` queued in the mailbox for one incarnation (it monitored a process that then
/// ended, while it was busy) is not delivered to the incarnation that adopts the mailbox.
#[tokio::test(start_paused = true)]
async fn a_down_queued_for_an_incarnation_is_not_delivered_to_the_next() {
    let node = Node::new().unwrap();
    let (_sup, child) = supervised(&node).await;
    let watched = node.spawn(Svc::default()).unwrap();
    let (release, gate) = oneshot::channel();
    child.call(|r| Msg::MonitorAndBlock(watched.pid(), r, gate)).await.unwrap();
    // The watched process ends: its Down waits in the busy child's mailbox.
    watched.send(Msg::Panic("watched")).await.unwrap();
    watched.exited().await;
    // Also a trapped exit signal for this incarnation.
    assert!(node.exit(child.pid(), ExitReason::shutdown_with("for the old one")));
    assert_eq!(node.process_info(child.pid()).unwrap().mailbox_len, 2);
    // The incarnation is killed before it gets to them; the next adopts the mailbox.
    let old = child.pid();
    assert!(node.kill(old));
    drop(release);
    node.wait_exit(old).await;
    let new = child.call(Msg::Ping).await.unwrap();
    assert_ne!(new, old);
    assert!(child.call(Msg::Seen).await.unwrap().is_empty(), "a stale signal was delivered");
}

/// Waiting for an incarnation's exit answers with that incarnation's reason, even when the
/// next incarnation has ended too by the time the waiter looks.
#[tokio::test(start_paused = true)]
async fn waiting_for_an_old_pid_answers_with_its_own_reason() {
    let node = Node::new().unwrap();
    let (_sup, child) = supervised(&node).await;
    let first = child.pid();
    let waiter = node.wait_exit(first);
    let mut waiter = Box::pin(waiter);
    assert!(futures::poll!(&mut waiter).is_pending());
    // Two incarnations end before the waiter is polled again.
    let second = restart(&node, &child, "first").await;
    restart(&node, &child, "second").await;
    assert_eq!(waiter.await, ExitReason::Panicked("first".into()));
    // Asked afterwards, an incarnation that is long gone is `NoProc`, never a later reason.
    assert_eq!(node.wait_exit(second).await, ExitReason::NoProc);
}

/// Dropping the runtime without `Node::shutdown` ends every process in the open: its address
/// closes, waiters on another runtime hear `Killed`, and its name is released.
#[test]
fn a_dropped_runtime_closes_every_address_and_frees_every_name() {
    let doomed =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (node, named, plain) = doomed.block_on(async {
        let node = Node::new().unwrap();
        let named = node.process().name("doomed").spawn(Svc::default()).unwrap();
        let plain = node.spawn(Svc::default()).unwrap();
        named.call(Msg::Ping).await.unwrap();
        plain.call(Msg::Ping).await.unwrap();
        (node, named, plain)
    });
    let watcher = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let waiting = watcher.spawn({
        let named = named.clone();
        async move { named.exited().await }
    });
    drop(doomed);
    watcher.block_on(async {
        assert_eq!(waiting.await.unwrap(), ExitReason::Killed);
        assert_eq!(plain.exited().await, ExitReason::Killed);
    });
    assert!(!named.is_alive() && !plain.is_alive());
    assert!(named.try_send(Msg::Panic("late")).unwrap_err().is_closed());
    assert_eq!(node.registry().whereis("doomed"), None);
    assert_eq!(node.process_count(), 0);
}
