//! `Node::process_info`, `Node::stop` and `Node::shutdown`, through the public API.
//!
//! Deadlines are checked on tokio's paused clock, so "killed at the deadline" means exactly at
//! the deadline in virtual time, with no real waiting.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::processes::PanicsBeforeItsFuture;
use foundation::{
    BoxError, Context, Down, ExitReason, Name, Node, Pid, Process, ProcessRef, ProcessStatus,
    ReplyTo, ShutdownReport, SpawnError,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// `(pid, reason)` for each `terminate` that ran, in order.
type Log = Arc<Mutex<Vec<(Pid, ExitReason)>>>;

enum Msg {
    Ping(ReplyTo<()>),
    Block(ReplyTo<()>, oneshot::Receiver<()>),
    Nop,
    SpawnLink(ReplyTo<ProcessRef<Msg>>),
    Spawn(Proc, ReplyTo<ProcessRef<Msg>>),
    Monitor(Pid, ReplyTo<()>),
    Trap(bool, ReplyTo<()>),
}

/// How a process behaves when asked to shut down.
#[derive(Clone, Copy, PartialEq)]
enum OnShutdown {
    /// Does not trap exits: ends with the signal's reason.
    Die,
    /// Traps exits and stops itself when told to shut down.
    Comply,
    /// Traps exits and ignores them.
    Ignore,
    /// Traps exits, and on shutdown stops its children itself (with `ctx.exit`), waits for
    /// them, then stops.
    StopChildrenFirst,
}

struct Proc {
    on_shutdown: OnShutdown,
    log: Log,
    /// Time `terminate` takes.
    terminate_takes: Duration,
    /// In `terminate`, say so here, then wait for the gate before returning.
    terminate_entered: Option<oneshot::Sender<()>>,
    terminate_gate: Option<oneshot::Receiver<()>>,
    children: Vec<Pid>,
    /// Set by `handle_exit` on shutdown: did spawning fail with `ShuttingDown`?
    spawn_refused: Option<Arc<Mutex<Option<bool>>>>,
}

impl Proc {
    fn new(on_shutdown: OnShutdown, log: &Log) -> Self {
        Proc {
            on_shutdown,
            log: Arc::clone(log),
            terminate_takes: Duration::ZERO,
            terminate_entered: None,
            terminate_gate: None,
            children: Vec::new(),
            spawn_refused: None,
        }
    }
}

impl Process for Proc {
    type Message = Msg;

    async fn init(&mut self, ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        if self.on_shutdown != OnShutdown::Die {
            ctx.trap_exit(true);
        }
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Ping(r) => {
                let _ = r.reply(());
            }
            Msg::Block(entered, release) => {
                let _ = entered.reply(());
                let _ = release.await;
            }
            Msg::Nop => {}
            Msg::SpawnLink(r) => {
                let _ = r.reply(ctx.spawn_link(Proc::new(OnShutdown::Die, &self.log))?);
            }
            Msg::Spawn(child, r) => {
                let child = ctx.spawn(child)?;
                self.children.push(child.pid());
                let _ = r.reply(child);
            }
            Msg::Monitor(pid, r) => {
                ctx.monitor(pid);
                let _ = r.reply(());
            }
            Msg::Trap(on, r) => {
                ctx.trap_exit(on);
                let _ = r.reply(());
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        ctx: &mut Context<Msg>,
        _from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        if !matches!(reason, ExitReason::Shutdown(_)) {
            return Ok(());
        }
        if let Some(flag) = &self.spawn_refused {
            let refused = matches!(
                ctx.spawn(Proc::new(OnShutdown::Die, &self.log)),
                Err(SpawnError::ShuttingDown)
            );
            *flag.lock().unwrap() = Some(refused);
        }
        match self.on_shutdown {
            OnShutdown::Die | OnShutdown::Ignore => {}
            OnShutdown::Comply => ctx.stop(reason),
            OnShutdown::StopChildrenFirst => {
                for child in self.children.iter().rev() {
                    ctx.exit(*child, ExitReason::Shutdown(None));
                    ctx.node().wait_exit(*child).await;
                }
                ctx.stop(reason);
            }
        }
        Ok(())
    }

    async fn handle_down(&mut self, _ctx: &mut Context<Msg>, _down: Down) -> Result<(), BoxError> {
        Ok(())
    }

    async fn terminate(&mut self, ctx: &mut Context<Msg>, reason: &ExitReason) {
        if !self.terminate_takes.is_zero() {
            tokio::time::sleep(self.terminate_takes).await;
        }
        if let Some(entered) = self.terminate_entered.take() {
            let _ = entered.send(());
        }
        if let Some(gate) = self.terminate_gate.take() {
            let _ = gate.await;
        }
        self.log.lock().unwrap().push((ctx.pid(), reason.clone()));
    }
}

fn terminated(log: &Log) -> Vec<(Pid, ExitReason)> {
    log.lock().unwrap().clone()
}

// ---------------------------------------------------------------------------------------------
// process_info
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn process_info_reports_every_field() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let p = node
        .process()
        .name("info")
        .mailbox_capacity(16)
        .spawn(Proc::new(OnShutdown::Comply, &log))
        .unwrap();
    let observer = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    p.call(Msg::Ping).await.unwrap();

    let info = node.process_info(p.pid()).unwrap();
    assert_eq!(info.pid, p.pid());
    assert_eq!(info.status, ProcessStatus::Waiting, "idle after a call");
    assert_eq!(info.names, vec![Name::from("info")]);
    assert_eq!(info.mailbox_len, 0);
    assert_eq!(info.mailbox_capacity, Some(16));
    assert_eq!(info.messages_handled, 1);
    assert!(info.links.is_empty() && info.monitors.is_empty() && info.monitored_by.is_empty());
    assert!(info.groups.is_empty());
    assert!(info.trap_exit, "set in init");
    assert_eq!(info.parent, None);
    assert_eq!(info.memory, None);

    // Relations.
    let child = p.call(Msg::SpawnLink).await.unwrap();
    observer.call(|r| Msg::Monitor(p.pid(), r)).await.unwrap();
    node.groups().join("g", p.pid()).unwrap();
    let info = node.process_info(p.pid()).unwrap();
    assert_eq!(info.links, vec![child.pid()]);
    assert_eq!(info.monitored_by, vec![observer.pid()]);
    assert_eq!(info.groups, vec!["g".to_string()]);
    assert_eq!(info.messages_handled, 2);
    let cinfo = node.process_info(child.pid()).unwrap();
    assert_eq!(cinfo.parent, Some(p.pid()));
    assert_eq!(cinfo.links, vec![p.pid()]);
    assert!(!cinfo.trap_exit);
    assert_eq!(cinfo.mailbox_capacity, Some(foundation::DEFAULT_MAILBOX_CAPACITY));
    let oinfo = node.process_info(observer.pid()).unwrap();
    assert_eq!(oinfo.monitors, vec![p.pid()]);

    // trap_exit follows the flag.
    p.call(|r| Msg::Trap(false, r)).await.unwrap();
    assert!(!node.process_info(p.pid()).unwrap().trap_exit);

    // Busy: Running, with a backlog.
    let (release, gate) = oneshot::channel();
    p.call(|entered| Msg::Block(entered, gate)).await.unwrap();
    for _ in 0..3 {
        p.send(Msg::Nop).await.unwrap();
    }
    let info = node.process_info(p.pid()).unwrap();
    assert_eq!(info.status, ProcessStatus::Running);
    assert_eq!(info.mailbox_len, 3);
    assert_eq!(info.messages_handled, 3, "the blocked message is not done yet");
    release.send(()).unwrap();
    p.call(Msg::Ping).await.unwrap();
    let info = node.process_info(p.pid()).unwrap();
    assert_eq!((info.mailbox_len, info.messages_handled), (0, 8));
    assert_eq!(info.status, ProcessStatus::Waiting);

    // Gone: no info.
    assert!(node.kill(p.pid()));
    p.exited().await;
    assert!(node.process_info(p.pid()).is_none());
}

#[tokio::test(start_paused = true)]
async fn process_info_of_unbounded_and_exiting_processes() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let mut proc = Proc::new(OnShutdown::Die, &log);
    let (open, gate) = oneshot::channel();
    let (entered_tx, entered) = oneshot::channel();
    proc.terminate_gate = Some(gate);
    proc.terminate_entered = Some(entered_tx);
    let p = node.process().unbounded_mailbox().spawn(proc).unwrap();
    p.call(Msg::Ping).await.unwrap();
    assert_eq!(node.process_info(p.pid()).unwrap().mailbox_capacity, None);

    // In terminate: still listed, as Exiting.
    assert!(node.exit(p.pid(), ExitReason::Shutdown(None)));
    entered.await.unwrap();
    let info = node.process_info(p.pid()).unwrap();
    assert_eq!(info.status, ProcessStatus::Exiting);
    assert!(node.is_alive(p.pid()), "alive until terminate returns");
    assert!(p.exit_reason().is_none());
    open.send(()).unwrap();
    assert_eq!(p.exited().await, ExitReason::Shutdown(None));
    assert!(node.process_info(p.pid()).is_none());
    assert_eq!(terminated(&log), vec![(p.pid(), ExitReason::Shutdown(None))]);
}

#[tokio::test(start_paused = true)]
async fn processes_lists_live_pids_oldest_first() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let a = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    let b = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    let c = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    assert_eq!(node.processes(), vec![a.pid(), b.pid(), c.pid()]);
    assert_eq!(node.process_count(), 3);
    assert!(a.pid() < b.pid() && b.pid() < c.pid());
    node.kill(b.pid());
    b.exited().await;
    assert_eq!(node.processes(), vec![a.pid(), c.pid()]);
    assert_eq!(node.process_count(), 2);
}

// ---------------------------------------------------------------------------------------------
// stop
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn stop_ends_a_process_gracefully_running_terminate() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let plain = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    let complying = node.spawn(Proc::new(OnShutdown::Comply, &log)).unwrap();
    // `terminate` runs for processes whose `init` completed: let them start first.
    plain.call(Msg::Ping).await.unwrap();
    complying.call(Msg::Ping).await.unwrap();
    let start = Instant::now();

    assert_eq!(
        node.stop(plain.pid(), Duration::from_secs(5)).await,
        Some(ExitReason::Shutdown(None))
    );
    assert_eq!(
        node.stop(complying.pid(), Duration::from_secs(5)).await,
        Some(ExitReason::Shutdown(None))
    );
    assert_eq!(start.elapsed(), Duration::ZERO, "no waiting for the timeout");
    assert_eq!(
        terminated(&log),
        vec![
            (plain.pid(), ExitReason::Shutdown(None)),
            (complying.pid(), ExitReason::Shutdown(None))
        ]
    );
    assert_eq!(node.stop(plain.pid(), Duration::from_secs(5)).await, None, "already gone");
}

#[tokio::test(start_paused = true)]
async fn stop_kills_a_process_that_ignores_it_at_the_timeout() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let stubborn = node.spawn(Proc::new(OnShutdown::Ignore, &log)).unwrap();
    stubborn.call(Msg::Ping).await.unwrap();
    let start = Instant::now();
    let reason = node.stop(stubborn.pid(), Duration::from_secs(3)).await;
    assert_eq!(reason, Some(ExitReason::Killed));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert!(terminated(&log).is_empty(), "kill skips terminate");
    assert!(!node.is_alive(stubborn.pid()));
}

#[tokio::test(start_paused = true)]
async fn stop_kills_a_process_whose_terminate_overruns() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let mut slow = Proc::new(OnShutdown::Die, &log);
    slow.terminate_takes = Duration::from_secs(10);
    let slow = node.spawn(slow).unwrap();
    slow.call(Msg::Ping).await.unwrap();
    let start = Instant::now();
    assert_eq!(node.stop(slow.pid(), Duration::from_secs(2)).await, Some(ExitReason::Killed));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert!(terminated(&log).is_empty(), "terminate was interrupted by the kill");

    // Given the time, it finishes.
    let mut slow = Proc::new(OnShutdown::Die, &log);
    slow.terminate_takes = Duration::from_secs(1);
    let slow = node.spawn(slow).unwrap();
    slow.call(Msg::Ping).await.unwrap();
    let start = Instant::now();
    assert_eq!(
        node.stop(slow.pid(), Duration::from_secs(2)).await,
        Some(ExitReason::Shutdown(None))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(terminated(&log), vec![(slow.pid(), ExitReason::Shutdown(None))]);
}

// ---------------------------------------------------------------------------------------------
// shutdown
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn shutdown_stops_everything_and_returns_at_once_when_all_comply() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let mut refs = Vec::new();
    for kind in [OnShutdown::Die, OnShutdown::Comply, OnShutdown::Die, OnShutdown::Comply] {
        refs.push(node.spawn(Proc::new(kind, &log)).unwrap());
    }
    for r in &refs {
        r.call(Msg::Ping).await.unwrap();
    }
    let start = Instant::now();
    let report = node.shutdown(Duration::from_secs(30)).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!((report.stopped, report.killed), (4, 0));
    assert_eq!(node.process_count(), 0);
    assert!(node.processes().is_empty());
    for r in &refs {
        assert_eq!(r.exit_reason(), Some(ExitReason::Shutdown(None)));
    }
    // Newest first.
    let order: Vec<Pid> = terminated(&log).iter().map(|(p, _)| *p).collect();
    let mut newest_first: Vec<Pid> = refs.iter().map(ProcessRef::pid).collect();
    newest_first.reverse();
    assert_eq!(order, newest_first);
}

#[tokio::test(start_paused = true)]
async fn shutdown_kills_processes_that_ignore_it_at_the_deadline() {
    let node = Node::new().unwrap();
    let log = Log::default();
    // Older stubborn processes, newer compliant ones: the compliant ones are stopped first.
    let stubborn: Vec<_> =
        (0..2).map(|_| node.spawn(Proc::new(OnShutdown::Ignore, &log)).unwrap()).collect();
    let compliant: Vec<_> =
        (0..3).map(|_| node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap()).collect();
    for r in stubborn.iter().chain(&compliant) {
        r.call(Msg::Ping).await.unwrap();
    }
    let start = Instant::now();
    let report = node.shutdown(Duration::from_secs(10)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(10), "the deadline, exactly");
    assert_eq!((report.stopped, report.killed), (3, 2));
    assert_eq!(node.process_count(), 0);
    for r in &stubborn {
        assert_eq!(r.exit_reason(), Some(ExitReason::Killed));
    }
    for r in &compliant {
        assert_eq!(r.exit_reason(), Some(ExitReason::Shutdown(None)));
    }
    assert_eq!(terminated(&log).len(), 3, "terminate ran for the compliant ones only");
}

#[tokio::test(start_paused = true)]
async fn shutdown_goes_top_down_so_a_parent_stops_its_own_children() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let parent = node.spawn(Proc::new(OnShutdown::StopChildrenFirst, &log)).unwrap();
    let mut children = Vec::new();
    for _ in 0..3 {
        let child = Proc::new(OnShutdown::Comply, &log);
        children.push(parent.call(|r| Msg::Spawn(child, r)).await.unwrap());
    }
    for c in &children {
        c.call(Msg::Ping).await.unwrap();
        assert_eq!(node.process_info(c.pid()).unwrap().parent, Some(parent.pid()));
    }
    let report = node.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.killed, 0);
    assert_eq!(node.process_count(), 0);
    // The parent stopped its children (newest first), then itself.
    let order: Vec<Pid> = terminated(&log).iter().map(|(p, _)| *p).collect();
    let expected: Vec<Pid> =
        children.iter().rev().map(ProcessRef::pid).chain([parent.pid()]).collect();
    assert_eq!(order, expected);
}

#[tokio::test(start_paused = true)]
async fn spawning_is_refused_once_shutdown_has_begun() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let mut p = Proc::new(OnShutdown::Comply, &log);
    let refused = Arc::new(Mutex::new(None));
    p.spawn_refused = Some(Arc::clone(&refused));
    let p = node.spawn(p).unwrap();
    p.call(Msg::Ping).await.unwrap();

    node.shutdown(Duration::from_secs(1)).await;
    assert_eq!(*refused.lock().unwrap(), Some(true), "ctx.spawn during shutdown");
    let err = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap_err();
    assert!(matches!(err, SpawnError::ShuttingDown), "{err:?}");
    let err = node.process().name("late").spawn(Proc::new(OnShutdown::Die, &log)).unwrap_err();
    assert!(matches!(err, SpawnError::ShuttingDown), "{err:?}");
    assert_eq!(node.process_count(), 0);
    assert_eq!(node.registry().whereis("late"), None);
}

#[tokio::test(start_paused = true)]
async fn shutdown_of_an_empty_node_and_a_second_shutdown_return_at_once() {
    let node = Node::new().unwrap();
    let start = Instant::now();
    assert_eq!(node.shutdown(Duration::from_secs(10)).await, ShutdownReport::default());
    assert_eq!(node.shutdown(Duration::from_secs(10)).await, ShutdownReport::default());
    assert_eq!(start.elapsed(), Duration::ZERO);
}

/// `ShutdownReport::stopped` counts "processes that ended on their own after being asked to
/// shut down (or while others were)". A linked child that ends (from its parent's exit
/// signal) while the shutdown waits for another process ended while others were being
/// stopped, and was not killed: it must be counted, so that `stopped + killed` is every
/// process the shutdown ended.
#[tokio::test(start_paused = true)]
async fn shutdown_report_counts_processes_that_end_while_others_are_stopped() {
    let node = Node::new().unwrap();
    let log = Log::default();
    let older = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    let newer = node.spawn(Proc::new(OnShutdown::Die, &log)).unwrap();
    let child = newer.call(Msg::SpawnLink).await.unwrap();
    for r in [&older, &newer, &child] {
        r.call(Msg::Ping).await.unwrap();
    }
    let report = node.shutdown(Duration::from_secs(10)).await;
    for r in [&older, &newer, &child] {
        assert_eq!(r.exit_reason(), Some(ExitReason::Shutdown(None)));
    }
    assert_eq!(terminated(&log).len(), 3, "all three ended gracefully");
    assert_eq!((report.stopped, report.killed), (3, 0));
}

/// `shutdown` "returns when every one is gone", killing at the deadline whatever is left. A
/// process whose handler panicked outside the handler's future must not hold it up forever.
#[tokio::test(start_paused = true)]
async fn shutdown_returns_after_a_handler_panicked_while_building_its_future() {
    let node = Node::new().unwrap();
    let p = node.spawn(PanicsBeforeItsFuture).unwrap();
    let pid = p.pid();
    p.send(()).await.unwrap();
    drop(p);
    // Let it run into the panic.
    let _ = tokio::time::timeout(Duration::from_secs(1), node.wait_exit(pid)).await;

    let shutdown = node.shutdown(Duration::from_secs(5));
    let report = tokio::time::timeout(Duration::from_secs(3600), shutdown).await;
    assert!(report.is_ok(), "shutdown still waiting after an hour: {:?}", node.process_info(pid));
    assert_eq!(node.process_count(), 0);
}
