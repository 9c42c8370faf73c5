//! Telemetry: the spec's events, delivered to observers attached at run time, emitted as
//! `tracing` events and (with the `metrics` feature, on by default) counted through the
//! `metrics` facade.
//!
//! Attach an [`Observer`] (any `Fn(&Event)` is one) to a node's [`Telemetry`] with
//! [`Node::telemetry`](crate::Node::telemetry); detach it with the returned id. The events:
//!
//! | event | when |
//! | --- | --- |
//! | `foundation.ecosystem.started` | an ecosystem's members have all started |
//! | `foundation.ecosystem.stopped` | its supervisor has ended (shutdown, or gave up) |
//! | `foundation.ecosystem.coordinator_restarted` | a new coordinator incarnation has started |
//! | `foundation.ecosystem.worker_restarted` | a new worker incarnation has started |
//! | `foundation.ecosystem.message_processed` | sampled: every `message_sample_every` messages per member |
//! | `foundation.ecosystem.gc_completed` | a member compacted, with the bytes it gave back |
//! | `foundation.ecosystem.memory_pressure` | the ecosystem's memory pressure changed level |
//! | `foundation.messages.dropped` | an overflow policy dropped messages (at most once a second per process) |
//! | `foundation.messages.flow_stalled` | senders waited for room or credits (at most once a second per process) |
//! | `foundation.telemetry.observer_detached` | an observer panicked and was detached (see [`Observer`]) |
//!
//! # Metrics
//!
//! Counters `foundation_ecosystem_started_total`, `..._stopped_total`,
//! `..._coordinator_restarts_total`, `..._worker_restarts_total`,
//! `..._messages_processed_total`, `..._gc_bytes_returned_total`, and the gauges
//! `foundation_ecosystem_workers` and `foundation_ecosystem_memory_bytes`, each labelled
//! `ecosystem`; for messages, the counters `foundation_messages_dropped_total` (labelled
//! `ecosystem` and `policy`) and `foundation_messages_stalled_total`, and the ecosystem
//! traffic counters `foundation_ecosystem_messages_received_total`, `..._messages_sent_total`
//! and `..._bytes_received_total`, updated by the ecosystem's watcher (see
//! [`message`](crate::message)); for telemetry itself, the counter
//! `foundation_telemetry_observer_panics_total`; for a cluster (the `cluster` feature), each
//! labelled `node`, the counters `foundation_cluster_node_up_total`, `..._node_down_total`
//! (also labelled `reason`), `..._bytes_out_total`, `..._bytes_in_total`,
//! `..._messages_out_total` and `..._messages_in_total`, and the gauges
//! `foundation_cluster_node_connected` and `foundation_cluster_queued_bytes`. Install any `metrics` recorder (a Prometheus
//! exporter, say) to collect them.
//!
//! They need the `metrics` feature (on by default). Without it the crate does not depend on
//! `metrics` and records none of them; observers and `tracing` still get every event, and
//! [`ProcessInfo::messages`](crate::ProcessInfo::messages) and each ecosystem's
//! [`info`](crate::ecosystem::Ecosystem::info) still count what flows.
//!
//! # A panicking observer
//!
//! Observers run on the emitting process's thread, but a panic in one never becomes that
//! process's panic: the observer is detached, the others still get the event, and the
//! detachment is reported (see [`Observer`]).
//!
//! # Cost
//!
//! Events are rare (starts, stops, restarts) except `message_processed`, which is sampled: a
//! member counts its messages in a local counter and emits one event per
//! `message_sample_every` of them (1,024 by default; 0 turns it off), so the hot path pays an
//! increment and a comparison per message.

mod event;
mod hub;
mod recorder;

pub use event::Event;
pub use hub::{Observer, ObserverId, Telemetry};
pub use recorder::Recorder;
