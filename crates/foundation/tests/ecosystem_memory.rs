//! Ecosystem memory: isolated heaps with limits, the shared heap's budget, GC strategies.

mod common;

use std::time::Duration;

use foundation::ecosystem::{
    EcosystemConfig, EcosystemSpec, GcStrategy, MemberState, MemoryPressure, MemoryStrategy,
};
use foundation::memory::AccountingAllocator;
use foundation::supervisor::RestartIntensity;
use foundation::telemetry::{Event, Recorder};
use foundation::{BoxError, Context, Node, Process, ReplyTo};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const MIB: usize = 1 << 20;

enum Msg {
    Hold(usize),
    /// Fills and clears a scratch buffer: its capacity stays until `compact`.
    Burst(usize),
    Ping(ReplyTo<()>),
}

#[derive(Default)]
struct Member {
    held: Vec<Vec<u8>>,
    scratch: Vec<u8>,
}

impl Process for Member {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Hold(bytes) => self.held.push(vec![1; bytes]),
            Msg::Burst(bytes) => {
                self.scratch.resize(bytes, 2);
                self.scratch.clear();
            }
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
        }
        Ok(())
    }

    fn compact(&mut self, _ctx: &mut Context<Msg>) {
        self.scratch.shrink_to_fit();
    }
}

fn spec(config: EcosystemConfig) -> EcosystemSpec<Member, Member> {
    EcosystemSpec::new(config).coordinator(|_| Member::default()).worker(|_| Member::default())
}

#[tokio::test(start_paused = true)]
async fn a_member_over_its_limit_is_ended_alone_and_restarted() {
    let node = Node::new().unwrap();
    let recorder = Recorder::default();
    node.telemetry().attach(recorder.clone());
    let config = EcosystemConfig::new("isolated").workers(3).process_memory_limit(8 * MIB as u64);
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let hog = eco.workers()[1].clone();
    for _ in 0..12 {
        hog.send(Msg::Hold(MIB)).await.unwrap();
    }
    hog.call(Msg::Ping).await.unwrap(); // answered by the next incarnation
    let info = eco.info();
    assert_eq!(info.workers[1].restarts, 1);
    assert!(info.workers[1].last_exit.as_ref().unwrap().is_memory_limit());
    assert!(info.workers[1].memory.unwrap() < 8 * MIB as u64);
    assert!(info.workers.iter().all(|w| w.state == MemberState::Alive));
    assert!(recorder.events().iter().any(|e| matches!(
        e,
        Event::WorkerRestarted { index: 1, reason: Some(r), .. } if r.is_memory_limit()
    )));
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_shared_heap_ends_the_largest_member_when_the_budget_is_exceeded() {
    let node = Node::new().unwrap();
    let recorder = Recorder::default();
    node.telemetry().attach(recorder.clone());
    let config = EcosystemConfig::new("shared")
        .workers(3)
        .memory_strategy(MemoryStrategy::SharedHeap)
        .memory_budget(32 * MIB as u64)
        .restart_intensity(RestartIntensity::new(5, Duration::from_secs(5)));
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let (small, large) = (eco.workers()[0].clone(), eco.workers()[2].clone());
    small.send(Msg::Hold(8 * MIB)).await.unwrap();
    large.send(Msg::Hold(30 * MIB)).await.unwrap();
    small.call(Msg::Ping).await.unwrap();
    large.call(Msg::Ping).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    large.call(Msg::Ping).await.unwrap();
    let info = eco.info();
    assert_eq!(info.workers[2].restarts, 1, "the largest member went");
    assert!(info.workers[2].last_exit.as_ref().unwrap().is_memory_limit());
    assert_eq!(info.workers[0].restarts, 0, "the others kept running");
    assert!(info.workers[0].memory.unwrap() >= 8 * MIB as u64);
    let pressures: Vec<_> = recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::MemoryPressure { pressure, .. } => Some(pressure),
            _ => None,
        })
        .collect();
    assert!(pressures.contains(&MemoryPressure::High), "{pressures:?}");
    eco.shutdown().await;
}

async fn memory_after_burst(gc: GcStrategy) -> (u64, Vec<Event>) {
    let node = Node::new().unwrap();
    let recorder = Recorder::default();
    node.telemetry().attach(recorder.clone());
    let config = EcosystemConfig::new(format!("gc-{gc:?}")).workers(1).gc_strategy(gc);
    let eco = node.spawn_ecosystem(spec(config)).await.unwrap();
    let worker = eco.workers()[0].clone();
    worker.send(Msg::Burst(4 * MIB)).await.unwrap();
    worker.call(Msg::Ping).await.unwrap();
    tokio::task::yield_now().await;
    let memory = eco.info().workers[0].memory.unwrap();
    eco.shutdown().await;
    (memory, recorder.events())
}

#[tokio::test(start_paused = true)]
async fn frequent_minor_gives_spare_capacity_back_after_a_burst_and_standard_keeps_it() {
    let (eager, events) = memory_after_burst(GcStrategy::FrequentMinor).await;
    let (lazy, lazy_events) = memory_after_burst(GcStrategy::Standard).await;
    assert!(lazy >= eager + 3 * MIB as u64, "standard {lazy} vs frequent_minor {eager}");
    let returned: u64 = events
        .iter()
        .filter_map(|e| match e {
            Event::GcCompleted { bytes_returned, .. } => *bytes_returned,
            _ => None,
        })
        .sum();
    assert!(returned >= 4 * MIB as u64, "gc_completed told {returned} bytes");
    assert!(!lazy_events.iter().any(|e| matches!(e, Event::GcCompleted { .. })));
}

#[tokio::test]
async fn memory_settings_out_of_range_are_errors_naming_the_field() {
    let node = Node::new().unwrap();
    let cases = [
        (EcosystemConfig::new("a").memory_strategy(MemoryStrategy::SharedHeap), "memory_budget"),
        (EcosystemConfig::new("b").workers(10).memory_budget(1000), "memory_budget"),
        (EcosystemConfig::new("c").process_memory_limit(10), "process_memory_limit"),
    ];
    for (config, field) in cases {
        let err = node.spawn_ecosystem(spec(config)).await.unwrap_err();
        assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn every_member_holds_memory_and_the_total_is_their_sum(workers in 1usize..=20) {
        common::runtime::paused().block_on(async {
            let node = Node::new().unwrap();
            let eco = node.spawn_ecosystem(spec(EcosystemConfig::new("sum").workers(workers))).await.unwrap();
            let info = eco.info();
            let members: Vec<u64> = std::iter::once(&info.coordinator)
                .chain(&info.workers)
                .map(|m| m.memory.unwrap())
                .collect();
            prop_assert!(members.iter().all(|m| *m > 0));
            prop_assert_eq!(info.total_memory, Some(members.iter().sum::<u64>()));
            eco.shutdown().await;
            Ok(())
        })?;
    }
}
