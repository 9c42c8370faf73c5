//! The cluster's state on one node: its connections, listener and seeds; how a connection is
//! made, announced and lost.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use parking_lot::{Mutex, RwLock};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::rustls;
use tokio_util::sync::CancellationToken;

use crate::cluster::config::{ClusterConfig, Security};
use crate::cluster::error::ClusterError;
use crate::cluster::events::{DownReason, NodeEvent, Subscribers};
use crate::cluster::exports::Exports;
use crate::cluster::link::{Link, Peer};
use crate::cluster::name::NodeName;
use crate::cluster::session::{self, Greeted};
use crate::{Node, Pid};

/// The TLS configurations, made once.
pub(crate) struct Tls {
    pub(crate) client: Arc<rustls::ClientConfig>,
    pub(crate) server: Arc<rustls::ServerConfig>,
}

/// A name look-up waiting for its answer: the node asked, and where the answer goes.
pub(crate) type Lookup = (u32, oneshot::Sender<Option<Pid>>);

/// A remote spawn waiting for its answer: the node asked, and where the answer goes.
pub(crate) type SpawnWait = (u32, oneshot::Sender<Result<Pid, String>>);

/// The cluster's state on one node.
pub(crate) struct ClusterInner {
    pub(crate) node: Node,
    pub(crate) name: NodeName,
    pub(crate) config: ClusterConfig,
    pub(crate) tls: Option<Tls>,
    /// The connected peers, by node number.
    pub(crate) links: RwLock<HashMap<u32, Arc<Link>>>,
    pub(crate) events: Subscribers,
    pub(crate) exports: Exports,
    /// This node's addresses of other nodes' processes (for a pair's order).
    pub(crate) addresses: crate::cluster::order::Addresses,
    /// Name look-ups waiting for their answer: id → (node asked, answer).
    pub(crate) lookups: Mutex<HashMap<u64, Lookup>>,
    pub(crate) calls: crate::cluster::calls::PendingCalls,
    /// Factories other nodes may run here.
    pub(crate) factories: crate::cluster::spawn::Factories,
    /// Remote spawns waiting for their answer: id → (node asked, answer).
    pub(crate) spawns: Mutex<HashMap<u64, SpawnWait>>,
    next_id: AtomicU64,
    pub(crate) listen_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    /// The membership protocol's task.
    pub(crate) gossip: std::sync::OnceLock<
        crate::cluster::gossip::Gossip<
            <crate::cluster::membership::Swim as crate::cluster::membership::Membership>::Timer,
        >,
    >,
    /// This node as the membership protocol knows it.
    pub(crate) member: crate::cluster::membership::Member,
    /// How many times each node has been connected since this node started.
    connects: Mutex<HashMap<NodeName, u64>>,
    /// Connections this node dialled that wait for the peer's word, by node number: the
    /// peer's incarnation, and cancelled when the peer's own dial is taken instead.
    pending: Mutex<HashMap<u32, (u32, CancellationToken)>>,
}

impl ClusterInner {
    /// Starts the cluster side of a new node: binds the listener, accepts, dials the seeds.
    pub(crate) async fn start(config: ClusterConfig) -> Result<Arc<ClusterInner>, ClusterError> {
        config.validate()?;
        let tls = match config.security.as_ref() {
            Some(Security::MutualTls(identity)) => {
                Some(Tls { client: identity.client_config()?, server: identity.server_config()? })
            }
            _ => None,
        };
        let node = Node::with_id(config.name.number()).map_err(|_| ClusterError::NotClustered)?;
        let listener = match config.listen {
            Some(addr) => {
                Some(TcpListener::bind(addr).await.map_err(|source| ClusterError::Io {
                    what: "listen on",
                    addr,
                    source,
                })?)
            }
            None => None,
        };
        let listen_addr = listener.as_ref().and_then(|l| l.local_addr().ok());
        let inner = Arc::new(ClusterInner {
            node: node.clone(),
            name: config.name.clone(),
            tls,
            links: RwLock::default(),
            events: Subscribers::default(),
            exports: Exports::default(),
            addresses: Default::default(),
            lookups: Mutex::default(),
            calls: Default::default(),
            factories: Default::default(),
            spawns: Mutex::default(),
            next_id: AtomicU64::new(1),
            listen_addr,
            shutdown: CancellationToken::new(),
            connects: Mutex::default(),
            pending: Mutex::default(),
            gossip: std::sync::OnceLock::new(),
            member: crate::cluster::membership::Member {
                name: config.name.to_string(),
                creation: node.state.creation,
                listen: config.advertise.or(listen_addr),
                started: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64),
            },
            config,
        });
        let swim = crate::cluster::membership::Swim::new(
            inner.member.clone(),
            inner.config.tick,
            inner.config.detection,
            inner.config.max_frame.min(64 * 1024),
        );
        let _ = inner.gossip.set(crate::cluster::gossip::start(&inner, swim));
        tokio::spawn(Arc::clone(&inner).stats_loop());
        let remote: Arc<dyn crate::engine::remote::Remote> = inner.clone();
        let _ = node.state.remote.set(remote);
        let _ = node.services.cluster.set(Arc::clone(&inner));
        if let Some(listener) = listener {
            tokio::spawn(Arc::clone(&inner).accept_loop(listener));
        }
        for seed in inner.config.seeds.clone() {
            tokio::spawn(Arc::clone(&inner).seed_loop(seed));
        }
        Ok(inner)
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Relaxed)
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = self.shutdown.cancelled() => return,
            };
            let Ok((tcp, addr)) = accepted else { continue };
            let inner = Arc::clone(&self);
            tokio::spawn(async move {
                let after = inner.config.connect_timeout;
                let accepted = async {
                    let greeted = session::greet(&inner, tcp, addr, false).await?;
                    inner
                        .settle_accepted(greeted)
                        .await
                        .map_err(|reason| ClusterError::Handshake { addr, reason })
                };
                match tokio::time::timeout(after, accepted).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(%addr, error = %e, "refused a connection"),
                    Err(_) => tracing::warn!(%addr, "a connection took too long to greet"),
                }
            });
        }
    }

    /// Keeps a connection to `seed`: dials it, and again `reconnect` (plus up to half of it
    /// at random, so that two nodes that lost each other do not dial at the same moment
    /// again) after each loss. While the seed's node is connected (whoever dialled), it
    /// waits for that connection's end.
    async fn seed_loop(self: Arc<Self>, seed: SocketAddr) {
        let mut known: Option<NodeName> = None;
        loop {
            if self.shutdown.is_cancelled() {
                return;
            }
            let connected = known.as_ref().and_then(|name| self.link_named(name.as_str()));
            let link = match connected {
                Some(link) => Some(link),
                None => match self.dial_seed(seed).await {
                    Ok(link) | Err(Dial::Already(link)) => Some(link),
                    Err(Dial::Failed(e)) => {
                        tracing::debug!(%seed, error = %e, "seed not reached");
                        None
                    }
                },
            };
            if let Some(link) = link {
                known = Some(link.peer.name.clone());
                link.closed.cancelled().await;
            }
            let jitter = self.config.reconnect.mul_f64(fastrand_half());
            tokio::select! {
                () = tokio::time::sleep(self.config.reconnect + jitter) => {}
                () = self.shutdown.cancelled() => return,
            }
        }
    }

    /// Connects to the node at `addr`.
    pub(crate) async fn dial(
        self: &Arc<Self>,
        addr: SocketAddr,
    ) -> Result<Arc<Link>, ClusterError> {
        self.dial_seed(addr).await.map_err(|e| match e {
            Dial::Already(link) => ClusterError::Handshake {
                addr,
                reason: format!("{ALREADY} to node `{}`", link.peer.name),
            },
            Dial::Failed(e) => e,
        })
    }

    async fn dial_seed(self: &Arc<Self>, addr: SocketAddr) -> Result<Arc<Link>, Dial> {
        let after = self.config.connect_timeout;
        let tcp = match tokio::time::timeout(after, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => {
                return Err(Dial::Failed(ClusterError::Io { what: "connect to", addr, source }));
            }
            Err(_) => return Err(Dial::Failed(ClusterError::Timeout { addr, after })),
        };
        let greeted = session::greet(self, tcp, addr, true).await.map_err(Dial::Failed)?;
        let (number, creation) = (greeted.peer.number, greeted.peer.creation);
        let settled = tokio::time::timeout(after, self.settle_dialled(greeted)).await;
        let reason = match settled {
            Ok(Ok(link)) => return Ok(link),
            Ok(Err(reason)) => reason,
            Err(_) => format!("no word from the peer within {after:?}"),
        };
        match self.link(number) {
            Some(link) if link.peer.creation == creation => Err(Dial::Already(link)),
            _ => Err(Dial::Failed(ClusterError::Handshake { addr, reason })),
        }
    }

    /// The dialler's end of settling which connection two nodes keep: it waits, registered
    /// as pending, for the acceptor's first credit, and writes nothing before it. Gives way
    /// when the acceptor's own dial is taken instead (see `settle_accepted`).
    async fn settle_dialled(self: &Arc<Self>, mut greeted: Greeted) -> Result<Arc<Link>, String> {
        let (number, creation) = (greeted.peer.number, greeted.peer.creation);
        let given_way = {
            let links = self.links.read();
            if links.get(&number).is_some_and(|l| l.peer.creation == creation) {
                return Err(format!("{ALREADY} to node `{}`", greeted.peer.name));
            }
            let mut pending = self.pending.lock();
            if pending.contains_key(&number) {
                return Err(format!("a connection to node `{}` is being made", greeted.peer.name));
            }
            let token = CancellationToken::new();
            pending.insert(number, (creation, token.clone()));
            token
        };
        let window = self.config.receive_window as u64;
        let answer = async {
            greeted.send_credit(window, self.config.max_frame).await?;
            greeted.credit().await
        };
        let answer = tokio::select! {
            answer = answer => answer,
            () = given_way.cancelled() => Err("the peer's own connection was taken".into()),
        };
        {
            let mut pending = self.pending.lock();
            if pending.get(&number).is_some_and(|(_, t)| !t.is_cancelled()) {
                pending.remove(&number);
            }
        }
        let credit = answer?;
        let link = self.register(&greeted, credit)?;
        self.run_link(&link, greeted);
        Ok(link)
    }

    /// The acceptor's end: on the dialler's first credit it decides. A node already
    /// connected keeps its connection; when both nodes dialled each other at once, the
    /// connection dialled by the node with the smaller name is kept, on both sides (each
    /// applies the same rule), and the other closes before either wrote to it.
    async fn settle_accepted(self: &Arc<Self>, mut greeted: Greeted) -> Result<Arc<Link>, String> {
        let credit = greeted.credit().await?;
        let (number, creation) = (greeted.peer.number, greeted.peer.creation);
        {
            let links = self.links.read();
            if links.get(&number).is_some_and(|l| l.peer.creation == creation) {
                return Err(format!("{ALREADY} to node `{}`", greeted.peer.name));
            }
            let mut pending = self.pending.lock();
            if let Some((_, token)) = pending.get(&number) {
                if self.name < greeted.peer.name {
                    return Err(format!(
                        "this node's own connection to `{}` is kept",
                        greeted.peer.name
                    ));
                }
                token.cancel();
                pending.remove(&number);
            }
        }
        // In the table before the dialler hears yes, so that whatever the dialler does next
        // (a message, a disconnect) finds the connection here.
        let link = self.register(&greeted, credit)?;
        let window = self.config.receive_window as u64;
        if let Err(e) = greeted.send_credit(window, self.config.max_frame).await {
            self.lost(&link, DownReason::Io(e.clone()));
            return Err(e);
        }
        self.run_link(&link, greeted);
        Ok(link)
    }

    /// Puts a settled connection in the table and announces it; refuses a second connection
    /// to a node already connected (the first one stays).
    fn register(&self, greeted: &Greeted, credit: u64) -> Result<Arc<Link>, String> {
        let peer = greeted.peer.clone();
        let link = Arc::new(Link::new(
            self.next_id(),
            peer.clone(),
            self.config.send_buffer,
            self.config.max_frame,
        ));
        link.out.grant(credit);
        let replaced = {
            // The groups' lock before the links' (the order a local join takes them in).
            let groups = self.node.state.groups.read();
            let mut links = self.links.write();
            if self.shutdown.is_cancelled() {
                return Err("this node is shutting down".into());
            }
            match links.get(&peer.number) {
                Some(old) if old.peer.name != peer.name => {
                    return Err(format!(
                        "node `{}` has the number of connected node `{}`",
                        peer.name, old.peer.name
                    ));
                }
                Some(old) if old.peer.creation == peer.creation => {
                    return Err(format!("{ALREADY} to node `{}`", peer.name));
                }
                _ => {
                    // Under the node's groups lock: every membership made before is in the
                    // sync, every one made after is broadcast to this link, none both.
                    let replaced = links.insert(peer.number, Arc::clone(&link));
                    self.sync_groups(&groups, &link);
                    replaced
                }
            }
        };
        if let Some(old) = replaced {
            // The node was started again: its earlier incarnation is gone.
            self.lost(&old, DownReason::Restarted);
        }
        *self.connects.lock().entry(peer.name.clone()).or_default() += 1;
        self.events.emit(&NodeEvent::Up { name: peer.name.clone(), creation: peer.creation });
        if let Some(gossip) = self.gossip.get() {
            gossip.join(crate::cluster::membership::Member {
                name: peer.name.to_string(),
                creation: peer.creation,
                listen: None,
                started: 0,
            });
        }
        self.node.telemetry().emit(&crate::telemetry::Event::NodeUp {
            node: peer.name.to_string(),
            creation: peer.creation,
        });
        Ok(link)
    }

    /// Runs a registered connection's session until it ends, then takes the link as lost.
    fn run_link(self: &Arc<Self>, link: &Arc<Link>, greeted: Greeted) {
        link.count(&link.counters.bytes_out, greeted.greeting.0);
        link.count(&link.counters.bytes_in, greeted.greeting.1);
        let inner = Arc::clone(self);
        let running = Arc::clone(link);
        tokio::spawn(async move {
            let reason = tokio::select! {
                reason = session::run(Arc::clone(&inner), Arc::clone(&running), greeted) => reason,
                () = running.closed.cancelled() => DownReason::Shutdown,
            };
            inner.lost(&running, reason);
        });
    }

    /// A connection is gone: it leaves the table, every relation with its node's processes
    /// is broken with `noconnection`, and its `Down` is announced. Once per connection.
    pub(crate) fn lost(&self, link: &Arc<Link>, reason: DownReason) {
        if !link.claim_close() {
            return;
        }
        {
            let mut links = self.links.write();
            if links.get(&link.peer.number).is_some_and(|l| Arc::ptr_eq(l, link)) {
                links.remove(&link.peer.number);
            }
        }
        // Out of the table first: whoever waits for the close finds the node gone.
        link.close();
        let _released_last = CancelOnDrop(&link.closed);
        self.break_relations(link);
        {
            let _shared_heap = crate::memory::ChargeTo::shared_heap();
            self.node.state.groups.write().remove_node(link.peer.number, link.peer.creation);
        }
        let number = link.peer.number;
        self.lookups.lock().retain(|_, (node, _)| *node != number);
        self.spawns.lock().retain(|_, (node, _)| *node != number);
        self.calls.fail_link(link.id);
        let peer = &link.peer;
        self.report_stats(link);
        self.node.telemetry().emit(&crate::telemetry::Event::NodeDown {
            node: peer.name.to_string(),
            creation: peer.creation,
            reason: reason.to_string(),
        });
        self.events.emit(&NodeEvent::Down {
            name: peer.name.clone(),
            creation: peer.creation,
            reason,
        });
    }

    /// The link to node `number`, if connected.
    pub(crate) fn link(&self, number: u32) -> Option<Arc<Link>> {
        self.links.read().get(&number).cloned()
    }

    /// The link to the node named `name`, if connected.
    pub(crate) fn link_named(&self, name: &str) -> Option<Arc<Link>> {
        self.links.read().values().find(|l| l.peer.name.as_str() == name).cloned()
    }

    /// Leaves the cluster: no more connections are made or accepted; each connection writes
    /// what is queued on it (its processes' last exit signals, say) and closes, for at most
    /// `within`; what is left then is dropped and its connection closed. Each node is
    /// announced down with `Shutdown`.
    pub(crate) async fn leave(&self, within: std::time::Duration) {
        // The membership protocol is not told: the connections' closing is how the others
        // learn of it (`Closed`, at once), rather than a gossip of a departure that would
        // read as a failure (`Unreachable`) on a node whose connection had not closed yet.
        self.shutdown.cancel();
        let links: Vec<_> = self.links.read().values().cloned().collect();
        for link in &links {
            link.drain();
        }
        let all_closed = futures::future::join_all(links.iter().map(|l| l.closed.cancelled()));
        let _ = tokio::time::timeout(within, all_closed).await;
        for link in links {
            self.lost(&link, DownReason::Shutdown);
        }
        self.events.close();
    }

    /// Times the node named `name` was connected again after a loss.
    pub(crate) fn reconnects(&self, name: &NodeName) -> u64 {
        self.connects.lock().get(name).map_or(0, |n| n.saturating_sub(1))
    }

    /// Tells each connection's statistics each second while its counters move.
    async fn stats_loop(self: Arc<Self>) {
        let mut told: HashMap<u32, (u64, u64)> = HashMap::new();
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = self.shutdown.cancelled() => return,
            }
            let links: Vec<Arc<Link>> = self.links.read().values().cloned().collect();
            told.retain(|number, _| links.iter().any(|l| l.peer.number == *number));
            for link in links {
                let c = &link.counters;
                let now = (c.frames_out.load(Relaxed), c.frames_in.load(Relaxed));
                if told.insert(link.peer.number, now) != Some(now) {
                    self.report_stats(&link);
                }
            }
        }
    }

    fn report_stats(&self, link: &Link) {
        let stats = crate::cluster::stats::LinkStats::of(link, self.reconnects(&link.peer.name));
        self.node.telemetry().emit(&crate::telemetry::Event::LinkStats {
            node: stats.node.to_string(),
            bytes_out: stats.bytes_out,
            bytes_in: stats.bytes_in,
            messages_out: stats.messages_out,
            messages_in: stats.messages_in,
            queued_bytes: stats.queued_bytes as u64,
            reconnects: stats.reconnects,
        });
    }

    pub(crate) fn peers(&self) -> Vec<Peer> {
        self.links.read().values().map(|l| l.peer.clone()).collect()
    }
}

/// Cancels its token when dropped: at the end of the scope, however it ends.
struct CancelOnDrop<'a>(&'a CancellationToken);

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A dial that did not make a new connection.
enum Dial {
    /// The node is connected already: its connection.
    Already(Arc<Link>),
    Failed(ClusterError),
}

/// A number in [0, 0.5), different on each call (for reconnection jitter).
fn fastrand_half() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    (random >> 11) as f64 / (1u64 << 53) as f64 / 2.0
}

/// How a refusal for a node already connected starts.
const ALREADY: &str = "already connected";

impl ClusterInner {
    /// A frame from `link`'s node that is for no process: a look-up, its answer, a reply.
    pub(crate) fn handle_control(&self, link: &Arc<Link>, frame: crate::cluster::wire::Frame) {
        use crate::cluster::calls::Outcome;
        use crate::cluster::wire::Frame;
        let number = link.peer.number;
        match frame {
            Frame::Lookup { id, name } => {
                let pid = self.exports.named(&name).map(Into::into);
                link.signal(link.peer_pid(), &Frame::Found { id, pid });
            }
            Frame::Found { id, pid } => {
                let waiting = {
                    let mut lookups = self.lookups.lock();
                    match lookups.get(&id) {
                        Some((node, _)) if *node == number => lookups.remove(&id),
                        _ => None,
                    }
                };
                if let Some((_, answer)) = waiting {
                    let pid = pid.map(Pid::from).filter(|p| p.node() == number);
                    let _ = answer.send(pid);
                }
            }
            Frame::Reply { id, payload } => {
                self.calls.complete(link.id, id, Outcome::Reply(&payload, link));
            }
            Frame::NoReply { id, reason } => {
                self.calls.complete(link.id, id, Outcome::NoReply(reason.map(Into::into)));
            }
            Frame::Spawn { id, factory, args } => {
                let result = match self.factories.get(&factory) {
                    Some(make) => {
                        make.spawn(&self.node, &self.exports, &args, link).map(Into::into)
                    }
                    None => Err(format!("no factory is registered as `{factory}`")),
                };
                link.signal(link.peer_pid(), &Frame::Spawned { id, result });
            }
            Frame::Spawned { id, result } => {
                let waiting = {
                    let mut spawns = self.spawns.lock();
                    match spawns.get(&id) {
                        Some((node, _)) if *node == number => spawns.remove(&id),
                        _ => None,
                    }
                };
                if let Some((_, answer)) = waiting {
                    let result = result.map(Pid::from).and_then(|pid| {
                        if pid.node() == number {
                            Ok(pid)
                        } else {
                            Err(format!("the peer answered with another node's pid {pid}"))
                        }
                    });
                    let _ = answer.send(result);
                }
            }
            Frame::Group { scope, group, pid, joined } => {
                self.group_from(link, &scope, &group, pid.into(), joined);
            }
            Frame::Gossip { packet } => {
                if let Some(gossip) = self.gossip.get() {
                    gossip.packet(packet);
                }
            }
            other => tracing::warn!(node = %link.peer.name, frame = ?other, "frame dropped"),
        }
    }
}
