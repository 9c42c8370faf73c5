//! [`Cluster`]: the handle of a node that is part of a cluster.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cluster::config::ClusterConfig;
use crate::cluster::error::ClusterError;
use crate::cluster::events::NodeEvents;
use crate::cluster::name::NodeName;
use crate::cluster::net::ClusterInner;
use crate::cluster::stats::{LinkStats, NodeInfo};
use crate::cluster::wire::Frame;
use crate::{Node, Pid, ProcessRef};

impl ClusterConfig {
    /// Starts a node in a cluster: checks the settings, makes the node (its number is its
    /// name's, see [`NodeName::number`]), listens, and connects to the seeds (in the
    /// background, again after each loss).
    ///
    /// # Cancel safety
    ///
    /// Dropped before it completes, nothing is started (a listener bound so far is closed).
    pub async fn start(self) -> Result<Cluster, ClusterError> {
        Ok(Cluster { inner: ClusterInner::start(self).await? })
    }
}

/// A node in a cluster: connect to other nodes, watch them come and go, reach their
/// processes. Cheap to clone. Its [`Node`] is the node itself: spawn, link and monitor there
/// as on any node; a pid of another node works in `link`, `monitor` and `exit` as a local
/// one does.
#[derive(Clone)]
pub struct Cluster {
    pub(crate) inner: Arc<ClusterInner>,
}

impl Cluster {
    /// The node.
    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    /// This node's name.
    pub fn name(&self) -> &NodeName {
        &self.inner.name
    }

    /// Where this node listens, once bound (the port chosen when port 0 was asked).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.inner.listen_addr
    }

    /// Connects to the node listening at `addr` (Erlang's `net_kernel:connect_node`), and
    /// returns its name. A node already connected is refused with
    /// [`ClusterError::Handshake`].
    ///
    /// # Cancel safety
    ///
    /// Dropped before it completes, the attempt is abandoned (no node was announced).
    pub async fn connect(&self, addr: SocketAddr) -> Result<NodeName, ClusterError> {
        Ok(self.inner.dial(addr).await?.peer.name.clone())
    }

    /// Closes the connection to node `name`; `false` if it was not connected. Every link and
    /// monitor between the two nodes' processes breaks with `noconnection`.
    pub fn disconnect(&self, name: &NodeName) -> bool {
        match self.inner.link_named(name.as_str()) {
            Some(link) => {
                self.inner.lost(&link, crate::cluster::events::DownReason::Disconnected);
                true
            }
            None => false,
        }
    }

    /// The connected nodes (Erlang's `nodes()`).
    pub fn nodes(&self) -> Vec<NodeInfo> {
        let mut nodes: Vec<NodeInfo> = self.inner.peers().iter().map(NodeInfo::of).collect();
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        nodes
    }

    /// Subscribes to nodes coming up and going down, from now on.
    pub fn node_events(&self) -> NodeEvents {
        self.inner.events.subscribe()
    }

    /// The statistics of each connection.
    pub fn link_stats(&self) -> Vec<LinkStats> {
        let links: Vec<_> = self.inner.links.read().values().cloned().collect();
        let mut stats: Vec<LinkStats> =
            links.iter().map(|l| LinkStats::of(l, self.inner.reconnects(&l.peer.name))).collect();
        stats.sort_by(|a, b| a.node.cmp(&b.node));
        stats
    }

    /// Lets other nodes reach `process`: by its pid, and by `name` through
    /// [`lookup`](Self::lookup). A process receives from other nodes only once exported (its
    /// message type's decoder is kept here). Exporting another process under a name moves
    /// the name.
    pub fn export<M>(&self, name: &str, process: &ProcessRef<M>)
    where
        M: DeserializeOwned + Send + 'static,
    {
        self.inner.exports.insert(Some(name), process);
    }

    /// Lets other nodes reach `process` by its pid only (a pid they were sent).
    pub fn export_pid<M>(&self, process: &ProcessRef<M>)
    where
        M: DeserializeOwned + Send + 'static,
    {
        self.inner.exports.insert(None, process);
    }

    /// Withdraws a name; `true` if it named a process.
    pub fn unexport(&self, name: &str) -> bool {
        self.inner.exports.remove_name(name)
    }

    /// An address of the process node `node` exports under `name`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future abandons the question (its answer is ignored).
    pub async fn lookup<M>(
        &self,
        node: &NodeName,
        name: &str,
    ) -> Result<ProcessRef<M>, ClusterError>
    where
        M: Serialize + Send + 'static,
    {
        let link = self
            .inner
            .link_named(node.as_str())
            .ok_or_else(|| ClusterError::UnknownNode(node.to_string()))?;
        let id = self.inner.next_id();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.lookups.lock().insert(id, (link.peer.number, tx));
        let asked = link.signal(link.peer_pid(), &Frame::Lookup { id, name: name.to_owned() });
        let answer = if asked { rx.await.ok() } else { None };
        self.inner.lookups.lock().remove(&id);
        match answer {
            Some(Some(pid)) => Ok(crate::cluster::proxy::remote_ref(&self.inner, link, pid)),
            Some(None) => {
                Err(ClusterError::NotFound { node: node.to_string(), name: name.to_owned() })
            }
            None => Err(ClusterError::UnknownNode(node.to_string())),
        }
    }

    /// Lets other nodes spawn processes here by `name` ([`spawn_remote`](Self::spawn_remote)):
    /// `factory` gets this node and the decoded arguments and returns the new process, which
    /// is exported by pid. Registering another factory under a name replaces it.
    pub fn register_factory<A, M, F>(&self, name: &str, factory: F)
    where
        A: DeserializeOwned + 'static,
        M: DeserializeOwned + Send + 'static,
        F: Fn(&Node, A) -> Result<ProcessRef<M>, crate::SpawnError> + Send + Sync + 'static,
    {
        self.inner.factories.insert(name, factory);
    }

    /// Spawns a process on node `node` with the factory it registered as `factory`, and
    /// returns an address of it (Erlang's `spawn(Node, ...)`). The process is not linked to
    /// the caller.
    ///
    /// # Cancel safety
    ///
    /// Dropped before it completes, the request may still run on the other node (its answer
    /// is ignored, and the process it made lives on).
    pub async fn spawn_remote<A, M>(
        &self,
        node: &NodeName,
        factory: &str,
        args: A,
    ) -> Result<ProcessRef<M>, ClusterError>
    where
        A: Serialize,
        M: Serialize + Send + 'static,
    {
        let link = self
            .inner
            .link_named(node.as_str())
            .ok_or_else(|| ClusterError::UnknownNode(node.to_string()))?;
        let failed = |reason: String| ClusterError::SpawnFailed {
            node: node.to_string(),
            factory: factory.to_owned(),
            reason,
        };
        let args = crate::cluster::codec::encode(&args, &self.inner, &link)
            .map_err(|e| failed(format!("the arguments did not encode: {e}")))?;
        let id = self.inner.next_id();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.spawns.lock().insert(id, (link.peer.number, tx));
        let frame = Frame::Spawn { id, factory: factory.to_owned(), args };
        let Some(bytes) = link.encode(&frame) else {
            self.inner.spawns.lock().remove(&id);
            return Err(failed(format!("the arguments are larger than {} bytes", link.max_frame)));
        };
        let asked = link.out.push_signal(link.peer_pid(), bytes);
        let answer = if asked { rx.await.ok() } else { None };
        self.inner.spawns.lock().remove(&id);
        match answer {
            Some(Ok(pid)) => Ok(crate::cluster::proxy::remote_ref(&self.inner, link, pid)),
            Some(Err(reason)) => Err(failed(reason)),
            None => Err(ClusterError::UnknownNode(node.to_string())),
        }
    }

    /// An address of `pid`, a process of another connected node (a pid received in a
    /// message, say). Messages reach it if its node exported it. Make one and clone it:
    /// each address made here has its own forwarding task.
    pub fn process_ref<M>(&self, pid: Pid) -> Result<ProcessRef<M>, ClusterError>
    where
        M: Serialize + Send + 'static,
    {
        let link = self
            .inner
            .link(pid.node())
            .filter(|l| l.peer.creation == pid.creation())
            .ok_or_else(|| ClusterError::UnknownNode(pid.to_string()))?;
        Ok(crate::cluster::proxy::remote_ref(&self.inner, link, pid))
    }

    /// Leaves the cluster: stops listening and dialling, lets each connection write what is
    /// queued on it (for at most a second), then closes them (each node is announced down).
    /// The node's processes go on; their links and monitors with other nodes' processes break
    /// with `noconnection`. [`Node::shutdown`] does this after its processes have stopped, so
    /// that their exit signals reach other nodes first.
    ///
    /// # Cancel safety
    ///
    /// Dropped before it completes, the node has stopped accepting and dialling, and its
    /// connections still close once written out.
    pub async fn shutdown(&self) {
        self.inner.leave(std::time::Duration::from_secs(1)).await;
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("name", &self.inner.name)
            .field("listen", &self.inner.listen_addr)
            .field("nodes", &self.inner.links.read().len())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// The cluster this node is part of, if it was started by
    /// [`ClusterConfig::start`].
    pub fn cluster(&self) -> Option<Cluster> {
        self.services.cluster.get().map(|inner| Cluster { inner: Arc::clone(inner) })
    }

    /// Connects to the node listening at `addr`; see [`Cluster::connect`].
    ///
    /// # Cancel safety
    ///
    /// As [`Cluster::connect`].
    pub async fn connect(&self, addr: SocketAddr) -> Result<NodeName, ClusterError> {
        self.cluster().ok_or(ClusterError::NotClustered)?.connect(addr).await
    }
}
