//! Nodes on several machines (the `cluster` feature), with Erlang's semantics across the wire.
//!
//! A node started by [`ClusterConfig::start`] has a [name](NodeName) (which fixes the `node`
//! part of its pids) and an incarnation (a new one each start, so a pid of a node's earlier
//! life never reaches its next one). It listens, connects to its seeds and to whoever it is
//! told to ([`Cluster::connect`]), and announces nodes coming and going
//! ([`Cluster::node_events`]).
//!
//! # Connections
//!
//! One ordered connection per pair of nodes: TCP, mutual TLS (a peer without a certificate
//! from the cluster's CA, or with one for another name, is refused; plain TCP only when asked
//! for by name), length-delimited frames with a version byte ([`wire`]). Signals (links,
//! monitors, exits, downs) are written before queued messages, never stuck behind them,
//! except behind earlier messages to the same process, so a pair's order holds. Messages
//! are bounded both ways: at most `send_buffer` bytes wait to be written (then senders wait),
//! and a peer sends only as much as the receiver granted (credit, topped up as messages are
//! delivered), so a slow node slows its senders instead of growing a buffer.
//!
//! # Remote processes
//!
//! A [`ProcessRef`](crate::ProcessRef) of another node's process ([`Cluster::lookup`],
//! [`Cluster::process_ref`]) works as a local one: `send`, `try_send`, `send_timeout`,
//! `call` (a [`ReplyTo`](crate::ReplyTo) crosses the wire). Messages are serde types, encoded
//! with postcard. A process receives from other nodes once [exported](Cluster::export).
//! `link`, `monitor`, `demonitor`, `unlink` and `Node::exit` take remote pids as local ones.
//!
//! # Failure
//!
//! A lost connection (closed, or silent for the [detection time](ClusterConfig::detection))
//! breaks every link between the two nodes' processes with
//! [`NoConnection`](crate::ExitReason::NoConnection), fires every monitor with it, fails
//! calls waiting for that node, and closes addresses of its processes. A message in flight
//! when a connection is lost may be lost, as in Erlang; a message is never delivered twice,
//! and never to a later incarnation of its process or node.
//!
//! # Membership
//!
//! SWIM from the foca crate, behind a trait of our own: members probe each other over their
//! connections, gossip who is in the cluster (a node connects to the members it learns of),
//! and declare a member that answers no probe down within the
//! [detection time](ClusterConfig::detection).
//!
//! # Remote spawn
//!
//! A node registers factories by name ([`Cluster::register_factory`]); another asks it to run
//! one ([`Cluster::spawn_remote`]) and gets an address of the new process.
//!
//! The decisions behind this, and what is still to come (cluster-wide process groups), are
//! in `docs/CLUSTER.md`; running a cluster is in `docs/CLUSTER_GUIDE.md`.

mod calls;
mod codec;
mod config;
mod error;
mod events;
mod exports;
mod gossip;
mod handle;
mod inbound;
mod link;
mod membership;
mod name;
pub(crate) mod net;
mod order;
mod outbound;
mod proxy;
mod remote;
mod session;
mod spawn;
mod stats;
mod tls;
pub mod wire;

pub use config::{ClusterConfig, Security};
pub use error::ClusterError;
pub use events::{DownReason, NodeEvent, NodeEvents};
pub use handle::Cluster;
pub use name::{MAX_NAME_LEN, NodeName};
pub use stats::{LinkStats, NodeInfo};
pub use tls::TlsIdentity;
