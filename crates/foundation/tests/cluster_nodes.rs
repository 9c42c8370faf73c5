//! Nodes in a cluster on loopback: connecting, remote sends and calls, links and monitors
//! across nodes, a lost node's `noconnection`, TLS refusals, bad frames, hung peers and flow
//! control. Real sockets, so real time: each wait is bounded (10 s) and only a broken promise
//! reaches the bound.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::cluster::{Ca, config, down, pair, plain, up};
use foundation::cluster::wire::{self, Frame};
use foundation::cluster::{ClusterError, DownReason, NodeName};
use foundation::{BoxError, Context, Down, ExitReason, Pid, Process, ProcessRef, ReplyTo};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Serialize, Deserialize)]
enum Msg {
    Push(u32),
    Get(ReplyTo<Vec<u32>>),
    Double(u32, ReplyTo<u32>),
    Drop(ReplyTo<u32>),
    Crash,
}

/// Keeps what it is pushed.
#[derive(Default)]
struct Store(Vec<u32>);

impl Process for Store {
    type Message = Msg;
    async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        match msg {
            Msg::Push(n) => self.0.push(n),
            Msg::Get(reply) => drop(reply.reply(self.0.clone())),
            Msg::Double(n, reply) => drop(reply.reply(n * 2)),
            Msg::Drop(reply) => drop(reply),
            Msg::Crash => return Err("asked to crash".into()),
        }
        Ok(())
    }
}

/// What a watcher saw.
#[derive(Debug, PartialEq)]
enum Seen {
    Exit(Pid, ExitReason),
    Down(Down),
}

/// Traps exits, links to and monitors the pid it is asked to watch, and reports what it sees.
struct Watcher(mpsc::UnboundedSender<Seen>);

/// Watch this pid; answered once the link and the monitor are set.
type Watch = (Pid, ReplyTo<()>);

impl Process for Watcher {
    type Message = Watch;
    async fn init(&mut self, ctx: &mut Context<Watch>) -> Result<(), BoxError> {
        ctx.trap_exit(true);
        Ok(())
    }
    async fn handle(
        &mut self,
        ctx: &mut Context<Watch>,
        (pid, done): Watch,
    ) -> Result<(), BoxError> {
        ctx.link(pid)?;
        ctx.monitor(pid);
        let _ = done.reply(());
        Ok(())
    }
    async fn handle_exit(
        &mut self,
        _ctx: &mut Context<Watch>,
        from: Pid,
        reason: ExitReason,
    ) -> Result<(), BoxError> {
        let _ = self.0.send(Seen::Exit(from, reason));
        Ok(())
    }
    async fn handle_down(&mut self, _ctx: &mut Context<Watch>, down: Down) -> Result<(), BoxError> {
        let _ = self.0.send(Seen::Down(down));
        Ok(())
    }
}

async fn seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(WAIT, rx.recv()).await.expect("seen within 10 s").unwrap()
}

/// `b` runs a store exported as `store`; `a` gets its address.
async fn remote_store(
    a: &foundation::cluster::Cluster,
    b: &foundation::cluster::Cluster,
) -> (ProcessRef<Msg>, ProcessRef<Msg>) {
    let local = b.node().spawn(Store::default()).unwrap();
    b.export("store", &local);
    let remote = a.lookup::<Msg>(b.name(), "store").await.unwrap();
    assert_eq!(remote.pid(), local.pid(), "the remote address names the process");
    (local, remote)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_connect_list_each_other_and_refuse_a_second_connection() {
    let (a, b) = pair().await;
    assert_eq!(a.nodes().iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["b"]);
    assert_eq!(b.nodes().iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["a"]);
    assert!(a.nodes()[0].dialled && !b.nodes()[0].dialled);
    assert_eq!(a.node().id(), NodeName::new("a").unwrap().number());
    let again = a.connect(b.listen_addr().unwrap()).await.unwrap_err();
    assert!(matches!(again, ClusterError::Handshake { .. }), "{again}");
    assert_eq!(a.nodes().len(), 1, "the first connection stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_keep_their_order_and_calls_answer_across_nodes() {
    let (a, b) = pair().await;
    let (_local, store) = remote_store(&a, &b).await;
    for n in 0..5_000 {
        store.send(Msg::Push(n)).await.unwrap();
    }
    let got = store.call(Msg::Get).await.unwrap();
    assert_eq!(got, (0..5_000).collect::<Vec<_>>(), "every message, once, in order");
    assert_eq!(store.call(|r| Msg::Double(21, r)).await.unwrap(), 42);
    let dropped = store.call(Msg::Drop).await.unwrap_err();
    assert!(dropped.is_no_reply(), "{dropped}");
    let missing = a.lookup::<Msg>(b.name(), "nothing").await.unwrap_err();
    assert!(matches!(missing, ClusterError::NotFound { .. }), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_monitors_across_nodes_carry_the_exit_reason() {
    let (a, b) = pair().await;
    let (local, store) = remote_store(&a, &b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watcher = a.node().spawn(Watcher(tx)).unwrap();
    // Once answered, the link and monitor frames are queued ahead of any later message
    // (signals go first), so they reach b before the crash does.
    watcher.call(|done| (store.pid(), done)).await.unwrap();
    store.send(Msg::Crash).await.unwrap();
    let reason = tokio::time::timeout(WAIT, local.exited()).await.unwrap();
    assert!(reason.to_string().contains("asked to crash"), "{reason}");
    let mut saw = [seen(&mut rx).await, seen(&mut rx).await];
    saw.sort_by_key(|s| matches!(s, Seen::Down(_)));
    match &saw[..] {
        [Seen::Exit(from, why), Seen::Down(down)] => {
            assert_eq!(*from, store.pid());
            assert!(why.to_string().contains("asked to crash"), "{why}");
            assert_eq!(down.pid, store.pid());
            assert!(down.reason.to_string().contains("asked to crash"));
        }
        other => panic!("expected an exit and a down, saw {other:?}"),
    }
    assert!(watcher.is_alive(), "a trapping process survives");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_breaks_links_and_fires_monitors_with_noconnection() {
    let (a, b) = pair().await;
    let (_local, store) = remote_store(&a, &b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watcher = a.node().spawn(Watcher(tx)).unwrap();
    watcher.call(|done| (store.pid(), done)).await.unwrap();
    // A round trip after the link and monitor frames: b has set its side of both.
    assert_eq!(store.call(|r| Msg::Double(1, r)).await.unwrap(), 2);
    let mut events = a.node_events();
    b.shutdown().await;
    let reason = down(&mut events, "b").await;
    assert!(matches!(reason, DownReason::Closed | DownReason::Io(_)), "{reason}");
    let mut saw = [seen(&mut rx).await, seen(&mut rx).await];
    saw.sort_by_key(|s| matches!(s, Seen::Down(_)));
    assert_eq!(saw[0], Seen::Exit(store.pid(), ExitReason::NoConnection));
    match &saw[1] {
        Seen::Down(down) => assert_eq!(down.reason, ExitReason::NoConnection),
        other @ Seen::Exit(..) => panic!("expected a down, saw {other:?}"),
    }
    assert_eq!(tokio::time::timeout(WAIT, store.exited()).await.unwrap(), ExitReason::NoConnection);
    assert!(store.send(Msg::Push(1)).await.unwrap_err().is_closed());
    assert!(a.nodes().is_empty(), "{:?}", a.nodes());
    assert!(rx.try_recv().is_err(), "each fired once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_slows_its_sender_and_loses_nothing() {
    let small = |name| config(name).insecure_plaintext().max_frame(16 * 1024);
    let a = small("a").send_buffer(64 * 1024).start().await.unwrap();
    let b = small("b").receive_window(64 * 1024).start().await.unwrap();
    let mut events = a.node_events();
    a.connect(b.listen_addr().unwrap()).await.unwrap();
    up(&a, &mut events, "b").await;
    // A store whose mailbox holds 16 messages and that waits before taking any.
    let (go, gate) = tokio::sync::oneshot::channel::<()>();
    let gated = Gated(Some(gate), Store::default());
    let local = b.node().process().mailbox_capacity(16).spawn(gated).unwrap();
    b.export("store", &local);
    let store = a.lookup::<Msg>(b.name(), "store").await.unwrap();
    let mut sent = 0u32;
    while store.try_send(Msg::Push(sent)).is_ok() {
        sent += 1;
        if sent.is_multiple_of(256) {
            tokio::task::yield_now().await;
        }
        assert!(sent < 1_000_000, "the sender was never held back");
    }
    let stats = &a.link_stats()[0];
    assert!(stats.queued_bytes <= 64 * 1024, "the send buffer holds: {stats:?}");
    go.send(()).unwrap();
    for n in sent..sent + 100 {
        store.send(Msg::Push(n)).await.unwrap();
    }
    let got = store.call(Msg::Get).await.unwrap();
    assert_eq!(got, (0..sent + 100).collect::<Vec<_>>());
}

/// A store that waits for its gate before its first message.
struct Gated(Option<tokio::sync::oneshot::Receiver<()>>, Store);

impl Process for Gated {
    type Message = Msg;
    async fn handle(&mut self, ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
        if let Some(gate) = self.0.take() {
            let _ = gate.await;
        }
        self.1.handle(ctx, msg).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_with_certificates_from_the_cluster_ca_connect() {
    let ca = Ca::new("cluster");
    let a = config("a").tls(ca.identity("a", &ca)).start().await.unwrap();
    let b = config("b").tls(ca.identity("b", &ca)).start().await.unwrap();
    let (local, _) = (b.node().spawn(Store::default()).unwrap(), ());
    b.export("store", &local);
    assert_eq!(a.connect(b.listen_addr().unwrap()).await.unwrap().as_str(), "b");
    let store = a.lookup::<Msg>(b.name(), "store").await.unwrap();
    assert_eq!(store.call(|r| Msg::Double(4, r)).await.unwrap(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_without_the_cluster_s_certificate_are_refused() {
    let ca = Ca::new("cluster");
    let other = Ca::new("intruder");
    let b = config("b").tls(ca.identity("b", &ca)).start().await.unwrap();
    let addr = b.listen_addr().unwrap();
    // A certificate from another CA.
    let wrong_ca = config("x").tls(other.identity("x", &ca)).start().await.unwrap();
    assert!(matches!(wrong_ca.connect(addr).await, Err(ClusterError::Handshake { .. })));
    // A valid certificate, for another name than the node claims.
    let liar = config("y").tls(ca.identity("someone-else", &ca)).start().await.unwrap();
    assert!(matches!(liar.connect(addr).await, Err(ClusterError::Handshake { .. })));
    // No TLS at all.
    let plain_peer = plain("z").await;
    assert!(plain_peer.connect(addr).await.is_err());
    // A node that trusts another CA refuses b.
    let picky = config("w").tls(other.identity("w", &other)).start().await.unwrap();
    assert!(picky.connect(addr).await.is_err());
    assert!(b.nodes().is_empty(), "no one got in: {:?}", b.nodes());
}

/// Opens a raw connection to `addr` and greets as node `name`.
async fn raw_peer(addr: std::net::SocketAddr, name: &str) -> tokio::net::TcpStream {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = BytesMut::new();
    let name = NodeName::new(name).unwrap();
    let hello = Frame::Hello { name: name.to_string(), node: name.number(), creation: 1 };
    wire::encode(&hello, wire::DEFAULT_MAX_FRAME, &mut buf).unwrap();
    // The dialler's first credit: its word that this connection is the one.
    wire::encode(&Frame::Credit { bytes: 65_536 }, wire::DEFAULT_MAX_FRAME, &mut buf).unwrap();
    tcp.write_all(&buf).await.unwrap();
    tcp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_frames_close_that_connection_only() {
    let (a, b) = pair().await;
    let (_local, store) = remote_store(&a, &b).await;
    let mut events = b.node_events();
    for (name, bad) in [
        ("big", u32::MAX.to_be_bytes().to_vec()),
        ("junk", vec![0, 0, 0, 3, wire::WIRE_VERSION, 0xff, 0xff]),
        ("old", vec![0, 0, 0, 2, 99, 1]),
    ] {
        let mut tcp = raw_peer(b.listen_addr().unwrap(), name).await;
        up(&b, &mut events, name).await;
        tcp.write_all(&bad).await.unwrap();
        let reason = down(&mut events, name).await;
        assert!(matches!(reason, DownReason::Protocol(_)), "{name}: {reason}");
    }
    assert_eq!(store.call(|r| Msg::Double(5, r)).await.unwrap(), 10, "a and b still talk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_hangs_with_its_socket_open_is_seen_within_the_detection_time() {
    let b = config("b")
        .insecure_plaintext()
        .tick(Duration::from_millis(50))
        .detection(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut events = b.node_events();
    let started = std::time::Instant::now();
    let _hung = raw_peer(b.listen_addr().unwrap(), "hung").await;
    up(&b, &mut events, "hung").await;
    assert_eq!(down(&mut events, "hung").await, DownReason::TimedOut);
    assert!(started.elapsed() >= Duration::from_millis(300), "not before the detection time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_is_a_new_incarnation_old_pids_do_not_reach_it() {
    let (a, b) = pair().await;
    let (_local, store) = remote_store(&a, &b).await;
    let old = store.pid();
    let addr = b.listen_addr().unwrap();
    let mut events = a.node_events();
    b.shutdown().await;
    drop(b);
    down(&mut events, "b").await;
    let b2 = config("b").insecure_plaintext().start().await.unwrap();
    assert_ne!(b2.node().self_pid().creation(), old.creation());
    let s2 = b2.node().spawn(Store::default()).unwrap();
    b2.export("store", &s2);
    a.connect(b2.listen_addr().unwrap()).await.unwrap();
    let _ = addr;
    assert!(a.process_ref::<Msg>(old).is_err(), "a pid of the earlier incarnation");
    let store2 = a.lookup::<Msg>(b2.name(), "store").await.unwrap();
    assert_eq!(store2.pid().creation(), b2.node().self_pid().creation());
    assert_eq!(store2.call(|r| Msg::Double(2, r)).await.unwrap(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_spawned_on_another_node_by_a_registered_factory() {
    let (a, b) = pair().await;
    b.register_factory("store", |node: &foundation::Node, start: Vec<u32>| {
        node.spawn(Store(start))
    });
    let store = a.spawn_remote::<Vec<u32>, Msg>(b.name(), "store", vec![1, 2, 3]).await.unwrap();
    assert_eq!(store.pid().node(), b.node().id(), "it runs on b");
    store.send(Msg::Push(4)).await.unwrap();
    assert_eq!(store.call(Msg::Get).await.unwrap(), [1, 2, 3, 4]);
    let unknown = a.spawn_remote::<(), Msg>(b.name(), "nothing", ()).await.unwrap_err();
    assert!(matches!(unknown, ClusterError::SpawnFailed { .. }), "{unknown}");
    // Arguments that do not decode as the factory's type are refused (postcard is not
    // self-describing: bytes that happen to decode are taken, as for messages).
    let wrong = a.spawn_remote::<u8, Msg>(b.name(), "store", 255).await.unwrap_err();
    assert!(wrong.to_string().contains("did not decode"), "{wrong}");
}
