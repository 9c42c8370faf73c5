//! Partitions on a simulated network: a relay between two nodes drops every byte (sockets stay
//! open, as with a cut cable or a hung host), delays them, or cuts the connections. Monitors
//! fire once, with `noconnection`; nothing is delivered twice; a healed network reconnects
//! through the seeds, and the same incarnation comes back.

mod common;

use std::time::Duration;

use common::cluster::{Relay, config, down, up};
use foundation::cluster::{Cluster, DownReason};
use foundation::{BoxError, Context, Down, ExitReason, Pid, Process, ReplyTo};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Debug, Serialize, Deserialize)]
enum Msg {
    Push(u32),
    Get(ReplyTo<Vec<u32>>),
}

#[derive(Default)]
struct Store(Vec<u32>);

impl Process for Store {
    type Message = Msg;
    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Push(n) => self.0.push(n),
            Msg::Get(reply) => drop(reply.reply(self.0.clone())),
        }
        Ok(())
    }
}

/// Monitors the pid it is asked to, and reports every `Down`.
struct Watcher(mpsc::UnboundedSender<Down>);

impl Process for Watcher {
    type Message = (Pid, ReplyTo<()>);
    async fn handle(
        &mut self,
        ctx: &mut Context<Self::Message>,
        (pid, done): Self::Message,
    ) -> Result<(), BoxError> {
        ctx.monitor(pid);
        let _ = done.reply(());
        Ok(())
    }
    async fn handle_down(
        &mut self,
        _ctx: &mut Context<Self::Message>,
        down: Down,
    ) -> Result<(), BoxError> {
        let _ = self.0.send(down);
        Ok(())
    }
}

/// `a` listens; `b` reaches it through a relay (its seed), with short tick and detection.
async fn through_relay(detection: Duration) -> (Cluster, Cluster, Relay) {
    let quick = |name| {
        config(name)
            .insecure_plaintext()
            .tick(detection / 4)
            .detection(detection)
            .reconnect(Duration::from_millis(50))
    };
    let a = quick("a").start().await.unwrap();
    let relay = Relay::to(a.listen_addr().unwrap()).await;
    let b = quick("b").seed(relay.addr()).start().await.unwrap();
    let mut events = b.node_events();
    up(&b, &mut events, "a").await;
    let mut events = a.node_events();
    up(&a, &mut events, "b").await;
    (a, b, relay)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_is_seen_on_both_sides_and_monitors_fire_once() {
    let detection = Duration::from_millis(400);
    let (a, b, relay) = through_relay(detection).await;
    let store = a.node().spawn(Store::default()).unwrap();
    a.export("store", &store);
    let remote = b.lookup::<Msg>(a.name(), "store").await.unwrap();
    let (tx, mut downs) = mpsc::unbounded_channel();
    let watcher = b.node().spawn(Watcher(tx)).unwrap();
    watcher.call(|done| (remote.pid(), done)).await.unwrap();
    for n in 0..100 {
        remote.send(Msg::Push(n)).await.unwrap();
    }
    assert_eq!(remote.call(Msg::Get).await.unwrap().len(), 100);

    let (mut a_events, mut b_events) = (a.node_events(), b.node_events());
    let cut_at = std::time::Instant::now();
    relay.partition();
    // Declared down by the membership protocol, or by the connection's own backstop.
    let lost = [DownReason::Unreachable, DownReason::TimedOut];
    let (on_b, on_a) = (down(&mut b_events, "a").await, down(&mut a_events, "b").await);
    assert!(lost.contains(&on_b) && lost.contains(&on_a), "{on_b}, {on_a}");
    // SWIM declares a node down between `detection - tick` and `detection` after it stopped
    // answering (the next probe comes within a tick).
    let tick = detection / 4;
    assert!(cut_at.elapsed() >= detection - tick, "not before the detection time, less a tick");
    let first = tokio::time::timeout(Duration::from_secs(10), downs.recv()).await.unwrap().unwrap();
    assert_eq!(first.reason, ExitReason::NoConnection);
    assert_eq!(first.pid, remote.pid());
    assert_eq!(remote.exited().await, ExitReason::NoConnection, "the address closed");
    assert!(remote.send(Msg::Push(1)).await.unwrap_err().is_closed(), "refused, not lost");

    // Healed: b's seed brings a back, the same incarnation; the old address stays closed.
    relay.heal();
    up(&b, &mut b_events, "a").await;
    assert_eq!(b.nodes()[0].creation, a.node().self_pid().creation());
    let again = b.lookup::<Msg>(a.name(), "store").await.unwrap();
    assert_eq!(again.pid(), store.pid());
    for n in 100..200 {
        again.send(Msg::Push(n)).await.unwrap();
    }
    let got = again.call(Msg::Get).await.unwrap();
    assert_eq!(got, (0..200).collect::<Vec<_>>(), "nothing lost while connected, nothing twice");
    assert!(downs.try_recv().is_err(), "the monitor fired once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_network_within_the_detection_time_is_not_a_lost_node() {
    let (a, b, relay) = through_relay(Duration::from_secs(2)).await;
    let store = a.node().spawn(Store::default()).unwrap();
    a.export("store", &store);
    let remote = b.lookup::<Msg>(a.name(), "store").await.unwrap();
    let mut events = b.node_events();
    relay.delay(Duration::from_millis(100));
    for n in 0..50 {
        remote.send(Msg::Push(n)).await.unwrap();
    }
    let got = remote.call(Msg::Get).await.unwrap();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    assert!(events.try_recv().is_none(), "no node went down: {:?}", events.try_recv());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_connections_fail_calls_in_flight_and_reconnect() {
    let (a, b, relay) = through_relay(Duration::from_secs(2)).await;
    /// A server that never answers.
    struct Silent(Vec<ReplyTo<u32>>);
    impl Process for Silent {
        type Message = ReplyTo<u32>;
        async fn handle(
            &mut self,
            _: &mut Context<ReplyTo<u32>>,
            r: ReplyTo<u32>,
        ) -> Result<(), BoxError> {
            self.0.push(r);
            Ok(())
        }
    }
    let silent = a.node().spawn(Silent(Vec::new())).unwrap();
    a.export("silent", &silent);
    let remote = b.lookup::<ReplyTo<u32>>(a.name(), "silent").await.unwrap();
    let mut events = b.node_events();
    let call =
        tokio::spawn(async move { remote.call_timeout(|r| r, Duration::from_secs(30)).await });
    // Whether the request reached a or was still on its way, losing the connection fails the
    // call with `noconnection` (the caller does not wait out its 30 s).
    tokio::task::yield_now().await;
    relay.cut();
    let reason = down(&mut events, "a").await;
    assert!(matches!(reason, DownReason::Closed | DownReason::Io(_)), "{reason}");
    let failed = tokio::time::timeout(Duration::from_secs(10), call).await.unwrap().unwrap();
    let error = failed.unwrap_err();
    // The request was on its way (no reply will come) or the address had closed already.
    assert!(error.is_no_reply() || error.is_no_process(), "{error}");
    assert_eq!(error.exit_reason(), Some(&ExitReason::NoConnection), "{error}");
    up(&b, &mut events, "a").await;
}
