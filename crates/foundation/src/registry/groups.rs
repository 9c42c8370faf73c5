//! Process groups (Erlang's `pg`).

use std::fmt;
use std::sync::Arc;

use crate::engine::process_block::ProcessBlock;
use crate::engine::relations::Entry;
use crate::error::RegisterError;
use crate::message::{BroadcastError, BroadcastReport, broadcast_shared};
use crate::{Node, Pid};

/// A node's process groups, from [`Node::groups`]: named sets of processes, for broadcast and
/// discovery.
///
/// A process is in a group at most once (joining twice is one membership). A process that exits
/// leaves all its groups by itself; an emptied group disappears. Membership does not keep a
/// process alive.
#[derive(Clone, Copy)]
pub struct Groups<'a> {
    node: &'a Node,
}

impl<'a> Groups<'a> {
    pub(crate) fn new(node: &'a Node) -> Self {
        Groups { node }
    }

    /// Adds `pid` to `group`. Returns `false` if it was already a member. Fails if the group
    /// name is empty or `pid` is not alive.
    pub fn join(&self, group: &str, pid: Pid) -> Result<bool, RegisterError> {
        if group.is_empty() {
            return Err(RegisterError::EmptyName);
        }
        let state = &self.node.state;
        let process = state.get(pid).ok_or(RegisterError::NoProcess(pid))?;
        // The groups are the node's: their growth is charged to the shared heap, not to the
        // process that joins (see `memory`).
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut groups = state.groups.write();
        let mut rel = process.core().relations.lock();
        if rel.exited {
            return Err(RegisterError::NoProcess(pid));
        }
        if rel.groups().any(|g| &**g == group) {
            return Ok(false);
        }
        let group: Arc<str> = Arc::from(group);
        rel.entries.push(Entry::Group(Arc::clone(&group)));
        groups.entry(group).or_default().push(pid);
        Ok(true)
    }

    /// Removes `pid` from `group`. Returns `false` if it was not a member.
    pub fn leave(&self, group: &str, pid: Pid) -> bool {
        let state = &self.node.state;
        let mut groups = state.groups.write();
        let Some(members) = groups.get_mut(group) else { return false };
        let before = members.len();
        members.retain(|p| *p != pid);
        let left = members.len() != before;
        if members.is_empty() {
            groups.remove(group);
        }
        drop(groups);
        if let Some(process) = state.get(pid) {
            process
                .core()
                .relations
                .lock()
                .entries
                .retain(|e| !matches!(e, Entry::Group(g) if &**g == group));
        }
        left
    }

    /// The members of `group`, in the order they joined; empty if there is no such group.
    pub fn members(&self, group: &str) -> Vec<Pid> {
        self.node.state.groups.read().get(group).cloned().unwrap_or_default()
    }

    /// Sends `msg` to every member of `group` whose message type is `M`, sharing it: each gets
    /// a clone (clone an `Arc` or a [`Binary`](crate::message::Binary), not the payload). Never
    /// waits; members with a full mailbox, gone, or of another message type are listed in the
    /// report (see [`broadcast`](crate::message::broadcast) for the rules). An empty or unknown
    /// group is an error that gives the message back.
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
        for pid in self.members(group) {
            let Some(process) = state.get(pid) else { continue };
            match process.into_any().downcast::<ProcessBlock<M>>() {
                Ok(shared) => typed.push(shared),
                Err(_) => mismatched.push(pid),
            }
        }
        if typed.is_empty() && mismatched.is_empty() {
            return Err(BroadcastError::new(msg, format!("group {group:?}")));
        }
        let mut report = if typed.is_empty() {
            BroadcastReport::default()
        } else {
            broadcast_shared(&typed, msg, group)?
        };
        report.mismatched = mismatched;
        Ok(report)
    }

    /// The names of all non-empty groups, sorted.
    pub fn all(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.node.state.groups.read().keys().map(|g| g.to_string()).collect();
        names.sort();
        names
    }
}

impl fmt::Debug for Groups<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Groups").field("groups", &self.node.state.groups.read().len()).finish()
    }
}
