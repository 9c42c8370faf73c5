//! A child is charged for its own control block, mailbox and task, never for the node's tables
//! (process table, names, groups) that grow when it is spawned or joins a group.
//!
//! Runs on a multi-thread runtime, spawning from outside its workers: tokio then queues new
//! tasks on a linked list, so the spawn itself allocates nothing but the task (on a
//! current-thread runtime, tokio's own run queue is a growable array; see the `memory` docs).

use foundation::memory::AccountingAllocator;
use foundation::{BoxError, Context, Node, Process, ProcessRef, ReplyTo};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

/// Enough for the process table's shards, the name registry and a group to grow many times.
const PROCESSES: usize = 10_000;

/// The most one child's figure may sit above the typical child's. Every child here holds the
/// same (its own control block and task); a table's rehash is 1.5 KiB and more.
const SLACK: u64 = 256;

enum Msg {
    Ping(ReplyTo<()>),
}

struct Idle {
    /// Joins this group from its own `init`.
    group: Option<&'static str>,
}

impl Process for Idle {
    type Message = Msg;

    async fn init(&mut self, ctx: &mut Context<Msg>) -> Result<(), BoxError> {
        if let Some(group) = self.group {
            ctx.node().groups().join(group, ctx.pid())?;
        }
        Ok(())
    }

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        let Msg::Ping(reply) = msg;
        let _ = reply.reply(());
        Ok(())
    }
}

fn memory(node: &Node, p: &ProcessRef<Msg>) -> u64 {
    node.process_info(p.pid()).unwrap().memory.expect("the accounting allocator is installed")
}

/// The typical figure (the median) and every child above it by more than [`SLACK`].
fn outliers(figures: &[u64]) -> (u64, Vec<(usize, u64)>) {
    let mut sorted = figures.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let above = figures.iter().copied().enumerate().filter(|&(_, f)| f > median + SLACK).collect();
    (median, above)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawn_that_grows_the_process_table_or_the_names_does_not_charge_the_child() {
    let node = Node::new().unwrap();
    let mut children = Vec::with_capacity(PROCESSES);
    let mut figures = Vec::with_capacity(PROCESSES);
    for i in 0..PROCESSES {
        let child = node.process().name(format!("idle-{i}")).spawn(Idle { group: None }).unwrap();
        figures.push(memory(&node, &child));
        children.push(child);
    }
    let (median, above) = outliers(&figures);
    assert!(median < 4096, "a child's own size: {median} bytes");
    assert!(
        above.is_empty(),
        "{} children charged for a table's growth right after spawn (median {median} B): {:?}",
        above.len(),
        &above[..above.len().min(10)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_a_group_from_a_handler_does_not_charge_the_joiner_for_the_group() {
    let node = Node::new().unwrap();
    let mut children = Vec::with_capacity(PROCESSES);
    let mut figures = Vec::with_capacity(PROCESSES);
    for _ in 0..PROCESSES {
        let child = node.spawn(Idle { group: Some("everyone") }).unwrap();
        child.call(Msg::Ping).await.unwrap(); // its `init` has joined
        figures.push(memory(&node, &child));
        children.push(child);
    }
    assert_eq!(node.groups().members("everyone").len(), PROCESSES);
    let (median, above) = outliers(&figures);
    assert!(
        above.is_empty(),
        "{} children charged for the group's growth (median {median} B): {:?}",
        above.len(),
        &above[..above.len().min(10)]
    );
}
