//! The memory limit ends only the offender, and its memory comes back (one test per binary:
//! it measures the runtime account, which other tests would disturb).

use std::time::Duration;

use foundation::memory::AccountingAllocator;
use foundation::{BoxError, Context, ExitReason, Node, Process, ReplyTo};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const MIB: usize = 1 << 20;

enum HogMsg {
    Grow(usize),
}

/// Allocates 1 MiB per step, up to `steps`, sending itself the next step.
#[derive(Default)]
struct Hog {
    hoard: Vec<Vec<u8>>,
}

impl Process for Hog {
    type Message = HogMsg;

    async fn handle(&mut self, ctx: &mut Context<HogMsg>, msg: HogMsg) -> Result<(), BoxError> {
        let HogMsg::Grow(left) = msg;
        self.hoard.push(vec![7u8; MIB]);
        if left > 1 {
            ctx.myself().send(HogMsg::Grow(left - 1)).await?;
        }
        Ok(())
    }
}

enum Ping {
    Ping(ReplyTo<u32>),
}

struct Neighbour(u32);

impl Process for Neighbour {
    type Message = Ping;

    async fn handle(&mut self, _ctx: &mut Context<Ping>, msg: Ping) -> Result<(), BoxError> {
        let Ping::Ping(reply) = msg;
        let _ = reply.reply(self.0);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gib_in_one_mib_steps_under_a_64_mib_limit() {
    let node = Node::new().unwrap();
    let neighbours: Vec<_> = (0..100).map(|i| node.spawn(Neighbour(i)).unwrap()).collect();
    for (i, n) in neighbours.iter().enumerate() {
        assert_eq!(n.call(Ping::Ping).await.unwrap(), i as u32);
    }
    let before = foundation::memory::runtime_bytes().unwrap();

    let hog = node.process().memory_limit(64 * MIB as u64).spawn(Hog::default()).unwrap();
    hog.send(HogMsg::Grow(1024)).await.unwrap();
    let reason = hog.exited().await;
    assert!(
        matches!(reason, ExitReason::MemoryLimit { limit, .. } if limit == 64 * MIB as u64),
        "{reason:?}"
    );

    // The neighbours never noticed.
    for (i, n) in neighbours.iter().enumerate() {
        assert_eq!(n.call(Ping::Ping).await.unwrap(), i as u32);
    }
    drop(hog);
    drop(neighbours);
    node.shutdown(Duration::from_secs(5)).await;
    drop(node);
    tokio::task::yield_now().await;
    let after = foundation::memory::runtime_bytes().unwrap();
    let drift = after.abs_diff(before);
    assert!(drift < MIB as u64, "runtime account moved by {drift} bytes ({before} -> {after})");
}
