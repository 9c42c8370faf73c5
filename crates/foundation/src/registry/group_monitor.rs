//! A monitor of a process group or a whole scope (OTP's `pg:monitor/2` and
//! `pg:monitor_scope/1`).

use std::fmt;
use std::sync::{Arc, Weak};

use crate::ProcessRef;
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
    /// As a stream: why it ended has been given; the stream is over.
    finished: bool,
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
        GroupMonitor { queue, node: Arc::downgrade(node), scope, group, finished: false }
    }

    /// The next join or leave; waits for one. Once the monitor has ended and every event it
    /// held is received, why it ended, every time.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is taken only when `recv` returns it, so a `recv` dropped in a
    /// `select!` loses nothing.
    pub async fn recv(&mut self) -> Result<GroupEvent, RecvError> {
        std::future::poll_fn(|cx| self.queue.poll_recv(cx)).await.map_err(ended)
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

    /// Delivers the events to a process's mailbox, as OTP's `pg` does: each event, wrapped by
    /// `wrap`, is queued for `to` in order. Events are never dropped or refused, whatever the
    /// subscriber's overflow policy: a subscriber with a full mailbox holds the forwarding back,
    /// and the monitor, bounded, ends `Lagged` rather than grow; that end, or `Closed`, is
    /// delivered too, as the last message. Forwarding stops, and the
    /// monitor with it, when the process exits (this incarnation of it: the monitor belongs to
    /// the subscriber's pid, as in OTP) or the node is gone. The forwarder does not keep the
    /// process alive.
    ///
    /// ```
    /// use foundation::registry::{GroupEvent, RecvError};
    /// use foundation::{BoxError, Context, Node, Process};
    ///
    /// struct Watcher;
    /// impl Process for Watcher {
    ///     type Message = Result<GroupEvent, RecvError>;
    ///     async fn handle(&mut self, _: &mut Context<Self::Message>, event: Self::Message) -> Result<(), BoxError> {
    ///         println!("{:?}", event?);
    ///         Ok(())
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let node = Node::new()?;
    /// let watcher = node.spawn(Watcher)?;
    /// let (monitor, _members) = node.groups().monitor("workers");
    /// monitor.forward_to(&watcher, |event| event);
    /// # Ok(()) }
    /// ```
    pub fn forward_to<M: Send + 'static>(
        mut self,
        to: &ProcessRef<M>,
        wrap: impl Fn(Result<GroupEvent, RecvError>) -> M + Send + 'static,
    ) {
        let Some(node) = self.node.upgrade() else { return };
        // As OTP's pg monitor belongs to its subscriber's pid: this incarnation.
        let incarnation = to.pid();
        let to = to.downgrade();
        let forwarding = async move {
            let subscriber = &to.shared.core;
            let mut exited = std::pin::pin!(subscriber.wait_exit_of(incarnation));
            loop {
                let event = tokio::select! {
                    event = self.recv() => event,
                    _ = &mut exited => return,
                };
                let last = event.is_err();
                let Some(process) = to.upgrade() else { return };
                let sent = tokio::select! {
                    sent = process.push_when_room(wrap(event)) => sent.is_ok(),
                    _ = &mut exited => false,
                };
                if !sent || last {
                    return;
                }
            }
        };
        drop(node.runtime.spawn(forwarding));
    }
}

/// Why a monitor's queue ended, as its reader is told.
fn ended(end: End) -> RecvError {
    match end {
        End::Lagged => RecvError::Lagged,
        End::Closed => RecvError::Closed,
    }
}

/// The events as a stream: each join and leave in order, then why the monitor ended (`Err`,
/// once), then the end of the stream. Polling it is cancel safe, as [`GroupMonitor::recv`].
impl futures::Stream for GroupMonitor {
    type Item = Result<GroupEvent, RecvError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.finished {
            return std::task::Poll::Ready(None);
        }
        self.queue.poll_recv(cx).map(|next| {
            if next.is_err() {
                self.finished = true;
            }
            Some(next.map_err(ended))
        })
    }
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
