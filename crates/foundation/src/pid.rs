//! Process identifiers.

use std::fmt;

/// The identifier of a process: small, `Copy`, ordered, hashable and printable.
///
/// A `Pid` names the node the process lives on and a number unique on that node, so a pid
/// received from another machine will fit once clustering arrives. Pids are ordered by node,
/// then by creation: a pid made later on the same node compares greater.
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
    local: u64,
}

impl Pid {
    pub(crate) const fn new(node: u32, local: u64) -> Self {
        Pid { node, local }
    }

    /// The node this process lives on (`0` for a node that is not part of a cluster).
    pub const fn node(self) -> u32 {
        self.node
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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorRef(pub(crate) u64);

impl fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}>", self.0)
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
