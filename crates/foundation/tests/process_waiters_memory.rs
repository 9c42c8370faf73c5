//! Waiting for a process's exit with a timeout, again and again, leaves nothing behind: a
//! waiter that gave up is dropped, not kept in the process it waited for. (One test in its own
//! binary: it reads the whole heap, which other tests would disturb.)

use std::time::Duration;

use foundation::memory::AccountingAllocator;
use foundation::{BoxError, Context, ExitReason, Node, Process};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

struct Idle;

impl Process for Idle {
    type Message = &'static str;

    async fn handle(
        &mut self,
        _: &mut Context<&'static str>,
        msg: &'static str,
    ) -> Result<(), BoxError> {
        Err(msg.into())
    }
}

async fn give_up_waiting(node: &Node, pid: foundation::Pid, times: usize) {
    for _ in 0..times {
        let waited = tokio::time::timeout(Duration::from_millis(1), node.wait_exit(pid)).await;
        assert!(waited.is_err(), "the process is still running");
    }
}

#[tokio::test(start_paused = true)]
async fn waiters_that_give_up_do_not_pile_up() {
    let node = Node::new().unwrap();
    let p = node.spawn(Idle).unwrap();
    let pid = p.pid();
    give_up_waiting(&node, pid, 100).await;
    let before = foundation::memory::total_bytes().unwrap();
    give_up_waiting(&node, pid, 10_000).await;
    let after = foundation::memory::total_bytes().unwrap();
    // Ten thousand abandoned waiters kept would hold over a megabyte.
    assert!(after < before + 4096, "{before} -> {after}: abandoned waiters are kept");
    // And a waiter that stays is told.
    let waiter = tokio::spawn({
        let node = node.clone();
        async move { node.wait_exit(pid).await }
    });
    tokio::task::yield_now().await;
    p.send("done").await.unwrap();
    assert_eq!(waiter.await.unwrap(), ExitReason::error("done"));
}
