//! Membership events: a node came up, a node went down and why.

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::cluster::name::NodeName;

/// Why a node is no longer connected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownReason {
    /// The peer closed the connection (it stopped, or its process died: the socket closes).
    Closed,
    /// Nothing came from the peer for twice the detection time (the connection's own
    /// backstop, behind the membership protocol): it hangs, or the network is cut.
    TimedOut,
    /// The membership protocol (SWIM) declared the node down: it answered no probe, direct or
    /// through other members, within the detection time. It hangs, or the network between
    /// it and the cluster is cut.
    Unreachable,
    /// Reading or writing failed; the system's reason.
    Io(String),
    /// The peer broke the protocol (a frame too large, malformed, of another version); the
    /// connection was closed and nothing else was touched.
    Protocol(String),
    /// The node was started again: this is its earlier incarnation.
    Restarted,
    /// This node is shutting down, or left its cluster (`Cluster::shutdown`).
    Shutdown,
    /// This node closed the connection (`Cluster::disconnect`).
    Disconnected,
}

impl std::fmt::Display for DownReason {
    /// `closed`, `timed_out`, `unreachable`, `io: why`, `protocol: why`, `restarted`, `shutdown`,
    /// `disconnected`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownReason::Closed => f.write_str("closed"),
            DownReason::TimedOut => f.write_str("timed_out"),
            DownReason::Unreachable => f.write_str("unreachable"),
            DownReason::Io(why) => write!(f, "io: {why}"),
            DownReason::Protocol(why) => write!(f, "protocol: {why}"),
            DownReason::Restarted => f.write_str("restarted"),
            DownReason::Shutdown => f.write_str("shutdown"),
            DownReason::Disconnected => f.write_str("disconnected"),
        }
    }
}

/// A change in the set of connected nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A node connected.
    Up {
        /// Its name.
        name: NodeName,
        /// Its incarnation.
        creation: u32,
    },
    /// A node's connection is gone: every link to its processes has been broken with
    /// `noconnection`, and every monitor of them has fired.
    Down {
        /// Its name.
        name: NodeName,
        /// The incarnation that went down.
        creation: u32,
        /// Why.
        reason: DownReason,
    },
}

/// A subscription to [`NodeEvent`]s, from
/// [`Cluster::node_events`](crate::cluster::Cluster::node_events). Events come in the order
/// they happened; none is dropped (they are few: one per connection and disconnection).
#[derive(Debug)]
pub struct NodeEvents {
    rx: mpsc::UnboundedReceiver<NodeEvent>,
}

impl NodeEvents {
    /// The next event; `None` once the node has shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is taken only when the future completes.
    pub async fn recv(&mut self) -> Option<NodeEvent> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<NodeEvent> {
        self.rx.try_recv().ok()
    }
}

/// The subscribers.
#[derive(Default)]
pub(crate) struct Subscribers {
    list: Mutex<Vec<mpsc::UnboundedSender<NodeEvent>>>,
}

impl Subscribers {
    pub(crate) fn subscribe(&self) -> NodeEvents {
        let (tx, rx) = mpsc::unbounded_channel();
        self.list.lock().push(tx);
        NodeEvents { rx }
    }

    pub(crate) fn emit(&self, event: &NodeEvent) {
        self.list.lock().retain(|tx| tx.send(event.clone()).is_ok());
    }

    pub(crate) fn close(&self) {
        self.list.lock().clear();
    }
}
