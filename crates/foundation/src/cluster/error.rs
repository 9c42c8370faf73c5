//! What can go wrong when a node starts, connects or talks to a remote process.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::error::ConfigError;

/// A clustered node could not start, or a connection to another node could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClusterError {
    /// A setting is out of range.
    Config(ConfigError),
    /// TLS material could not be read or used: `what` names it.
    Tls {
        /// Which piece: `the CA certificate`, `the node's key`, ...
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A socket could not be opened, bound or connected.
    Io {
        /// What was being done: `listen`, `connect`.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The system's error.
        source: std::io::Error,
    },
    /// The peer was reached but the two nodes did not agree: another wire version, a
    /// certificate refused, a name that clashes, a node connecting to itself.
    Handshake {
        /// The peer's address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The connection (TCP, TLS and the greeting) took longer than `connect_timeout`.
    Timeout {
        /// The peer's address.
        addr: SocketAddr,
        /// The timeout.
        after: Duration,
    },
    /// The node is not part of a cluster (it was not started by `ClusterConfig::start`), or
    /// it has been shut down.
    NotClustered,
    /// No node of that name is connected.
    UnknownNode(String),
    /// The peer node did not spawn: no factory under that name, arguments that did not
    /// decode, or the factory's own error.
    SpawnFailed {
        /// The node asked.
        node: String,
        /// The factory.
        factory: String,
        /// Why.
        reason: String,
    },
    /// The peer node has nothing exported under that name.
    NotFound {
        /// The node asked.
        node: String,
        /// The name.
        name: String,
    },
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Config(e) => fmt::Display::fmt(e, f),
            ClusterError::Tls { what, reason } => write!(f, "cannot use {what}: {reason}"),
            ClusterError::Io { what, addr, source } => write!(f, "cannot {what} {addr}: {source}"),
            ClusterError::Handshake { addr, reason } => {
                write!(f, "node at {addr} refused or was refused: {reason}")
            }
            ClusterError::Timeout { addr, after } => {
                write!(f, "connecting to {addr} took longer than {after:?}")
            }
            ClusterError::NotClustered => f.write_str("this node is not part of a cluster"),
            ClusterError::UnknownNode(name) => write!(f, "no node `{name}` is connected"),
            ClusterError::SpawnFailed { node, factory, reason } => {
                write!(f, "node `{node}` did not spawn `{factory}`: {reason}")
            }
            ClusterError::NotFound { node, name } => {
                write!(f, "node `{node}` exports nothing named `{name}`")
            }
        }
    }
}

impl std::error::Error for ClusterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClusterError::Config(e) => Some(e),
            ClusterError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<ConfigError> for ClusterError {
    fn from(e: ConfigError) -> Self {
        ClusterError::Config(e)
    }
}
