//! When every memory account is in use, a limit is refused with a typed error, never dropped
//! silently; work without a limit still runs. Its own binary: it installs an allocator with a
//! table of eight accounts, and one test uses them all.

use foundation::memory::{AccountingAllocator, IsolateError, Isolation, isolate, isolate_blocking};
use foundation::{BoxError, Context, Node, Process, ReplyTo, SpawnError};

const ACCOUNTS: usize = 8;

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::with_max_accounts(ACCOUNTS);

const LIMIT: u64 = 1 << 20;

enum Msg {
    Ping(ReplyTo<()>),
}

struct Idle;

impl Process for Idle {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        let Msg::Ping(reply) = msg;
        let _ = reply.reply(());
        Ok(())
    }
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

    // An account given back is taken again. On this current-thread runtime the process's task
    // is gone once its exit is seen, so dropping the last address closes the account.
    let one = limited.pop().unwrap();
    drop(unlimited);
    assert!(node.exit(one.pid(), foundation::ExitReason::Shutdown(None)));
    one.exited().await;
    drop(one);
    let again = node.process().memory_limit(LIMIT).spawn(Idle).unwrap();
    again.call(Msg::Ping).await.unwrap();
    assert!(node.process().memory_limit(LIMIT).spawn(Idle).is_err());
}
