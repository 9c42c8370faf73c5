//! A realloc charges the process that grows a block, not the one that first allocated it: a
//! process cannot escape its limit by growing a buffer it was handed.

use std::time::Duration;

use foundation::memory::AccountingAllocator;
use foundation::{BoxError, Context, ExitReason, Node, Process};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const MIB: usize = 1 << 20;

enum Msg {
    /// Grow this buffer by this many bytes, and keep it.
    Grow(Vec<u8>, usize),
}

#[derive(Default)]
struct Grower {
    kept: Vec<u8>,
}

impl Process for Grower {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        let Msg::Grow(mut buffer, extra) = msg;
        buffer.reserve_exact(extra);
        self.kept = buffer;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn growing_a_buffer_received_from_outside_any_process_counts_against_the_limit() {
    let node = Node::new().unwrap();
    let limit = 16 * MIB as u64;
    let grower = node.process().memory_limit(limit).spawn(Grower::default()).unwrap();
    // Allocated here, outside any process: the runtime account's.
    let buffer = vec![1u8; 8 * MIB];
    grower.send(Msg::Grow(buffer, 32 * MIB)).await.unwrap();
    // On the paused clock the timeout fires only once nothing else can run: the grower was
    // never charged for its 40 MiB block.
    let reason = tokio::time::timeout(Duration::from_secs(60), grower.exited())
        .await
        .expect("the grower held a 40 MiB block under a 16 MiB limit and was not stopped");
    assert!(
        matches!(reason, ExitReason::MemoryLimit { limit: l, held } if l == limit && held >= 40 * MIB as u64),
        "{reason:?}"
    );
}
