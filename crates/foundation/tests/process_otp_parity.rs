//! Processes as an Erlang engineer knows them (issue 12): monitor references unique across
//! nodes, a call to oneself, a dying server's reason on every call it held, where a panic
//! happened, waiting on a pid of an earlier node, `kill` and `killed`, a stop with a reason,
//! `trap_exit`'s old value, monitors by name, spawn with link and monitor, and demonitor with
//! flush.

mod common;

use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorSpec};
use foundation::{
    BoxError, CallError, Context, Down, ExitReason, MonitorRef, Name, Node, Pid, Process,
    ProcessRef, ReplyTo,
};
use tokio::sync::oneshot;

use common::runtime::multi_thread;
use common::wait::WAIT;

/// What the probe has seen, kept outside it so it can be read after it ends.
#[derive(Default)]
struct Seen {
    downs: Vec<Down>,
    exits: Vec<(Pid, ExitReason)>,
    terminated: Option<ExitReason>,
}

type Log = Arc<Mutex<Seen>>;

enum Cmd {
    Ping(ReplyTo<Pid>),
    Monitor(Pid, ReplyTo<MonitorRef>),
    MonitorName(&'static str, ReplyTo<MonitorRef>),
    Demonitor(MonitorRef, ReplyTo<bool>),
    TrapExit(bool, ReplyTo<bool>),
    /// Calls itself and answers with what came back.
    CallSelf(ReplyTo<Result<Pid, CallError>>),
    /// Panics while holding the request.
    PanicHolding(ReplyTo<()>),
    /// Returns an error while holding the request.
    FailHolding(ReplyTo<()>),
    /// Waits (holding the request) until killed.
    HangHolding(ReplyTo<()>, oneshot::Sender<()>),
    /// Panics at `PANIC_LINE`.
    Panic,
    SpawnLinkMonitor(ReplyTo<(Pid, MonitorRef)>),
    /// Monitors the pid, says so, waits for the gate, then demonitors with flush.
    MonitorThenFlush(Pid, ReplyTo<()>, oneshot::Receiver<()>, oneshot::Sender<bool>),
}

struct Probe {
    log: Log,
    trap: bool,
}

impl Probe {
    fn new(log: &Log) -> Self {
        Probe { log: Arc::clone(log), trap: false }
    }

    fn trapping(log: &Log) -> Self {
        Probe { log: Arc::clone(log), trap: true }
    }
}

/// The line of the `panic!` in `Cmd::Panic`'s handler, set just before it panics.
static PANIC_LINE: AtomicU32 = AtomicU32::new(0);

impl Process for Probe {
    type Message = Cmd;

    async fn init(&mut self, ctx: &mut Context<Cmd>) -> Result<(), BoxError> {
        ctx.trap_exit(self.trap);
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Cmd>, msg: Cmd) -> Result<(), BoxError> {
        match msg {
            Cmd::Ping(r) => drop(r.reply(ctx.pid())),
            Cmd::Monitor(pid, r) => {
                let _ = r.reply(ctx.monitor(pid));
            }
            Cmd::MonitorName(name, r) => {
                let _ = r.reply(ctx.monitor_name(name));
            }
            Cmd::Demonitor(m, r) => drop(r.reply(ctx.demonitor(m))),
            Cmd::TrapExit(on, r) => drop(r.reply(ctx.trap_exit(on))),
            Cmd::CallSelf(r) => {
                let me = ctx.myself();
                let answer = me.call_timeout(Cmd::Ping, Duration::from_secs(30)).await;
                drop(r.reply(answer));
            }
            Cmd::PanicHolding(r) => {
                let _held = r;
                panic!("crashed holding a call");
            }
            Cmd::FailHolding(r) => {
                let _held = r;
                return Err("failed holding a call".into());
            }
            Cmd::HangHolding(r, entered) => {
                let _held = r;
                let _ = entered.send(());
                std::future::pending::<()>().await;
            }
            Cmd::Panic => {
                PANIC_LINE.store(line!() + 1, Relaxed);
                panic!("here")
            }
            Cmd::SpawnLinkMonitor(r) => {
                let (child, monitor) = ctx.spawn_link_monitor(Probe::new(&self.log))?;
                let _ = r.reply((child.pid(), monitor));
            }
            Cmd::MonitorThenFlush(pid, entered, gate, flushed) => {
                let monitor = ctx.monitor(pid);
                let _ = entered.reply(());
                let _ = gate.await;
                let _ = flushed.send(ctx.demonitor_flush(monitor));
            }
        }
        Ok(())
    }

    async fn handle_down(&mut self, _: &mut Context<Cmd>, down: Down) -> Result<(), BoxError> {
        self.log.lock().unwrap().downs.push(down);
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        _: &mut Context<Cmd>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.log.lock().unwrap().exits.push((from, reason));
        Ok(())
    }

    async fn terminate(&mut self, _: &mut Context<Cmd>, reason: &ExitReason) {
        self.log.lock().unwrap().terminated = Some(reason.clone());
    }
}

fn log() -> Log {
    Arc::default()
}

/// Waits (on the paused clock, or for real within `WAIT`) until the probe has seen `n` downs.
async fn downs(log: &Log, n: usize) -> Vec<Down> {
    tokio::time::timeout(WAIT, async {
        loop {
            let downs = log.lock().unwrap().downs.clone();
            if downs.len() >= n {
                return downs;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the downs arrive")
}

async fn exits(log: &Log, n: usize) -> Vec<(Pid, ExitReason)> {
    tokio::time::timeout(WAIT, async {
        loop {
            let exits = log.lock().unwrap().exits.clone();
            if exits.len() >= n {
                return exits;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the exit signals arrive")
}

// ---- 1. monitor references -------------------------------------------------------------

/// Two nodes (the same number, as two incarnations of one node would have) make references
/// that never collide, and a reference of the other node demonitors nothing here: the local
/// monitor still fires. (Before: both counters started at 1, the references were equal, and
/// the foreign one removed the local monitor.)
#[tokio::test(start_paused = true)]
async fn a_monitor_ref_from_another_node_never_cancels_a_local_monitor() {
    let (here, there) = (Node::new().unwrap(), Node::new().unwrap());
    let (log_here, log_there) = (log(), log());
    let watcher = here.spawn(Probe::new(&log_here)).unwrap();
    let target = here.spawn(Probe::new(&log())).unwrap();
    let foreign_watcher = there.spawn(Probe::new(&log_there)).unwrap();
    let foreign_target = there.spawn(Probe::new(&log())).unwrap();

    let local = watcher.call(|r| Cmd::Monitor(target.pid(), r)).await.unwrap();
    let foreign = foreign_watcher.call(|r| Cmd::Monitor(foreign_target.pid(), r)).await.unwrap();
    assert_ne!(local, foreign, "references of two nodes collide");
    assert_ne!(local.creation(), foreign.creation());

    assert!(!watcher.call(|r| Cmd::Demonitor(foreign, r)).await.unwrap(), "a foreign ref matched");
    assert!(here.kill(target.pid()));
    let downs = downs(&log_here, 1).await;
    assert_eq!(downs[0].monitor, local);
    assert_eq!(downs[0].reason, ExitReason::Killed);
}

// ---- 2. a call to oneself ------------------------------------------------------------------

/// A process that calls itself gets `calling_self` at once, not after its timeout (30 s here).
#[tokio::test(start_paused = true)]
async fn a_call_to_itself_fails_at_once_with_calling_self() {
    let node = Node::new().unwrap();
    let probe = node.spawn(Probe::new(&log())).unwrap();
    let start = tokio::time::Instant::now();
    let err = probe.call(Cmd::CallSelf).await.unwrap().unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "the call waited");
    assert!(err.is_calling_self(), "{err}");
    assert_eq!(err.pid(), probe.pid());
    assert!(err.exit_reason().is_none() && !err.is_timeout());
    assert!(err.to_string().contains("calling_self"), "{err}");
    // From outside the process, the same address answers.
    assert_eq!(probe.call(Cmd::Ping).await.unwrap(), probe.pid());
}

/// Asks a server, from inside a handler, and reports what the call returned.
struct Asker {
    server: ProcessRef<Busy>,
}

impl Process for Asker {
    type Message = ReplyTo<Result<(), CallError>>;

    async fn handle(
        &mut self,
        _: &mut Context<Self::Message>,
        reply: ReplyTo<Result<(), CallError>>,
    ) -> Result<(), BoxError> {
        let _ = reply.reply(self.server.call(Busy::Ask).await);
        Ok(())
    }
}

/// A server that takes its first message and then never returns from it.
enum Busy {
    Hold,
    Fill,
    Ask(ReplyTo<()>),
}

struct Stuck;

impl Process for Stuck {
    type Message = Busy;

    async fn handle(&mut self, _: &mut Context<Busy>, msg: Busy) -> Result<(), BoxError> {
        match msg {
            Busy::Hold => std::future::pending::<()>().await,
            Busy::Fill => {}
            Busy::Ask(reply) => drop(reply.reply(())),
        }
        Ok(())
    }
}

/// A request the server's drop policy drops fails at once with `no_reply`, also when the
/// caller is itself a process (its reply handle is not held back with the caller, which would
/// wait out its own timeout).
#[tokio::test(start_paused = true)]
async fn a_call_dropped_by_the_servers_policy_fails_at_once_from_a_process_too() {
    let node = Node::new().unwrap();
    let server = node
        .process()
        .mailbox_capacity(1)
        .overflow(foundation::message::Overflow::DropNewest)
        .spawn(Stuck)
        .unwrap();
    server.send(Busy::Hold).await.unwrap();
    let taken = || node.process_info(server.pid()).is_some_and(|i| i.mailbox_len == 0);
    assert!(common::wait::run_until(taken).await, "the server took `Hold`");
    server.send(Busy::Fill).await.unwrap();
    let asker = node.spawn(Asker { server: server.clone() }).unwrap();
    let start = tokio::time::Instant::now();
    let answer = asker.call(|reply| reply).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO, "the call waited");
    let err = answer.unwrap_err();
    assert!(err.is_no_reply(), "{err}");
}

// ---- 3. a dying server's reason ------------------------------------------------------------

/// On a multi-thread runtime the caller runs while the server dies: on every iteration, the
/// call fails with the server's own exit reason (before, the reply handle was dropped before
/// the reason was recorded, and the caller often read none).
#[test]
fn a_server_that_dies_holding_a_call_always_reports_its_reason() {
    multi_thread(2).block_on(async {
        let node = Node::new().unwrap();
        for i in 0..200 {
            let server = node.spawn(Probe::new(&log())).unwrap();
            let err = match i % 3 {
                0 => server.call(Cmd::PanicHolding).await.unwrap_err(),
                1 => server.call(Cmd::FailHolding).await.unwrap_err(),
                _ => {
                    let (entered, inside) = oneshot::channel();
                    let killer = {
                        let (node, pid) = (node.clone(), server.pid());
                        tokio::spawn(async move {
                            inside.await.unwrap();
                            node.kill(pid);
                        })
                    };
                    let err = server.call(|r| Cmd::HangHolding(r, entered)).await.unwrap_err();
                    killer.await.unwrap();
                    err
                }
            };
            assert!(err.is_no_reply(), "iteration {i}: {err}");
            let reason = err.exit_reason().unwrap_or_else(|| panic!("iteration {i}: {err}"));
            match i % 3 {
                0 => assert_eq!(reason, &ExitReason::panicked("crashed holding a call")),
                1 => assert_eq!(reason, &ExitReason::error("failed holding a call")),
                _ => assert_eq!(reason, &ExitReason::Killed),
            }
        }
    });
}

// ---- 4. where a panic happened ---------------------------------------------------------

/// A panic's reason says where it happened (file and line), and shows it.
#[tokio::test(start_paused = true)]
async fn a_panic_reason_says_where_it_happened() {
    let node = Node::new().unwrap();
    let probe = node.spawn(Probe::new(&log())).unwrap();
    probe.send(Cmd::Panic).await.unwrap();
    let reason = probe.exited().await;
    let ExitReason::Panicked(panic) = &reason else { panic!("{reason:?}") };
    assert_eq!(panic.message(), "here");
    let at = panic.location().expect("a location");
    assert!(at.file().ends_with("process_otp_parity.rs"), "{at}");
    assert_eq!(at.line(), PANIC_LINE.load(Relaxed), "{at}");
    assert!(reason.to_string().contains("process_otp_parity.rs:"), "{reason}");
    // Compared by message, the location aside.
    assert_eq!(reason, ExitReason::panicked("here"));
}

// ---- 5. waiting on a pid of an earlier node ----------------------------------------------

/// A pid of an earlier node with the same number names no process of the later one, even one
/// with the same local number: waiting on it answers `NoProc` at once.
#[tokio::test(start_paused = true)]
async fn wait_exit_on_a_pid_of_an_earlier_node_is_noproc() {
    let earlier = Node::new().unwrap();
    let old = earlier.spawn(Probe::new(&log())).unwrap().pid();
    earlier.shutdown(Duration::from_secs(1)).await;
    let later = Node::new().unwrap();
    let new = later.spawn(Probe::new(&log())).unwrap();
    assert_eq!((old.node(), old.local_id()), (new.pid().node(), new.pid().local_id()));
    assert_ne!(old, new.pid());
    assert_eq!(later.wait_exit(old).await, ExitReason::NoProc);
    assert!(!later.is_alive(old) && !later.kill(old) && later.lookup::<Cmd>(old).is_none());
    assert!(new.is_alive());
}

/// Waiting on one incarnation of a supervised process while it and its successor crash, on a
/// multi-thread runtime: every iteration answers with the first incarnation's own reason or
/// `NoProc`, never the successor's.
#[test]
fn wait_exit_answers_only_for_its_incarnation() {
    multi_thread(2).block_on(async {
        let node = Node::new().unwrap();
        let spec = SupervisorSpec::new()
            .intensity(RestartIntensity::new(1000, Duration::from_secs(5)))
            .child(ChildSpec::worker("probe", || Probe::new(&log())));
        let sup = node.spawn_supervisor(spec).await.unwrap();
        let child: ProcessRef<Cmd> = sup.child("probe").await.unwrap().unwrap();
        for i in 0..50 {
            let first = child.call(Cmd::Ping).await.unwrap();
            let waiter = tokio::spawn({
                let node = node.clone();
                async move { node.wait_exit(first).await }
            });
            let _ = child.call(Cmd::PanicHolding).await;
            let second = child.call(Cmd::Ping).await.unwrap();
            assert_ne!(first, second);
            let _ = child.call(Cmd::FailHolding).await;
            let reason = waiter.await.unwrap();
            assert!(
                reason == ExitReason::panicked("crashed holding a call") || reason.is_noproc(),
                "iteration {i}: {reason:?}"
            );
        }
    });
}

// ---- 8. kill and killed, a stop with a reason ----------------------------------------------

/// `exit(pid, kill)` cannot be trapped: the process exits `killed` (without `terminate`), and
/// that is what its links see.
#[tokio::test(start_paused = true)]
async fn an_exit_with_kill_cannot_be_trapped_and_ends_as_killed() {
    let node = Node::new().unwrap();
    let (watcher_log, log) = (log(), log());
    let watcher = node.spawn(Probe::trapping(&watcher_log)).unwrap();
    let (child, _) = watcher.call(Cmd::SpawnLinkMonitor).await.unwrap();
    assert!(node.process_info(child).unwrap().links.contains(&watcher.pid()));
    let target = node.spawn(Probe::trapping(&log)).unwrap();
    target.call(Cmd::Ping).await.unwrap(); // it traps exits by now
    assert!(node.exit(target.pid(), ExitReason::Kill));
    assert_eq!(target.exited().await, ExitReason::Killed);
    assert!(log.lock().unwrap().exits.is_empty(), "kill was trapped");
    assert!(log.lock().unwrap().terminated.is_none(), "terminate ran after kill");
    // The linked child, killed the same way, is seen `killed` by its trapping parent.
    assert!(node.exit(child, ExitReason::Kill));
    assert_eq!(exits(&watcher_log, 1).await, vec![(child, ExitReason::Killed)]);
}

/// `exit(pid, killed)` is an ordinary exit signal: a process that traps exits receives it.
#[tokio::test(start_paused = true)]
async fn an_exit_with_killed_is_trappable() {
    let node = Node::new().unwrap();
    let log = log();
    let target = node.spawn(Probe::trapping(&log)).unwrap();
    target.call(Cmd::Ping).await.unwrap(); // it traps exits by now
    assert!(node.exit(target.pid(), ExitReason::Killed));
    assert_eq!(exits(&log, 1).await, vec![(node.self_pid(), ExitReason::Killed)]);
    assert!(node.is_alive(target.pid()));
}

/// `stop_with` (`gen_server:stop/3`) ends even a process that traps exits, runs its
/// `terminate` with the reason, and its monitors see that reason.
#[tokio::test(start_paused = true)]
async fn stop_with_a_reason_runs_terminate_and_exits_with_it() {
    let node = Node::new().unwrap();
    let (log, watcher_log) = (log(), log());
    let target = node.spawn(Probe::trapping(&log)).unwrap();
    target.call(Cmd::Ping).await.unwrap(); // it traps exits by now
    let watcher = node.spawn(Probe::new(&watcher_log)).unwrap();
    watcher.call(|r| Cmd::Monitor(target.pid(), r)).await.unwrap();
    let reason = ExitReason::shutdown_with("maintenance");
    let stopped = node.stop_with(target.pid(), reason.clone(), Duration::from_secs(5)).await;
    assert_eq!(stopped, Some(reason.clone()));
    assert!(log.lock().unwrap().exits.is_empty(), "the stop was trapped");
    assert_eq!(log.lock().unwrap().terminated, Some(reason.clone()));
    assert_eq!(downs(&watcher_log, 1).await[0].reason, reason);
    assert_eq!(node.stop_with(target.pid(), ExitReason::Normal, Duration::ZERO).await, None);
}

// ---- 9. trap_exit's old value --------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn trap_exit_returns_the_previous_value() {
    let node = Node::new().unwrap();
    let probe = node.spawn(Probe::new(&log())).unwrap();
    assert!(!probe.call(|r| Cmd::TrapExit(true, r)).await.unwrap());
    assert!(probe.call(|r| Cmd::TrapExit(true, r)).await.unwrap());
    assert!(probe.call(|r| Cmd::TrapExit(false, r)).await.unwrap());
    assert!(!probe.call(|r| Cmd::TrapExit(false, r)).await.unwrap());
}

// ---- 7. monitors by name, spawn with link and monitor, demonitor with flush -----------------

/// A monitor by registered name: its `Down` names the name and the process that held it.
#[tokio::test(start_paused = true)]
async fn a_monitor_by_name_names_the_name_in_its_down() {
    let node = Node::new().unwrap();
    let watcher_log = log();
    let watcher = node.spawn(Probe::new(&watcher_log)).unwrap();
    let svc = node.process().name("svc").spawn(Probe::new(&log())).unwrap();
    let monitor = watcher.call(|r| Cmd::MonitorName("svc", r)).await.unwrap();
    assert!(node.kill(svc.pid()));
    let down = downs(&watcher_log, 1).await.remove(0);
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.name, Some(Name::from("svc")));
    assert_eq!((down.pid, down.reason), (svc.pid(), ExitReason::Killed));
}

/// A name nobody holds gives a `Down` with `noproc` at once, naming the name.
#[tokio::test(start_paused = true)]
async fn a_monitor_by_an_unregistered_name_is_down_at_once_with_noproc() {
    let node = Node::new().unwrap();
    let watcher_log = log();
    let watcher = node.spawn(Probe::new(&watcher_log)).unwrap();
    let monitor = watcher.call(|r| Cmd::MonitorName("nobody", r)).await.unwrap();
    let down = downs(&watcher_log, 1).await.remove(0);
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.name, Some(Name::from("nobody")));
    assert_eq!(down.reason, ExitReason::NoProc);
}

/// `spawn_link_monitor` links and monitors in one step: a trapping parent sees both the exit
/// signal and the `Down` of a child that fails.
#[tokio::test(start_paused = true)]
async fn spawn_link_monitor_links_and_monitors_in_one_step() {
    let node = Node::new().unwrap();
    let parent_log = log();
    let parent = node.spawn(Probe::trapping(&parent_log)).unwrap();
    let (child, monitor) = parent.call(Cmd::SpawnLinkMonitor).await.unwrap();
    let info = node.process_info(child).unwrap();
    assert_eq!((info.links, info.monitored_by), (vec![parent.pid()], vec![parent.pid()]));
    assert!(node.exit(child, ExitReason::error("boom")));
    assert_eq!(exits(&parent_log, 1).await, vec![(child, ExitReason::error("boom"))]);
    let down = downs(&parent_log, 1).await.remove(0);
    assert_eq!((down.monitor, down.pid, down.name), (monitor, child, None));
    // Not from a process: an error naming the setting.
    let err = node.process().spawn_link_monitor(Probe::new(&log())).unwrap_err();
    assert!(err.to_string().contains("spawn_link_monitor"), "{err}");
}

/// `demonitor_flush` on a monitor whose `Down` already waits in the mailbox: it returns
/// `true` and the `Down` is never handled.
#[tokio::test(start_paused = true)]
async fn demonitor_flush_removes_a_queued_down() {
    let node = Node::new().unwrap();
    let watcher_log = log();
    let watcher = node.spawn(Probe::new(&watcher_log)).unwrap();
    let target = node.spawn(Probe::new(&log())).unwrap();
    let (release, gate) = oneshot::channel();
    let (flushed_tx, flushed) = oneshot::channel();
    watcher.call(|r| Cmd::MonitorThenFlush(target.pid(), r, gate, flushed_tx)).await.unwrap();
    assert!(node.kill(target.pid()));
    target.exited().await;
    assert_eq!(node.process_info(watcher.pid()).unwrap().mailbox_len, 1, "the Down is queued");
    release.send(()).unwrap();
    assert!(flushed.await.unwrap());
    watcher.call(Cmd::Ping).await.unwrap();
    assert!(watcher_log.lock().unwrap().downs.is_empty(), "a flushed Down was handled");
}

// ---- 6. a synchronous start ----------------------------------------------------------------

/// How `Starting`'s `init` goes.
#[derive(Clone, Copy)]
enum Init {
    Fails,
    Sleeps(Duration),
}

struct Starting {
    init: Init,
    inited: Arc<AtomicU32>,
}

impl Process for Starting {
    type Message = Cmd;

    async fn init(&mut self, _: &mut Context<Cmd>) -> Result<(), BoxError> {
        match self.init {
            Init::Fails => return Err("no config".into()),
            Init::Sleeps(d) => tokio::time::sleep(d).await,
        }
        self.inited.fetch_add(1, Relaxed);
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Cmd>, msg: Cmd) -> Result<(), BoxError> {
        if let Cmd::Ping(r) = msg {
            let _ = r.reply(ctx.pid());
        }
        Ok(())
    }
}

/// `start` returns after `init`, with the address.
#[tokio::test(start_paused = true)]
async fn start_returns_once_init_has_run() {
    let node = Node::new().unwrap();
    let inited = Arc::new(AtomicU32::new(0));
    let init = Init::Sleeps(Duration::from_secs(3));
    let started = node.process().start(Starting { init, inited: Arc::clone(&inited) }).await;
    let started = started.unwrap();
    assert_eq!(inited.load(Relaxed), 1, "start returned before init had run");
    assert_eq!(started.call(Cmd::Ping).await.unwrap(), started.pid());
}

/// `start_link` from a process: linked before `init` runs, and the spawner lives on when a
/// start times out (it is unlinked before the kill).
#[tokio::test(start_paused = true)]
async fn start_link_links_and_a_timed_out_start_spares_the_spawner() {
    let node = Node::new().unwrap();
    let parent = node.spawn(Probe::new(&log())).unwrap();
    let parent_pid = parent.pid();
    let (tx, rx) = oneshot::channel();
    let spawner = node.spawn(Spawner { report: Some(tx) }).unwrap();
    let (linked, timed_out) = rx.await.unwrap();
    assert!(node.process_info(linked).unwrap().links.contains(&spawner.pid()));
    assert!(timed_out);
    assert!(node.is_alive(spawner.pid()) && node.is_alive(parent_pid));
}

/// Starts one child linked (quick `init`) and one that times out, then reports.
struct Spawner {
    report: Option<oneshot::Sender<(Pid, bool)>>,
}

impl Process for Spawner {
    type Message = Cmd;

    async fn init(&mut self, ctx: &mut Context<Cmd>) -> Result<(), BoxError> {
        let inited = Arc::new(AtomicU32::new(0));
        let quick = Init::Sleeps(Duration::ZERO);
        let child =
            ctx.process().start_link(Starting { init: quick, inited: Arc::clone(&inited) }).await?;
        let slow = Init::Sleeps(Duration::from_secs(60));
        let timed_out = ctx
            .process()
            .start_timeout(Duration::from_secs(1))
            .start_link(Starting { init: slow, inited })
            .await
            .is_err_and(|e| matches!(e, foundation::SpawnError::StartTimeout { .. }));
        let _ = self.report.take().unwrap().send((child.pid(), timed_out));
        Ok(())
    }

    async fn handle(&mut self, _: &mut Context<Cmd>, _: Cmd) -> Result<(), BoxError> {
        Ok(())
    }
}

/// An `init` error comes back as the start's error.
#[tokio::test(start_paused = true)]
async fn an_init_error_comes_back_from_start() {
    let node = Node::new().unwrap();
    let inited = Arc::new(AtomicU32::new(0));
    let err = node.process().start(Starting { init: Init::Fails, inited }).await.unwrap_err();
    match err {
        foundation::SpawnError::InitFailed(reason) => {
            assert_eq!(reason, ExitReason::error("no config"));
        }
        other => panic!("{other}"),
    }
}

/// Past its `start_timeout`, the starting process is killed (its name freed) and the start
/// fails; a linked spawner is unlinked first, so it lives on.
#[tokio::test(start_paused = true)]
async fn a_start_past_its_timeout_kills_the_process() {
    let node = Node::new().unwrap();
    let inited = Arc::new(AtomicU32::new(0));
    let init = Init::Sleeps(Duration::from_secs(60));
    let err = node
        .process()
        .name("slow")
        .start_timeout(Duration::from_secs(1))
        .start(Starting { init, inited: Arc::clone(&inited) })
        .await
        .unwrap_err();
    assert!(
        matches!(err, foundation::SpawnError::StartTimeout { after } if after == Duration::from_secs(1)),
        "{err}"
    );
    assert_eq!(node.registry().whereis("slow"), None);
    assert_eq!(inited.load(Relaxed), 0);
}
