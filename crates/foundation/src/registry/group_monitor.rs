//! A monitor of a process group or a whole scope (OTP's `pg:monitor/2` and
//! `pg:monitor_scope/1`).

use std::fmt;
use std::sync::{Arc, Weak};

use crate::engine::group_event::{End, EventQueue, GroupEvent};
use crate::engine::node_state::NodeState;

/// Hears every join and leave of one group ([`Groups::monitor`](crate::Groups::monitor)) or of
/// every group of a scope ([`Groups::monitor_scope`](crate::Groups::monitor_scope)), in the
/// order the groups changed.
///
/// Dropping it (or [`demonitor`](GroupMonitor::demonitor)) stops it; a monitor held by a
/// process stops when the process exits and drops its state.
///
/// # Bounded, never silent
///
/// A monitor holds at most its capacity of unread events
/// ([`Groups::with_monitor_capacity`](crate::Groups::with_monitor_capacity), by default
/// [`DEFAULT_MONITOR_CAPACITY`](crate::registry::DEFAULT_MONITOR_CAPACITY)). A join or leave
/// never waits for a monitor: when an event finds the monitor full, the monitor ends there.
/// [`recv`](GroupMonitor::recv) still gives every event it holds, in order, and then
/// [`RecvError::Lagged`]: nothing after the last event received was kept, so monitor again for
/// a fresh view. This is the `Fail` policy of our mailboxes, told to the reader rather than to
/// the joining process.
#[must_use = "a monitor hears nothing once dropped"]
pub struct GroupMonitor {
    queue: Arc<EventQueue>,
    node: Weak<NodeState>,
    scope: Arc<str>,
    /// `None` for a scope monitor.
    group: Option<Arc<str>>,
}

/// Why a [`GroupMonitor`] has no more events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvError {
    /// The monitor fell behind: an event found it holding its capacity of unread events, so
    /// that event and every later one were not kept. Monitor again for a fresh view.
    Lagged,
    /// The node is gone (every handle to it and every process of it dropped).
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Lagged => f.write_str(
                "the group monitor fell behind and was ended: events after the last one \
                 received were not kept",
            ),
            RecvError::Closed => f.write_str("the group monitor's node is gone"),
        }
    }
}

impl std::error::Error for RecvError {}

impl GroupMonitor {
    pub(crate) fn new(
        node: &Arc<NodeState>,
        queue: Arc<EventQueue>,
        scope: Arc<str>,
        group: Option<Arc<str>>,
    ) -> Self {
        GroupMonitor { queue, node: Arc::downgrade(node), scope, group }
    }

    /// The next join or leave; waits for one. Once the monitor has ended and every event it
    /// held is received, why it ended, every time.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is taken only when `recv` returns it, so a `recv` dropped in a
    /// `select!` loses nothing.
    pub async fn recv(&mut self) -> Result<GroupEvent, RecvError> {
        std::future::poll_fn(|cx| self.queue.poll_recv(cx)).await.map_err(|end| match end {
            End::Lagged => RecvError::Lagged,
            End::Closed => RecvError::Closed,
        })
    }

    /// The scope watched.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The group watched; `None` for a monitor of the whole scope.
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// Stops the monitor (OTP's `pg:demonitor`); the same as dropping it.
    pub fn demonitor(self) {}
}

impl Drop for GroupMonitor {
    fn drop(&mut self) {
        if let Some(node) = self.node.upgrade() {
            node.groups.write().demonitor(&self.scope, self.group.as_deref(), &self.queue);
        }
    }
}

impl fmt::Debug for GroupMonitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupMonitor")
            .field("scope", &self.scope)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}
