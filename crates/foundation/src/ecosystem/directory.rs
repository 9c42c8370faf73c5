//! The node's directory of running ecosystems, by name: how [`Node::ecosystem`](crate::Node)
//! finds one.

use std::any::Any;
use std::sync::Arc;

use dashmap::DashMap;

use crate::Pid;

/// A running ecosystem's handle, type-erased, with its message types' names.
pub(crate) struct Entry {
    pub(crate) handle: Arc<dyn Any + Send + Sync>,
    pub(crate) types: (&'static str, &'static str),
    /// Its supervisor, to tell it from a later ecosystem of the same name.
    pub(crate) supervisor: Pid,
}

/// Running ecosystems by name. An ecosystem is listed once its start has succeeded and leaves
/// when its supervisor ends, unless a namesake has taken its place.
#[derive(Default)]
pub(crate) struct Directory {
    entries: DashMap<String, Entry>,
}

impl Directory {
    pub(crate) fn list(&self, name: String, entry: Entry) {
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        self.entries.insert(name, entry);
    }

    /// Takes the ecosystem whose supervisor was `supervisor` off the directory, and gives
    /// back the room it took (the directory is the node's).
    pub(crate) fn unlist(&self, name: &str, supervisor: Pid) {
        self.entries.remove_if(name, |_, entry| entry.supervisor == supervisor);
        let _shared_heap = crate::memory::ChargeTo::shared_heap();
        self.entries.shrink_to_fit();
    }

    pub(crate) fn get(&self, name: &str) -> Option<dashmap::mapref::one::Ref<'_, String, Entry>> {
        self.entries.get(name)
    }
}
