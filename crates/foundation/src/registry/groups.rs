//! Process groups (Erlang's `pg`).

use std::fmt;
use std::sync::Arc;

use crate::engine::control::Entry;
use crate::error::RegisterError;
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
