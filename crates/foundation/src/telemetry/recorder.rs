//! An observer that keeps every event, for tests.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::telemetry::{Event, Observer};

/// Keeps every event it sees, in order: attach a clone, then assert on
/// [`events`](Self::events) or [`names`](Self::names).
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use foundation::telemetry::Recorder;
/// let node = foundation::Node::new()?;
/// let recorder = Recorder::default();
/// node.telemetry().attach(recorder.clone());
/// // ... run an ecosystem ...
/// assert!(recorder.names().iter().all(|n| n.starts_with("foundation.")));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<Event>>>,
}

impl Recorder {
    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().clone()
    }

    /// The names of every event so far, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.events.lock().iter().map(Event::name).collect()
    }

    /// Forgets the events so far.
    pub fn clear(&self) {
        self.events.lock().clear();
    }
}

impl Observer for Recorder {
    fn on_event(&self, event: &Event) {
        self.events.lock().push(event.clone());
    }
}
