//! An observer that keeps every event, for tests.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::telemetry::{Event, Observer};

/// Keeps every event it sees, in order: attach a clone, then assert on
/// [`events`](Self::events) or [`names`](Self::names).
///
/// ```
/// use foundation::ecosystem::{EcosystemConfig, EcosystemSpec};
/// use foundation::telemetry::Recorder;
/// # use foundation::{BoxError, Context, Process};
/// # struct Member;
/// # impl Process for Member {
/// #     type Message = ();
/// #     async fn handle(&mut self, _: &mut Context<()>, _: ()) -> Result<(), BoxError> { Ok(()) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), BoxError> {
/// let node = foundation::Node::new()?;
/// let recorder = Recorder::default();
/// node.telemetry().attach(recorder.clone());
/// let spec = EcosystemSpec::new(EcosystemConfig::new("recorded").workers(2))
///     .coordinator(|_| Member)
///     .worker(|_| Member);
/// let eco = node.spawn_ecosystem(spec).await?;
/// eco.shutdown().await;
/// assert_eq!(recorder.names()[0], "foundation.ecosystem.started");
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
