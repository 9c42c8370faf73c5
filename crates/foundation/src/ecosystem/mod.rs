//! Ecosystems: a coordinator and its workers, supervised, self-healing and observable (the
//! spec's `Foundation.BEAM.Processes`).
//!
//! [`Node::spawn_ecosystem`](crate::Node::spawn_ecosystem) starts one from an
//! [`EcosystemSpec`]: its settings ([`EcosystemConfig`], readable from TOML or JSON) and the
//! factories of its coordinator and workers. The returned [`Ecosystem`] gives the members'
//! addresses, [`info`](Ecosystem::info), [`health`](Ecosystem::health), growth and shrinking,
//! and [`shutdown`](Ecosystem::shutdown).
//!
//! # Stable addresses
//!
//! Every member's address is made before the member runs and outlives its incarnations: when
//! a member dies and is restarted, the same [`ProcessRef`](crate::ProcessRef) reaches the new
//! incarnation, and the messages that were waiting in its mailbox are handled by it. What can be
//! lost in a crash is exactly the message being handled when it crashed (and whatever the
//! member did not save). Nobody has to tell the workers about a new coordinator.
//!
//! # Self-healing
//!
//! With [`FaultTolerance::SelfHealing`] (the default) the coordinator and the workers are
//! permanent children of the ecosystem's supervisor (one-for-one). A restarted coordinator's
//! factory gets the last state the coordinator saved in its [`SnapshotStore`]. Restarts count
//! against the restart intensity (default 1 in 5 s, as OTP); beyond it the ecosystem gives up:
//! every member stops, every address closes, and [`health`](Ecosystem::health) is critical.
//! With [`FaultTolerance::Standard`] nothing restarts: a dead member is reported dead.
//!
//! # Topologies
//!
//! - [`Topology::Tree`]: the coordinator knows every worker and routes; workers address the
//!   coordinator only.
//! - [`Topology::Mesh`]: every worker can address every other ([`Members::peers`]).
//! - [`Topology::Ring`]: each worker knows its successor ([`Members::next`]); a worker gone for
//!   good is skipped, so the ring closes over the gap, and a worker being restarted keeps its
//!   place, so a token sent to it waits for its next incarnation.
//!
//! # Health
//!
//! [`Ecosystem::health`] is `Critical` when the supervisor is gone, the coordinator is dead for
//! good, or no worker is alive or restarting; `Degraded` when the coordinator or a worker is
//! restarting or dead, a member's mailbox is full, memory pressure is high, or a job has waited
//! in one of the ecosystem's [`Dispatcher`]s longer than
//! [`backlog_wait_limit`](EcosystemConfig::backlog_wait_limit) (1 s by default: the workers do
//! not keep up with the work coming in); `Healthy` otherwise. The backlog it reports is the
//! messages waiting in the members' mailboxes ([`Health::message_backlog`]) and the jobs waiting
//! in the dispatchers ([`Health::work_backlog`], with the oldest one's wait). Memory pressure is the members' total against `memory_budget` (low under half,
//! medium under 90%, high beyond), or without a budget the fullest member against
//! `process_memory_limit`; `None` without either, or without the accounting allocator.
//!
//! # Work
//!
//! A [`Dispatcher`] hands the coordinator's work to the workers as [`Job`]s, in O(1) per job
//! whatever their number. Its guarantee, exactly: every job runs **at least once** (a job
//! dropped without acknowledgement, by a crash, a worker gone for good or a lost
//! confirmation, goes out again) and is acknowledged **at most once**; a job can therefore run
//! twice, and an idempotent ledger keyed by [`Job::id`] gives exactly-once effects (see
//! [`Dispatcher`]). Jobs waiting in a dispatcher count in the health.
//!
//! # Memory
//!
//! With [`MemoryStrategy::IsolatedHeaps`] each member has its own account and, with
//! `process_memory_limit`, its own limit (see [`memory`](crate::memory)): the member over it is
//! ended with `MemoryLimit` and, under self-healing, restarted. With
//! [`MemoryStrategy::SharedHeap`] the members share `memory_budget`: every
//! `memory_check_interval` the total is measured, and while it is over the budget the member
//! holding the most is ended first (the policy: the largest offender goes, the others keep
//! running). [`GcStrategy::FrequentMinor`] calls each member's `compact` after every burst of
//! messages; [`GcStrategy::Standard`] only when the pressure turns high. Each compaction is told
//! as a `gc_completed` event with the bytes it gave back, and each change of pressure as a
//! `memory_pressure` event.
//!
//! # Shutdown
//!
//! [`Ecosystem::shutdown`] stops the workers all at once, then the coordinator, each within
//! the configured timeout (then killed), then the supervisor, and returns when every process of
//! the ecosystem is gone. It is idempotent.
//!
//! # Cancellation
//!
//! Dropping the future of a call (in a `select!`, under a timeout) never leaves the ecosystem
//! half changed. A dropped [`spawn_ecosystem`](crate::Node::spawn_ecosystem) leaves nothing
//! running and nothing registered. A change the supervisor was asked for is carried out by it
//! (as OTP's `start_child` whose caller went away): a worker being added is a member if it
//! starts and leaves the members if it does not; workers being removed are removed, all of
//! them; a shutdown goes on. Each method's "Cancel safety" section has the details.

mod config;
pub(crate) mod directory;
mod error;
mod handle;
mod info;
mod member_process;
mod members;
mod memory_watch;
mod snapshot;
pub(crate) mod spawn;
mod spec;
mod traffic;
mod work;

pub use crate::ConfigError;
pub use config::{
    EcosystemConfig, FaultTolerance, GcStrategy, MAX_WORKERS, MemoryStrategy, Topology,
};
pub use error::{EcosystemError, LookupError};
pub use handle::Ecosystem;
pub use info::{
    CoordinatorHealth, EcosystemInfo, Health, HealthStatus, MemberInfo, MemberState,
    MemoryPressure, Role, WorkerCounts,
};
pub use members::{Members, TopologyError};
pub use snapshot::SnapshotStore;
pub use spec::{CoordinatorStart, EcosystemSpec, WorkerStart};
pub use traffic::EcosystemTraffic;
pub use work::{Dispatcher, Job, WorkStats};
