//! What the engine asks of the features above it, without knowing them.
//!
//! A feature that gathers processes (say, a group of workers) attaches a [`ProcessHook`] to
//! each of them, once, for every incarnation. The engine asks it the few things that depend on
//! the feature: whether the process compacts after each burst of messages, and how to tell
//! the process's flow trouble (drops, stalls). A process without a hook is told of by its
//! node (`Node::report_flow`).

use crate::Node;
use crate::Pid;
use crate::process::overflow::Overflow;

/// Flow trouble to tell: messages dropped by the overflow policy and sends that had to wait for
/// room, since the last report (at most one a second per process, and a last one at its end)
/// and over the address's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowReport {
    pub(crate) pid: Pid,
    pub(crate) policy: Overflow,
    /// `(since the last report, in all)`, when some were dropped since.
    pub(crate) dropped: Option<(u64, u64)>,
    /// `(since the last report, in all)`, when some stalled since.
    pub(crate) stalled: Option<(u64, u64)>,
}

/// A feature's say in how the engine runs one process (see the module docs).
pub(crate) trait ProcessHook: Send + Sync + 'static {
    /// Whether the process compacts (`Process::compact`) each time its mailbox runs dry after
    /// a burst of messages.
    fn compact_after_bursts(&self) -> bool {
        false
    }

    /// Tells a flow report; by default as the node tells a plain process's.
    fn flow(&self, node: &Node, report: &FlowReport) {
        node.report_flow(None, report);
    }
}
