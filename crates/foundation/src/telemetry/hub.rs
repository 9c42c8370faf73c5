//! Where events go: attached observers, `tracing`, and (with the `metrics` feature) the
//! `metrics` facade.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64};

use parking_lot::RwLock;

use crate::telemetry::Event;

/// Receives telemetry events. Attach with [`Telemetry::attach`].
///
/// Called synchronously on the thread that emitted the event (a supervisor, a member): keep it
/// short and never block; hand heavy work to a process or a channel.
///
/// # Panics
///
/// An observer that panics never takes the emitter down: the panic is caught (the panic hook
/// still runs, so by default it is printed), the observer is detached at once and never
/// called again, and the event still goes to the other observers. Then the detachment is
/// reported: a `tracing` error (target `foundation::telemetry`) with the observer's id and the
/// panic's message, one more on the counter `foundation_telemetry_observer_panics_total`, and an
/// [`Event::ObserverDetached`] to the observers that remain. An observer that may panic and
/// must keep observing should catch its own panics.
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

/// An attached observer. `detached` is set when it is detached, so that an emitter still
/// holding the list from before never calls it again.
struct Attached {
    id: ObserverId,
    observer: Box<dyn Observer>,
    detached: AtomicBool,
}

type Observers = Arc<Vec<Arc<Attached>>>;

/// A node's telemetry: the observers attached at run time. Every event also goes to `tracing`
/// (target `foundation::telemetry`, with the ecosystem's name and the pid) and, with the
/// `metrics` feature, to the `metrics` facade (see [`telemetry`](crate::telemetry) for the
/// metric names).
#[derive(Default)]
pub struct Telemetry {
    observers: RwLock<Observers>,
    next: AtomicU64,
}

impl Telemetry {
    /// Attaches an observer; it sees every event emitted from now on.
    pub fn attach(&self, observer: impl Observer) -> ObserverId {
        let id = ObserverId(self.next.fetch_add(1, Relaxed));
        let attached = Arc::new(Attached {
            id,
            observer: Box::new(observer),
            detached: AtomicBool::new(false),
        });
        let mut observers = self.observers.write();
        let mut list: Vec<_> = observers.iter().cloned().collect();
        list.push(attached);
        *observers = Arc::new(list);
        id
    }

    /// Detaches an observer; `false` if it was not attached. Once this returns, the observer
    /// is not called again (a call already under way on another thread may still finish).
    pub fn detach(&self, id: ObserverId) -> bool {
        let mut observers = self.observers.write();
        let Some(attached) = observers.iter().find(|a| a.id == id) else {
            return false;
        };
        attached.detached.store(true, Release);
        let list: Vec<_> = observers.iter().filter(|a| a.id != id).cloned().collect();
        *observers = Arc::new(list);
        true
    }

    /// How many observers are attached.
    pub fn observers(&self) -> usize {
        self.observers.read().len()
    }

    /// Sends an event to the observers, `tracing` and `metrics`. An observer that panics is
    /// detached and reported (see [`Observer`]); the panic goes no further.
    pub(crate) fn emit(&self, event: &Event) {
        #[cfg(feature = "metrics")]
        record_metrics(event);
        trace(event);
        // Observers run without the lock held, so one may attach or detach another.
        let observers = Arc::clone(&self.observers.read());
        let mut panicked = Vec::new();
        for attached in observers.iter() {
            if attached.detached.load(Acquire) {
                continue;
            }
            let Err(payload) = catch_unwind(AssertUnwindSafe(|| attached.observer.on_event(event)))
            else {
                continue;
            };
            // Marked first, so that other emitters skip it from now on; reported once, by
            // whoever takes it off the list.
            attached.detached.store(true, Release);
            let panic = panic_message(&*payload);
            // A payload whose own `Drop` panics must not unwind into the emitter either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            if self.detach(attached.id) {
                panicked.push(Event::ObserverDetached { observer: attached.id, panic });
            }
        }
        // After the event has reached every other observer.
        for report in panicked {
            self.emit(&report);
        }
    }
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn Any + Send)) -> Arc<str> {
    Arc::from(crate::exit::panic_text(payload).unwrap_or(crate::exit::NON_STRING_PANIC))
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry").field("observers", &self.observers()).finish()
    }
}

/// Counts `event` in the `metrics` facade (the names are listed in
/// [`telemetry`](crate::telemetry)).
#[cfg(feature = "metrics")]
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
        Event::ObserverDetached { .. } => {
            metrics::counter!("foundation_telemetry_observer_panics_total").increment(1);
        }
        Event::NodeUp { node, .. } => {
            metrics::counter!("foundation_cluster_node_up_total", "node" => node.clone())
                .increment(1);
            metrics::gauge!("foundation_cluster_node_connected", "node" => node.clone()).set(1.0);
        }
        Event::NodeDown { node, reason, .. } => {
            let reason = reason.split(':').next().unwrap_or("").to_owned();
            metrics::counter!("foundation_cluster_node_down_total", "node" => node.clone(), "reason" => reason)
                .increment(1);
            metrics::gauge!("foundation_cluster_node_connected", "node" => node.clone()).set(0.0);
        }
        Event::LinkStats {
            node,
            bytes_out,
            bytes_in,
            messages_out,
            messages_in,
            queued_bytes,
            ..
        } => {
            let node = node.clone();
            metrics::counter!("foundation_cluster_bytes_out_total", "node" => node.clone())
                .absolute(*bytes_out);
            metrics::counter!("foundation_cluster_bytes_in_total", "node" => node.clone())
                .absolute(*bytes_in);
            metrics::counter!("foundation_cluster_messages_out_total", "node" => node.clone())
                .absolute(*messages_out);
            metrics::counter!("foundation_cluster_messages_in_total", "node" => node.clone())
                .absolute(*messages_in);
            metrics::gauge!("foundation_cluster_queued_bytes", "node" => node)
                .set(*queued_bytes as f64);
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
        Event::ObserverDetached { observer, panic } => {
            tracing::error!(target: "foundation::telemetry", event = name, observer = ?observer, panic = %panic, "a telemetry observer panicked and was detached");
        }
        Event::NodeUp { node, creation } => {
            tracing::info!(target: "foundation::telemetry", event = name, node = %node, creation);
        }
        Event::NodeDown { node, creation, reason } => {
            tracing::warn!(target: "foundation::telemetry", event = name, node = %node, creation, reason = %reason);
        }
        Event::LinkStats {
            node,
            bytes_out,
            bytes_in,
            messages_out,
            messages_in,
            queued_bytes,
            reconnects,
        } => {
            tracing::trace!(target: "foundation::telemetry", event = name, node = %node, bytes_out, bytes_in, messages_out, messages_in, queued_bytes, reconnects);
        }
    }
}
