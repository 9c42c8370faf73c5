//! Errors of starting processes, naming them and relating them.

use std::fmt;

use crate::error::ConfigError;
use crate::{ExitReason, Name, Pid};

/// A process could not be spawned. The process value was dropped without `init` running.
///
/// `Config` and `Name` are transparent (they print the inner error as their own, and return
/// its source); the other variants have no source.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// A builder setting is out of range: `mailbox_capacity`, `overflow` (a drop or fail
    /// policy on an unbounded mailbox), `memory_limit`, or `spawn_link`/`spawn_monitor` on a
    /// builder that has no process to link or monitor from.
    Config(ConfigError),
    /// Registering the process's name failed.
    Name(RegisterError),
    /// The node is shutting down and takes no new processes.
    ShuttingDown,
    /// The process that was to link or monitor the new one has exited (a builder from
    /// `Context::process` used after its process ended).
    ParentExited(Pid),
    /// A supervised process's address was closed for good, so it cannot be restarted in it.
    AddressClosed(Pid),
    /// The process started but its `init` failed (a supervised start, and
    /// [`ProcessBuilder::start`](crate::ProcessBuilder::start), wait for `init`).
    InitFailed(ExitReason),
    /// [`ProcessBuilder::start`](crate::ProcessBuilder::start) waited longer than its
    /// `start_timeout` for `init`; the process was killed.
    StartTimeout {
        /// The `start_timeout`.
        after: std::time::Duration,
    },
    /// The process asked for a `memory_limit` but every memory account is in use, so its
    /// memory could not be measured: a limit is never dropped silently. A process without a
    /// limit still spawns (it then shares the runtime's account). See
    /// [`memory`](crate::memory#when-every-account-is-in-use).
    NoMemoryAccount {
        /// Accounts open, all of them: the installed allocator's
        /// [`max_accounts`](crate::memory::AccountingAllocator::with_max_accounts).
        in_use: usize,
    },
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Config(e) => fmt::Display::fmt(e, f),
            SpawnError::Name(e) => fmt::Display::fmt(e, f),
            SpawnError::ShuttingDown => f.write_str("the node is shutting down"),
            SpawnError::ParentExited(pid) => {
                write!(f, "cannot link or monitor from {pid}: it has exited")
            }
            SpawnError::InitFailed(reason) => write!(f, "`init` failed: {reason}"),
            SpawnError::StartTimeout { after } => write!(
                f,
                "`init` did not finish within the `start_timeout` of {after:?}; the process was killed"
            ),
            SpawnError::AddressClosed(pid) => {
                write!(f, "cannot restart {pid}: its address was closed for good")
            }
            SpawnError::NoMemoryAccount { in_use } => write!(
                f,
                "no memory account is free for `memory_limit` (all {in_use} in use): spawn \
                 without a limit, or allow more with `AccountingAllocator::with_max_accounts`"
            ),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::Config(e) => std::error::Error::source(e),
            SpawnError::Name(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for SpawnError {
    fn from(e: ConfigError) -> Self {
        SpawnError::Config(e)
    }
}

/// Registering a name or joining a group failed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RegisterError {
    /// Names and group names must not be empty.
    EmptyName,
    /// The name is held by another live process.
    Taken {
        /// The name.
        name: Name,
        /// The process holding it.
        holder: Pid,
    },
    /// The process to register has exited or never existed on this node.
    NoProcess(Pid),
    /// No process is registered under this name.
    NotRegistered(Name),
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Read as a `ConfigError` reads: an empty name is a setting out of range.
            RegisterError::EmptyName => {
                f.write_str("invalid `name` = \"\": allowed values are non-empty names")
            }
            RegisterError::Taken { name, holder } => {
                write!(f, "the name `{name}` is already registered by {holder}")
            }
            RegisterError::NoProcess(pid) => write!(f, "no live process {pid} on this node"),
            RegisterError::NotRegistered(name) => write!(f, "no process is registered as `{name}`"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// Linking failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pid: Pid,
}

impl LinkError {
    pub(crate) fn no_process(pid: Pid) -> Self {
        LinkError { pid }
    }

    /// The process that could not be linked.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot link to {}: noproc (it has exited or never existed)", self.pid)
    }
}

impl std::error::Error for LinkError {}

/// A node could not be started.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum NodeError {
    /// `Node::new` was called outside a tokio runtime.
    NoRuntime,
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::NoRuntime => {
                f.write_str("a node must be started from within a tokio runtime")
            }
        }
    }
}

impl std::error::Error for NodeError {}
