//! The node's process groups, as OTP's `pg` keeps them: scopes of named groups whose members
//! are a multiset of pids (a process that joins twice is a member twice), and the monitors that
//! hear every change.
//!
//! The table is the mirror; the source of truth is each process's relations (one
//! `Entry::Group` per membership), changed under the same write lock, so a `leave` racing the
//! process's exit removes each membership once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::Pid;
use crate::engine::group_event::{EventQueue, GroupEvent, GroupEventKind};

/// The scope of [`Node::groups`](crate::Node::groups), as OTP's default scope `pg`.
pub(crate) const DEFAULT_SCOPE: &str = "pg";

/// Every scope of a node, by name; a scope exists while it has a group or a monitor.
#[derive(Debug, Default)]
pub(crate) struct GroupTable {
    scopes: HashMap<Arc<str>, Scope>,
}

#[derive(Debug, Default)]
struct Scope {
    /// Members in the order they joined, once per membership; a group with none is removed.
    groups: HashMap<Arc<str>, Vec<Pid>>,
    /// Monitors of one group, by group (a group may be watched before it has members).
    group_monitors: HashMap<Arc<str>, Vec<Subscriber>>,
    /// Monitors of the whole scope.
    scope_monitors: Vec<Subscriber>,
}

impl Scope {
    fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.group_monitors.is_empty() && self.scope_monitors.is_empty()
    }

    /// Tells the group's monitors, then the scope's, dropping any whose queue ended.
    fn notify(&mut self, event: &GroupEvent) {
        if let Some(subs) = self.group_monitors.get_mut(event.group()) {
            subs.retain(|s| s.0.push(event.clone()));
            if subs.is_empty() {
                self.group_monitors.remove(event.group());
            }
        }
        self.scope_monitors.retain(|s| s.0.push(event.clone()));
    }
}

/// A monitor's queue as the table holds it: when the table lets go of it (the table is
/// dropped), the queue ends as closed.
#[derive(Debug)]
struct Subscriber(Arc<EventQueue>);

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The key already in `map` equal to `name`, or a new one.
fn key<V>(map: &HashMap<Arc<str>, V>, name: &str) -> Arc<str> {
    map.get_key_value(name).map_or_else(|| Arc::from(name), |(k, _)| Arc::clone(k))
}

impl GroupTable {
    /// Adds one membership of `pid` in `group`; returns the keys for the process's relations
    /// and whether it is `pid`'s first membership of the group.
    pub(crate) fn join(
        &mut self,
        scope: &str,
        group: &str,
        pid: Pid,
    ) -> (Arc<str>, Arc<str>, bool) {
        let scope_key = key(&self.scopes, scope);
        let table = self.scopes.entry(Arc::clone(&scope_key)).or_default();
        let group_key = key(&table.groups, group);
        let members = table.groups.entry(Arc::clone(&group_key)).or_default();
        let first = !members.contains(&pid);
        members.push(pid);
        table.notify(&GroupEvent::new(GroupEventKind::Joined, &scope_key, &group_key, pid));
        (scope_key, group_key, first)
    }

    /// Removes one membership of `pid` in `group` (its latest); `false` if it had none.
    pub(crate) fn leave(&mut self, scope: &Arc<str>, group: &Arc<str>, pid: Pid) -> bool {
        let Some(table) = self.scopes.get_mut(scope) else { return false };
        let Some(members) = table.groups.get_mut(group) else { return false };
        let Some(at) = members.iter().rposition(|p| *p == pid) else { return false };
        members.remove(at);
        if members.is_empty() {
            table.groups.remove(group);
        }
        table.notify(&GroupEvent::new(GroupEventKind::Left, scope, group, pid));
        if table.is_empty() {
            self.scopes.remove(scope);
        }
        true
    }

    /// Every membership of a process of node `node` (any incarnation), as (scope, group,
    /// pid), once per membership.
    #[cfg(feature = "cluster")]
    pub(crate) fn memberships_of_node(&self, node: u32) -> Vec<(Arc<str>, Arc<str>, Pid)> {
        let mut all = Vec::new();
        for (scope, table) in &self.scopes {
            for (group, members) in &table.groups {
                for pid in members.iter().filter(|p| p.node() == node) {
                    all.push((Arc::clone(scope), Arc::clone(group), *pid));
                }
            }
        }
        all
    }

    /// Removes every membership of the processes of node `node`'s incarnation `creation`
    /// (that node was lost); monitors hear each leave.
    #[cfg(feature = "cluster")]
    pub(crate) fn remove_node(&mut self, node: u32, creation: u32) {
        let gone: Vec<_> = self
            .memberships_of_node(node)
            .into_iter()
            .filter(|(_, _, pid)| pid.creation() == creation)
            .collect();
        for (scope, group, pid) in gone {
            self.leave(&scope, &group, pid);
        }
    }

    /// The members of `group`, once per membership, in the order they joined.
    pub(crate) fn members(&self, scope: &str, group: &str) -> Vec<Pid> {
        self.scopes.get(scope).and_then(|s| s.groups.get(group)).cloned().unwrap_or_default()
    }

    /// The groups of `scope` that have members, sorted.
    pub(crate) fn which_groups(&self, scope: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .scopes
            .get(scope)
            .map(|s| s.groups.keys().map(|g| g.to_string()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// How many groups and monitors `scope` has.
    pub(crate) fn counts(&self, scope: &str) -> (usize, usize) {
        self.scopes.get(scope).map_or((0, 0), |s| {
            let group_monitors: usize = s.group_monitors.values().map(Vec::len).sum();
            (s.groups.len(), group_monitors + s.scope_monitors.len())
        })
    }

    /// Starts telling `queue` of `group`'s changes; returns its members now.
    pub(crate) fn monitor_group(
        &mut self,
        scope: &str,
        group: &str,
        queue: Arc<EventQueue>,
    ) -> (Arc<str>, Arc<str>, Vec<Pid>) {
        let scope_key = key(&self.scopes, scope);
        let table = self.scopes.entry(Arc::clone(&scope_key)).or_default();
        let group_key = match table.groups.get_key_value(group) {
            Some((k, _)) => Arc::clone(k),
            None => key(&table.group_monitors, group),
        };
        table.group_monitors.entry(Arc::clone(&group_key)).or_default().push(Subscriber(queue));
        let members = table.groups.get(group).cloned().unwrap_or_default();
        (scope_key, group_key, members)
    }

    /// Starts telling `queue` of every change in `scope`; returns its groups and members now.
    pub(crate) fn monitor_scope(
        &mut self,
        scope: &str,
        queue: Arc<EventQueue>,
    ) -> (Arc<str>, BTreeMap<String, Vec<Pid>>) {
        let scope_key = key(&self.scopes, scope);
        let table = self.scopes.entry(Arc::clone(&scope_key)).or_default();
        table.scope_monitors.push(Subscriber(queue));
        let now = table.groups.iter().map(|(g, m)| (g.to_string(), m.clone())).collect();
        (scope_key, now)
    }

    /// Stops telling `queue` (of `group`, or of the whole scope).
    pub(crate) fn demonitor(&mut self, scope: &str, group: Option<&str>, queue: &Arc<EventQueue>) {
        let Some(table) = self.scopes.get_mut(scope) else { return };
        let theirs = |s: &Subscriber| !Arc::ptr_eq(&s.0, queue);
        match group {
            Some(group) => {
                if let Some(subs) = table.group_monitors.get_mut(group) {
                    subs.retain(theirs);
                    if subs.is_empty() {
                        table.group_monitors.remove(group);
                    }
                }
            }
            None => table.scope_monitors.retain(theirs),
        }
        if table.is_empty() {
            self.scopes.remove(scope);
        }
    }
}
