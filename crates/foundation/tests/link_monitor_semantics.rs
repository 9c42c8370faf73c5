//! Links, exit signals, exit trapping and monitors, checked against Erlang's rules.
//!
//! The scenario table below is a port of the semantics in the Erlang/OTP reference manual,
//! chapter "Processes" (sections "Links", "Error Handling" / "Receiving Exit Signals",
//! "Sending Exit Signals" and "Monitors"), and of the BIF documentation of `erlang:exit/2`,
//! `erlang:link/1`, `erlang:unlink/1`, `erlang:monitor/2`, `erlang:demonitor/1` and
//! `erlang:process_flag(trap_exit, true)`. The rules, as ported to this crate:
//!
//! - When a process ends, each linked process gets an exit signal carrying its exit reason.
//! - A process that does not trap exits dies from an exit signal with the same reason, unless
//!   the reason is `normal` (which is then ignored). `shutdown` is not `normal`: it kills.
//! - A process that traps exits survives and receives the signal as a message
//!   (`{'EXIT', From, Reason}`; here [`Process::handle_exit`]), also for `normal`.
//! - `kill` cannot be trapped; the killed process's links get `killed`, which can be trapped.
//! - `exit(Pid, normal)` sent by another process is ignored by a non-trapping target; but a
//!   process that sends `exit(self(), normal)` to itself ends.
//! - A monitor delivers exactly one `'DOWN'` with the reason; monitoring a process that is
//!   already dead delivers `'DOWN'` with `noproc` at once. Several monitors of one process
//!   are independent. `demonitor` before the end means no `'DOWN'`.
//! - `unlink` before the peer ends means no exit signal; linking twice is one link; linking to
//!   a dead process fails with `noproc`. Links are bidirectional.
//! - Signals from one process to another arrive in order, ahead of ordinary messages that were
//!   not yet received.
//!
//! Every scenario runs on a paused tokio clock: waiting for a process uses
//! [`ProcessRef::exited`] under a generous virtual timeout, which only fires once the runtime
//! has nothing left to do, so a process that wrongly survives fails the test instead of
//! hanging it.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::processes::PanicsBeforeItsFuture;
use foundation::{
    BoxError, Context, Down, ExitReason, LinkError, MonitorRef, Node, Pid, Process, ProcessBuilder,
    ProcessRef, ReplyTo, SpawnError,
};
use tokio::sync::oneshot;

/// Long enough that only a process that will never end hits it (the clock is paused).
const WAIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The worker: a process driven entirely by messages, recording what it receives.
// ---------------------------------------------------------------------------------------------

/// What a worker saw, in the order its handlers ran.
#[derive(Clone, Debug, PartialEq)]
enum Event {
    Msg(u32),
    Exit(Pid, ExitReason),
    Down(Down),
    Demonitored(bool),
}

/// What a blocked worker does once released, before its handler returns.
#[derive(Debug)]
enum After {
    Nothing,
    Unlink(Pid),
    Demonitor(MonitorRef),
}

enum Msg {
    Link(Pid, ReplyTo<Result<(), LinkError>>),
    Unlink(Pid, ReplyTo<()>),
    Monitor(Pid, ReplyTo<MonitorRef>),
    Demonitor(MonitorRef, ReplyTo<bool>),
    Exit(Pid, ExitReason, ReplyTo<bool>),
    SetTrap(bool, ReplyTo<()>),
    SpawnLink(bool, ReplyTo<ProcessRef<Msg>>),
    SpawnMonitor(bool, ReplyTo<(ProcessRef<Msg>, MonitorRef)>),
    SpawnLinkFailingInit(ReplyTo<Pid>),
    Builder(ReplyTo<ProcessBuilder>),
    Stop(ExitReason),
    Fail,
    Panic,
    Record(u32),
    Block(ReplyTo<()>, oneshot::Receiver<After>),
    Log(ReplyTo<Vec<Event>>),
}

/// Shared by every worker of a test: `(pid, reason)` for each `terminate` that ran.
type Terminations = Arc<Mutex<Vec<(Pid, ExitReason)>>>;

struct Worker {
    log: Vec<Event>,
    terminations: Terminations,
    /// Shared copy of the log, readable after the worker is gone.
    shared_log: Option<Arc<Mutex<Vec<Event>>>>,
}

impl Worker {
    fn new(terminations: &Terminations) -> Self {
        Worker { log: Vec::new(), terminations: Arc::clone(terminations), shared_log: None }
    }

    fn record(&mut self, event: Event) {
        if let Some(shared) = &self.shared_log {
            shared.lock().unwrap().push(event.clone());
        }
        self.log.push(event);
    }
}

thread_local! {
    /// Workers whose `init` completed (the table tests run on a current-thread runtime).
    static INITIALIZED: std::cell::RefCell<Vec<Pid>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Process for Worker {
    type Message = Msg;

    async fn init(&mut self, ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        let pid = ctx.pid();
        INITIALIZED.with(|i| i.borrow_mut().push(pid));
        Ok(())
    }

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Link(pid, r) => {
                let _ = r.reply(ctx.link(pid));
            }
            Msg::Unlink(pid, r) => {
                ctx.unlink(pid);
                let _ = r.reply(());
            }
            Msg::Monitor(pid, r) => {
                let _ = r.reply(ctx.monitor(pid));
            }
            Msg::Demonitor(m, r) => {
                let _ = r.reply(ctx.demonitor(m));
            }
            Msg::Exit(pid, reason, r) => {
                let _ = r.reply(ctx.exit(pid, reason));
            }
            Msg::SetTrap(on, r) => {
                ctx.trap_exit(on);
                let _ = r.reply(());
            }
            Msg::SpawnLink(trap, r) => {
                let child =
                    ctx.process().trap_exit(trap).spawn_link(Worker::new(&self.terminations))?;
                let _ = r.reply(child);
            }
            Msg::SpawnMonitor(trap, r) => {
                let child =
                    ctx.process().trap_exit(trap).spawn_monitor(Worker::new(&self.terminations))?;
                let _ = r.reply(child);
            }
            Msg::SpawnLinkFailingInit(r) => {
                let child = ctx.spawn_link(FailsInInit)?;
                let _ = r.reply(child.pid());
            }
            Msg::Builder(r) => {
                let _ = r.reply(ctx.process());
            }
            Msg::Stop(reason) => ctx.stop(reason),
            Msg::Fail => return Err("boom".into()),
            Msg::Panic => panic!("boom"),
            Msg::Record(n) => self.record(Event::Msg(n)),
            Msg::Block(entered, release) => {
                let _ = entered.reply(());
                match release.await.unwrap_or(After::Nothing) {
                    After::Nothing => {}
                    After::Unlink(pid) => ctx.unlink(pid),
                    After::Demonitor(m) => {
                        let removed = ctx.demonitor(m);
                        self.record(Event::Demonitored(removed));
                    }
                }
            }
            Msg::Log(r) => {
                let _ = r.reply(self.log.clone());
            }
        }
        Ok(())
    }

    async fn handle_exit(
        &mut self,
        _ctx: &mut Context<Msg>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        self.record(Event::Exit(from, reason));
        Ok(())
    }

    async fn handle_down(&mut self, _ctx: &mut Context<Msg>, down: Down) -> Result<(), BoxError> {
        self.record(Event::Down(down));
        Ok(())
    }

    async fn terminate(&mut self, ctx: &mut Context<Msg>, reason: &ExitReason) {
        self.terminations.lock().unwrap().push((ctx.pid(), reason.clone()));
    }
}

/// A process whose `init` fails.
struct FailsInInit;

impl Process for FailsInInit {
    type Message = ();

    async fn init(&mut self, _ctx: &mut Context<()>) -> Result<(), BoxError> {
        Err("init failed".into())
    }

    async fn handle(&mut self, _ctx: &mut Context<()>, _msg: ()) -> Result<(), BoxError> {
        Ok(())
    }
}

async fn exited_within(p: &ProcessRef<Msg>, what: &str) -> ExitReason {
    match tokio::time::timeout(WAIT, p.exited()).await {
        Ok(reason) => reason,
        Err(_) => panic!("{what}: {:?} is still alive, expected it to exit", p.pid()),
    }
}

async fn log_of(p: &ProcessRef<Msg>, what: &str) -> Vec<Event> {
    match p.call(Msg::Log).await {
        Ok(log) => log,
        Err(e) => panic!("{what}: {:?} should be alive: {e}", p.pid()),
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario language.
// ---------------------------------------------------------------------------------------------

/// An exit reason, as written in the table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum R {
    Normal,
    Shutdown,
    Killed,
    /// `Error("boom")`: a handler returned an error.
    Boom,
    /// `Panicked("boom")`: a handler panicked.
    Panicked,
    NoProc,
}

impl R {
    fn reason(self) -> ExitReason {
        match self {
            R::Normal => ExitReason::Normal,
            R::Shutdown => ExitReason::Shutdown(None),
            R::Killed => ExitReason::Killed,
            R::Boom => ExitReason::error("boom"),
            R::Panicked => ExitReason::panicked("boom"),
            R::NoProc => ExitReason::NoProc,
        }
    }
}

/// Who a process is spawned by.
#[derive(Clone, Copy, Debug)]
enum Origin {
    /// `node.process().spawn(..)`: no parent.
    Node,
    /// `ctx.process().spawn_link(..)` from process `i`.
    LinkedTo(usize),
    /// `ctx.process().spawn_monitor(..)` from process `i`.
    MonitoredBy(usize),
}

/// A process of a scenario: whether it traps exits from the start, and who spawns it.
#[derive(Clone, Copy, Debug)]
struct P {
    trap: bool,
    origin: Origin,
}

const fn plain() -> P {
    P { trap: false, origin: Origin::Node }
}

const fn trapping() -> P {
    P { trap: true, origin: Origin::Node }
}

impl P {
    const fn linked_to(self, parent: usize) -> P {
        P { origin: Origin::LinkedTo(parent), ..self }
    }

    const fn monitored_by(self, parent: usize) -> P {
        P { origin: Origin::MonitoredBy(parent), ..self }
    }
}

/// How a process is made to end.
#[derive(Clone, Copy, Debug)]
enum End {
    /// Its handler calls `ctx.stop(Normal)`.
    Normal,
    /// Its handler calls `ctx.stop(Shutdown)`.
    Shutdown,
    /// Its handler returns `Err("boom")`.
    Error,
    /// Its handler panics with "boom".
    Panic,
    /// `node.kill(pid)`.
    Kill,
}

/// Who sends an exit signal.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    /// The node (`node.exit`, sender `node.self_pid()`).
    Node,
    /// Process `i` (`ctx.exit`).
    P(usize),
}

#[derive(Clone, Copy, Debug)]
enum Op {
    /// Process `a` links to `b`; must succeed.
    Link(usize, usize),
    /// Process `a` links to `b`, which is dead; must fail with `LinkError` naming `b`.
    LinkDead(usize, usize),
    /// Process `a` unlinks `b`.
    Unlink(usize, usize),
    /// Process `a` monitors `b`.
    Monitor(usize, usize),
    /// Process `a` removes its latest monitor of `b`; `demonitor` must return the bool.
    Demonitor(usize, usize, bool),
    /// Process `a` turns exit trapping on or off.
    Trap(usize, bool),
    /// Process `a` ends as told; then the scenario waits for it to have exited.
    End(usize, End),
    /// An exit signal (`exit(to, reason)`), which the target may or may not survive.
    Exit(Who, usize, R),
    /// Wait until process `a` has exited.
    Await(usize),
}

/// What became of a process.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Alive,
    Dead(R),
}

use Expect::{Alive, Dead};

/// One scenario: processes, what happens, and what must have become of every process.
#[derive(Clone, Copy, Debug)]
struct Row {
    procs: &'static [P],
    ops: &'static [Op],
    /// One entry per process.
    expect: &'static [Expect],
    /// For processes alive at the end: the exit signals their `handle_exit` got (any order).
    /// A live process not listed must have got none.
    exits: &'static [(usize, &'static [(Who, R)])],
    /// For processes alive at the end: the `Down`s their `handle_down` got, as (target, reason)
    /// (any order). A live process not listed must have got none.
    downs: &'static [(usize, &'static [(usize, R)])],
}

const ROW: Row = Row { procs: &[], ops: &[], expect: &[], exits: &[], downs: &[] };

async fn run(name: &str, row: &Row) {
    assert_eq!(row.procs.len(), row.expect.len(), "{name}: one expectation per process");
    let node = Node::new().unwrap();
    let terminations: Terminations = Arc::default();
    let mut refs: Vec<ProcessRef<Msg>> = Vec::new();
    let mut monitors: HashMap<(usize, usize), Vec<MonitorRef>> = HashMap::new();
    let mut removed: Vec<MonitorRef> = Vec::new();
    let mut killed: Vec<usize> = Vec::new();

    for (i, p) in row.procs.iter().enumerate() {
        let child = match p.origin {
            Origin::Node => {
                node.process().trap_exit(p.trap).spawn(Worker::new(&terminations)).unwrap()
            }
            Origin::LinkedTo(parent) => {
                refs[parent].call(|r| Msg::SpawnLink(p.trap, r)).await.unwrap()
            }
            Origin::MonitoredBy(parent) => {
                let (child, m) = refs[parent].call(|r| Msg::SpawnMonitor(p.trap, r)).await.unwrap();
                monitors.entry((parent, i)).or_default().push(m);
                child
            }
        };
        let info = node.process_info(child.pid()).unwrap();
        assert_eq!(info.trap_exit, p.trap, "{name}: process {i} trap_exit");
        refs.push(child);
    }
    let pids: Vec<Pid> = refs.iter().map(ProcessRef::pid).collect();
    let index = |pid: Pid| -> Who {
        if pid == node.self_pid() {
            return Who::Node;
        }
        Who::P(pids.iter().position(|p| *p == pid).unwrap_or_else(|| panic!("unknown {pid}")))
    };

    for (step, op) in row.ops.iter().enumerate() {
        let what = format!("{name}, step {step} ({op:?})");
        match *op {
            Op::Link(a, b) => {
                let linked = refs[a].call(|r| Msg::Link(pids[b], r)).await.unwrap();
                assert_eq!(linked, Ok(()), "{what}");
            }
            Op::LinkDead(a, b) => {
                let err = refs[a].call(|r| Msg::Link(pids[b], r)).await.unwrap().unwrap_err();
                assert_eq!(err.pid(), pids[b], "{what}: the error names the dead process");
            }
            Op::Unlink(a, b) => refs[a].call(|r| Msg::Unlink(pids[b], r)).await.unwrap(),
            Op::Monitor(a, b) => {
                let m = refs[a].call(|r| Msg::Monitor(pids[b], r)).await.unwrap();
                monitors.entry((a, b)).or_default().push(m);
            }
            Op::Demonitor(a, b, expected) => {
                let m = *monitors[&(a, b)].last().unwrap();
                let was_active = refs[a].call(|r| Msg::Demonitor(m, r)).await.unwrap();
                assert_eq!(was_active, expected, "{what}: demonitor's result");
                if was_active {
                    removed.push(m);
                }
            }
            Op::Trap(a, on) => refs[a].call(|r| Msg::SetTrap(on, r)).await.unwrap(),
            Op::End(a, how) => {
                match how {
                    End::Normal => refs[a].send(Msg::Stop(ExitReason::Normal)).await.unwrap(),
                    End::Shutdown => {
                        refs[a].send(Msg::Stop(ExitReason::Shutdown(None))).await.unwrap();
                    }
                    End::Error => refs[a].send(Msg::Fail).await.unwrap(),
                    End::Panic => refs[a].send(Msg::Panic).await.unwrap(),
                    End::Kill => {
                        assert!(node.kill(pids[a]), "{what}: kill finds the process");
                        killed.push(a);
                    }
                }
                exited_within(&refs[a], &what).await;
            }
            Op::Exit(from, to, reason) => {
                let delivered = match from {
                    Who::Node => node.exit(pids[to], reason.reason()),
                    Who::P(f) => {
                        refs[f].call(|r| Msg::Exit(pids[to], reason.reason(), r)).await.unwrap()
                    }
                };
                assert!(delivered, "{what}: the target was alive");
            }
            Op::Await(a) => {
                exited_within(&refs[a], &what).await;
            }
        }
    }

    // Dead first: once every expected death has happened, every signal a survivor will ever
    // get is queued, and a survivor handles queued signals before the next message (the
    // `Log` call below).
    for (i, expect) in row.expect.iter().enumerate() {
        if let Dead(r) = *expect {
            let what = format!("{name}: process {i}");
            let reason = exited_within(&refs[i], &what).await;
            assert_eq!(reason, r.reason(), "{what}: exit reason");
            assert!(!node.is_alive(pids[i]), "{what}: is_alive after exit");
            assert!(node.process_info(pids[i]).is_none(), "{what}: process_info after exit");
        }
    }
    let alive: Vec<usize> =
        (0..row.procs.len()).filter(|&i| matches!(row.expect[i], Alive)).collect();
    for &i in &alive {
        let what = format!("{name}: process {i}");
        let log = log_of(&refs[i], &what).await;
        assert!(refs[i].is_alive(), "{what}: is_alive");

        let mut got_exits: Vec<(Who, ExitReason)> = log
            .iter()
            .filter_map(|e| match e {
                Event::Exit(from, reason) => Some((index(*from), reason.clone())),
                _ => None,
            })
            .collect();
        let mut want_exits: Vec<(Who, ExitReason)> = row
            .exits
            .iter()
            .filter(|(p, _)| *p == i)
            .flat_map(|(_, list)| list.iter().map(|(w, r)| (*w, r.reason())))
            .collect();
        sort_by_debug(&mut got_exits);
        sort_by_debug(&mut want_exits);
        assert_eq!(got_exits, want_exits, "{what}: exit signals received by handle_exit");

        let downs: Vec<Down> = log
            .iter()
            .filter_map(|e| match e {
                Event::Down(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        let mut got_downs: Vec<(Who, ExitReason)> =
            downs.iter().map(|d| (index(d.pid), d.reason.clone())).collect();
        let mut want_downs: Vec<(Who, ExitReason)> = row
            .downs
            .iter()
            .filter(|(p, _)| *p == i)
            .flat_map(|(_, list)| list.iter().map(|(t, r)| (Who::P(*t), r.reason())))
            .collect();
        sort_by_debug(&mut got_downs);
        sort_by_debug(&mut want_downs);
        assert_eq!(got_downs, want_downs, "{what}: Downs received by handle_down");
        // Each Down belongs to one monitor this process set on that target, and no monitor
        // fires twice or after it was removed.
        let mut seen = Vec::new();
        for d in &downs {
            let Who::P(t) = index(d.pid) else { panic!("{what}: Down from the node") };
            let mine = monitors.get(&(i, t)).is_some_and(|ms| ms.contains(&d.monitor));
            assert!(mine, "{what}: {d:?} is not a monitor of process {i} on process {t}");
            assert!(!removed.contains(&d.monitor), "{what}: {d:?} fired after demonitor");
            assert!(!seen.contains(&d.monitor), "{what}: {d:?} fired twice");
            seen.push(d.monitor);
        }

        // No survivor keeps a link or a monitor to a process that is gone, and links are
        // symmetric.
        let info = node.process_info(pids[i]).unwrap();
        for other in info.links.iter().chain(&info.monitors).chain(&info.monitored_by) {
            assert!(node.is_alive(*other), "{what}: {info:?} refers to dead {other}");
        }
        for other in &info.links {
            let theirs = node.process_info(*other).unwrap();
            assert!(theirs.links.contains(&pids[i]), "{what}: link to {other} is one-sided");
        }
    }
    assert_eq!(node.process_count(), alive.len(), "{name}: processes left");

    // `terminate` ran exactly once, with the exit reason, for every process that completed
    // `init` and ended other than by `kill` (a death from a *propagated* `Killed` is not a kill:
    // it runs too), and never for a live one. As OTP's gen_server, a process whose `init` did
    // not complete (an exit signal arrived first) does not run `terminate`.
    let terms = terminations.lock().unwrap().clone();
    let initialized = INITIALIZED.with(|i| i.borrow().clone());
    for (i, expect) in row.expect.iter().enumerate() {
        let ran: Vec<&ExitReason> =
            terms.iter().filter(|(p, _)| *p == pids[i]).map(|(_, r)| r).collect();
        match *expect {
            Alive => assert!(ran.is_empty(), "{name}: process {i} is alive but terminated"),
            Dead(_) if killed.contains(&i) => {
                assert!(ran.is_empty(), "{name}: process {i} was killed yet ran terminate");
            }
            Dead(_) if !initialized.contains(&pids[i]) => {
                assert!(ran.is_empty(), "{name}: process {i} never completed init yet terminated");
            }
            Dead(r) => {
                assert_eq!(ran, [&r.reason()], "{name}: process {i}: terminate runs once");
            }
        }
    }

    node.shutdown(Duration::from_secs(1)).await;
}

fn sort_by_debug<T: std::fmt::Debug>(v: &mut [T]) {
    v.sort_by_cached_key(|x| format!("{x:?}"));
}

macro_rules! scenarios {
    ($( $(#[$meta:meta])* $name:ident: $row:expr; )*) => {
        $(
            $(#[$meta])*
            #[tokio::test(start_paused = true)]
            async fn $name() {
                const SCENARIO: Row = $row;
                run(stringify!($name), &SCENARIO).await;
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------------
// The table. Process `i` is written `i`; `plain()` does not trap exits, `trapping()` does.
// ---------------------------------------------------------------------------------------------

scenarios! {
    // --- Links: abnormal, normal and shutdown exits -------------------------------------------
    abnormal_exit_kills_non_trapping_linked_parent: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Error)],
        expect: &[Dead(R::Boom), Dead(R::Boom)],
        ..ROW
    };
    abnormal_exit_kills_non_trapping_linked_child: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(0, End::Error)],
        expect: &[Dead(R::Boom), Dead(R::Boom)],
        ..ROW
    };
    panic_propagates_as_panicked_with_the_same_message: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Panic)],
        expect: &[Dead(R::Panicked), Dead(R::Panicked)],
        ..ROW
    };
    normal_exit_does_not_kill_linked_parent: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Normal)],
        expect: &[Alive, Dead(R::Normal)],
        ..ROW
    };
    normal_exit_of_parent_does_not_kill_linked_child: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(0, End::Normal)],
        expect: &[Dead(R::Normal), Alive],
        ..ROW
    };
    shutdown_exit_kills_non_trapping_linked_peer: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Shutdown)],
        expect: &[Dead(R::Shutdown), Dead(R::Shutdown)],
        ..ROW
    };
    link_made_with_link_is_bidirectional_one_way: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Link(0, 1), Op::End(0, End::Error)],
        expect: &[Dead(R::Boom), Dead(R::Boom)],
        ..ROW
    };
    link_made_with_link_is_bidirectional_other_way: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Link(0, 1), Op::End(1, End::Panic)],
        expect: &[Dead(R::Panicked), Dead(R::Panicked)],
        ..ROW
    };
    unlinked_processes_are_independent: Row {
        procs: &[plain(), plain()],
        ops: &[Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        ..ROW
    };

    // --- Trapping exits ------------------------------------------------------------------------
    trapping_peer_survives_abnormal_exit_and_receives_it: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        exits: &[(0, &[(Who::P(1), R::Boom)])],
        ..ROW
    };
    trapping_child_survives_parent_panic_and_receives_it: Row {
        procs: &[plain(), trapping().linked_to(0)],
        ops: &[Op::End(0, End::Panic)],
        expect: &[Dead(R::Panicked), Alive],
        exits: &[(1, &[(Who::P(0), R::Panicked)])],
        ..ROW
    };
    trapping_peer_receives_normal_exit_too: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Normal)],
        expect: &[Alive, Dead(R::Normal)],
        exits: &[(0, &[(Who::P(1), R::Normal)])],
        ..ROW
    };
    trapping_peer_receives_shutdown_exit: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Shutdown)],
        expect: &[Alive, Dead(R::Shutdown)],
        exits: &[(0, &[(Who::P(1), R::Shutdown)])],
        ..ROW
    };
    trap_exit_turned_on_at_runtime_takes_effect: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::Trap(0, true), Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        exits: &[(0, &[(Who::P(1), R::Boom)])],
        ..ROW
    };
    trap_exit_turned_off_at_runtime_takes_effect: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::Trap(0, false), Op::End(1, End::Error)],
        expect: &[Dead(R::Boom), Dead(R::Boom)],
        ..ROW
    };
    linking_twice_is_one_link: Row {
        procs: &[trapping(), plain()],
        ops: &[Op::Link(1, 0), Op::Link(1, 0), Op::Link(0, 1), Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        exits: &[(0, &[(Who::P(1), R::Boom)])],
        ..ROW
    };

    // --- Kill ------------------------------------------------------------------------------------
    kill_cannot_be_trapped: Row {
        procs: &[trapping()],
        ops: &[Op::End(0, End::Kill)],
        expect: &[Dead(R::Killed)],
        ..ROW
    };
    killed_propagates_to_non_trapping_link: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Kill)],
        expect: &[Dead(R::Killed), Dead(R::Killed)],
        ..ROW
    };
    killing_a_trapping_process_propagates_killed: Row {
        procs: &[plain(), trapping().linked_to(0)],
        ops: &[Op::End(1, End::Kill)],
        expect: &[Dead(R::Killed), Dead(R::Killed)],
        ..ROW
    };
    propagated_killed_is_trappable: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::End(1, End::Kill)],
        expect: &[Alive, Dead(R::Killed)],
        exits: &[(0, &[(Who::P(1), R::Killed)])],
        ..ROW
    };
    exit_signal_with_killed_reason_is_not_a_kill: Row {
        // Only `node.kill` is untrappable; `exit(pid, killed)` is an ordinary exit signal.
        procs: &[trapping()],
        ops: &[Op::Exit(Who::Node, 0, R::Killed)],
        expect: &[Alive],
        exits: &[(0, &[(Who::Node, R::Killed)])],
        ..ROW
    };

    // --- exit(pid, reason) -----------------------------------------------------------------------
    exit_normal_from_another_process_is_ignored: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Exit(Who::P(0), 1, R::Normal)],
        expect: &[Alive, Alive],
        ..ROW
    };
    exit_normal_from_node_is_ignored: Row {
        procs: &[plain()],
        ops: &[Op::Exit(Who::Node, 0, R::Normal)],
        expect: &[Alive],
        ..ROW
    };
    exit_normal_to_itself_ends_the_process: Row {
        procs: &[plain()],
        ops: &[Op::Exit(Who::P(0), 0, R::Normal), Op::Await(0)],
        expect: &[Dead(R::Normal)],
        ..ROW
    };
    exit_shutdown_ends_non_trapping_target: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Exit(Who::P(0), 1, R::Shutdown)],
        expect: &[Alive, Dead(R::Shutdown)],
        ..ROW
    };
    exit_shutdown_from_node_ends_non_trapping_target: Row {
        procs: &[plain()],
        ops: &[Op::Exit(Who::Node, 0, R::Shutdown)],
        expect: &[Dead(R::Shutdown)],
        ..ROW
    };
    exit_error_ends_non_trapping_target_and_its_links_not_the_sender: Row {
        procs: &[plain(), plain(), plain().linked_to(1)],
        ops: &[Op::Exit(Who::P(0), 1, R::Boom)],
        expect: &[Alive, Dead(R::Boom), Dead(R::Boom)],
        ..ROW
    };
    exit_shutdown_to_trapping_target_is_received_with_sender: Row {
        procs: &[plain(), trapping()],
        ops: &[Op::Exit(Who::P(0), 1, R::Shutdown)],
        expect: &[Alive, Alive],
        exits: &[(1, &[(Who::P(0), R::Shutdown)])],
        ..ROW
    };
    exit_normal_to_trapping_target_is_received: Row {
        procs: &[plain(), trapping()],
        ops: &[Op::Exit(Who::P(0), 1, R::Normal)],
        expect: &[Alive, Alive],
        exits: &[(1, &[(Who::P(0), R::Normal)])],
        ..ROW
    };
    exit_from_node_is_received_from_node_pid: Row {
        procs: &[trapping()],
        ops: &[Op::Exit(Who::Node, 0, R::Shutdown), Op::Exit(Who::Node, 0, R::Boom)],
        expect: &[Alive],
        exits: &[(0, &[(Who::Node, R::Shutdown), (Who::Node, R::Boom)])],
        ..ROW
    };

    // --- Monitors --------------------------------------------------------------------------------
    monitor_delivers_one_down_with_the_reason: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Monitor(0, 1), Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        downs: &[(0, &[(1, R::Boom)])],
        ..ROW
    };
    monitor_reports_normal_exit: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Monitor(0, 1), Op::End(1, End::Normal)],
        expect: &[Alive, Dead(R::Normal)],
        downs: &[(0, &[(1, R::Normal)])],
        ..ROW
    };
    monitor_reports_kill_without_killing_the_watcher: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Monitor(0, 1), Op::End(1, End::Kill)],
        expect: &[Alive, Dead(R::Killed)],
        downs: &[(0, &[(1, R::Killed)])],
        ..ROW
    };
    spawn_monitor_delivers_down_for_the_child: Row {
        procs: &[plain(), plain().monitored_by(0)],
        ops: &[Op::End(1, End::Panic)],
        expect: &[Alive, Dead(R::Panicked)],
        downs: &[(0, &[(1, R::Panicked)])],
        ..ROW
    };
    monitor_of_dead_process_delivers_noproc: Row {
        procs: &[plain(), plain()],
        ops: &[Op::End(1, End::Normal), Op::Monitor(0, 1)],
        expect: &[Alive, Dead(R::Normal)],
        downs: &[(0, &[(1, R::NoProc)])],
        ..ROW
    };
    two_monitors_deliver_two_downs: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Monitor(0, 1), Op::Monitor(0, 1), Op::End(1, End::Shutdown)],
        expect: &[Alive, Dead(R::Shutdown)],
        downs: &[(0, &[(1, R::Shutdown), (1, R::Shutdown)])],
        ..ROW
    };
    demonitor_before_death_means_no_down: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Monitor(0, 1), Op::Demonitor(0, 1, true), Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        ..ROW
    };
    demonitor_removes_only_its_own_monitor: Row {
        procs: &[plain(), plain()],
        ops: &[
            Op::Monitor(0, 1),
            Op::Monitor(0, 1),
            Op::Demonitor(0, 1, true),
            Op::End(1, End::Error),
        ],
        expect: &[Alive, Dead(R::Boom)],
        downs: &[(0, &[(1, R::Boom)])],
        ..ROW
    };
    demonitor_after_down_returns_false: Row {
        procs: &[plain(), plain()],
        ops: &[Op::Monitor(0, 1), Op::End(1, End::Error), Op::Demonitor(0, 1, false)],
        expect: &[Alive, Dead(R::Boom)],
        downs: &[(0, &[(1, R::Boom)])],
        ..ROW
    };
    monitor_and_link_both_fire: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::Monitor(0, 1), Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        exits: &[(0, &[(Who::P(1), R::Boom)])],
        downs: &[(0, &[(1, R::Boom)])],
    };
    monitors_see_propagated_reasons: Row {
        procs: &[plain(), plain().linked_to(0), plain()],
        ops: &[Op::Monitor(2, 0), Op::Monitor(2, 1), Op::End(0, End::Kill)],
        expect: &[Dead(R::Killed), Dead(R::Killed), Alive],
        downs: &[(2, &[(0, R::Killed), (1, R::Killed)])],
        ..ROW
    };

    // --- Unlink and link errors ------------------------------------------------------------------
    unlink_before_peer_dies_means_no_propagation: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::Unlink(0, 1), Op::End(1, End::Error)],
        expect: &[Alive, Dead(R::Boom)],
        ..ROW
    };
    unlink_from_the_other_side_works_too: Row {
        procs: &[plain(), plain().linked_to(0)],
        ops: &[Op::Unlink(1, 0), Op::End(0, End::Error)],
        expect: &[Dead(R::Boom), Alive],
        ..ROW
    };
    unlink_before_peer_dies_means_no_trapped_exit: Row {
        procs: &[trapping(), plain().linked_to(0)],
        ops: &[Op::Unlink(0, 1), Op::End(1, End::Kill)],
        expect: &[Alive, Dead(R::Killed)],
        ..ROW
    };
    link_to_dead_process_fails_with_noproc: Row {
        procs: &[plain(), plain()],
        ops: &[Op::End(1, End::Normal), Op::LinkDead(0, 1)],
        expect: &[Alive, Dead(R::Normal)],
        ..ROW
    };
    link_to_dead_process_from_trapping_process_fails_too: Row {
        procs: &[trapping(), plain()],
        ops: &[Op::End(1, End::Error), Op::LinkDead(0, 1)],
        expect: &[Alive, Dead(R::Boom)],
        ..ROW
    };

    // --- Chains and trees ------------------------------------------------------------------------
    chain_propagates_from_the_root: Row {
        procs: &[plain(), plain().linked_to(0), plain().linked_to(1)],
        ops: &[Op::End(0, End::Error)],
        expect: &[Dead(R::Boom), Dead(R::Boom), Dead(R::Boom)],
        ..ROW
    };
    chain_propagates_from_the_leaf: Row {
        procs: &[plain(), plain().linked_to(0), plain().linked_to(1)],
        ops: &[Op::End(2, End::Panic)],
        expect: &[Dead(R::Panicked), Dead(R::Panicked), Dead(R::Panicked)],
        ..ROW
    };
    chain_propagates_killed_both_ways_from_the_middle: Row {
        procs: &[plain(), plain().linked_to(0), plain().linked_to(1)],
        ops: &[Op::End(1, End::Kill)],
        expect: &[Dead(R::Killed), Dead(R::Killed), Dead(R::Killed)],
        ..ROW
    };
    chain_stops_at_a_trapping_process: Row {
        procs: &[plain(), trapping().linked_to(0), plain().linked_to(1)],
        ops: &[Op::End(0, End::Error)],
        expect: &[Dead(R::Boom), Alive, Alive],
        exits: &[(1, &[(Who::P(0), R::Boom)])],
        ..ROW
    };
    chain_is_not_broken_by_a_normal_exit_in_the_middle: Row {
        procs: &[plain(), plain().linked_to(0), plain().linked_to(1)],
        ops: &[Op::End(1, End::Normal)],
        expect: &[Alive, Dead(R::Normal), Alive],
        ..ROW
    };
    star_propagates_to_every_non_trapping_branch: Row {
        procs: &[
            plain(),
            plain().linked_to(0),
            trapping().linked_to(0),
            plain().linked_to(0),
            plain().linked_to(2),
        ],
        ops: &[Op::End(3, End::Shutdown)],
        expect: &[Dead(R::Shutdown), Dead(R::Shutdown), Alive, Dead(R::Shutdown), Alive],
        exits: &[(2, &[(Who::P(0), R::Shutdown)])],
        ..ROW
    };
    trapping_hub_hears_every_dead_spoke: Row {
        procs: &[trapping(), plain().linked_to(0), plain().linked_to(0), plain().linked_to(0)],
        ops: &[Op::End(1, End::Error), Op::End(2, End::Kill), Op::End(3, End::Normal)],
        expect: &[Alive, Dead(R::Boom), Dead(R::Killed), Dead(R::Normal)],
        exits: &[(0, &[(Who::P(1), R::Boom), (Who::P(2), R::Killed), (Who::P(3), R::Normal)])],
        ..ROW
    };
}

// ---------------------------------------------------------------------------------------------
// Scenarios that need finer control than the table gives.
// ---------------------------------------------------------------------------------------------

/// Spawns a worker, makes it block in a handler, and returns the key that releases it.
async fn block(p: &ProcessRef<Msg>) -> oneshot::Sender<After> {
    let (release, wait) = oneshot::channel();
    p.call(|entered| Msg::Block(entered, wait)).await.unwrap();
    release
}

/// Trapped signals keep their place among messages (Erlang: a trapped exit becomes an `'EXIT'`
/// message, and a `Down` a `'DOWN'` message, at the end of the queue when they arrive): a
/// trapping process blocked in a handler gets messages, then an exit signal from the node, an
/// exit from a link and a `Down`, then one more message. Once released, it handles everything
/// in the order it arrived. The signals count in its queue length, as `message_queue_len`
/// counts `'EXIT'` and `'DOWN'` messages.
#[tokio::test(start_paused = true)]
async fn trapped_signals_keep_their_place_among_messages() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let a = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let linked = a.call(|r| Msg::SpawnLink(false, r)).await.unwrap();
    let watched = node.spawn(Worker::new(&terms)).unwrap();
    let m = a.call(|r| Msg::Monitor(watched.pid(), r)).await.unwrap();

    let release = block(&a).await;
    a.send(Msg::Record(1)).await.unwrap();
    a.send(Msg::Record(2)).await.unwrap();
    assert!(node.exit(a.pid(), ExitReason::Shutdown(None)));
    linked.send(Msg::Fail).await.unwrap();
    linked.exited().await;
    watched.send(Msg::Panic).await.unwrap();
    watched.exited().await;
    a.send(Msg::Record(3)).await.unwrap();
    assert_eq!(node.process_info(a.pid()).unwrap().mailbox_len, 6);
    release.send(After::Nothing).unwrap();

    let log = a.call(Msg::Log).await.unwrap();
    let down = match &log[4] {
        Event::Down(d) => d.clone(),
        other => panic!("expected the Down fifth, got {other:?} in {log:?}"),
    };
    assert_eq!((down.monitor, down.pid), (m, watched.pid()));
    assert_eq!(
        log,
        vec![
            Event::Msg(1),
            Event::Msg(2),
            Event::Exit(node.self_pid(), ExitReason::Shutdown(None)),
            Event::Exit(linked.pid(), ExitReason::error("boom")),
            Event::Down(down),
            Event::Msg(3),
        ]
    );
}

/// A fatal exit signal interrupts a handler at its `.await`: the blocked handler never
/// resumes, the queued messages are never handled, and the process ends with the signal's
/// reason (running `terminate`).
#[tokio::test(start_paused = true)]
async fn fatal_exit_signal_interrupts_a_blocked_handler() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let shared = Arc::new(Mutex::new(Vec::new()));
    let mut worker = Worker::new(&terms);
    worker.shared_log = Some(Arc::clone(&shared));
    let a = node.spawn(worker).unwrap();

    let release = block(&a).await;
    a.send(Msg::Record(1)).await.unwrap();
    assert!(node.exit(a.pid(), ExitReason::shutdown_with("go away")));
    assert_eq!(a.exited().await, ExitReason::shutdown_with("go away"));
    // The handler's future was dropped with its end of the channel.
    assert!(release.send(After::Nothing).is_err(), "the blocked handler was dropped");
    assert!(shared.lock().unwrap().is_empty(), "no queued message was handled");
    assert_eq!(*terms.lock().unwrap(), vec![(a.pid(), ExitReason::shutdown_with("go away"))]);
}

/// `kill` interrupts a blocked handler too, even in a trapping process, and skips `terminate`.
#[tokio::test(start_paused = true)]
async fn kill_interrupts_a_blocked_trapping_handler() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let a = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let release = block(&a).await;
    a.send(Msg::Record(1)).await.unwrap();
    assert!(node.kill(a.pid()));
    assert_eq!(a.exited().await, ExitReason::Killed);
    assert!(release.send(After::Nothing).is_err());
    assert!(terms.lock().unwrap().is_empty(), "kill skips terminate");
    assert!(!node.kill(a.pid()), "killing a dead process finds nothing");
}

/// A trapped exit that is already queued is dropped if the process unlinks before handling
/// it ("after unlink returns, no exit signal from that link is received, even one already on
/// its way").
#[tokio::test(start_paused = true)]
async fn unlink_drops_an_exit_signal_already_on_its_way() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let a = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let b = a.call(|r| Msg::SpawnLink(false, r)).await.unwrap();

    let release = block(&a).await;
    b.send(Msg::Fail).await.unwrap();
    assert_eq!(b.exited().await, ExitReason::error("boom"));
    release.send(After::Unlink(b.pid())).unwrap();

    let log = a.call(Msg::Log).await.unwrap();
    assert_eq!(log, vec![], "the exit signal from the unlinked process was dropped");
    assert!(node.process_info(a.pid()).unwrap().links.is_empty());
}

/// A `Down` that is already queued is dropped if the process demonitors before handling it;
/// `demonitor` still reports the monitor as active, since it had not fired.
#[tokio::test(start_paused = true)]
async fn demonitor_drops_a_down_already_on_its_way() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let a = node.spawn(Worker::new(&terms)).unwrap();
    let b = node.spawn(Worker::new(&terms)).unwrap();
    let m = a.call(|r| Msg::Monitor(b.pid(), r)).await.unwrap();

    let release = block(&a).await;
    b.send(Msg::Fail).await.unwrap();
    b.exited().await;
    release.send(After::Demonitor(m)).unwrap();

    let log = a.call(Msg::Log).await.unwrap();
    assert_eq!(log, vec![Event::Demonitored(true)], "no Down after demonitor");
    assert!(node.process_info(a.pid()).unwrap().monitors.is_empty());
}

/// `spawn_link`: the link exists before the child runs, so a child failing in `init` kills a
/// non-trapping parent...
#[tokio::test(start_paused = true)]
async fn spawn_link_child_failing_in_init_kills_the_parent() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let parent = node.spawn(Worker::new(&terms)).unwrap();
    let _child = parent.call(Msg::SpawnLinkFailingInit).await.unwrap();
    assert_eq!(exited_within(&parent, "parent").await, ExitReason::error("init failed"));
}

/// ... and reaches a trapping parent's `handle_exit`.
#[tokio::test(start_paused = true)]
async fn spawn_link_child_failing_in_init_is_seen_by_a_trapping_parent() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let parent = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let child = parent.call(Msg::SpawnLinkFailingInit).await.unwrap();
    let reason = node.wait_exit(child).await;
    assert!(reason == ExitReason::error("init failed") || reason.is_noproc(), "{reason:?}");
    let log = parent.call(Msg::Log).await.unwrap();
    assert_eq!(log, vec![Event::Exit(child, ExitReason::error("init failed"))]);
}

/// The docs: "`terminate` runs with the reason, on every end except `kill`". A process that
/// dies because a linked process was killed was not itself killed: it ends from an ordinary
/// (untrapped) exit signal whose reason happens to be `Killed`, exactly as it would from one
/// whose reason is `Shutdown`, where `terminate` does run.
#[tokio::test(start_paused = true)]
async fn terminate_runs_when_dying_from_a_propagated_killed() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let parent = node.spawn(Worker::new(&terms)).unwrap();
    let child = parent.call(|r| Msg::SpawnLink(false, r)).await.unwrap();
    assert!(node.kill(child.pid()));
    assert_eq!(exited_within(&parent, "parent").await, ExitReason::Killed);
    assert_eq!(
        *terms.lock().unwrap(),
        vec![(parent.pid(), ExitReason::Killed)],
        "the parent (not killed itself) ran terminate; the killed child did not"
    );
}

/// `process_info` reports links and monitors both ways while they stand, and none once they
/// are gone.
#[tokio::test(start_paused = true)]
async fn links_and_monitors_show_in_process_info_and_are_cleaned_up() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let a = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let b = a.call(|r| Msg::SpawnLink(false, r)).await.unwrap();
    let (c, _) = a.call(|r| Msg::SpawnMonitor(false, r)).await.unwrap();

    let ia = node.process_info(a.pid()).unwrap();
    assert_eq!(ia.links, vec![b.pid()]);
    assert_eq!(ia.monitors, vec![c.pid()]);
    let ib = node.process_info(b.pid()).unwrap();
    assert_eq!((ib.links, ib.parent), (vec![a.pid()], Some(a.pid())));
    let ic = node.process_info(c.pid()).unwrap();
    assert_eq!((ic.monitored_by, ic.parent), (vec![a.pid()], Some(a.pid())));

    b.send(Msg::Stop(ExitReason::Normal)).await.unwrap();
    c.send(Msg::Stop(ExitReason::Normal)).await.unwrap();
    b.exited().await;
    c.exited().await;
    let log = a.call(Msg::Log).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    let ia = node.process_info(a.pid()).unwrap();
    assert!(ia.links.is_empty() && ia.monitors.is_empty(), "{ia:?}");
}

/// A monitor set by a process that has since exited is removed from its target.
#[tokio::test(start_paused = true)]
async fn watcher_exit_removes_its_monitors_from_the_target() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let target = node.spawn(Worker::new(&terms)).unwrap();
    let watcher = node.spawn(Worker::new(&terms)).unwrap();
    watcher.call(|r| Msg::Monitor(target.pid(), r)).await.unwrap();
    assert_eq!(node.process_info(target.pid()).unwrap().monitored_by, vec![watcher.pid()]);
    watcher.send(Msg::Stop(ExitReason::Normal)).await.unwrap();
    watcher.exited().await;
    assert!(node.process_info(target.pid()).unwrap().monitored_by.is_empty());
}

/// A builder from `Context::process` can outlive the handler (it is `Send` and can be stored
/// or returned). Spawning a linked or monitored child from it after its parent has exited must
/// not leave the child linked to (or monitored by) a dead process, from which no exit signal
/// will ever come: it fails with `ParentExited`, and no process is left behind.
#[tokio::test(start_paused = true)]
async fn spawn_link_from_a_builder_whose_parent_exited_fails() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let parent = node.spawn(Worker::new(&terms)).unwrap();
    let linker = parent.call(Msg::Builder).await.unwrap();
    let monitorer = parent.call(Msg::Builder).await.unwrap();
    let plain = parent.call(Msg::Builder).await.unwrap();
    parent.send(Msg::Stop(ExitReason::Normal)).await.unwrap();
    parent.exited().await;
    assert_eq!(node.process_count(), 0);

    let err = linker.name("child").spawn_link(Worker::new(&terms)).unwrap_err();
    assert!(matches!(err, SpawnError::ParentExited(p) if p == parent.pid()), "{err:?}");
    let err = monitorer.spawn_monitor(Worker::new(&terms)).unwrap_err();
    assert!(matches!(err, SpawnError::ParentExited(p) if p == parent.pid()), "{err:?}");
    assert_eq!(node.process_count(), 0, "nothing left behind");
    assert_eq!(node.registry().whereis("child"), None, "nor its name");

    // Neither linked nor monitored: nothing to tie to the parent, so it spawns.
    let orphan = plain.spawn(Worker::new(&terms)).unwrap();
    assert_eq!(node.process_info(orphan.pid()).unwrap().parent, Some(parent.pid()));
}

// A handler need not be an `async fn`: it may do synchronous work before returning its
// future. A panic there is still a panic in the handler: the process ends with `Panicked`, and
// its links and monitors hear of it, like any other end (`PanicsBeforeItsFuture` is common's).
#[tokio::test(start_paused = true)]
async fn panic_while_a_handler_builds_its_future_ends_the_process_with_panicked() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let watcher = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let p = node.spawn(PanicsBeforeItsFuture).unwrap();
    watcher.call(|r| Msg::Link(p.pid(), r)).await.unwrap().unwrap();
    let m = watcher.call(|r| Msg::Monitor(p.pid(), r)).await.unwrap();

    p.send(()).await.unwrap();
    let reason = match tokio::time::timeout(WAIT, p.exited()).await {
        Ok(reason) => reason,
        Err(_) => panic!("the process never ended: {:?}", node.process_info(p.pid())),
    };
    let panicked = ExitReason::panicked("while building the handler's future");
    assert_eq!(reason, panicked);
    assert_eq!(node.process_count(), 1, "only the watcher is left");
    let log = watcher.call(Msg::Log).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0], Event::Exit(p.pid(), panicked.clone()));
    assert!(
        matches!(&log[1], Event::Down(d) if (d.monitor, d.pid, &d.reason) == (m, p.pid(), &panicked)),
        "{log:?}"
    );
}

/// The state of a process is dropped when it ends; a panic in its `Drop` must not leave the
/// process half-ended (listed, never reporting an exit, links never told).
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("in drop");
    }
}

impl Process for PanicsOnDrop {
    type Message = ();

    async fn handle(&mut self, ctx: &mut Context<()>, _msg: ()) -> Result<(), BoxError> {
        ctx.stop(ExitReason::Normal);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn panic_while_dropping_the_state_still_ends_the_process() {
    let node = Node::new().unwrap();
    let terms = Terminations::default();
    let watcher = node.process().trap_exit(true).spawn(Worker::new(&terms)).unwrap();
    let p = node.spawn(PanicsOnDrop).unwrap();
    watcher.call(|r| Msg::Link(p.pid(), r)).await.unwrap().unwrap();

    p.send(()).await.unwrap();
    let reason = match tokio::time::timeout(WAIT, p.exited()).await {
        Ok(reason) => reason,
        Err(_) => panic!("the process never ended: {:?}", node.process_info(p.pid())),
    };
    assert!(reason == ExitReason::Normal || reason.is_panic(), "{reason:?}");
    assert_eq!(node.process_count(), 1, "only the watcher is left");
    let log = watcher.call(Msg::Log).await.unwrap();
    assert_eq!(log, vec![Event::Exit(p.pid(), reason)]);
}
