//! An ecosystem's settings: plain data, validated, and (with the `serde` feature) readable
//! from TOML or JSON.

use std::fmt;
use std::time::Duration;

use crate::ConfigError;
use crate::supervisor::RestartIntensity;

/// How the members of an ecosystem address each other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Topology {
    /// The coordinator routes: workers know the coordinator, the coordinator knows every
    /// worker, workers do not know each other. The default.
    #[default]
    Tree,
    /// Every member can address every other: [`Members::peers`](super::Members::peers).
    Mesh,
    /// Each worker knows its successor: [`Members::next`](super::Members::next); the ring
    /// closes over members that are gone for good.
    Ring,
}

/// What happens when a member dies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FaultTolerance {
    /// Nothing is restarted: a dead member stays dead (and `health` says so).
    Standard,
    /// A dead coordinator is restarted with its last snapshot; a dead worker is replaced. Both
    /// keep their addresses and the messages waiting for them. The default.
    #[default]
    SelfHealing,
}

/// How an ecosystem's memory is budgeted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MemoryStrategy {
    /// Each member has its own account and, with `process_memory_limit`, its own limit: the
    /// member over it is ended alone. The default.
    #[default]
    IsolatedHeaps,
    /// The members share one budget, `memory_budget`: when they hold more, the member holding
    /// the most is ended (and, under self-healing, restarted), then the next if need be.
    SharedHeap,
}

/// When members give back memory they hold but do not need (`Process::compact`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum GcStrategy {
    /// After every burst of messages (when a member's mailbox runs dry), and under pressure.
    FrequentMinor,
    /// Only when the ecosystem's memory pressure is high. The default.
    #[default]
    Standard,
}

/// Settings of an ecosystem, without its code (the process factories are given to
/// [`EcosystemSpec`](super::EcosystemSpec)).
///
/// With the `serde` feature (on by default), it and its enums implement `Serialize` and
/// `Deserialize`: the config reads from TOML or JSON, with durations written as `"5s"` or
/// `"250ms"`, and an unknown field is an error:
///
/// ```
/// # #[cfg(feature = "serde")] {
/// # use foundation::ecosystem::{EcosystemConfig, Topology};
/// let config: EcosystemConfig = serde_json::from_str(
///     r#"{ "name": "orders", "workers": 8, "topology": "ring", "shutdown_timeout": "2s" }"#,
/// ).unwrap();
/// assert_eq!(config.topology, Topology::Ring);
/// config.validate().unwrap();
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields, default))]
#[non_exhaustive]
pub struct EcosystemConfig {
    /// The ecosystem's name, unique on its node. Required: not empty.
    pub name: String,
    /// How many workers start with it: 1 or more.
    pub workers: usize,
    /// How members address each other.
    pub topology: Topology,
    /// Whether dead members are restarted.
    pub fault_tolerance: FaultTolerance,
    /// Restarts allowed per period before the ecosystem gives up (default 1 in 5 s, OTP's).
    pub max_restarts: u32,
    /// The restart window (default 5 s).
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub restart_period: Duration,
    /// How long each member gets to stop on shutdown before it is killed (default 5 s).
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub shutdown_timeout: Duration,
    /// The bound of every member's mailbox (default 1,024).
    pub mailbox_capacity: usize,
    /// What a send to a member's full mailbox does (default `wait`: backpressure); see
    /// [`Overflow`](crate::message::Overflow).
    pub overflow: crate::message::Overflow,
    /// One `message_processed` telemetry event per this many messages of a member (default
    /// 1,024; 0 turns the event off).
    pub message_sample_every: u64,
    /// Isolated heaps or one shared budget.
    pub memory_strategy: MemoryStrategy,
    /// When members compact.
    pub gc_strategy: GcStrategy,
    /// Bytes each member may hold (isolated heaps); `None` for no limit. At least 4,096.
    pub process_memory_limit: Option<u64>,
    /// Bytes the members may hold together: enforced with the shared heap, the yardstick of
    /// memory pressure with either strategy. At least 4,096 per member. Required with the
    /// shared heap.
    pub memory_budget: Option<u64>,
    /// How often the budget and the pressure are checked (default 10 ms): the shared heap's
    /// overshoot is what the members allocate in one interval.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub memory_check_interval: Duration,
    /// How long a job may wait in one of the ecosystem's [`Dispatcher`](super::Dispatcher)s
    /// to be handed out before [`health`](super::Ecosystem::health) turns `degraded` (default
    /// 1 s): the sign that the workers do not keep up with the work coming in.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub backlog_wait_limit: Duration,
}

impl Default for EcosystemConfig {
    fn default() -> Self {
        let intensity = RestartIntensity::default();
        EcosystemConfig {
            name: String::new(),
            workers: 1,
            topology: Topology::default(),
            fault_tolerance: FaultTolerance::default(),
            max_restarts: intensity.max_restarts(),
            restart_period: intensity.period(),
            shutdown_timeout: crate::supervisor::DEFAULT_WORKER_SHUTDOWN,
            mailbox_capacity: crate::DEFAULT_MAILBOX_CAPACITY,
            overflow: crate::message::Overflow::Wait,
            message_sample_every: 1024,
            memory_strategy: MemoryStrategy::default(),
            gc_strategy: GcStrategy::default(),
            process_memory_limit: None,
            memory_budget: None,
            memory_check_interval: Duration::from_millis(10),
            backlog_wait_limit: Duration::from_secs(1),
        }
    }
}

/// The most workers an ecosystem may have.
pub const MAX_WORKERS: usize = 1 << 24;

impl EcosystemConfig {
    /// Defaults with a name.
    pub fn new(name: impl Into<String>) -> Self {
        EcosystemConfig { name: name.into(), ..EcosystemConfig::default() }
    }

    /// Sets the worker count.
    pub fn workers(mut self, count: usize) -> Self {
        self.workers = count;
        self
    }

    /// Sets the topology.
    pub fn topology(mut self, topology: Topology) -> Self {
        self.topology = topology;
        self
    }

    /// Sets the fault tolerance.
    pub fn fault_tolerance(mut self, fault_tolerance: FaultTolerance) -> Self {
        self.fault_tolerance = fault_tolerance;
        self
    }

    /// Sets the restart intensity.
    pub fn restart_intensity(mut self, intensity: RestartIntensity) -> Self {
        self.max_restarts = intensity.max_restarts();
        self.restart_period = intensity.period();
        self
    }

    /// Sets the per-member shutdown timeout.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets the members' mailbox capacity.
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.mailbox_capacity = capacity;
        self
    }

    /// Sets what a send to a member's full mailbox does.
    pub fn overflow(mut self, overflow: crate::message::Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Sets the `message_processed` sampling (0: off).
    pub fn message_sample_every(mut self, every: u64) -> Self {
        self.message_sample_every = every;
        self
    }

    /// Sets the memory strategy.
    pub fn memory_strategy(mut self, strategy: MemoryStrategy) -> Self {
        self.memory_strategy = strategy;
        self
    }

    /// Sets the GC strategy.
    pub fn gc_strategy(mut self, strategy: GcStrategy) -> Self {
        self.gc_strategy = strategy;
        self
    }

    /// Sets each member's memory limit.
    pub fn process_memory_limit(mut self, bytes: u64) -> Self {
        self.process_memory_limit = Some(bytes);
        self
    }

    /// Sets [`backlog_wait_limit`](Self::backlog_wait_limit).
    pub fn backlog_wait_limit(mut self, limit: Duration) -> Self {
        self.backlog_wait_limit = limit;
        self
    }

    /// Sets the ecosystem's memory budget.
    pub fn memory_budget(mut self, bytes: u64) -> Self {
        self.memory_budget = Some(bytes);
        self
    }

    /// The restart intensity.
    pub fn intensity(&self) -> RestartIntensity {
        RestartIntensity::new(self.max_restarts, self.restart_period)
    }

    /// Checks every field; the error names the first one out of range, its value and what it
    /// allows.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad =
            |field, value: &dyn fmt::Display, allowed| Err(ConfigError::new(field, value, allowed));
        if self.name.trim().is_empty() {
            return bad(
                "name",
                &format_args!("{:?}", self.name),
                "a non-empty name, unique on the node",
            );
        }
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return bad("workers", &self.workers, "1 to 16,777,216");
        }
        if self.restart_period.is_zero() {
            return bad(
                "restart_period",
                &format_args!("{:?}", self.restart_period),
                "durations above zero",
            );
        }
        if self.mailbox_capacity == 0
            || self.mailbox_capacity > crate::engine::mailbox::MAX_CAPACITY
        {
            return bad("mailbox_capacity", &self.mailbox_capacity, "1 to 2^61 messages");
        }
        let minimum = crate::engine::spawn::MIN_MEMORY_LIMIT;
        if let Some(limit) = self.process_memory_limit
            && limit < minimum
        {
            return bad("process_memory_limit", &limit, "at least 4,096 bytes");
        }
        if let Some(budget) = self.memory_budget
            && budget < minimum.saturating_mul(self.workers as u64 + 1)
        {
            return bad(
                "memory_budget",
                &budget,
                "at least 4,096 bytes per member (coordinator and workers)",
            );
        }
        if self.memory_strategy == MemoryStrategy::SharedHeap && self.memory_budget.is_none() {
            return bad(
                "memory_budget",
                &"none",
                "a budget in bytes, required with the shared heap",
            );
        }
        if self.memory_check_interval.is_zero() {
            return bad(
                "memory_check_interval",
                &format_args!("{:?}", self.memory_check_interval),
                "durations above zero",
            );
        }
        if self.backlog_wait_limit.is_zero() {
            return bad(
                "backlog_wait_limit",
                &format_args!("{:?}", self.backlog_wait_limit),
                "durations above zero",
            );
        }
        Ok(())
    }
}
