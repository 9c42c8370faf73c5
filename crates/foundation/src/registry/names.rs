//! The name registry of a node.

use std::fmt;

use crate::engine::relations::Entry;
use crate::error::RegisterError;
use crate::{Name, Node, Pid, ProcessRef};

/// A node's registry of unique names (Erlang's `register`/`whereis`), from [`Node::registry`].
///
/// Each name maps to one live process; a process may hold several names. A name is released
/// when its process exits, before links and monitors hear of the exit. For a process that ends
/// when unreferenced, a registered name counts as a reference.
#[derive(Clone, Copy)]
pub struct Registry<'a> {
    node: &'a Node,
}

impl<'a> Registry<'a> {
    pub(crate) fn new(node: &'a Node) -> Self {
        Registry { node }
    }

    /// Registers `pid` under `name`. Fails if the name is empty, already held (the error names
    /// the holder), or `pid` is not alive.
    pub fn register(&self, name: impl Into<Name>, pid: Pid) -> Result<(), RegisterError> {
        let name = name.into();
        if name.is_empty() {
            return Err(RegisterError::EmptyName);
        }
        let state = &self.node.state;
        let process = state.get(pid).ok_or(RegisterError::NoProcess(pid))?;
        // The registry is the node's: its growth is charged to the shared heap, not to the
        // process that registers (see `memory`).
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        let mut names = state.names.write();
        if let Some(&holder) = names.get(&name) {
            return Err(RegisterError::Taken { name, holder });
        }
        let core = process.core();
        let mut rel = core.relations.lock();
        if rel.exited {
            return Err(RegisterError::NoProcess(pid));
        }
        rel.entries.push(Entry::Name(name.clone()));
        core.retain();
        names.insert(name, pid);
        Ok(())
    }

    /// Removes a name; returns the pid that held it.
    pub fn unregister(&self, name: impl Into<Name>) -> Result<Pid, RegisterError> {
        let name = name.into();
        let state = &self.node.state;
        let pid = {
            let mut names = state.names.write();
            let pid =
                names.remove(&name).ok_or_else(|| RegisterError::NotRegistered(name.clone()))?;
            if let Some(process) = state.get(pid) {
                let core = process.core();
                let mut rel = core.relations.lock();
                let before = rel.entries.len();
                rel.entries.retain(|e| !matches!(e, Entry::Name(n) if *n == name));
                if rel.entries.len() != before {
                    drop(rel);
                    core.release();
                }
            }
            pid
        };
        Ok(pid)
    }

    /// The pid registered under `name`.
    pub fn whereis(&self, name: impl Into<Name>) -> Option<Pid> {
        self.node.state.names.read().get(&name.into()).copied()
    }

    /// A typed address of the process registered under `name`; `None` if there is none, or
    /// if its message type is not `M`.
    pub fn lookup<M: Send + 'static>(&self, name: impl Into<Name>) -> Option<ProcessRef<M>> {
        let pid = self.whereis(name)?;
        self.node.lookup(pid)
    }

    /// Every registered name with its pid, sorted by name.
    pub fn names(&self) -> Vec<(Name, Pid)> {
        let mut all: Vec<_> =
            self.node.state.names.read().iter().map(|(n, p)| (n.clone(), *p)).collect();
        all.sort();
        all
    }
}

impl fmt::Debug for Registry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("names", &self.node.state.names.read().len()).finish()
    }
}
