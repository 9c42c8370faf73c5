//! Per-process memory accounting with the accounting allocator installed.

use std::time::Duration;

use foundation::memory::AccountingAllocator;
use foundation::{BoxError, Context, ExitReason, Node, Process, ProcessRef, ReplyTo};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const MIB: usize = 1 << 20;

enum Msg {
    Hold(usize),
    Release,
    SendAway(ProcessRef<Msg>),
    Take(Vec<u8>),
    Ping(ReplyTo<()>),
}

#[derive(Default)]
struct Holder {
    held: Vec<Vec<u8>>,
}

impl Process for Holder {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Hold(bytes) => self.held.push(vec![1u8; bytes]),
            Msg::Release => self.held.clear(),
            Msg::SendAway(to) => {
                if let Some(block) = self.held.pop() {
                    to.send(Msg::Take(block)).await?;
                }
            }
            Msg::Take(block) => self.held.push(block),
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
        }
        Ok(())
    }
}

fn memory(node: &Node, p: &ProcessRef<Msg>) -> u64 {
    node.process_info(p.pid()).unwrap().memory.expect("the accounting allocator is installed")
}

#[tokio::test]
async fn a_process_is_charged_for_what_it_holds_and_credited_when_it_lets_go() {
    assert!(foundation::memory::is_installed());
    let node = Node::new().unwrap();
    let p = node.spawn(Holder::default()).unwrap();
    p.call(Msg::Ping).await.unwrap();
    let idle = memory(&node, &p);
    assert!(idle > 0, "a process pays for its own control block and task");
    p.send(Msg::Hold(4 * MIB)).await.unwrap();
    p.call(Msg::Ping).await.unwrap();
    let holding = memory(&node, &p);
    assert!(holding >= idle + 4 * MIB as u64, "{idle} -> {holding}");
    p.send(Msg::Release).await.unwrap();
    p.call(Msg::Ping).await.unwrap();
    let released = memory(&node, &p);
    assert!(released < idle + MIB as u64, "{idle} -> {released}");
    let peak = node.process_info(p.pid()).unwrap().memory_peak.unwrap();
    assert!(peak >= holding, "peak {peak} < {holding}");
}

#[tokio::test]
async fn memory_sent_away_stays_charged_to_its_allocator_until_the_receiver_drops_it() {
    let node = Node::new().unwrap();
    let sender = node.spawn(Holder::default()).unwrap();
    let receiver = node.spawn(Holder::default()).unwrap();
    sender.call(Msg::Ping).await.unwrap();
    receiver.call(Msg::Ping).await.unwrap();
    let (sender_idle, receiver_idle) = (memory(&node, &sender), memory(&node, &receiver));

    sender.send(Msg::Hold(8 * MIB)).await.unwrap();
    sender.send(Msg::SendAway(receiver.clone())).await.unwrap();
    sender.call(Msg::Ping).await.unwrap();
    receiver.call(Msg::Ping).await.unwrap();
    assert!(memory(&node, &sender) >= sender_idle + 8 * MIB as u64, "still the sender's bytes");
    assert!(memory(&node, &receiver) < receiver_idle + MIB as u64, "not the receiver's");

    receiver.send(Msg::Release).await.unwrap();
    receiver.call(Msg::Ping).await.unwrap();
    assert!(memory(&node, &sender) < sender_idle + MIB as u64, "credited back to the sender");
}

#[tokio::test]
async fn a_limit_below_the_minimum_is_a_typed_error() {
    let node = Node::new().unwrap();
    let err = node.process().memory_limit(100).spawn(Holder::default()).unwrap_err();
    assert!(err.to_string().contains("memory_limit"), "{err}");
}

#[tokio::test]
async fn a_process_over_its_limit_ends_with_the_memory_limit_reason() {
    let node = Node::new().unwrap();
    let p = node.process().memory_limit(16 * MIB as u64).spawn(Holder::default()).unwrap();
    for _ in 0..64 {
        if p.send(Msg::Hold(MIB)).await.is_err() {
            break;
        }
    }
    match p.exited().await {
        ExitReason::MemoryLimit { limit, held } => {
            assert_eq!(limit, 16 * MIB as u64);
            assert!(held > limit);
        }
        other => panic!("expected the memory limit, got {other:?}"),
    }
    tokio::time::sleep(Duration::ZERO).await;
}
