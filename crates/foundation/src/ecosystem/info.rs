//! What `info` and `health` report about an ecosystem.

use crate::ecosystem::{FaultTolerance, Topology};
use crate::{ExitReason, Pid, ProcessStatus};

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The coordinator.
    Coordinator,
    /// The worker with this index.
    Worker(usize),
}

/// Whether a member is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemberState {
    /// Running.
    Alive,
    /// Between incarnations: it died and is being restarted; its address takes messages,
    /// which wait for the next incarnation.
    Restarting,
    /// Gone for good (not restarted, or the ecosystem gave up): its address is closed.
    Dead,
}

/// One member, as [`Ecosystem::info`](super::Ecosystem::info) reports it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MemberInfo {
    /// Coordinator or worker.
    pub role: Role,
    /// The current incarnation's pid; `None` unless alive.
    pub pid: Option<Pid>,
    /// Alive, restarting or dead: dead members are reported, not dropped.
    pub state: MemberState,
    /// What the current incarnation is doing, when alive.
    pub status: Option<ProcessStatus>,
    /// Bytes held, measured; `None` without the accounting allocator (never a guess).
    pub memory: Option<u64>,
    /// Messages waiting in its mailbox, with the trapped exits and `Down`s queued among them
    /// (as Erlang's `message_queue_len` counts `'EXIT'` and `'DOWN'` messages).
    pub mailbox_len: usize,
    /// Its mailbox's bound.
    pub mailbox_capacity: Option<usize>,
    /// Whether senders find its mailbox full right now (backpressure).
    pub mailbox_full: bool,
    /// Messages handled, over all its incarnations.
    pub messages_handled: u64,
    /// Message analytics, over all its incarnations.
    pub messages: crate::message::MessageStats,
    /// How many times it was restarted.
    pub restarts: u64,
    /// Why its last incarnation ended, if one has.
    pub last_exit: Option<ExitReason>,
}

/// A snapshot of a whole ecosystem.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EcosystemInfo {
    /// Its name.
    pub name: String,
    /// Its topology.
    pub topology: Topology,
    /// Its fault tolerance.
    pub fault_tolerance: FaultTolerance,
    /// Its supervisor's pid, while the supervisor runs.
    pub supervisor: Option<Pid>,
    /// The coordinator.
    pub coordinator: MemberInfo,
    /// The workers, by index (removed workers left out).
    pub workers: Vec<MemberInfo>,
    /// Live processes: alive members plus the supervisor.
    pub total_processes: usize,
    /// Bytes held by all members, measured: the sum of their `memory`; `None` without the
    /// accounting allocator.
    pub total_memory: Option<u64>,
    /// Messages waiting in all members' mailboxes.
    pub message_backlog: usize,
    /// Jobs waiting in the ecosystem's [`Dispatcher`](super::Dispatcher)s to be handed out.
    pub work_backlog: usize,
    /// How long the oldest of those jobs has waited; `None` when none waits.
    pub oldest_work_wait: Option<std::time::Duration>,
    /// The members' message traffic added up, with rates over the last ten seconds.
    pub traffic: super::EcosystemTraffic,
}

/// The overall verdict of [`Ecosystem::health`](super::Ecosystem::health).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HealthStatus {
    /// Everything runs, no mailbox is full, and no work waits too long to be handed out.
    Healthy,
    /// Still working, but something is wrong: the coordinator or a worker is restarting or
    /// dead, a mailbox is full, memory pressure is high, or a job has waited in one of the
    /// ecosystem's dispatchers longer than the
    /// [`backlog_wait_limit`](super::EcosystemConfig::backlog_wait_limit) (the workers do not
    /// keep up with the work coming in).
    Degraded,
    /// Not working: the supervisor is gone, the coordinator is dead for good, or no worker is
    /// alive or restarting.
    Critical,
}

/// The coordinator's state, as [`Ecosystem::health`](super::Ecosystem::health) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CoordinatorHealth {
    /// Running.
    Alive,
    /// Being restarted.
    Restarting,
    /// Gone for good.
    Dead,
}

/// Memory pressure of an ecosystem against its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MemoryPressure {
    /// Well within budget.
    Low,
    /// Approaching the budget.
    Medium,
    /// At or over the budget.
    High,
}

/// Worker counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WorkerCounts {
    /// Running.
    pub alive: usize,
    /// Being restarted.
    pub restarting: usize,
    /// Gone for good.
    pub dead: usize,
    /// All workers (not counting removed ones).
    pub total: usize,
}

/// An ecosystem's health. The rules are in [`HealthStatus`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Health {
    /// The verdict.
    pub status: HealthStatus,
    /// The coordinator.
    pub coordinator: CoordinatorHealth,
    /// The workers.
    pub workers: WorkerCounts,
    /// Memory pressure; `None` until memory accounting is in place (never a guess).
    pub memory_pressure: Option<MemoryPressure>,
    /// Messages waiting in all members' mailboxes.
    pub message_backlog: usize,
    /// Jobs waiting in the ecosystem's [`Dispatcher`](super::Dispatcher)s to be handed out:
    /// work accepted and not yet in any mailbox.
    pub work_backlog: usize,
    /// How long the oldest of those jobs has waited; `None` when none waits. Above the
    /// [`backlog_wait_limit`](super::EcosystemConfig::backlog_wait_limit), health is
    /// `degraded`.
    pub oldest_work_wait: Option<std::time::Duration>,
    /// Members whose mailbox is full, pushing back on their senders.
    pub members_at_capacity: usize,
    /// Whether dead members are restarted (`self_healing`); with `standard` they stay dead.
    pub self_healing: bool,
}
