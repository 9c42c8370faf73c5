//! Membership of a cluster: seeds dialled and redialled, one connection per pair whoever
//! dials, node events in telemetry, and a node that shuts down leaving its cluster.

mod common;

use std::time::Duration;

use common::cluster::{config, down, pair, up};
use foundation::cluster::DownReason;
use foundation::telemetry::{Event, Recorder};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_are_dialled_and_dialled_again_after_a_loss() {
    let a = config("a").insecure_plaintext().start().await.unwrap();
    let b = config("b")
        .insecure_plaintext()
        .seed(a.listen_addr().unwrap())
        .reconnect(Duration::from_millis(20))
        .start()
        .await;
    let b = b.unwrap();
    let mut events = b.node_events();
    up(&b, &mut events, "a").await;
    assert!(a.disconnect(b.name()));
    // A closed socket reads as an end of file, or as a reset when data was in flight.
    let reason = down(&mut events, "a").await;
    assert!(matches!(reason, DownReason::Closed | DownReason::Io(_)), "{reason}");
    up(&b, &mut events, "a").await;
    assert_eq!(b.link_stats()[0].reconnects, 1);
    assert_eq!(a.nodes().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_that_seed_each_other_keep_one_connection() {
    // b listens first on a port a knows; a on one b learns by connecting.
    let a = config("a").insecure_plaintext().start().await.unwrap();
    let b = config("b")
        .insecure_plaintext()
        .seed(a.listen_addr().unwrap())
        .reconnect(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let mut a_events = a.node_events();
    up(&a, &mut a_events, "b").await;
    // a dials b too, as a seed would: refused, the first connection stays.
    assert!(a.connect(b.listen_addr().unwrap()).await.is_err());
    // b's seed loop waits on the connection it has instead of dialling again: no churn.
    let churn = tokio::time::timeout(Duration::from_millis(300), down(&mut a_events, "b")).await;
    assert!(churn.is_err(), "no node went down while connected: {churn:?}");
    assert_eq!(a.nodes().len(), 1);
    assert_eq!(b.nodes().len(), 1);
    assert_eq!(b.link_stats()[0].reconnects, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_tells_nodes_up_and_down_and_link_statistics() {
    let (a, b) = pair().await;
    let recorder = Recorder::default();
    a.node().telemetry().attach(recorder.clone());
    let mut events = a.node_events();
    assert!(a.disconnect(b.name()));
    down(&mut events, "b").await;
    let names = recorder.names();
    assert!(names.contains(&"foundation.cluster.link_stats"), "{names:?}");
    let down = recorder.events().into_iter().find_map(|e| match e {
        Event::NodeDown { node, reason, .. } => Some((node, reason)),
        _ => None,
    });
    assert_eq!(down, Some(("b".to_owned(), "disconnected".to_owned())));
    let stats = recorder.events().into_iter().find_map(|e| match e {
        Event::LinkStats { bytes_out, bytes_in, .. } => Some((bytes_out, bytes_in)),
        _ => None,
    });
    let (out, into) = stats.unwrap();
    assert!(out > 0 && into > 0, "the greeting at least: {out} {into}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_shuts_down_leaves_its_cluster() {
    let (a, b) = pair().await;
    let mut events = b.node_events();
    a.node().shutdown(Duration::from_secs(1)).await;
    let reason = down(&mut events, "a").await;
    assert!(matches!(reason, DownReason::Closed | DownReason::Io(_)), "{reason}");
    assert!(a.nodes().is_empty());
    assert!(a.node().connect(b.listen_addr().unwrap()).await.is_err(), "a has left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_learn_of_each_other_through_gossip_and_connect() {
    let quick = |name| config(name).insecure_plaintext().tick(Duration::from_millis(100));
    let a = quick("a").start().await.unwrap();
    let seed = a.listen_addr().unwrap();
    let b = quick("b").seed(seed).start().await.unwrap();
    let c = quick("c").seed(seed).start().await.unwrap();
    // Neither b nor c was told of the other: a's gossip tells them, and they connect.
    let mut events = b.node_events();
    up(&b, &mut events, "c").await;
    let mut events = c.node_events();
    up(&c, &mut events, "b").await;
    let names = |cluster: &foundation::cluster::Cluster| {
        cluster.nodes().iter().map(|n| n.name.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&b), ["a", "c"]);
    assert_eq!(names(&c), ["a", "b"]);
}

/// A process that only has to exist.
struct Member;

impl foundation::Process for Member {
    type Message = ();
    async fn handle(
        &mut self,
        _: &mut foundation::Context<()>,
        (): (),
    ) -> Result<(), foundation::BoxError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_groups_are_seen_cluster_wide_and_lose_a_lost_node_s_members() {
    let (a, b) = pair().await;
    // Members joined before the nodes met (on a, and on c, which only b is told of: a learns
    // of c through gossip) and after: every node sees all of them.
    let early = a.node().spawn(Member).unwrap();
    let c = config("c").insecure_plaintext().start().await.unwrap();
    let on_c = c.node().spawn(Member).unwrap();
    c.node().groups().join("workers", on_c.pid()).unwrap();
    a.node().groups().join("workers", early.pid()).unwrap();
    let (mut monitor, _) = b.node().groups().monitor("workers");
    let mut events = b.node_events();
    c.connect(b.listen_addr().unwrap()).await.unwrap();
    up(&b, &mut events, "c").await;
    let late = b.node().spawn(Member).unwrap();
    b.node().groups().join("workers", late.pid()).unwrap();
    let mut want = vec![early.pid(), on_c.pid(), late.pid()];
    want.sort();
    let wait_for = |cluster: &foundation::cluster::Cluster, want: Vec<foundation::Pid>| {
        let node = cluster.node().clone();
        async move {
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    let mut got = node.groups().members("workers");
                    got.sort();
                    if got == want {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await
            .expect("the group as expected within 10 s");
        }
    };
    wait_for(&b, want.clone()).await;
    wait_for(&a, want.clone()).await;
    // A member that leaves, and a node that is lost: gone everywhere, monitors hear it.
    a.node().groups().leave("workers", early.pid());
    c.shutdown().await;
    wait_for(&b, vec![late.pid()]).await;
    let mut left = Vec::new();
    while left.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(10), monitor.recv()).await.unwrap();
        let event = event.unwrap();
        if event.kind() == foundation::registry::GroupEventKind::Left {
            left.push(event.pid());
        }
    }
    left.sort();
    let mut gone = vec![early.pid(), on_c.pid()];
    gone.sort();
    assert_eq!(left, gone);
}
