//! How a node joins a cluster: its name, where it listens, whom it first talks to, how it
//! proves who it is, and its timeouts and buffers.

use std::net::SocketAddr;
use std::time::Duration;

use crate::cluster::name::NodeName;
use crate::cluster::tls::TlsIdentity;
use crate::cluster::wire::DEFAULT_MAX_FRAME;
use crate::error::ConfigError;

/// How nodes prove who they are to each other.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Security {
    /// Mutual TLS: each node shows a certificate for its name, signed by the cluster's CA, and
    /// accepts only peers that do the same (see `docs/CLUSTER_GUIDE.md` for the script that
    /// makes them).
    MutualTls(TlsIdentity),
    /// Plain TCP: anyone who reaches the port is a member. Only for tests and a trusted
    /// loopback; never chosen by default.
    Insecure,
}

/// The settings of a clustered node. Built with methods, checked by
/// [`ClusterConfig::start`](crate::cluster::ClusterConfig::start).
///
/// ```
/// use std::time::Duration;
/// use foundation::cluster::{ClusterConfig, NodeName};
///
/// let config = ClusterConfig::new(NodeName::new("a").unwrap())
///     .listen("127.0.0.1:0".parse().unwrap())
///     .insecure_plaintext()
///     .tick(Duration::from_millis(500));
/// assert_eq!(config.name().as_str(), "a");
/// ```
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub(crate) name: NodeName,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) advertise: Option<SocketAddr>,
    pub(crate) seeds: Vec<SocketAddr>,
    pub(crate) security: Option<Security>,
    pub(crate) connect_timeout: Duration,
    pub(crate) tick: Duration,
    pub(crate) detection: Duration,
    pub(crate) reconnect: Duration,
    pub(crate) max_frame: usize,
    pub(crate) send_buffer: usize,
    pub(crate) receive_window: usize,
}

impl ClusterConfig {
    /// A node named `name`, listening nowhere (it can still connect out), with no seeds and no
    /// security chosen: choose [`tls`](Self::tls) or, by name,
    /// [`insecure_plaintext`](Self::insecure_plaintext).
    pub fn new(name: NodeName) -> Self {
        ClusterConfig {
            name,
            listen: None,
            advertise: None,
            seeds: Vec::new(),
            security: None,
            connect_timeout: Duration::from_secs(5),
            tick: Duration::from_secs(1),
            detection: Duration::from_secs(4),
            reconnect: Duration::from_secs(1),
            max_frame: DEFAULT_MAX_FRAME,
            send_buffer: 8 * 1024 * 1024,
            receive_window: 8 * 1024 * 1024,
        }
    }

    /// The node's name.
    pub fn name(&self) -> &NodeName {
        &self.name
    }

    /// Where the node listens for other nodes (port 0: any free port, see
    /// [`Cluster::listen_addr`](crate::cluster::Cluster::listen_addr)).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// The address other nodes dial to reach this one, as the membership protocol tells it
    /// to them (default: the address it listens on; set it when that is `0.0.0.0` or behind
    /// a NAT).
    pub fn advertise(mut self, addr: SocketAddr) -> Self {
        self.advertise = Some(addr);
        self
    }

    /// A node to connect to at start, and again whenever its connection is lost, every
    /// [`reconnect`](Self::reconnect) interval.
    pub fn seed(mut self, addr: SocketAddr) -> Self {
        self.seeds.push(addr);
        self
    }

    /// Mutual TLS with this identity.
    pub fn tls(mut self, identity: TlsIdentity) -> Self {
        self.security = Some(Security::MutualTls(identity));
        self
    }

    /// Plain TCP, no authentication: for tests and trusted loopback only.
    pub fn insecure_plaintext(mut self) -> Self {
        self.security = Some(Security::Insecure);
        self
    }

    /// How long a connection attempt (TCP, TLS and the greeting) may take. Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How often the membership protocol probes a member, and how often a node sends a tick
    /// on a connection that has carried nothing else, so that the peer can tell a quiet node
    /// from a hung one. Default 1 s.
    pub fn tick(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }

    /// How long until a node that stopped answering is declared down by the membership
    /// protocol (SWIM: a probe every `tick`, answered within half a tick or probed through
    /// other members, then suspected for the rest of this time): the time to notice a node
    /// that hangs with its socket open, or a partition. It is declared down between
    /// `detection - tick` and `detection` after it stopped answering (the next probe comes
    /// within a tick). A connection silent for twice this
    /// long is closed whatever the protocol says. Shorter finds a hung node sooner and mistakes a slow one (a long pause, a
    /// congested link) for a dead one more often. Default 4 s (Erlang's default tick time
    /// declares a node down after 45 to 75 s; a closed socket is seen at once either way).
    /// Must be at least twice the tick.
    pub fn detection(mut self, detection: Duration) -> Self {
        self.detection = detection;
        self
    }

    /// How long to wait before connecting again to a seed whose connection was lost or
    /// refused. Default 1 s.
    pub fn reconnect(mut self, interval: Duration) -> Self {
        self.reconnect = interval;
        self
    }

    /// The largest frame this node sends or accepts, in bytes (a message whose encoding is
    /// larger is refused to its sender). Default 8 MiB.
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.max_frame = bytes;
        self
    }

    /// The most bytes of messages waiting to be written to one peer: a sender that finds it
    /// full waits (or its `try_send` fails), so a slow peer slows its senders instead of
    /// growing a buffer. Default 8 MiB.
    pub fn send_buffer(mut self, bytes: usize) -> Self {
        self.send_buffer = bytes;
        self
    }

    /// How many bytes of messages a peer may send this node before it is told they were
    /// delivered (credit): the most a connection buffers on the receiving side. At least the
    /// largest frame. Default 8 MiB.
    pub fn receive_window(mut self, bytes: usize) -> Self {
        self.receive_window = bytes;
        self
    }

    /// Checks every setting; the first one out of range is named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let above_zero = |field, d: Duration| {
            if d.is_zero() {
                Err(ConfigError::new(field, format_args!("{d:?}"), "durations above zero"))
            } else {
                Ok(())
            }
        };
        above_zero("connect_timeout", self.connect_timeout)?;
        above_zero("tick", self.tick)?;
        above_zero("reconnect", self.reconnect)?;
        if self.detection < self.tick * 2 {
            return Err(ConfigError::new(
                "detection",
                format_args!("{:?}", self.detection),
                "at least twice the tick",
            ));
        }
        if !(64..=u32::MAX as usize).contains(&self.max_frame) {
            return Err(ConfigError::new("max_frame", self.max_frame, "64 bytes to 4 GiB"));
        }
        if self.send_buffer < self.max_frame {
            return Err(ConfigError::new(
                "send_buffer",
                self.send_buffer,
                "at least `max_frame` bytes",
            ));
        }
        if self.receive_window < self.max_frame {
            return Err(ConfigError::new(
                "receive_window",
                self.receive_window,
                "at least `max_frame` bytes",
            ));
        }
        if self.security.is_none() {
            return Err(ConfigError::new(
                "security",
                "none",
                "`tls(identity)` or, for tests only, `insecure_plaintext()`",
            ));
        }
        Ok(())
    }
}
