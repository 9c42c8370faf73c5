//! A telemetry observer that panics is detached and reported; the process that emitted the
//! event (here a restarted coordinator, in its `init`) never sees the panic.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use common::members::{Counts, Member, Msg};
use common::wait::run_until;
use foundation::Node;
use foundation::ecosystem::{EcosystemConfig, EcosystemSpec, MemberState};
use foundation::telemetry::{Event, Recorder};

#[tokio::test(start_paused = true)]
async fn an_observer_that_panics_in_a_coordinator_restart_is_detached_and_reported() {
    let node = Node::new().unwrap();
    let (coordinators, workers) = (Counts::default(), Counts::default());
    let spec = EcosystemSpec::new(EcosystemConfig::new("observed").workers(1))
        .coordinator({
            let counts = coordinators.clone();
            move |_| Member::quick(&counts)
        })
        .worker({
            let counts = workers.clone();
            move |_| Member::quick(&counts)
        });
    let eco = node.spawn_ecosystem(spec).await.unwrap();

    let recorder = Recorder::default();
    node.telemetry().attach(recorder.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let buggy = node.telemetry().attach({
        let calls = Arc::clone(&calls);
        move |_: &Event| {
            calls.fetch_add(1, SeqCst);
            panic!("observer bug");
        }
    });
    assert_eq!(node.telemetry().observers(), 2);

    // The new coordinator emits `coordinator_restarted` from its `init`: the observer panics
    // there, inside the coordinator.
    let coordinator = eco.coordinator();
    let first = coordinator.pid();
    coordinator.send(Msg::Crash).await.unwrap();
    coordinator.call(Msg::Ping).await.expect("the restarted coordinator answers");
    assert_ne!(coordinator.pid(), first);
    let info = eco.info();
    assert_eq!(info.coordinator.state, MemberState::Alive);
    assert_eq!(info.coordinator.restarts, 1, "its first restart succeeded");
    assert_eq!(coordinators.inits(), 2);

    assert_eq!(node.telemetry().observers(), 1, "the panicking observer is detached");
    assert_eq!(calls.load(SeqCst), 1);
    assert_eq!(
        recorder.names(),
        ["foundation.ecosystem.coordinator_restarted", "foundation.telemetry.observer_detached"],
        "the other observer saw the event, then the report"
    );
    match &recorder.events()[1] {
        Event::ObserverDetached { observer, panic, .. } => {
            assert_eq!(*observer, buggy);
            assert_eq!(&**panic, "observer bug");
        }
        other => panic!("not the report: {other:?}"),
    }
    assert!(!node.telemetry().detach(buggy), "already detached");

    // Later events reach the other observer only.
    tokio::time::sleep(Duration::from_secs(6)).await; // out of the restart window
    let worker = eco.workers().remove(0);
    worker.send(Msg::Crash).await.unwrap();
    worker.call(Msg::Ping).await.unwrap();
    eco.shutdown().await;
    let stopped = || recorder.names().contains(&"foundation.ecosystem.stopped");
    assert!(run_until(stopped).await, "{:?}", recorder.names());
    assert!(recorder.names().contains(&"foundation.ecosystem.worker_restarted"));
    assert_eq!(calls.load(SeqCst), 1, "the detached observer was called again");
}
