//! Large payloads cost a reference count, not a copy, with the accounting allocator measuring.

use bytes::Bytes;
use foundation::memory::AccountingAllocator;
use foundation::message::{Binary, MessageSize, broadcast, shared_binary_bytes};
use foundation::{BoxError, Context, Node, Process, ProcessRef, ReplyTo};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const MIB: usize = 1 << 20;

/// The shared-heap and runtime figures are global: the tests take turns.
static SHARED_HEAP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

enum Msg {
    Payload(Binary),
    Raw(Bytes),
    /// Builds a binary inside the process and keeps it.
    Build(usize),
    Forget,
    Count(ReplyTo<(u64, u64)>),
}

/// Keeps every payload it gets, so nothing is freed while the test measures.
#[derive(Default)]
struct Keeper {
    kept: Vec<Binary>,
    raw: Vec<Bytes>,
    bytes_seen: u64,
}

impl Process for Keeper {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Payload(b) => self.kept.push(b),
            Msg::Raw(b) => self.raw.push(b),
            Msg::Build(len) => self.kept.push(Binary::build(len, |buf| buf.resize(len, 3))),
            Msg::Forget => {
                self.kept = Vec::new();
                self.raw = Vec::new();
            }
            Msg::Count(reply) => {
                let _ = reply.reply(((self.kept.len() + self.raw.len()) as u64, self.bytes_seen));
            }
        }
        Ok(())
    }

    fn message_size(msg: &Msg) -> Option<usize> {
        match msg {
            Msg::Payload(b) => Some(b.message_size()),
            Msg::Raw(b) => Some(b.message_size()),
            _ => None,
        }
    }
}

/// Ends every process (dropping what they hold) before the next test measures.
async fn settle(node: Node) {
    node.shutdown(std::time::Duration::from_secs(5)).await;
}

fn live(node: &Node, p: &ProcessRef<Msg>) -> u64 {
    node.process_info(p.pid()).unwrap().memory.expect("the accounting allocator is installed")
}

/// The spec's refc binaries: a 1 MiB payload sent 10,000 times raises live memory by the
/// queue nodes and the receiver's bookkeeping only, never by a copy of the megabyte.
#[tokio::test]
async fn a_mebibyte_sent_ten_thousand_times_is_never_copied() {
    let _turn = SHARED_HEAP.lock().await;
    let node = Node::new().unwrap();
    let keeper = node.process().unbounded_mailbox().spawn(Keeper::default()).unwrap();
    keeper.call(Msg::Count).await.unwrap();
    let payload = Binary::build(MIB, |buf| buf.resize(MIB, 7));
    let shared_before = shared_binary_bytes();
    let total_before = foundation::memory::runtime_bytes().unwrap() + live(&node, &keeper);

    for _ in 0..10_000 {
        keeper.send(Msg::Payload(payload.clone())).await.unwrap();
    }
    let (kept, _) = keeper.call(Msg::Count).await.unwrap();
    assert_eq!(kept, 10_000);

    let grown = (foundation::memory::runtime_bytes().unwrap() + live(&node, &keeper))
        .saturating_sub(total_before);
    // 10,000 copies would be 10 GiB; the references, queue blocks and the keeper's Vec are
    // well under a few hundred bytes each.
    assert!(grown < 10_000 * 512, "live memory grew by {grown} bytes for 10,000 sends");
    assert_eq!(shared_binary_bytes(), shared_before, "no new shared bytes: no copy");

    keeper.send(Msg::Forget).await.unwrap();
    keeper.call(Msg::Count).await.unwrap();
    drop(payload);
    assert_eq!(shared_binary_bytes(), shared_before - MIB as u64, "the last reference frees it");
    settle(node).await;
}

/// Bytes from the `bytes` crate move the same way, and their sizes feed the analytics.
#[tokio::test]
async fn bytes_payloads_are_shared_and_measured() {
    let _turn = SHARED_HEAP.lock().await;
    let node = Node::new().unwrap();
    let keeper = node.spawn(Keeper::default()).unwrap();
    let payload = Bytes::from(vec![1u8; 256 * 1024]);
    for _ in 0..100 {
        keeper.send(Msg::Raw(payload.clone())).await.unwrap();
    }
    keeper.call(Msg::Count).await.unwrap();
    let stats = node.process_info(keeper.pid()).unwrap().messages;
    assert_eq!(stats.bytes_received, Some(100 * 256 * 1024));
    assert_eq!(stats.largest_message, Some(256 * 1024));
    assert!(stats.received >= 100);
    // The receiver holds 100 references to one buffer: far less than one more copy of it.
    let held = live(&node, &keeper);
    assert!(held < 256 * 1024, "the keeper holds {held} bytes for 100 shared references");
    settle(node).await;
}

/// A binary built inside a process lives on the shared heap: it is not charged to the
/// process that built it (so a broadcast payload counts against nobody's limit).
#[tokio::test]
async fn a_built_binary_is_charged_to_the_shared_heap_not_the_builder() {
    let _turn = SHARED_HEAP.lock().await;
    let node = Node::new().unwrap();
    let keeper = node.spawn(Keeper::default()).unwrap();
    keeper.call(Msg::Count).await.unwrap();
    let before = live(&node, &keeper);
    let shared_before = shared_binary_bytes();
    keeper.send(Msg::Build(8 * MIB)).await.unwrap();
    keeper.call(Msg::Count).await.unwrap();
    let after = live(&node, &keeper);
    assert!(after < before + MIB as u64, "the builder was charged {} bytes", after - before);
    assert_eq!(shared_binary_bytes(), shared_before + 8 * MIB as u64);
    settle(node).await;
    assert_eq!(shared_binary_bytes(), shared_before, "freed with the process that held it");
}

/// A broadcast of one binary to a thousand processes shares one allocation.
#[tokio::test]
async fn broadcasting_a_binary_to_a_thousand_processes_shares_one_allocation() {
    let _turn = SHARED_HEAP.lock().await;
    let node = Node::new().unwrap();
    let keepers: Vec<_> = (0..1000).map(|_| node.spawn(Keeper::default()).unwrap()).collect();
    let shared_before = shared_binary_bytes();
    let payload = Binary::copy_from_slice(&vec![9u8; MIB]);
    let report = broadcast(&keepers, Msg::Payload(payload.clone()))
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.delivered, 1000);
    for k in &keepers {
        assert_eq!(k.call(Msg::Count).await.unwrap().0, 1);
    }
    assert_eq!(shared_binary_bytes(), shared_before + MIB as u64, "one megabyte, not a thousand");
    drop(payload);
    settle(node).await;
    assert_eq!(shared_binary_bytes(), shared_before, "freed with the last receiver");
}

impl Clone for Msg {
    fn clone(&self) -> Self {
        match self {
            Msg::Payload(b) => Msg::Payload(b.clone()),
            Msg::Raw(b) => Msg::Raw(b.clone()),
            Msg::Build(n) => Msg::Build(*n),
            Msg::Forget => Msg::Forget,
            Msg::Count(_) => unreachable!("calls are not broadcast"),
        }
    }
}
