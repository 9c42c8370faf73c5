//! Supervisor errors and child reports.

use std::fmt;
use std::time::Duration;

use crate::{CallError, ExitReason, SpawnError};

/// A supervisor request failed, or a supervisor gave up.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SupervisorError {
    /// No child has this id.
    NotFound(String),
    /// A child with this id exists already.
    AlreadyPresent(String),
    /// The child is running; stop it first.
    Running(String),
    /// Starting the child failed.
    StartFailed {
        /// The child.
        id: String,
        /// Why.
        error: SpawnError,
    },
    /// A setting is out of range: names the field and what it allows.
    InvalidSpec {
        /// The field.
        field: &'static str,
        /// What it allows.
        allowed: &'static str,
    },
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
    /// The supervisor could not be reached (it has exited).
    Unavailable(CallError),
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::NotFound(id) => write!(f, "no child `{id}`"),
            SupervisorError::AlreadyPresent(id) => write!(f, "a child `{id}` exists already"),
            SupervisorError::Running(id) => write!(f, "child `{id}` is running"),
            SupervisorError::StartFailed { id, error } => {
                write!(f, "child `{id}` failed to start: {error}")
            }
            SupervisorError::InvalidSpec { field, allowed } => {
                write!(f, "invalid `{field}`: allowed values are {allowed}")
            }
            SupervisorError::RestartIntensityReached { id, max_restarts, period, last_exit } => {
                write!(
                    f,
                    "child `{id}` kept failing: more than {max_restarts} restart(s) in \
                     {period:?} (last exit: {last_exit})"
                )
            }
            SupervisorError::Unavailable(e) => write!(f, "supervisor unavailable: {e}"),
        }
    }
}

impl std::error::Error for SupervisorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SupervisorError::StartFailed { error, .. } => Some(error),
            SupervisorError::Unavailable(e) => Some(e),
            _ => None,
        }
    }
}
