//! The coordinator's snapshots: the state a restarted coordinator starts from.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;

/// Where a coordinator offers its state, for the next incarnation to recover.
///
/// The coordinator calls [`save`](Self::save) whenever its state is worth keeping (after each
/// message, every N messages, on a timer: its choice, and its cost). A restarted coordinator's
/// factory reads the last one with [`CoordinatorStart::recovered`](super::CoordinatorStart::recovered).
/// What the coordinator did after its last save is lost with it; nothing else is.
#[derive(Clone, Default)]
pub struct SnapshotStore {
    last: Arc<Mutex<Option<Arc<dyn Any + Send + Sync>>>>,
}

impl SnapshotStore {
    /// Replaces the saved state.
    pub fn save<T: Any + Send + Sync>(&self, state: T) {
        *self.last.lock() = Some(Arc::new(state));
    }

    /// The saved state, if there is one of type `T`.
    pub fn load<T: Any + Clone>(&self) -> Option<T> {
        self.last.lock().as_ref().and_then(|s| s.downcast_ref::<T>()).cloned()
    }

    /// Forgets the saved state.
    pub fn clear(&self) {
        *self.last.lock() = None;
    }
}

impl fmt::Debug for SnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotStore").field("saved", &self.last.lock().is_some()).finish()
    }
}
