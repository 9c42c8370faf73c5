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
    /// Name look-ups waiting for their answer: id → (node asked, answer).
    pub(crate) lookups: Mutex<HashMap<u64, Lookup>>,
    pub(crate) calls: crate::cluster::calls::PendingCalls,
    next_id: AtomicU64,
    pub(crate) listen_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
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
            lookups: Mutex::default(),
            calls: Default::default(),
            next_id: AtomicU64::new(1),
            listen_addr,
            shutdown: CancellationToken::new(),
            config,
        });
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

    /// Completes once the node's cluster is shutting down.
    pub(crate) async fn closing(&self) {
        self.shutdown.cancelled().await;
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
                match session::greet(&inner, tcp, addr, false).await {
                    Ok(greeted) => {
                        let _ = inner.announce(greeted);
                    }
                    Err(e) => tracing::warn!(%addr, error = %e, "refused a connection"),
                }
            });
        }
    }

    /// Keeps a connection to `seed`: dials it, and again `reconnect` after each loss.
    async fn seed_loop(self: Arc<Self>, seed: SocketAddr) {
        loop {
            if self.shutdown.is_cancelled() {
                return;
            }
            match self.dial(seed).await {
                Ok(link) => link.closed.cancelled().await,
                Err(ClusterError::Handshake { reason, .. }) if reason.starts_with(ALREADY) => {}
                Err(e) => tracing::debug!(%seed, error = %e, "seed not reached"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.reconnect) => {}
                () = self.shutdown.cancelled() => return,
            }
        }
    }

    /// Connects to the node at `addr`.
    pub(crate) async fn dial(
        self: &Arc<Self>,
        addr: SocketAddr,
    ) -> Result<Arc<Link>, ClusterError> {
        let after = self.config.connect_timeout;
        let tcp = match tokio::time::timeout(after, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => return Err(ClusterError::Io { what: "connect to", addr, source }),
            Err(_) => return Err(ClusterError::Timeout { addr, after }),
        };
        let greeted = session::greet(self, tcp, addr, true).await?;
        self.announce(greeted).map_err(|reason| ClusterError::Handshake { addr, reason })
    }

    /// Puts a greeted connection in the table and runs it; refuses a second connection to a
    /// node already connected (the first one stays).
    fn announce(self: &Arc<Self>, greeted: Greeted) -> Result<Arc<Link>, String> {
        let peer = greeted.peer.clone();
        let link =
            Arc::new(Link::new(peer.clone(), self.config.send_buffer, self.config.max_frame));
        let replaced = {
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
                _ => links.insert(peer.number, Arc::clone(&link)),
            }
        };
        if let Some(old) = replaced {
            // The node was started again: its earlier incarnation is gone.
            self.lost(&old, DownReason::Restarted);
        }
        self.events.emit(&NodeEvent::Up { name: peer.name.clone(), creation: peer.creation });
        let inner = Arc::clone(self);
        let running = Arc::clone(&link);
        tokio::spawn(async move {
            let reason = tokio::select! {
                reason = session::run(Arc::clone(&inner), Arc::clone(&running), greeted) => reason,
                () = running.closed.cancelled() => DownReason::Shutdown,
            };
            inner.lost(&running, reason);
        });
        Ok(link)
    }

    /// A connection is gone: it leaves the table, every relation with its node's processes
    /// is broken with `noconnection`, and its `Down` is announced. Once per connection.
    pub(crate) fn lost(&self, link: &Arc<Link>, reason: DownReason) {
        if !link.close() {
            return;
        }
        {
            let mut links = self.links.write();
            if links.get(&link.peer.number).is_some_and(|l| Arc::ptr_eq(l, link)) {
                links.remove(&link.peer.number);
            }
        }
        self.break_relations(link);
        let number = link.peer.number;
        self.lookups.lock().retain(|_, (node, _)| *node != number);
        self.calls.fail_node(number);
        let peer = &link.peer;
        tracing::info!(node = %peer.name, ?reason, "node down");
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

    /// Whether the incarnation `creation` of node `number` is connected.
    pub(crate) fn is_connected(&self, number: u32, creation: u32) -> bool {
        self.links.read().get(&number).is_some_and(|l| l.peer.creation == creation)
    }

    /// The link to the node named `name`, if connected.
    pub(crate) fn link_named(&self, name: &str) -> Option<Arc<Link>> {
        self.links.read().values().find(|l| l.peer.name.as_str() == name).cloned()
    }

    /// Shuts the cluster side down: no more connections; every connection closes (their
    /// nodes are announced down with `Shutdown`).
    pub(crate) fn shutdown(&self) {
        self.shutdown.cancel();
        let links: Vec<_> = self.links.read().values().cloned().collect();
        for link in links {
            self.lost(&link, DownReason::Shutdown);
        }
        self.events.close();
    }

    pub(crate) fn peers(&self) -> Vec<Peer> {
        self.links.read().values().map(|l| l.peer.clone()).collect()
    }
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
                self.calls.complete(number, id, Outcome::Reply(&payload, link));
            }
            Frame::NoReply { id, reason } => {
                self.calls.complete(number, id, Outcome::NoReply(reason.map(Into::into)));
            }
            other => tracing::warn!(node = %link.peer.name, frame = ?other, "frame dropped"),
        }
    }
}
