//! Supervisor errors and child reports.

use std::fmt;
use std::time::Duration;

use crate::{CallError, ConfigError, ExitReason, SpawnError};

/// A supervisor request failed, or a supervisor gave up.
///
/// `StartFailed` and `Unavailable` say only their own part and return the cause from
/// [`source`](std::error::Error::source) (print the chain, as anyhow does, to see it); `Config`
/// is transparent: it prints the [`ConfigError`] as its own.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SupervisorError {
    /// No child has this id.
    NotFound(String),
    /// A child with this id exists already.
    AlreadyPresent(String),
    /// The child is running; stop it first.
    Running(String),
    /// The child is being restarted (its last restart attempt failed and the supervisor will
    /// try again): it can be stopped with
    /// [`terminate_child`](crate::supervisor::SupervisorRef::terminate_child), not restarted or
    /// deleted (OTP's `{error, restarting}`).
    Restarting(String),
    /// Starting the child failed (or, with an empty `id`, spawning the supervisor itself).
    /// The `error` is the [`source`](std::error::Error::source).
    StartFailed {
        /// The child.
        id: String,
        /// Why.
        error: SpawnError,
    },
    /// A setting of the spec is out of range: `intensity.period`, `children[].id` (empty or
    /// repeated ids), `children[].significant` (see [`ChildSpec::significant`](
    /// crate::supervisor::ChildSpec::significant)), or the `id` or `significant` of a child
    /// added later.
    Config(ConfigError),
    /// The supervisor exited because a child kept failing: more restarts than its intensity
    /// allows within its period. This is the supervisor's exit reason (inside
    /// [`ExitReason::Error`]).
    RestartIntensityReached {
        /// The child that failed last.
        id: String,
        /// The allowed restarts per period.
        max_restarts: u32,
        /// The period.
        period: Duration,
        /// The child's last exit reason.
        last_exit: ExitReason,
    },
    /// A dynamic supervisor has as many children as its
    /// [`max_children`](crate::supervisor::DynamicSupervisorSpec::max_children) allows (OTP's
    /// `{error, max_children}` of Elixir's `DynamicSupervisor`).
    MaxChildren {
        /// The limit.
        max_children: usize,
    },
    /// The supervisor could not be reached (it has exited). The [`CallError`] is the
    /// [`source`](std::error::Error::source).
    Unavailable(CallError),
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::NotFound(id) => write!(f, "no child `{id}`"),
            SupervisorError::AlreadyPresent(id) => write!(f, "a child `{id}` exists already"),
            SupervisorError::Running(id) => write!(f, "child `{id}` is running"),
            SupervisorError::Restarting(id) => write!(f, "child `{id}` is being restarted"),
            SupervisorError::StartFailed { id, .. } if id.is_empty() => {
                f.write_str("the supervisor could not be spawned")
            }
            SupervisorError::StartFailed { id, .. } => write!(f, "child `{id}` failed to start"),
            SupervisorError::Config(e) => fmt::Display::fmt(e, f),
            SupervisorError::RestartIntensityReached { id, max_restarts, period, last_exit } => {
                write!(
                    f,
                    "child `{id}` kept failing: more than {max_restarts} restart(s) in \
                     {period:?} (last exit: {last_exit})"
                )
            }
            SupervisorError::MaxChildren { max_children } => write!(
                f,
                "the supervisor has `max_children` = {max_children} children already: allowed \
                 values are 0 to {max_children} children"
            ),
            SupervisorError::Unavailable(_) => f.write_str("the supervisor is unavailable"),
        }
    }
}

impl std::error::Error for SupervisorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SupervisorError::StartFailed { error, .. } => Some(error),
            SupervisorError::Unavailable(e) => Some(e),
            SupervisorError::Config(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for SupervisorError {
    fn from(e: ConfigError) -> Self {
        SupervisorError::Config(e)
    }
}
