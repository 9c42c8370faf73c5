//! What a monitor of process groups hears (a join, a leave), and the bounded queue that holds
//! it until the monitor reads it.
//!
//! The queue is written under the node's group table lock, so events reach each monitor in the
//! order the table changed; it never blocks the writer: a full queue ends its monitor (see
//! [`End::Lagged`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::task::AtomicWaker;
use parking_lot::Mutex;

use crate::Pid;

/// A change to a process group, as a [`GroupMonitor`](crate::registry::GroupMonitor) hears it
/// (OTP's `{Ref, join | leave, Group, Pids}` message, one pid at a time).
///
/// A process that joins a group twice makes two `Joined` events and, leaving or exiting, two
/// `Left` events: one per membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEvent {
    kind: GroupEventKind,
    scope: Arc<str>,
    group: Arc<str>,
    pid: Pid,
}

/// Whether a [`GroupEvent`] is a join or a leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupEventKind {
    /// The process joined the group (once more, if it was a member already).
    Joined,
    /// The process left the group once: by [`Groups::leave`](crate::Groups::leave), or because
    /// it exited (then one `Left` per membership it held).
    Left,
}

impl GroupEvent {
    pub(crate) fn new(kind: GroupEventKind, scope: &Arc<str>, group: &Arc<str>, pid: Pid) -> Self {
        GroupEvent { kind, scope: Arc::clone(scope), group: Arc::clone(group), pid }
    }

    /// A join or a leave.
    pub fn kind(&self) -> GroupEventKind {
        self.kind
    }

    /// `true` for a join.
    pub fn is_join(&self) -> bool {
        self.kind == GroupEventKind::Joined
    }

    /// `true` for a leave (by `leave` or by exit).
    pub fn is_leave(&self) -> bool {
        self.kind == GroupEventKind::Left
    }

    /// The scope of the group (`"pg"` for the default one).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The process that joined or left.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}

/// Why a queue takes no more events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// It was full when an event came: that event and all later ones were not kept.
    Lagged,
    /// The node's group table is gone.
    Closed,
}

/// The events waiting for one monitor, at most `capacity`; one reader.
#[derive(Debug)]
pub(crate) struct EventQueue {
    inner: Mutex<Inner>,
    waker: AtomicWaker,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    events: VecDeque<GroupEvent>,
    end: Option<End>,
}

/// Above this many slots, a queue that drains gives its buffer back (a burst does not keep
/// its memory).
const KEEP_SLOTS: usize = 32;

impl EventQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        EventQueue { inner: Mutex::default(), waker: AtomicWaker::new(), capacity }
    }

    /// Queues `event`; `false` once the queue has ended (now, if it was full: the writer then
    /// drops it from the table).
    pub(crate) fn push(&self, event: GroupEvent) -> bool {
        let mut inner = self.inner.lock();
        if inner.end.is_some() {
            return false;
        }
        let kept = if inner.events.len() < self.capacity {
            inner.events.push_back(event);
            true
        } else {
            inner.end = Some(End::Lagged);
            false
        };
        drop(inner);
        self.waker.wake();
        kept
    }

    /// Ends the queue (its table is gone), unless it has ended already.
    pub(crate) fn close(&self) {
        let mut inner = self.inner.lock();
        if inner.end.is_none() {
            inner.end = Some(End::Closed);
        }
        drop(inner);
        self.waker.wake();
    }

    /// The next event; once the queue has ended and is drained, why it ended.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<GroupEvent, End>> {
        if let Some(next) = self.try_recv() {
            return Poll::Ready(next);
        }
        self.waker.register(cx.waker());
        match self.try_recv() {
            Some(next) => Poll::Ready(next),
            None => Poll::Pending,
        }
    }

    fn try_recv(&self) -> Option<Result<GroupEvent, End>> {
        let mut inner = self.inner.lock();
        if let Some(event) = inner.events.pop_front() {
            if inner.events.is_empty() && inner.events.capacity() > KEEP_SLOTS {
                inner.events = VecDeque::new();
            }
            return Some(Ok(event));
        }
        inner.end.map(Err)
    }
}
