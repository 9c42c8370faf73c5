//! When every memory account is in use, a limit is refused with a typed error, never dropped
//! silently; work without a limit still runs. Its own binary: it installs an allocator with a
//! table of eight accounts, and one test uses them all.

use std::time::Duration;

use foundation::ecosystem::{EcosystemConfig, EcosystemSpec};
use foundation::memory::{AccountingAllocator, IsolateError, Isolation, isolate, isolate_blocking};
use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorSpec};
use foundation::{BoxError, Context, ExitReason, Node, Process, ProcessRef, ReplyTo, SpawnError};

const ACCOUNTS: usize = 8;

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::with_max_accounts(ACCOUNTS);

const LIMIT: u64 = 1 << 20;

enum Msg {
    Ping(ReplyTo<()>),
    Crash,
}

struct Idle;

impl Process for Idle {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Ping(reply) => {
                let _ = reply.reply(());
                Ok(())
            }
            Msg::Crash => Err("crash on purpose".into()),
        }
    }
}

/// Ends a process and waits until its account is closed: on this current-thread runtime its
/// task is gone once its exit is seen, so dropping the last address closes the account.
async fn end(node: &Node, p: ProcessRef<Msg>) {
    node.exit(p.pid(), ExitReason::Shutdown(None));
    p.exited().await;
    drop(p);
}

#[tokio::test]
async fn a_limit_without_a_free_account_is_a_typed_error() {
    let node = Node::new().unwrap();
    let mut limited = Vec::new();
    let err = loop {
        match node.process().memory_limit(LIMIT).spawn(Idle) {
            Ok(p) => limited.push(p),
            Err(err) => break err,
        }
        assert!(limited.len() <= ACCOUNTS, "more accounts than the allocator allows");
    };
    assert_eq!(limited.len(), ACCOUNTS, "nothing else here holds an account");
    assert!(matches!(err, SpawnError::NoMemoryAccount { in_use: ACCOUNTS }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("`memory_limit`") && text.contains("all 8 in use"), "{text}");
    for p in &limited {
        p.call(Msg::Ping).await.unwrap();
        assert!(node.process_info(p.pid()).unwrap().memory.is_some());
    }

    // Without a limit, a process still spawns, on the runtime's account: no figure of its own.
    let unlimited = node.spawn(Idle).unwrap();
    unlimited.call(Msg::Ping).await.unwrap();
    assert_eq!(node.process_info(unlimited.pid()).unwrap().memory, None);

    // Isolated work likewise.
    let capped = Isolation::new().memory_limit(LIMIT);
    let err = isolate(capped, || async { 1 }).await.unwrap_err();
    assert_eq!(err, IsolateError::NoMemoryAccount { in_use: ACCOUNTS });
    assert!(err.to_string().contains("`memory_limit`"), "{err}");
    let err = isolate_blocking(capped, || 1).await.unwrap_err();
    assert_eq!(err, IsolateError::NoMemoryAccount { in_use: ACCOUNTS });
    assert_eq!(isolate(Isolation::new(), || async { 2 }).await, Ok(2));
    assert_eq!(isolate_blocking(Isolation::new(), || 3).await, Ok(3));

    // An account given back is taken again.
    drop(unlimited);
    end(&node, limited.pop().unwrap()).await;
    let again = node.process().memory_limit(LIMIT).spawn(Idle).unwrap();
    again.call(Msg::Ping).await.unwrap();
    assert!(node.process().memory_limit(LIMIT).spawn(Idle).is_err());
    limited.push(again);

    // Isolated work that is given up on gives its account back: its task is aborted.
    end(&node, limited.pop().unwrap()).await;
    let forever = isolate(capped, std::future::pending::<()>);
    // Polled once (it takes the last account and starts its task), then dropped.
    let gave_up = tokio::time::timeout(Duration::ZERO, forever).await;
    assert!(gave_up.is_err());
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    let again = node.process().memory_limit(LIMIT).spawn(Idle);
    limited.push(again.expect("the abandoned work's account was given back"));

    // A supervised child under a limit restarts with every account in use: its new
    // incarnation takes its predecessor's account back. Two accounts free: the supervisor
    // takes one too (a process without a limit has an account while one is free).
    end(&node, limited.pop().unwrap()).await;
    end(&node, limited.pop().unwrap()).await;
    let spec = SupervisorSpec::new()
        .intensity(RestartIntensity::new(2, Duration::from_secs(5)))
        .child(ChildSpec::worker("idle", || Idle).memory_limit(LIMIT));
    let sup = node.spawn_supervisor(spec).await.unwrap();
    let child = sup.child::<Msg>("idle").await.unwrap().unwrap();
    assert!(node.process().memory_limit(LIMIT).spawn(Idle).is_err(), "all in use");
    let first = child.pid();
    child.send(Msg::Crash).await.unwrap();
    child.call(Msg::Ping).await.unwrap();
    assert_ne!(child.pid(), first, "restarted");
    assert!(node.process_info(child.pid()).unwrap().memory.is_some(), "on an account");

    // An ecosystem whose members have a limit does not start without accounts for them.
    let config = EcosystemConfig::new("limited").workers(2).process_memory_limit(LIMIT);
    let spec = EcosystemSpec::new(config).coordinator(|_| Idle).worker(|_| Idle);
    let err = node.spawn_ecosystem(spec).await.unwrap_err();
    // The member's start failed: the why is the error's source, as a reporter prints it.
    let report = report(&err);
    assert!(report.contains("no memory account is free"), "{report}");
}

/// The error and its sources joined by ": ", as anyhow prints them.
fn report(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
