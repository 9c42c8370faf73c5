//! Choosing a worker: round-robin, by key, or the least loaded; and finding an ecosystem by
//! name from anywhere on the node.

use std::hash::{Hash, Hasher};

/// How to choose one of an ecosystem's workers: see
/// [`Members::route`](crate::ecosystem::Members::route) and
/// [`Ecosystem::route`](crate::ecosystem::Ecosystem::route).
///
/// Only workers whose address is open take part: a worker being restarted does (what is sent
/// to it waits for its next incarnation), a worker gone for good or removed does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// Each worker in turn (one cursor per ecosystem, shared by every sender).
    RoundRobin,
    /// The same key goes to the same worker while the set of workers stays the same: the
    /// worker at index `key` modulo the number of worker slots, or, if that one is gone, the
    /// next open one after it. Build it from any hashable value with [`Route::key`].
    Key(u64),
    /// The worker with the fewest messages waiting (ties go round-robin). Reads every worker's
    /// mailbox length: O(workers).
    LeastLoaded,
}

impl Route {
    /// Routes by the hash of `key`: equal keys go to the same worker.
    pub fn key(key: &impl Hash) -> Route {
        let mut hasher = std::hash::DefaultHasher::new();
        key.hash(&mut hasher);
        Route::Key(hasher.finish())
    }
}
