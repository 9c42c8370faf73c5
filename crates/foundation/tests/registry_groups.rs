//! The name registry and process groups, through the public API: registering, looking up,
//! errors, release on exit, names keeping processes alive, group membership; and a model-based
//! property test of random register/unregister/kill/drop sequences against a `HashMap`.
//!
//! Tests run on a paused clock. "Stays alive" is checked by waiting for the process's exit
//! under a virtual timeout: the clock only moves once every task is idle, so the timeout fires
//! only if nothing could still end the process.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::{
    BoxError, Context, Down, ExitReason, Name, Node, Pid, Process, ProcessRef, RegisterError,
    ReplyTo, SpawnError,
};
use proptest::prelude::*;

enum Msg {
    Whoami(ReplyTo<Pid>),
    Stop,
}

struct Svc;

impl Process for Svc {
    type Message = Msg;

    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Whoami(r) => {
                let _ = r.reply(ctx.pid());
            }
            Msg::Stop => ctx.stop(ExitReason::Normal),
        }
        Ok(())
    }
}

/// A process with another message type, for typed lookups.
struct Other;

impl Process for Other {
    type Message = u8;

    async fn handle(&mut self, _ctx: &mut Context<u8>, _msg: u8) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Asserts that `pid` does not end while the runtime runs everything it can.
async fn assert_stays_alive(node: &Node, pid: Pid, what: &str) {
    let waited = tokio::time::timeout(Duration::from_secs(1), node.wait_exit(pid)).await;
    assert!(waited.is_err(), "{what}: {pid} ended: {waited:?}");
    assert!(node.is_alive(pid), "{what}: {pid}");
}

/// Waits for `pid` to end (it is expected to); returns the reason, or `NoProc` if already gone.
async fn assert_ends(node: &Node, pid: Pid, what: &str) -> ExitReason {
    let waited = tokio::time::timeout(Duration::from_secs(60), node.wait_exit(pid)).await;
    let reason = waited.unwrap_or_else(|_| panic!("{what}: {pid} is still alive"));
    assert!(!node.is_alive(pid), "{what}: {pid}");
    reason
}

#[tokio::test(start_paused = true)]
async fn register_whereis_lookup_unregister() {
    let node = Node::new().unwrap();
    let p = node.spawn(Svc).unwrap();
    let reg = node.registry();
    reg.register("svc", p.pid()).unwrap();

    assert_eq!(reg.whereis("svc"), Some(p.pid()));
    assert_eq!(reg.whereis(Name::from("svc")), Some(p.pid()));
    assert_eq!(reg.whereis("nope"), None);
    assert_eq!(reg.names(), vec![(Name::from("svc"), p.pid())]);
    assert_eq!(node.process_info(p.pid()).unwrap().names, vec![Name::from("svc")]);

    let found: ProcessRef<Msg> = reg.lookup("svc").expect("typed lookup");
    assert_eq!(found.pid(), p.pid());
    assert_eq!(found.call(Msg::Whoami).await.unwrap(), p.pid());
    assert!(reg.lookup::<u8>("svc").is_none(), "wrong message type");
    assert!(reg.lookup::<Msg>("nope").is_none());
    assert_eq!(node.lookup::<Msg>(p.pid()).map(|r| r.pid()), Some(p.pid()));
    assert!(node.lookup::<u8>(p.pid()).is_none());

    assert_eq!(reg.unregister("svc"), Ok(p.pid()));
    assert_eq!(reg.whereis("svc"), None);
    assert!(reg.names().is_empty());
    assert!(node.process_info(p.pid()).unwrap().names.is_empty());
    assert_eq!(reg.unregister("svc"), Err(RegisterError::NotRegistered(Name::from("svc"))));
    assert!(p.is_alive(), "unregistering does not end a process that has addresses");
}

#[tokio::test(start_paused = true)]
async fn a_process_may_hold_several_names_and_namespaces_are_apart() {
    let node = Node::new().unwrap();
    let reg = node.registry();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Other).unwrap();
    reg.register("x", a.pid()).unwrap();
    reg.register("y", a.pid()).unwrap();
    reg.register(Name::scoped("ns", "x"), b.pid()).unwrap();

    assert_eq!(reg.whereis("x"), Some(a.pid()));
    assert_eq!(reg.whereis(Name::scoped("ns", "x")), Some(b.pid()));
    assert_eq!(reg.whereis(Name::scoped("other", "x")), None);
    assert_eq!(Name::scoped("ns", "x").to_string(), "ns/x");
    assert_eq!(Name::from("x").namespace(), "");
    assert_eq!(reg.names().len(), 3);
    let mut names = node.process_info(a.pid()).unwrap().names;
    names.sort();
    assert_eq!(names, vec![Name::from("x"), Name::from("y")]);
    assert!(reg.lookup::<u8>(Name::scoped("ns", "x")).is_some());
}

#[tokio::test(start_paused = true)]
async fn taken_name_error_names_the_holder() {
    let node = Node::new().unwrap();
    let reg = node.registry();
    let holder = node.spawn(Svc).unwrap();
    let other = node.spawn(Svc).unwrap();
    reg.register("busy", holder.pid()).unwrap();

    let err = reg.register("busy", other.pid()).unwrap_err();
    assert_eq!(err, RegisterError::Taken { name: Name::from("busy"), holder: holder.pid() });
    assert!(err.to_string().contains(&holder.pid().to_string()), "{err}");
    // Registering the same name again for its holder is an error too.
    let again = reg.register("busy", holder.pid()).unwrap_err();
    assert!(matches!(again, RegisterError::Taken { holder: h, .. } if h == holder.pid()));

    // The builder refuses it too, and leaves no process behind.
    let before = node.process_count();
    let err = node.process().name("busy").spawn(Svc).unwrap_err();
    match err {
        SpawnError::Name(RegisterError::Taken { name, holder: h }) => {
            assert_eq!((name, h), (Name::from("busy"), holder.pid()));
        }
        other => panic!("expected a taken-name error, got {other:?}"),
    }
    assert_eq!(node.process_count(), before);
    assert_eq!(reg.whereis("busy"), Some(holder.pid()));
}

#[tokio::test(start_paused = true)]
async fn empty_names_are_rejected() {
    let node = Node::new().unwrap();
    let p = node.spawn(Svc).unwrap();
    assert_eq!(node.registry().register("", p.pid()), Err(RegisterError::EmptyName));
    assert_eq!(
        node.registry().register(Name::scoped("ns", ""), p.pid()),
        Err(RegisterError::EmptyName)
    );
    let err = node.process().name("").spawn(Svc).unwrap_err();
    assert!(matches!(err, SpawnError::Name(RegisterError::EmptyName)), "{err:?}");
    assert_eq!(node.groups().join("", p.pid()), Err(RegisterError::EmptyName));
    assert!(node.registry().names().is_empty());
    assert_eq!(node.process_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn registering_a_dead_process_fails() {
    let node = Node::new().unwrap();
    let p = node.spawn(Svc).unwrap();
    p.send(Msg::Stop).await.unwrap();
    p.exited().await;
    assert_eq!(node.registry().register("late", p.pid()), Err(RegisterError::NoProcess(p.pid())));
    assert_eq!(node.groups().join("g", p.pid()), Err(RegisterError::NoProcess(p.pid())));
    assert_eq!(node.registry().whereis("late"), None);
    assert!(node.groups().members("g").is_empty());
}

#[tokio::test(start_paused = true)]
async fn name_is_freed_when_the_process_dies_and_can_be_taken_again() {
    let node = Node::new().unwrap();
    let reg = node.registry();
    let first = node.process().name("svc").spawn(Svc).unwrap();
    assert_eq!(reg.whereis("svc"), Some(first.pid()));
    assert!(node.kill(first.pid()));
    assert_eq!(first.exited().await, ExitReason::Killed);
    assert_eq!(reg.whereis("svc"), None);
    assert!(reg.names().is_empty());
    assert!(reg.lookup::<Msg>("svc").is_none());

    let second = node.spawn(Svc).unwrap();
    reg.register("svc", second.pid()).unwrap();
    assert_eq!(reg.whereis("svc"), Some(second.pid()));
    second.send(Msg::Stop).await.unwrap();
    second.exited().await;
    let third = node.process().name("svc").spawn(Svc).unwrap();
    assert_eq!(reg.whereis("svc"), Some(third.pid()));
}

/// "A name is released when its process exits, before links and monitors hear of the exit":
/// a watcher's `handle_down` finds the name free and can take it over.
#[tokio::test(start_paused = true)]
async fn name_is_free_by_the_time_monitors_hear_of_the_exit() {
    /// What `handle_down` saw: the name's holder, and whether taking the name worked.
    type Seen = Vec<(Option<Pid>, Result<(), RegisterError>)>;
    struct Watcher {
        seen: Arc<Mutex<Seen>>,
    }
    impl Process for Watcher {
        /// Monitor this pid (or nothing: a plain round trip).
        type Message = (Option<Pid>, ReplyTo<()>);
        async fn handle(
            &mut self,
            ctx: &mut Context<Self::Message>,
            (pid, r): Self::Message,
        ) -> Result<(), BoxError> {
            if let Some(pid) = pid {
                ctx.monitor(pid);
            }
            let _ = r.reply(());
            Ok(())
        }
        async fn handle_down(
            &mut self,
            ctx: &mut Context<Self::Message>,
            _down: Down,
        ) -> Result<(), BoxError> {
            let registry = ctx.node().registry();
            let holder = registry.whereis("svc");
            let taken = registry.register("svc", ctx.pid());
            self.seen.lock().unwrap().push((holder, taken));
            Ok(())
        }
    }

    let node = Node::new().unwrap();
    let seen = Arc::default();
    let watcher = node.spawn(Watcher { seen: Arc::clone(&seen) }).unwrap();
    let svc = node.process().name("svc").spawn(Svc).unwrap();
    watcher.call(|r| (Some(svc.pid()), r)).await.unwrap();
    svc.send(Msg::Stop).await.unwrap();
    svc.exited().await;
    // The watcher handles the Down before this call.
    watcher.call(|r| (None, r)).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![(None, Ok(()))]);
    assert_eq!(node.registry().whereis("svc"), Some(watcher.pid()));
}

/// By default a process lives until it exits, as on the BEAM: neither a name nor an address is
/// needed to keep it, and losing both does not end it.
#[tokio::test(start_paused = true)]
async fn a_process_without_name_or_address_lives_on() {
    let node = Node::new().unwrap();
    let reg = node.registry();
    let p = node.process().name("kept").spawn(Svc).unwrap();
    let pid = p.pid();
    drop(p);
    assert_stays_alive(&node, pid, "named, no address").await;
    assert_eq!(reg.unregister("kept"), Ok(pid));
    assert_stays_alive(&node, pid, "no name, no address").await;
    node.groups().join("g", pid).unwrap();
    assert_eq!(node.groups().members("g"), vec![pid]);
}

/// For a process that ends when unreferenced, a registered name counts as a reference.
#[tokio::test(start_paused = true)]
async fn registered_name_keeps_the_process_alive_without_addresses() {
    let node = Node::new().unwrap();
    let reg = node.registry();
    let p = node.process().name("kept").end_when_unreferenced().spawn(Svc).unwrap();
    let pid = p.pid();
    drop(p);
    assert_stays_alive(&node, pid, "named, no address").await;

    // A second name, then unregistering one of two: still alive.
    reg.register("kept2", pid).unwrap();
    assert_eq!(reg.unregister("kept"), Ok(pid));
    assert_stays_alive(&node, pid, "one name left").await;

    // Looked up, called: still works, and the looked-up address keeps it alive on its own.
    let found = reg.lookup::<Msg>("kept2").unwrap();
    assert_eq!(found.call(Msg::Whoami).await.unwrap(), pid);
    assert_eq!(reg.unregister("kept2"), Ok(pid));
    assert_stays_alive(&node, pid, "no name, one looked-up address").await;

    // The last address goes: nothing can reach the process, so it ends normally.
    drop(found);
    let reason = assert_ends(&node, pid, "no name, no address").await;
    assert!(reason == ExitReason::Normal || reason.is_noproc(), "{reason:?}");
}

#[tokio::test(start_paused = true)]
async fn unregistering_the_last_name_of_an_unaddressed_process_ends_it() {
    let node = Node::new().unwrap();
    let p = node.process().end_when_unreferenced().spawn(Svc).unwrap();
    let pid = p.pid();
    node.registry().register("only", pid).unwrap();
    drop(p);
    assert_stays_alive(&node, pid, "named").await;
    node.registry().unregister("only").unwrap();
    let reason = assert_ends(&node, pid, "unnamed").await;
    assert!(reason == ExitReason::Normal || reason.is_noproc(), "{reason:?}");
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn groups_join_leave_members() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    let c = node.spawn(Svc).unwrap();

    assert_eq!(groups.join("workers", b.pid()), Ok(true));
    assert_eq!(groups.join("workers", a.pid()), Ok(true));
    assert_eq!(groups.join("workers", a.pid()), Ok(false), "joining twice is one membership");
    assert_eq!(groups.join("admins", c.pid()), Ok(true));
    assert_eq!(groups.join("workers", c.pid()), Ok(true));
    assert_eq!(groups.members("workers"), vec![b.pid(), a.pid(), c.pid()], "join order");
    assert_eq!(groups.members("admins"), vec![c.pid()]);
    assert!(groups.members("nobody").is_empty());
    assert_eq!(groups.all(), vec!["admins".to_string(), "workers".to_string()]);
    let mut gs = node.process_info(c.pid()).unwrap().groups;
    gs.sort();
    assert_eq!(gs, vec!["admins".to_string(), "workers".to_string()]);

    assert!(groups.leave("workers", a.pid()));
    assert!(!groups.leave("workers", a.pid()), "leaving twice");
    assert!(!groups.leave("nobody", a.pid()));
    assert_eq!(groups.members("workers"), vec![b.pid(), c.pid()]);
    assert!(node.process_info(a.pid()).unwrap().groups.is_empty());

    assert!(groups.leave("admins", c.pid()));
    assert_eq!(groups.all(), vec!["workers".to_string()], "an emptied group disappears");
    assert_eq!(node.process_info(c.pid()).unwrap().groups, vec!["workers".to_string()]);
    // Rejoining after leaving works.
    assert_eq!(groups.join("workers", a.pid()), Ok(true));
    assert_eq!(groups.members("workers"), vec![b.pid(), c.pid(), a.pid()]);
}

#[tokio::test(start_paused = true)]
async fn dead_members_leave_their_groups_by_themselves() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    groups.join("g", a.pid()).unwrap();
    groups.join("g", b.pid()).unwrap();
    groups.join("solo", a.pid()).unwrap();

    assert!(node.kill(a.pid()));
    a.exited().await;
    assert_eq!(groups.members("g"), vec![b.pid()]);
    assert!(groups.members("solo").is_empty());
    assert_eq!(groups.all(), vec!["g".to_string()]);
    assert!(!groups.leave("g", a.pid()));

    b.send(Msg::Stop).await.unwrap();
    b.exited().await;
    assert!(groups.all().is_empty());
}

#[tokio::test(start_paused = true)]
async fn group_membership_does_not_keep_a_process_alive() {
    let node = Node::new().unwrap();
    let p = node.process().end_when_unreferenced().spawn(Svc).unwrap();
    let pid = p.pid();
    node.groups().join("g", pid).unwrap();
    drop(p);
    let reason = assert_ends(&node, pid, "only in a group").await;
    assert!(reason == ExitReason::Normal || reason.is_noproc(), "{reason:?}");
    assert!(node.groups().members("g").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Model-based property test.
// ---------------------------------------------------------------------------------------------

const PROCS: usize = 4;

fn name_of(n: usize) -> Name {
    match n {
        0 => Name::from("a"),
        1 => Name::from("b"),
        _ => Name::scoped("ns", "a"),
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Register(usize, usize),
    Unregister(usize),
    Kill(usize),
    /// Drop the test's strong address of the process.
    DropRef(usize),
    Lookup(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..PROCS).prop_map(|(n, p)| Op::Register(n, p)),
        2 => (0..3usize).prop_map(Op::Unregister),
        1 => (0..PROCS).prop_map(Op::Kill),
        1 => (0..PROCS).prop_map(Op::DropRef),
        2 => (0..3usize).prop_map(Op::Lookup),
    ]
}

/// Runs `ops` against the registry and against a `HashMap` model, comparing after each step.
/// The processes end when unreferenced, so names and addresses both count.
async fn run_model(ops: Vec<Op>) {
    let node = Node::new().unwrap();
    let reg = node.registry();
    let spawn = || node.process().end_when_unreferenced().spawn(Svc).unwrap();
    let mut refs: Vec<Option<ProcessRef<Msg>>> = (0..PROCS).map(|_| Some(spawn())).collect();
    let pids: Vec<Pid> = refs.iter().map(|r| r.as_ref().unwrap().pid()).collect();
    let mut model: HashMap<usize, usize> = HashMap::new();
    let mut alive = [true; PROCS];

    for (step, op) in ops.into_iter().enumerate() {
        let what = format!("step {step}: {op:?}");
        // A process with neither an address nor a name ends (Normal): which one may that be?
        let mut maybe_orphaned = None;
        match op {
            Op::Register(n, p) => {
                let got = reg.register(name_of(n), pids[p]);
                let want = if !alive[p] {
                    Err(RegisterError::NoProcess(pids[p]))
                } else if let Some(&h) = model.get(&n) {
                    Err(RegisterError::Taken { name: name_of(n), holder: pids[h] })
                } else {
                    model.insert(n, p);
                    Ok(())
                };
                assert_eq!(got, want, "{what}");
            }
            Op::Unregister(n) => {
                let got = reg.unregister(name_of(n));
                match model.remove(&n) {
                    Some(h) => {
                        assert_eq!(got, Ok(pids[h]), "{what}");
                        maybe_orphaned = Some(h);
                    }
                    None => assert_eq!(got, Err(RegisterError::NotRegistered(name_of(n)))),
                }
            }
            Op::Kill(p) => {
                assert_eq!(node.kill(pids[p]), alive[p], "{what}: kill finds a live process");
                if alive[p] {
                    let reason = assert_ends(&node, pids[p], &what).await;
                    assert!(reason.is_killed() || reason.is_noproc(), "{what}: {reason:?}");
                    alive[p] = false;
                    model.retain(|_, h| *h != p);
                }
            }
            Op::DropRef(p) => {
                refs[p] = None;
                maybe_orphaned = Some(p);
            }
            Op::Lookup(n) => {
                let found = reg.lookup::<Msg>(name_of(n)).map(|r| r.pid());
                assert_eq!(found, model.get(&n).map(|&h| pids[h]), "{what}");
                // Wrong type: never.
                assert!(reg.lookup::<u8>(name_of(n)).is_none(), "{what}");
            }
        }
        if let Some(p) = maybe_orphaned
            && alive[p]
            && refs[p].is_none()
            && !model.values().any(|h| *h == p)
        {
            let reason = assert_ends(&node, pids[p], &format!("{what}: orphaned")).await;
            assert!(reason == ExitReason::Normal || reason.is_noproc(), "{what}: {reason:?}");
            alive[p] = false;
        }

        // Compare everything.
        let mut want: Vec<(Name, Pid)> =
            model.iter().map(|(n, p)| (name_of(*n), pids[*p])).collect();
        want.sort();
        assert_eq!(reg.names(), want, "{what}: names");
        for n in 0..3 {
            assert_eq!(reg.whereis(name_of(n)), model.get(&n).map(|&h| pids[h]), "{what}");
        }
        for p in 0..PROCS {
            if alive[p] {
                assert_stays_alive(&node, pids[p], &what).await;
                let mut names = node.process_info(pids[p]).unwrap().names;
                names.sort();
                let mut want: Vec<Name> =
                    model.iter().filter(|(_, h)| **h == p).map(|(n, _)| name_of(*n)).collect();
                want.sort();
                assert_eq!(names, want, "{what}: names of process {p}");
            } else {
                assert!(!node.is_alive(pids[p]), "{what}: process {p} should be gone");
            }
        }
    }
    node.shutdown(Duration::from_secs(1)).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn registry_matches_a_hashmap_model(ops in proptest::collection::vec(op(), 1..40)) {
        common::runtime::paused().block_on(run_model(ops));
    }
}
