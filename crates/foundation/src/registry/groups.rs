//! Process groups (OTP's `pg`): the public face of the node's group table.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::engine::group_event::EventQueue;
use crate::engine::group_table::DEFAULT_SCOPE;
use crate::engine::process_block::ProcessBlock;
use crate::engine::relations::Entry;
use crate::error::{ConfigError, RegisterError};
use crate::message::{BroadcastError, BroadcastReport, broadcast_shared};
use crate::registry::GroupMonitor;
use crate::{Node, Pid};

/// How many events a [`GroupMonitor`] holds unread unless
/// [`with_monitor_capacity`](Groups::with_monitor_capacity) says otherwise.
pub const DEFAULT_MONITOR_CAPACITY: usize = 1024;

/// One scope of a node's process groups, from [`Node::groups`] (the default scope, `"pg"`) or
/// [`Node::group_scope`]: named groups of processes, for broadcast and discovery, as OTP's
/// `pg`.
///
/// Membership is a multiset: a process that joins a group twice is a member twice (listed
/// twice by [`members`](Groups::members)) and must leave twice. A process that exits leaves
/// all its groups, every membership, before its links and monitors hear of the exit; an
/// emptied group disappears. Membership does not keep a process alive. See the
/// [module docs](crate::registry#process-groups) for the rest, and where we differ from OTP.
#[derive(Clone, Copy)]
pub struct Groups<'a> {
    node: &'a Node,
    scope: &'a str,
    monitor_capacity: usize,
}

impl<'a> Groups<'a> {
    pub(crate) fn new(node: &'a Node, scope: &'a str) -> Self {
        Groups { node, scope, monitor_capacity: DEFAULT_MONITOR_CAPACITY }
    }

    /// How [`ProcessInfo::groups`](crate::ProcessInfo::groups) names a membership: the group
    /// in the default scope, `scope/group` in another.
    pub(crate) fn label(scope: &str, group: &str) -> String {
        if scope == DEFAULT_SCOPE { group.to_string() } else { format!("{scope}/{group}") }
    }

    /// This scope's name (`"pg"` for [`Node::groups`]).
    pub fn scope(&self) -> &str {
        self.scope
    }

    /// Adds one membership of `pid` in `group` (OTP's `pg:join`). Returns `true` if it is the
    /// process's first membership of the group, `false` if it is now a member once more.
    /// Fails if the group name is empty or `pid` is not alive.
    pub fn join(&self, group: &str, pid: Pid) -> Result<bool, RegisterError> {
        if group.is_empty() {
            return Err(RegisterError::EmptyName);
        }
        let state = &self.node.state;
        let process = state.get(pid).ok_or(RegisterError::NoProcess(pid))?;
        // The groups are the node's: their growth (and their monitors' queues) is charged to
        // the shared heap, not to the process that joins (see `memory`).
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = state.groups.write();
        let mut rel = process.core().relations.lock();
        if rel.exited {
            return Err(RegisterError::NoProcess(pid));
        }
        let (scope, group, first) = groups.join(self.scope, group, pid);
        if let Some(remote) = state.remote.get() {
            remote.group_changed(&scope, &group, pid, true);
        }
        rel.entries.push(Entry::Group { scope, group });
        Ok(first)
    }

    /// Removes one membership of `pid` in `group` (its latest; OTP's `pg:leave`). Returns
    /// `false` if `pid` is not a member (OTP's `not_joined`), is gone, or is exiting (its exit
    /// removes its memberships).
    pub fn leave(&self, group: &str, pid: Pid) -> bool {
        let state = &self.node.state;
        let Some(process) = state.get(pid) else { return false };
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = state.groups.write();
        let mut rel = process.core().relations.lock();
        let mine = |e: &Entry| matches!(e, Entry::Group { scope: s, group: g } if **s == *self.scope && **g == *group);
        let Some(at) = rel.entries.iter().rposition(mine) else { return false };
        let Entry::Group { scope, group } = rel.entries.remove(at) else { unreachable!() };
        let left = groups.leave(&scope, &group, pid);
        if left && let Some(remote) = state.remote.get() {
            remote.group_changed(&scope, &group, pid, false);
        }
        left
    }

    /// The members of `group`, once per membership, in the order they joined (OTP's
    /// `pg:get_members`, whose order is unspecified); empty if there is no such group.
    pub fn members(&self, group: &str) -> Vec<Pid> {
        self.node.state.groups.read().members(self.scope, group)
    }

    /// Sends `msg` once to every process in `group` whose message type is `M`, sharing it:
    /// each gets a clone (clone an `Arc` or a [`Binary`](crate::message::Binary), not the
    /// payload). A process that is a member twice gets it once: a broadcast's receivers are
    /// processes, not memberships. Never waits; members with a full mailbox, gone, or of
    /// another message type are listed in the report, once each (see
    /// [`broadcast`](crate::message::broadcast) for the rules). An empty or unknown group is
    /// an error that gives the message back.
    ///
    /// ```
    /// # use foundation::{BoxError, Context, Node, Process};
    /// # struct Listener;
    /// # impl Process for Listener {
    /// #     type Message = &'static str;
    /// #     async fn handle(&mut self, _: &mut Context<&'static str>, _: &'static str) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let node = Node::new()?;
    /// let listeners = (0..3).map(|_| node.spawn(Listener)).collect::<Result<Vec<_>, _>>()?;
    /// for listener in &listeners {
    ///     node.groups().join("listeners", listener.pid())?;
    /// }
    /// node.groups().join("listeners", listeners[0].pid())?; // a member twice
    /// let report = node.groups().broadcast("listeners", "reload")?;
    /// assert_eq!(report.delivered, 3);
    /// assert!(node.groups().broadcast("nobody", "reload").is_err());
    /// # Ok(()) }
    /// ```
    pub fn broadcast<M: Clone + Send + 'static>(
        &self,
        group: &str,
        msg: M,
    ) -> Result<BroadcastReport, BroadcastError<M>> {
        let state = &self.node.state;
        let mut typed = Vec::new();
        let mut mismatched = Vec::new();
        let mut seen = HashSet::new();
        for pid in self.members(group) {
            if !seen.insert(pid) {
                continue;
            }
            let Some(process) = state.get(pid) else { continue };
            match process.into_any().downcast::<ProcessBlock<M>>() {
                Ok(shared) => typed.push(shared),
                Err(_) => mismatched.push(pid),
            }
        }
        let target = || {
            if self.scope == DEFAULT_SCOPE {
                format!("group {group:?}")
            } else {
                format!("group {group:?} of scope {:?}", self.scope)
            }
        };
        if typed.is_empty() && mismatched.is_empty() {
            return Err(BroadcastError::new(msg, target()));
        }
        let mut report = if typed.is_empty() {
            BroadcastReport::default()
        } else {
            broadcast_shared(&typed, msg, &target())?
        };
        report.mismatched = mismatched;
        Ok(report)
    }

    /// The names of this scope's groups that have members, sorted (OTP's `pg:which_groups`).
    pub fn which_groups(&self) -> Vec<String> {
        self.node.state.groups.read().which_groups(self.scope)
    }

    /// The names of this scope's groups that have members, sorted: the same as
    /// [`which_groups`](Groups::which_groups).
    pub fn all(&self) -> Vec<String> {
        self.which_groups()
    }

    /// The same scope, whose monitors made from now on hold up to `capacity` unread events
    /// (by default [`DEFAULT_MONITOR_CAPACITY`]). Fails if `capacity` is 0.
    pub fn with_monitor_capacity(self, capacity: usize) -> Result<Self, ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::new("monitor_capacity", 0, "1 or more events"));
        }
        Ok(Groups { monitor_capacity: capacity, ..self })
    }

    /// Starts watching `group` (OTP's `pg:monitor/2`): returns the monitor, which hears every
    /// later join and leave of the group in order, and the group's members now (once per
    /// membership, as [`members`](Groups::members)). Nothing is missed between the two: they
    /// are taken under one lock. The group need not exist yet. Dropping the monitor stops it.
    ///
    /// ```
    /// # use foundation::{BoxError, Context, Node, Process};
    /// # struct Worker;
    /// # impl Process for Worker {
    /// #     type Message = ();
    /// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let node = Node::new()?;
    /// let (mut monitor, members) = node.groups().monitor("workers");
    /// assert!(members.is_empty());
    /// let worker = node.spawn(Worker)?;
    /// node.groups().join("workers", worker.pid())?;
    /// let event = monitor.recv().await?;
    /// assert!(event.is_join());
    /// assert_eq!((event.group(), event.pid()), ("workers", worker.pid()));
    /// # Ok(()) }
    /// ```
    pub fn monitor(&self, group: &str) -> (GroupMonitor, Vec<Pid>) {
        let queue = Arc::new(EventQueue::new(self.monitor_capacity));
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = self.node.state.groups.write();
        let (scope, group, members) = groups.monitor_group(self.scope, group, Arc::clone(&queue));
        let monitor = GroupMonitor::new(&self.node.state, queue, scope, Some(group));
        (monitor, members)
    }

    /// Starts watching the whole scope (OTP's `pg:monitor_scope/1`): returns the monitor,
    /// which hears every later join and leave of every group of the scope, and the scope's
    /// groups with their members now. Dropping the monitor stops it.
    pub fn monitor_scope(&self) -> (GroupMonitor, BTreeMap<String, Vec<Pid>>) {
        let queue = Arc::new(EventQueue::new(self.monitor_capacity));
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = self.node.state.groups.write();
        let (scope, now) = groups.monitor_scope(self.scope, Arc::clone(&queue));
        (GroupMonitor::new(&self.node.state, queue, scope, None), now)
    }
}

impl fmt::Debug for Groups<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (groups, monitors) = self.node.state.groups.read().counts(self.scope);
        f.debug_struct("Groups")
            .field("scope", &self.scope)
            .field("groups", &groups)
            .field("monitors", &monitors)
            .finish()
    }
}
