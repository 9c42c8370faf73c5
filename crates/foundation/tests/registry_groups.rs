//! The name registry and process groups, through the public API: registering, looking up,
//! errors, release on exit, names keeping processes alive; groups as OTP's `pg` (membership a
//! multiset, scopes, monitors of a group or a scope, a monitor that falls behind); and
//! model-based property tests: random register/unregister/kill/drop sequences against a
//! `HashMap`, and random join/leave/kill sequences against a multiset per group, replayed from
//! each scope's monitor too.
//!
//! Tests run on a paused clock. "Stays alive" is checked by waiting for the process's exit
//! under a virtual timeout: the clock only moves once every task is idle, so the timeout fires
//! only if nothing could still end the process.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use foundation::registry::{
    DEFAULT_MONITOR_CAPACITY, GroupEvent, GroupEventKind, GroupMonitor, RecvError,
};
use foundation::{
    BoxError, Context, Down, ExitReason, Name, Node, Pid, Process, ProcessRef, RegisterError,
    ReplyTo, SpawnError,
};
use futures::FutureExt;
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
    // OTP's pg: membership is a multiset. (Was "joining twice is one membership"; the value,
    // `false`, now says "not the first membership".)
    assert_eq!(groups.join("workers", a.pid()), Ok(false), "joining twice: a member twice");
    assert_eq!(groups.join("admins", c.pid()), Ok(true));
    assert_eq!(groups.join("workers", c.pid()), Ok(true));
    // (Was `[b, a, c]` under set semantics.)
    assert_eq!(groups.members("workers"), vec![b.pid(), a.pid(), a.pid(), c.pid()], "join order");
    assert_eq!(groups.members("admins"), vec![c.pid()]);
    assert!(groups.members("nobody").is_empty());
    assert_eq!(groups.all(), vec!["admins".to_string(), "workers".to_string()]);
    let mut gs = node.process_info(c.pid()).unwrap().groups;
    gs.sort();
    assert_eq!(gs, vec!["admins".to_string(), "workers".to_string()]);

    assert!(groups.leave("workers", a.pid()));
    // (Was `!leave`, "leaving twice": a double member must now leave twice.)
    assert!(groups.leave("workers", a.pid()), "leaving the second membership");
    assert!(!groups.leave("workers", a.pid()), "leaving a third time: not joined");
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
// Groups as OTP's pg: a multiset of members, scopes, monitors.
// ---------------------------------------------------------------------------------------------

/// Every event the monitor holds now, without waiting.
fn drain(monitor: &mut GroupMonitor) -> Vec<Result<GroupEvent, RecvError>> {
    let mut events = Vec::new();
    while let Some(next) = monitor.recv().now_or_never() {
        let ended = next.is_err();
        events.push(next);
        if ended {
            break;
        }
    }
    events
}

/// (join?, group, pid) of each event; panics on an error.
fn summary(events: Vec<Result<GroupEvent, RecvError>>) -> Vec<(bool, String, Pid)> {
    events
        .into_iter()
        .map(|e| e.expect("an event"))
        .map(|e| (e.is_join(), e.group().to_string(), e.pid()))
        .collect()
}

fn monitors_of(groups: &foundation::Groups<'_>) -> String {
    let debug = format!("{groups:?}");
    let at = debug.find("monitors: ").expect("Debug shows the monitors");
    debug[at..].trim_end_matches(" }").to_string()
}

#[tokio::test(start_paused = true)]
async fn a_double_member_is_listed_twice_and_must_leave_twice() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();

    assert_eq!(groups.join("g", a.pid()), Ok(true), "first membership");
    assert_eq!(groups.join("g", b.pid()), Ok(true));
    assert_eq!(groups.join("g", a.pid()), Ok(false), "a member once more");
    assert_eq!(groups.members("g"), [a.pid(), b.pid(), a.pid()]);
    assert_eq!(node.process_info(a.pid()).unwrap().groups, ["g", "g"]);

    assert!(groups.leave("g", a.pid()), "the latest membership goes");
    assert_eq!(groups.members("g"), [a.pid(), b.pid()]);
    assert!(groups.leave("g", a.pid()));
    assert_eq!(groups.members("g"), [b.pid()]);
    assert!(!groups.leave("g", a.pid()), "not joined");
    assert!(!groups.leave("other", a.pid()), "not joined, no such group");
    assert_eq!(groups.which_groups(), ["g"]);

    assert!(groups.leave("g", b.pid()));
    assert!(groups.which_groups().is_empty(), "an emptied group disappears");
}

#[tokio::test(start_paused = true)]
async fn an_exit_removes_every_membership() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    for group in ["g", "g", "h", "g"] {
        groups.join(group, a.pid()).unwrap();
    }
    groups.join("g", b.pid()).unwrap();
    assert_eq!(groups.members("g"), [a.pid(), a.pid(), a.pid(), b.pid()]);

    assert!(node.kill(a.pid()));
    a.exited().await;
    assert_eq!(groups.members("g"), [b.pid()]);
    assert!(groups.members("h").is_empty());
    assert_eq!(groups.which_groups(), ["g"]);
    assert!(!groups.leave("g", a.pid()), "gone");
}

/// A broadcast's receivers are processes: a member twice gets the message once (as
/// `message::broadcast` documents), where OTP's loop over `get_members` would send twice.
#[tokio::test(start_paused = true)]
async fn group_broadcast_reaches_a_double_member_once() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    let other = node.spawn(Other).unwrap();
    for pid in [a.pid(), b.pid(), a.pid(), other.pid(), other.pid()] {
        groups.join("g", pid).unwrap();
    }
    let report = groups.broadcast("g", 7u8).unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(report.mismatched, [a.pid(), b.pid()], "each listed once: {report:?}");
    // The test has not yielded: what was delivered is still queued.
    assert_eq!(node.process_info(other.pid()).unwrap().mailbox_len, 1, "queued once");
}

#[tokio::test(start_paused = true)]
async fn scopes_are_independent_namespaces_of_groups() {
    let node = Node::new().unwrap();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    let default = node.groups();
    let chat = node.group_scope("chat").unwrap();
    assert_eq!(default.scope(), "pg");
    assert_eq!(chat.scope(), "chat");

    default.join("g", a.pid()).unwrap();
    chat.join("g", b.pid()).unwrap();
    chat.join("room", a.pid()).unwrap();
    assert_eq!(default.members("g"), [a.pid()]);
    assert_eq!(chat.members("g"), [b.pid()]);
    assert_eq!(default.which_groups(), ["g"]);
    assert_eq!(chat.which_groups(), ["g", "room"]);
    assert!(default.members("room").is_empty());
    assert_eq!(node.group_scope("pg").unwrap().members("g"), [a.pid()], "pg is the default");
    assert!(node.group_scope("empty").unwrap().which_groups().is_empty());
    let mut labels = node.process_info(a.pid()).unwrap().groups;
    labels.sort();
    assert_eq!(labels, ["chat/room", "g"]);

    // Leaving in one scope leaves the other alone.
    assert!(!chat.leave("g", a.pid()), "a is in g of pg, not of chat");
    assert!(default.leave("g", a.pid()));
    assert_eq!(chat.members("g"), [b.pid()]);
    let err = chat.broadcast("nobody", 1u8).unwrap_err();
    assert_eq!(err.target(), "group \"nobody\" of scope \"chat\"");

    // An exit leaves every scope.
    assert!(node.kill(a.pid()));
    a.exited().await;
    assert_eq!(chat.which_groups(), ["g"]);

    let err = node.group_scope("").unwrap_err();
    assert_eq!((err.field(), err.value()), ("scope", "\"\""));
    assert!(err.to_string().contains("non-empty scope names"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_group_monitor_gets_the_members_then_every_change_in_order() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    groups.join("g", a.pid()).unwrap();
    groups.join("g", a.pid()).unwrap();

    let (mut monitor, members) = groups.monitor("g");
    assert_eq!(members, [a.pid(), a.pid()], "the members now, once per membership");
    assert_eq!((monitor.scope(), monitor.group()), ("pg", Some("g")));
    assert!(drain(&mut monitor).is_empty(), "nothing happened since");

    groups.join("g", b.pid()).unwrap();
    groups.join("other", b.pid()).unwrap(); // another group: not heard
    groups.leave("g", a.pid());
    groups.join("g", a.pid()).unwrap();
    node.group_scope("chat").unwrap().join("g", b.pid()).unwrap(); // another scope: not heard
    assert!(node.kill(a.pid()));
    a.exited().await;

    let g = || "g".to_string();
    assert_eq!(
        summary(drain(&mut monitor)),
        [
            (true, g(), b.pid()),
            (false, g(), a.pid()),
            (true, g(), a.pid()),
            // The exit: one leave per membership, heard by the time the exit is.
            (false, g(), a.pid()),
            (false, g(), a.pid()),
        ]
    );
    assert_eq!(groups.members("g"), [b.pid()]);
}

#[tokio::test(start_paused = true)]
async fn a_scope_monitor_hears_every_group_of_its_scope_and_no_other() {
    let node = Node::new().unwrap();
    let chat = node.group_scope("chat").unwrap();
    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    chat.join("x", a.pid()).unwrap();
    chat.join("y", a.pid()).unwrap();
    chat.join("y", b.pid()).unwrap();
    node.groups().join("x", b.pid()).unwrap();

    let (mut monitor, now) = chat.monitor_scope();
    assert_eq!(monitor.group(), None);
    let want: Vec<(String, Vec<Pid>)> =
        vec![("x".into(), vec![a.pid()]), ("y".into(), vec![a.pid(), b.pid()])];
    assert_eq!(now.into_iter().collect::<Vec<_>>(), want);

    chat.join("z", b.pid()).unwrap();
    node.groups().join("z", a.pid()).unwrap(); // the default scope: not heard
    b.send(Msg::Stop).await.unwrap();
    b.exited().await;
    let events = summary(drain(&mut monitor));
    assert_eq!(
        events,
        [
            (true, "z".to_string(), b.pid()),
            (false, "y".to_string(), b.pid()),
            (false, "z".to_string(), b.pid()),
        ]
    );
    let (_, now) = chat.monitor_scope();
    assert_eq!(now.keys().collect::<Vec<_>>(), ["x", "y"]);
}

#[tokio::test(start_paused = true)]
async fn recv_waits_for_the_next_event_and_is_cancel_safe() {
    let node = Node::new().unwrap();
    let groups = node.groups();
    let (mut monitor, _) = groups.monitor("g");
    // A recv given up on (the paused clock runs the timeout out) takes nothing.
    let waited = tokio::time::timeout(Duration::from_secs(1), monitor.recv()).await;
    assert!(waited.is_err());
    let a = node.spawn(Svc).unwrap();
    let joiner = {
        let node = node.clone();
        let pid = a.pid();
        tokio::spawn(async move { node.groups().join("g", pid).unwrap() })
    };
    let event = monitor.recv().await.unwrap();
    assert_eq!((event.kind(), event.pid()), (GroupEventKind::Joined, a.pid()));
    assert!(joiner.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_dropped_monitor_and_one_whose_holder_exits_are_removed() {
    struct Holder {
        _monitor: GroupMonitor,
    }
    impl Process for Holder {
        type Message = ();
        async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> {
            Ok(())
        }
    }

    let node = Node::new().unwrap();
    let groups = node.groups();
    assert_eq!(monitors_of(&groups), "monitors: 0");
    let (first, _) = groups.monitor("g");
    let (second, _) = groups.monitor_scope();
    assert_eq!(monitors_of(&groups), "monitors: 2");
    drop(first);
    second.demonitor();
    assert_eq!(monitors_of(&groups), "monitors: 0");

    let (monitor, _) = groups.monitor("g");
    let holder = node.spawn(Holder { _monitor: monitor }).unwrap();
    assert_eq!(monitors_of(&groups), "monitors: 1");
    assert!(node.kill(holder.pid()));
    holder.exited().await;
    assert_eq!(monitors_of(&groups), "monitors: 0", "the subscriber exited");
}

/// A join never waits for a monitor: a full monitor ends, and says so after the events it kept.
#[tokio::test(start_paused = true)]
async fn a_full_monitor_ends_lagged_after_the_events_it_kept() {
    let node = Node::new().unwrap();
    let groups = node.groups().with_monitor_capacity(2).unwrap();
    let (mut slow, _) = groups.monitor("g");
    let (mut fast, _) = node.groups().monitor("g");
    let a = node.spawn(Svc).unwrap();
    for _ in 0..3 {
        groups.join("g", a.pid()).unwrap();
    }
    assert_eq!(groups.members("g").len(), 3, "every join went through");
    let events = drain(&mut slow);
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events[..2].iter().all(|e| e.as_ref().is_ok_and(GroupEvent::is_join)));
    assert_eq!(events[2], Err(RecvError::Lagged));
    assert_eq!(slow.recv().await, Err(RecvError::Lagged), "ended for good");
    assert!(RecvError::Lagged.to_string().contains("fell behind"));
    assert_eq!(monitors_of(&groups), "monitors: 1", "the lagged one left the table");
    assert_eq!(drain(&mut fast).len(), 3, "the default capacity kept all");

    let err = node.groups().with_monitor_capacity(0).unwrap_err();
    assert_eq!((err.field(), err.value()), ("monitor_capacity", "0"));
    assert_eq!(DEFAULT_MONITOR_CAPACITY, 1024);
}

/// `leave` racing the member's exit on two threads: each membership is removed once, by one
/// or the other, and a monitor hears exactly one `Left` per `Joined`.
#[test]
fn leave_racing_exit_removes_each_membership_once() {
    const MEMBERS: usize = 32;
    const TIMES: usize = 3;
    common::runtime::multi_thread(2).block_on(async {
        let node = Node::new().unwrap();
        let (mut monitor, _) = node.groups().monitor("g");
        let refs: Vec<_> = (0..MEMBERS).map(|_| node.spawn(Svc).unwrap()).collect();
        let pids: Vec<Pid> = refs.iter().map(ProcessRef::pid).collect();
        for pid in &pids {
            for _ in 0..TIMES {
                node.groups().join("g", *pid).unwrap();
            }
        }
        let leaver = {
            let (node, pids) = (node.clone(), pids.clone());
            tokio::spawn(async move {
                let mut left = 0;
                for pid in pids {
                    for _ in 0..TIMES - 1 {
                        left += usize::from(node.groups().leave("g", pid));
                        tokio::task::yield_now().await;
                    }
                }
                left
            })
        };
        for pid in &pids {
            node.kill(*pid);
        }
        for r in &refs {
            r.exited().await;
        }
        let left = leaver.await.unwrap();
        assert!(left <= MEMBERS * (TIMES - 1));
        assert!(node.groups().members("g").is_empty());
        assert!(node.groups().which_groups().is_empty());
        let events = summary(drain(&mut monitor));
        let joins = events.iter().filter(|(join, _, _)| *join).count();
        assert_eq!((joins, events.len()), (MEMBERS * TIMES, 2 * MEMBERS * TIMES));
        for pid in &pids {
            let of = |join: bool| events.iter().filter(|e| e.0 == join && e.2 == *pid).count();
            assert_eq!((of(true), of(false)), (TIMES, TIMES), "{pid}");
        }
    });
}

#[test]
fn a_monitor_of_a_dropped_node_is_closed() {
    let runtime = common::runtime::paused();
    let mut monitor = runtime.block_on(async {
        let node = Node::new().unwrap();
        let (monitor, _) = node.groups().monitor_scope();
        monitor
    });
    assert_eq!(runtime.block_on(monitor.recv()), Err(RecvError::Closed));
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

// ---------------------------------------------------------------------------------------------
// Model-based property test of groups: members are a multiset.
// ---------------------------------------------------------------------------------------------

/// The groups of the test: (scope, group); the same group name in two scopes.
const GROUPS: [(&str, &str); 3] = [("pg", "a"), ("pg", "b"), ("chat", "a")];

#[derive(Clone, Copy, Debug)]
enum GroupOp {
    Join(usize, usize),
    Leave(usize, usize),
    Kill(usize),
}

fn group_op() -> impl Strategy<Value = GroupOp> {
    prop_oneof![
        5 => (0..GROUPS.len(), 0..PROCS).prop_map(|(g, p)| GroupOp::Join(g, p)),
        3 => (0..GROUPS.len(), 0..PROCS).prop_map(|(g, p)| GroupOp::Leave(g, p)),
        1 => (0..PROCS).prop_map(GroupOp::Kill),
    ]
}

/// Runs `ops` against the groups and a model (each group a list of pids in join order, a
/// leave taking the latest membership), comparing after each step: members, `which_groups`,
/// each process's memberships, and what one monitor per scope has heard replayed on the
/// snapshot it started from.
async fn run_group_model(ops: Vec<GroupOp>) {
    let node = Node::new().unwrap();
    let scope = |g: usize| node.group_scope(GROUPS[g].0).unwrap();
    let refs: Vec<ProcessRef<Msg>> = (0..PROCS).map(|_| node.spawn(Svc).unwrap()).collect();
    let pids: Vec<Pid> = refs.iter().map(ProcessRef::pid).collect();
    let mut model: Vec<Vec<Pid>> = vec![Vec::new(); GROUPS.len()];
    let mut alive = [true; PROCS];
    let mut monitors: Vec<(GroupMonitor, HashMap<String, Vec<Pid>>)> = ["pg", "chat"]
        .into_iter()
        .map(|s| {
            let (monitor, now) = node.group_scope(s).unwrap().monitor_scope();
            (monitor, now.into_iter().collect())
        })
        .collect();

    for (step, op) in ops.into_iter().enumerate() {
        let what = format!("step {step}: {op:?}");
        match op {
            GroupOp::Join(g, p) => {
                let got = scope(g).join(GROUPS[g].1, pids[p]);
                if alive[p] {
                    assert_eq!(got, Ok(!model[g].contains(&pids[p])), "{what}");
                    model[g].push(pids[p]);
                } else {
                    assert_eq!(got, Err(RegisterError::NoProcess(pids[p])), "{what}");
                }
            }
            GroupOp::Leave(g, p) => {
                let got = scope(g).leave(GROUPS[g].1, pids[p]);
                let at = model[g].iter().rposition(|x| *x == pids[p]);
                assert_eq!(got, at.is_some(), "{what}");
                if let Some(at) = at {
                    model[g].remove(at);
                }
            }
            GroupOp::Kill(p) => {
                assert_eq!(node.kill(pids[p]), alive[p], "{what}");
                if alive[p] {
                    assert_ends(&node, pids[p], &what).await;
                    alive[p] = false;
                    for members in &mut model {
                        members.retain(|x| *x != pids[p]);
                    }
                }
            }
        }

        for (g, (s, name)) in GROUPS.iter().enumerate() {
            assert_eq!(scope(g).members(name), model[g], "{what}: members of {s}/{name}");
        }
        for s in ["pg", "chat"] {
            let mut want: Vec<String> = GROUPS
                .iter()
                .zip(&model)
                .filter(|((sc, _), m)| *sc == s && !m.is_empty())
                .map(|((_, g), _)| g.to_string())
                .collect();
            want.sort();
            assert_eq!(node.group_scope(s).unwrap().which_groups(), want, "{what}: {s}");
        }
        for p in 0..PROCS {
            let Some(info) = node.process_info(pids[p]) else {
                assert!(!alive[p], "{what}: process {p}");
                continue;
            };
            let mut got = info.groups;
            got.sort();
            let mut want: Vec<String> = Vec::new();
            for (g, (s, name)) in GROUPS.iter().enumerate() {
                let label = if *s == "pg" { name.to_string() } else { format!("{s}/{name}") };
                let times = model[g].iter().filter(|x| **x == pids[p]).count();
                want.extend(std::iter::repeat_n(label, times));
            }
            want.sort();
            assert_eq!(got, want, "{what}: memberships of process {p}");
        }
        for (monitor, seen) in &mut monitors {
            for event in drain(monitor) {
                let event = event.unwrap_or_else(|e| panic!("{what}: {e}"));
                let members = seen.entry(event.group().to_string()).or_default();
                if event.is_join() {
                    members.push(event.pid());
                } else {
                    let at = members.iter().rposition(|x| *x == event.pid());
                    members.remove(at.unwrap_or_else(|| panic!("{what}: {event:?} unjoined")));
                }
            }
            seen.retain(|_, m| !m.is_empty());
            let scope = monitor.scope().to_string();
            for (g, (s, name)) in GROUPS.iter().enumerate() {
                if *s == scope {
                    let heard = seen.get(*name).cloned().unwrap_or_default();
                    assert_eq!(heard, model[g], "{what}: {s}/{name} as its monitor heard it");
                }
            }
        }
    }
    node.shutdown(Duration::from_secs(1)).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn group_members_match_a_multiset_model(ops in proptest::collection::vec(group_op(), 1..60)) {
        common::runtime::paused().block_on(run_group_model(ops));
    }
}

/// What a watcher has seen: each event's kind and process.
type Seen = Vec<(GroupEventKind, Pid)>;

enum WatchMsg {
    Event(Result<GroupEvent, RecvError>),
    Seen(usize, ReplyTo<Seen>),
}

/// Collects forwarded group events; answers `Seen(n)` once it holds `n` of them.
#[derive(Default)]
struct Watcher {
    seen: Seen,
    waiting: Option<(usize, ReplyTo<Seen>)>,
}

impl Process for Watcher {
    type Message = WatchMsg;

    async fn handle(&mut self, _: &mut Context<WatchMsg>, msg: WatchMsg) -> Result<(), BoxError> {
        match msg {
            WatchMsg::Event(event) => {
                let event = event?;
                self.seen.push((event.kind(), event.pid()));
            }
            WatchMsg::Seen(n, reply) => self.waiting = Some((n, reply)),
        }
        if let Some((n, _)) = &self.waiting
            && self.seen.len() >= *n
            && let Some((_, reply)) = self.waiting.take()
        {
            let _ = reply.reply(self.seen.clone());
        }
        Ok(())
    }
}

/// OTP's pg sends monitor events to the subscriber's mailbox: `forward_to` does, in order,
/// and stops with the subscriber.
#[tokio::test(start_paused = true)]
async fn a_forwarded_group_monitor_delivers_events_to_the_mailbox_in_order() {
    let node = Node::new().unwrap();
    let watcher = node.spawn(Watcher::default()).unwrap();
    let (monitor, members) = node.groups().monitor("g");
    assert!(members.is_empty());
    monitor.forward_to(&watcher, WatchMsg::Event);

    let a = node.spawn(Svc).unwrap();
    let b = node.spawn(Svc).unwrap();
    node.groups().join("g", a.pid()).unwrap();
    node.groups().join("g", b.pid()).unwrap();
    assert!(node.groups().leave("g", a.pid()));
    let seen = watcher.call(|r| WatchMsg::Seen(3, r)).await.unwrap();
    assert_eq!(
        seen,
        [
            (GroupEventKind::Joined, a.pid()),
            (GroupEventKind::Joined, b.pid()),
            (GroupEventKind::Left, a.pid()),
        ]
    );

    // The subscriber exits: the forwarding task ends with it (only `a` and `b` are left
    // running), and later changes go nowhere.
    assert!(node.kill(watcher.pid()));
    let _ = watcher.exited().await;
    assert!(common::wait::run_until(|| common::wait::alive_tasks() == 2).await);
    node.groups().join("g", a.pid()).unwrap();
    assert_eq!(node.groups().members("g").len(), 2);
}

/// As a stream, a monitor gives its events in order, then why it ended, once, then the end.
#[tokio::test(start_paused = true)]
async fn a_group_monitor_is_a_stream_that_ends_after_saying_why() {
    use futures::StreamExt;

    let node = Node::new().unwrap();
    let groups = node.groups().with_monitor_capacity(2).unwrap();
    let (mut events, _) = groups.monitor("g");
    let a = node.spawn(Svc).unwrap();
    for _ in 0..3 {
        groups.join("g", a.pid()).unwrap();
    }
    let first = events.next().await.expect("an event").expect("a join");
    assert_eq!((first.kind(), first.pid()), (GroupEventKind::Joined, a.pid()));
    assert!(events.next().await.expect("an event").is_ok_and(|e| e.is_join()));
    assert_eq!(events.next().await, Some(Err(RecvError::Lagged)));
    assert_eq!(events.next().await, None, "the stream is over");
    assert_eq!(events.next().await, None);
}

/// Forwarded events are never dropped, whatever the subscriber's overflow policy: with room
/// for one message and `DropNewest`, every event still arrives, in order.
#[tokio::test(start_paused = true)]
async fn forwarded_events_wait_for_room_under_a_drop_policy() {
    let node = Node::new().unwrap();
    let watcher = node
        .process()
        .mailbox_capacity(1)
        .overflow(foundation::message::Overflow::DropNewest)
        .spawn(Watcher::default())
        .unwrap();
    let (monitor, _) = node.groups().monitor("g");
    monitor.forward_to(&watcher, WatchMsg::Event);
    let a = node.spawn(Svc).unwrap();
    for _ in 0..5 {
        node.groups().join("g", a.pid()).unwrap();
    }
    let seen = watcher.call(|r| WatchMsg::Seen(5, r)).await.unwrap();
    assert_eq!(seen, vec![(GroupEventKind::Joined, a.pid()); 5]);
}
