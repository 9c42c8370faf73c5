//! The ecosystem's restarts, counted by the kind of reason from its telemetry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use foundation::Node;
use foundation::telemetry::{Event, ObserverId};

/// The kinds of reason a restart is counted under; made before the heap's baseline is read, so
/// that counting allocates nothing while the demo runs.
const KINDS: [&str; 8] =
    ["normal", "shutdown", "killed", "panicked", "error", "noproc", "memory_limit", "unknown"];

/// Restarts by reason kind.
#[derive(Clone, Debug)]
pub(crate) struct Restarts {
    pub(crate) coordinator: BTreeMap<&'static str, u64>,
    pub(crate) worker: BTreeMap<&'static str, u64>,
    pub(crate) memory_limit_exits: u64,
}

impl Default for Restarts {
    fn default() -> Self {
        let zero = || KINDS.iter().map(|k| (*k, 0)).collect();
        Restarts { coordinator: zero(), worker: zero(), memory_limit_exits: 0 }
    }
}

impl Restarts {
    /// The kinds that occurred, with their counts, as the summary shows them.
    pub(crate) fn seen(counts: &BTreeMap<&'static str, u64>) -> BTreeMap<String, u64> {
        counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| ((*k).to_owned(), *n)).collect()
    }
}

fn kind(reason: Option<&foundation::ExitReason>) -> &'static str {
    reason.map_or("unknown", foundation::ExitReason::kind)
}

/// Counts the node's ecosystem restarts from now on; detach the observer when done.
pub(crate) fn count(node: &Node) -> (Arc<Mutex<Restarts>>, ObserverId) {
    let restarts = Arc::new(Mutex::new(Restarts::default()));
    let counted = Arc::clone(&restarts);
    let observer = node.telemetry().attach(move |event: &Event| {
        let mut r = counted.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::CoordinatorRestarted { reason, .. } => {
                *r.coordinator.entry(kind(reason.as_ref())).or_default() += 1;
            }
            Event::WorkerRestarted { reason, .. } => {
                *r.worker.entry(kind(reason.as_ref())).or_default() += 1;
                if reason.as_ref().is_some_and(|r| r.is_memory_limit()) {
                    r.memory_limit_exits += 1;
                }
            }
            _ => {}
        }
    });
    (restarts, observer)
}
