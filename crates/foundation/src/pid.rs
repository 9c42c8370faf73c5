//! Process identifiers.

use std::fmt;

/// The identifier of a process: small, `Copy`, ordered, hashable and printable.
///
/// A `Pid` names the node the process lives on, that node's incarnation (its
/// [`creation`](Self::creation), as an Erlang pid carries its node's creation) and a number
/// unique on that node, so a pid received from another machine will fit once clustering
/// arrives, and a pid of a node that has since been started again (a new `Node` with the same
/// number) never reaches a process of the new one. Pids are ordered by node, then creation,
/// then by the order they were made: a pid made later by the same `Node` compares greater (the
/// creation of a node started again is not ordered after the old one's).
///
/// Equality and hashing take in every part; the printed form leaves the creation out, as
/// Erlang's does, so two pids of different incarnations of one node may print alike.
///
/// It prints the way Erlang prints pids, `<node.index.serial>`, where `index` and `serial` are the
/// low and high 32 bits of the local number:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = foundation::Node::new()?;
/// let pid = node.self_pid();
/// assert_eq!(pid.to_string(), "<0.0.0>");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid {
    node: u32,
    creation: u32,
    local: u64,
}

impl Pid {
    pub(crate) const fn new(node: u32, creation: u32, local: u64) -> Self {
        Pid { node, creation, local }
    }

    /// The node this process lives on (`0` for a node that is not part of a cluster).
    pub const fn node(self) -> u32 {
        self.node
    }

    /// The incarnation of its node: each [`Node`](crate::Node) started gets its own, so pids
    /// (and monitor references) of two nodes with the same number never mix.
    pub const fn creation(self) -> u32 {
        self.creation
    }

    /// The number that makes this pid unique on its node.
    pub const fn local_id(self) -> u64 {
        self.local
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.local & u64::from(u32::MAX);
        let serial = self.local >> 32;
        write!(f, "<{}.{}.{}>", self.node, index, serial)
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Identifies one monitor, as returned by [`Context::monitor`](crate::Context::monitor).
///
/// Each call to `monitor` makes a new reference, also for the same target, so that every
/// monitor can be removed on its own with [`Context::demonitor`](crate::Context::demonitor).
///
/// As an Erlang reference, it names the node that made it and that node's incarnation
/// ([`Pid::creation`]), so references are unique across nodes and across restarts of a
/// node: a reference made by another node never matches a local monitor (demonitoring with
/// it does nothing). It prints as `#Ref<node.creation.number>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorRef {
    node: u32,
    creation: u32,
    id: u64,
}

impl MonitorRef {
    pub(crate) const fn new(node: u32, creation: u32, id: u64) -> Self {
        MonitorRef { node, creation, id }
    }

    /// The node that made the reference.
    pub const fn node(self) -> u32 {
        self.node
    }

    /// The incarnation of the node that made it (see [`Pid::creation`]).
    pub const fn creation(self) -> u32 {
        self.creation
    }

    /// The number, unique on its node's incarnation.
    #[cfg(feature = "cluster")]
    pub(crate) const fn id(self) -> u64 {
        self.id
    }
}

impl fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}.{}.{}>", self.node, self.creation, self.id)
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
