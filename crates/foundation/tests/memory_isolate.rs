//! Isolated work: its own account, a cap, a timeout, panic isolation.

use std::time::Duration;

use foundation::memory::{AccountingAllocator, IsolateError, Isolation, isolate, isolate_blocking};
use foundation::{BoxError, Context, Node, Process, ReplyTo};

#[global_allocator]
static ALLOCATOR: AccountingAllocator = AccountingAllocator::new();

const MIB: usize = 1 << 20;

#[tokio::test]
async fn summing_returns_the_value_both_ways() {
    let sum = isolate(Isolation::new(), || async { (1..=10_000u64).sum::<u64>() }).await;
    assert_eq!(sum, Ok(50_005_000));
    let sum = isolate_blocking(Isolation::new(), || (1..=10_000u64).sum::<u64>()).await;
    assert_eq!(sum, Ok(50_005_000));
}

#[tokio::test]
async fn a_panic_comes_back_as_an_error_with_its_message() {
    let err = isolate(Isolation::new(), || async {
        if true {
            panic!("Simulated error");
        }
        1
    })
    .await
    .unwrap_err();
    assert!(matches!(&err, IsolateError::Panicked(m) if m.contains("Simulated error")), "{err}");
    let err = isolate_blocking(Isolation::new(), || -> u32 { panic!("Simulated error") })
        .await
        .unwrap_err();
    assert!(matches!(&err, IsolateError::Panicked(m) if m.contains("Simulated error")), "{err}");
}

#[tokio::test(start_paused = true)]
async fn work_past_its_timeout_is_dropped_with_what_it_held() {
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>, Vec<u8>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let flag = std::sync::Arc::clone(&dropped);
    let err = isolate(Isolation::new().timeout(Duration::from_secs(1)), move || async move {
        let held = Flag(flag, vec![0u8; 4 * MIB]);
        tokio::time::sleep(Duration::from_secs(3600)).await;
        held.1.len()
    })
    .await
    .unwrap_err();
    assert_eq!(err, IsolateError::Timeout(Duration::from_secs(1)));
    tokio::task::yield_now().await;
    assert!(dropped.load(std::sync::atomic::Ordering::SeqCst), "its memory was freed");
}

#[tokio::test]
async fn work_over_its_cap_is_ended() {
    let err = isolate(Isolation::new().memory_limit(8 * MIB as u64), || async {
        let mut hoard = Vec::new();
        for _ in 0..64 {
            hoard.push(vec![1u8; MIB]);
            tokio::task::yield_now().await;
        }
        hoard.len()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, IsolateError::MemoryLimit { limit, held } if limit == 8 * MIB as u64 && held > limit),
        "{err}"
    );
}

#[tokio::test]
async fn zero_limits_are_typed_errors() {
    let err = isolate(Isolation::new().timeout(Duration::ZERO), || async { 1 }).await.unwrap_err();
    assert!(err.to_string().contains("`timeout`"), "{err}");
    let err = isolate_blocking(Isolation::new().memory_limit(0), || 1).await.unwrap_err();
    assert!(err.to_string().contains("`memory_limit`"), "{err}");
}

#[tokio::test]
async fn concurrent_isolated_jobs_each_return_their_own_result() {
    let jobs: Vec<_> = (2..=10u64)
        .map(|n| tokio::spawn(isolate(Isolation::new(), move || async move { n * n })))
        .collect();
    for (n, job) in (2..=10u64).zip(jobs) {
        assert_eq!(job.await.unwrap(), Ok(n * n));
    }
}

enum Msg {
    Crunch(ReplyTo<usize>),
    Ping(ReplyTo<()>),
}

struct Caller;

impl Process for Caller {
    type Message = Msg;

    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Crunch(reply) => {
                let len = isolate(Isolation::new(), || async {
                    let big = vec![3u8; 100 * MIB];
                    big.iter().filter(|b| **b == 3).count()
                })
                .await?;
                let _ = reply.reply(len);
            }
            Msg::Ping(reply) => {
                let _ = reply.reply(());
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn the_callers_memory_does_not_move_when_it_isolates_100_mib() {
    let node = Node::new().unwrap();
    let caller = node.spawn(Caller).unwrap();
    caller.call(Msg::Ping).await.unwrap();
    let before = node.process_info(caller.pid()).unwrap().memory.unwrap();
    assert_eq!(caller.call(Msg::Crunch).await.unwrap(), 100 * MIB);
    let after = node.process_info(caller.pid()).unwrap().memory.unwrap();
    let peak = node.process_info(caller.pid()).unwrap().memory_peak.unwrap();
    assert!(after.abs_diff(before) < 64 * 1024, "{before} -> {after}");
    assert!(peak < 100 * MIB as u64, "the 100 MiB were never the caller's: peak {peak}");
}

/// Sets its flag when dropped; holds a clone of an `Arc` the test counts.
struct DropFlag {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    _counted: std::sync::Arc<()>,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.flag.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_isolate_future_stops_the_work() {
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counted = std::sync::Arc::new(());
    let guard = DropFlag {
        flag: std::sync::Arc::clone(&dropped),
        _counted: std::sync::Arc::clone(&counted),
    };
    // No timeout of its own: only the caller gives up, by dropping the future.
    let work = isolate(Isolation::new(), move || async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    let gave_up = tokio::time::timeout(Duration::from_secs(1), work).await;
    assert!(gave_up.is_err(), "the work never ends");
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    assert!(dropped.load(std::sync::atomic::Ordering::SeqCst), "the work still runs");
    assert_eq!(std::sync::Arc::strong_count(&counted), 1, "the work still holds its state");
}
