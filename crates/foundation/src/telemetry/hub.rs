//! Where events go: attached observers, `tracing`, and the `metrics` facade.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::RwLock;

use crate::telemetry::Event;

/// Receives telemetry events. Attach with [`Telemetry::attach`].
///
/// Called synchronously on the thread that emitted the event (a supervisor, a member): keep it
/// short and never block; hand heavy work to a process or a channel.
pub trait Observer: Send + Sync + 'static {
    /// An event happened. Does nothing by default, so new hooks break nobody.
    fn on_event(&self, event: &Event) {
        let _ = event;
    }
}

impl<F: Fn(&Event) + Send + Sync + 'static> Observer for F {
    fn on_event(&self, event: &Event) {
        self(event);
    }
}

/// Identifies an attached observer, for [`Telemetry::detach`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObserverId(u64);

type Observers = Arc<Vec<(ObserverId, Arc<dyn Observer>)>>;

/// A node's telemetry: the observers attached at run time. Every event also goes to `tracing`
/// (target `foundation::telemetry`, with the ecosystem's name and the pid) and to the
/// `metrics` facade (see [`telemetry`](crate::telemetry) for the metric names).
#[derive(Default)]
pub struct Telemetry {
    observers: RwLock<Observers>,
    next: AtomicU64,
}

impl Telemetry {
    /// Attaches an observer; it sees every event emitted from now on.
    pub fn attach(&self, observer: impl Observer) -> ObserverId {
        let id = ObserverId(self.next.fetch_add(1, Relaxed));
        let mut observers = self.observers.write();
        let mut list: Vec<_> = observers.iter().cloned().collect();
        list.push((id, Arc::new(observer)));
        *observers = Arc::new(list);
        id
    }

    /// Detaches an observer; `false` if it was not attached.
    pub fn detach(&self, id: ObserverId) -> bool {
        let mut observers = self.observers.write();
        let before = observers.len();
        let list: Vec<_> = observers.iter().filter(|(i, _)| *i != id).cloned().collect();
        *observers = Arc::new(list);
        observers.len() != before
    }

    /// How many observers are attached.
    pub fn observers(&self) -> usize {
        self.observers.read().len()
    }

    /// Sends an event to the observers, `tracing` and `metrics`.
    pub(crate) fn emit(&self, event: &Event) {
        record_metrics(event);
        trace(event);
        // Observers run without the lock held, so one may attach or detach another.
        let observers = Arc::clone(&self.observers.read());
        for (_, observer) in observers.iter() {
            observer.on_event(event);
        }
    }
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry").field("observers", &self.observers()).finish()
    }
}

fn record_metrics(event: &Event) {
    let ecosystem = event.ecosystem().unwrap_or("").to_owned();
    match event {
        Event::EcosystemStarted { workers, .. } => {
            metrics::counter!("foundation_ecosystem_started_total", "ecosystem" => ecosystem.clone())
                .increment(1);
            metrics::gauge!("foundation_ecosystem_workers", "ecosystem" => ecosystem)
                .set(*workers as f64);
        }
        Event::EcosystemStopped { .. } => {
            metrics::counter!("foundation_ecosystem_stopped_total", "ecosystem" => ecosystem)
                .increment(1);
        }
        Event::CoordinatorRestarted { .. } => {
            metrics::counter!("foundation_ecosystem_coordinator_restarts_total", "ecosystem" => ecosystem)
                .increment(1);
        }
        Event::WorkerRestarted { .. } => {
            metrics::counter!("foundation_ecosystem_worker_restarts_total", "ecosystem" => ecosystem)
                .increment(1);
        }
        Event::MessageProcessed { count, .. } => {
            metrics::counter!("foundation_ecosystem_messages_processed_total", "ecosystem" => ecosystem)
                .increment(*count);
        }
        Event::GcCompleted { bytes_returned, .. } => {
            metrics::counter!("foundation_ecosystem_gc_bytes_returned_total", "ecosystem" => ecosystem)
                .increment(bytes_returned.unwrap_or(0));
        }
        Event::MemoryPressure { held, .. } => {
            metrics::gauge!("foundation_ecosystem_memory_bytes", "ecosystem" => ecosystem)
                .set(*held as f64);
        }
        Event::MessagesDropped { count, policy, .. } => {
            metrics::counter!("foundation_messages_dropped_total", "ecosystem" => ecosystem, "policy" => policy.as_str())
                .increment(*count);
        }
        Event::FlowStalled { count, .. } => {
            metrics::counter!("foundation_messages_stalled_total", "ecosystem" => ecosystem)
                .increment(*count);
        }
    }
}

fn trace(event: &Event) {
    let name = event.name();
    match event {
        Event::EcosystemStarted { ecosystem, workers, topology } => {
            tracing::info!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, workers, topology = ?topology);
        }
        Event::EcosystemStopped { ecosystem, reason } => {
            tracing::info!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, reason = %reason);
        }
        Event::CoordinatorRestarted { ecosystem, pid, incarnation, reason } => {
            tracing::warn!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, pid = %pid, incarnation, reason = ?reason);
        }
        Event::WorkerRestarted { ecosystem, index, pid, incarnation, reason } => {
            tracing::warn!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, index, pid = %pid, incarnation, reason = ?reason);
        }
        Event::MessageProcessed { ecosystem, role, pid, count } => {
            tracing::trace!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, role = ?role, pid = %pid, count);
        }
        Event::GcCompleted { ecosystem, role, pid, bytes_returned } => {
            tracing::debug!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, role = ?role, pid = %pid, bytes_returned = ?bytes_returned);
        }
        Event::MemoryPressure { ecosystem, pressure, held, budget } => {
            tracing::warn!(target: "foundation::telemetry", event = name, ecosystem = %ecosystem, pressure = ?pressure, held, budget);
        }
        Event::MessagesDropped { ecosystem, pid, policy, count, total } => {
            tracing::warn!(target: "foundation::telemetry", event = name, ecosystem = ?ecosystem, pid = %pid, policy = policy.as_str(), count, total);
        }
        Event::FlowStalled { ecosystem, pid, count, total } => {
            tracing::debug!(target: "foundation::telemetry", event = name, ecosystem = ?ecosystem, pid = %pid, count, total);
        }
    }
}
