//! Telemetry events, named as the spec names them.

use std::sync::Arc;

use crate::ecosystem::{MemoryPressure, Role, Topology};
use crate::message::Overflow;
use crate::telemetry::ObserverId;
use crate::{ExitReason, Pid};

/// Something observable happened. Each variant carries the spec's event name
/// ([`name`](Event::name)), e.g. `foundation.ecosystem.coordinator_restarted`.
///
/// New events are added without a breaking change: match with a wildcard arm.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// An ecosystem has started: every member's `init` has completed.
    #[non_exhaustive]
    EcosystemStarted {
        /// The ecosystem.
        ecosystem: String,
        /// Its worker count.
        workers: usize,
        /// Its topology.
        topology: Topology,
    },
    /// An ecosystem has stopped: shut down, or given up after too many restarts.
    #[non_exhaustive]
    EcosystemStopped {
        /// The ecosystem.
        ecosystem: String,
        /// Why its supervisor ended.
        reason: ExitReason,
    },
    /// A coordinator was restarted; its new incarnation has started.
    #[non_exhaustive]
    CoordinatorRestarted {
        /// The ecosystem.
        ecosystem: String,
        /// The new incarnation's pid.
        pid: Pid,
        /// 1 for the first restart, then 2, ...
        incarnation: u64,
        /// Why the previous incarnation ended.
        reason: Option<ExitReason>,
    },
    /// A worker was restarted; its new incarnation has started.
    #[non_exhaustive]
    WorkerRestarted {
        /// The ecosystem.
        ecosystem: String,
        /// The worker's index.
        index: usize,
        /// The new incarnation's pid.
        pid: Pid,
        /// 1 for the first restart, then 2, ...
        incarnation: u64,
        /// Why the previous incarnation ended.
        reason: Option<ExitReason>,
    },
    /// A member has handled `count` more messages (sampled: one event per
    /// `message_sample_every` messages of that member).
    #[non_exhaustive]
    MessageProcessed {
        /// The ecosystem.
        ecosystem: String,
        /// The member.
        role: Role,
        /// Its current pid.
        pid: Pid,
        /// Messages handled since the member's previous `MessageProcessed` event.
        count: u64,
    },
    /// A member compacted (`Process::compact`): after a burst under `frequent_minor`, or
    /// under memory pressure.
    #[non_exhaustive]
    GcCompleted {
        /// The ecosystem.
        ecosystem: String,
        /// The member.
        role: Role,
        /// Its pid.
        pid: Pid,
        /// Bytes its account held less after compacting than before (0 if none; measured,
        /// and `None` without the accounting allocator).
        bytes_returned: Option<u64>,
    },
    /// An ecosystem's memory pressure changed level.
    #[non_exhaustive]
    MemoryPressure {
        /// The ecosystem.
        ecosystem: String,
        /// The new level.
        pressure: MemoryPressure,
        /// Bytes its members hold.
        held: u64,
        /// Its budget, in bytes.
        budget: u64,
    },
    /// A process's overflow policy dropped messages. Told at most once a second per process,
    /// with the count since its previous `messages_dropped` event, and once more when it ends.
    #[non_exhaustive]
    MessagesDropped {
        /// The ecosystem, if the process is a member of one.
        ecosystem: Option<String>,
        /// The process (its current incarnation).
        pid: Pid,
        /// The policy that dropped them.
        policy: Overflow,
        /// Messages dropped since the previous event.
        count: u64,
        /// Messages dropped over the address's life.
        total: u64,
    },
    /// Senders had to wait for room in a process's mailbox, or for a credit: flow control held
    /// them back. Told at most once a second per process, as `MessagesDropped`.
    #[non_exhaustive]
    FlowStalled {
        /// The ecosystem, if the process is a member of one.
        ecosystem: Option<String>,
        /// The receiving process (its current incarnation).
        pid: Pid,
        /// Sends that waited since the previous event.
        count: u64,
        /// Sends that waited over the address's life.
        total: u64,
    },
    /// An observer panicked while handling an event, and was detached: it is never called
    /// again. Told to the observers that remain (the one that panicked is gone).
    #[non_exhaustive]
    ObserverDetached {
        /// The observer, as [`Telemetry::attach`](crate::telemetry::Telemetry::attach)
        /// returned it.
        observer: ObserverId,
        /// The panic's message (or a placeholder for a panic that carried no string).
        panic: Arc<str>,
    },
    /// A node of the cluster connected (the `cluster` feature).
    #[non_exhaustive]
    NodeUp {
        /// Its name.
        node: String,
        /// Its incarnation.
        creation: u32,
    },
    /// A node's connection was lost: its processes' links broke and monitors fired with
    /// `noconnection`.
    #[non_exhaustive]
    NodeDown {
        /// Its name.
        node: String,
        /// The incarnation that went down.
        creation: u32,
        /// Why, in words: `closed`, `timed_out`, `restarted`, `shutdown`, `disconnected`,
        /// `io: ...`, `protocol: ...`.
        reason: String,
    },
    /// A connection's statistics, told each second while it carries traffic, and when it
    /// ends.
    #[non_exhaustive]
    LinkStats {
        /// The node at the other end.
        node: String,
        /// Bytes written, since the connection was made.
        bytes_out: u64,
        /// Bytes read.
        bytes_in: u64,
        /// Messages written.
        messages_out: u64,
        /// Messages read.
        messages_in: u64,
        /// Bytes of messages waiting to be written now.
        queued_bytes: u64,
        /// Times this node was connected again after a loss, since this node started.
        reconnects: u64,
    },
}

impl Event {
    /// The spec's name of the event: `foundation.ecosystem.started`, `...stopped`,
    /// `...coordinator_restarted`, `...worker_restarted`, `...message_processed`,
    /// `...gc_completed`, `...memory_pressure`, for messages `foundation.messages.dropped`
    /// and `foundation.messages.flow_stalled`, for telemetry itself
    /// `foundation.telemetry.observer_detached`, and for a cluster
    /// `foundation.cluster.node_up`, `...node_down` and `...link_stats`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::EcosystemStarted { .. } => "foundation.ecosystem.started",
            Event::EcosystemStopped { .. } => "foundation.ecosystem.stopped",
            Event::CoordinatorRestarted { .. } => "foundation.ecosystem.coordinator_restarted",
            Event::WorkerRestarted { .. } => "foundation.ecosystem.worker_restarted",
            Event::MessageProcessed { .. } => "foundation.ecosystem.message_processed",
            Event::GcCompleted { .. } => "foundation.ecosystem.gc_completed",
            Event::MemoryPressure { .. } => "foundation.ecosystem.memory_pressure",
            Event::MessagesDropped { .. } => "foundation.messages.dropped",
            Event::FlowStalled { .. } => "foundation.messages.flow_stalled",
            Event::ObserverDetached { .. } => "foundation.telemetry.observer_detached",
            Event::NodeUp { .. } => "foundation.cluster.node_up",
            Event::NodeDown { .. } => "foundation.cluster.node_down",
            Event::LinkStats { .. } => "foundation.cluster.link_stats",
        }
    }

    /// The ecosystem the event is about; `None` for a process outside any ecosystem, and for
    /// an event about telemetry itself.
    pub fn ecosystem(&self) -> Option<&str> {
        match self {
            Event::ObserverDetached { .. }
            | Event::NodeUp { .. }
            | Event::NodeDown { .. }
            | Event::LinkStats { .. } => None,
            Event::MessagesDropped { ecosystem, .. } | Event::FlowStalled { ecosystem, .. } => {
                ecosystem.as_deref()
            }
            Event::EcosystemStarted { ecosystem, .. }
            | Event::EcosystemStopped { ecosystem, .. }
            | Event::CoordinatorRestarted { ecosystem, .. }
            | Event::WorkerRestarted { ecosystem, .. }
            | Event::MessageProcessed { ecosystem, .. }
            | Event::GcCompleted { ecosystem, .. }
            | Event::MemoryPressure { ecosystem, .. } => Some(ecosystem),
        }
    }
}
