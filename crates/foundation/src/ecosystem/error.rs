//! Why an ecosystem could not be started, changed or found.

use std::fmt;

use crate::supervisor::SupervisorError;
use crate::{ConfigError, Pid, SpawnError};

/// An ecosystem could not be started, grown or shrunk.
///
/// `Config`, `Spawn` and `Supervisor` are transparent: each prints the error it carries as its
/// own and returns that error's [`source`](std::error::Error::source), so a reporter that walks
/// the chain prints every message once.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum EcosystemError {
    /// A setting is out of range, or a factory is missing: names the field.
    Config(ConfigError),
    /// Another live ecosystem on this node has this name.
    DuplicateName {
        /// The name.
        name: String,
        /// The other ecosystem's supervisor.
        holder: Pid,
    },
    /// A process could not be spawned.
    Spawn(SpawnError),
    /// The supervisor refused or failed (a member failed to start, or it has exited).
    Supervisor(SupervisorError),
}

impl fmt::Display for EcosystemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EcosystemError::Config(e) => fmt::Display::fmt(e, f),
            // Read as a `ConfigError` reads: the setting, its value, what is allowed.
            EcosystemError::DuplicateName { name, holder } => write!(
                f,
                "invalid `name` = {name:?}: allowed values are names unique on the node (an \
                 ecosystem of this name already runs, supervisor {holder})"
            ),
            EcosystemError::Spawn(e) => fmt::Display::fmt(e, f),
            EcosystemError::Supervisor(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for EcosystemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent: the inner error is shown, so its source comes next.
            EcosystemError::Config(e) => std::error::Error::source(e),
            EcosystemError::Spawn(e) => std::error::Error::source(e),
            EcosystemError::Supervisor(e) => std::error::Error::source(e),
            EcosystemError::DuplicateName { .. } => None,
        }
    }
}

impl From<ConfigError> for EcosystemError {
    fn from(e: ConfigError) -> Self {
        EcosystemError::Config(e)
    }
}

impl From<SpawnError> for EcosystemError {
    fn from(e: SpawnError) -> Self {
        EcosystemError::Spawn(e)
    }
}

impl From<SupervisorError> for EcosystemError {
    fn from(e: SupervisorError) -> Self {
        EcosystemError::Supervisor(e)
    }
}

/// [`Node::ecosystem`](crate::Node::ecosystem) found no running ecosystem of that name with
/// those message types.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No running ecosystem has this name on this node (it never started, or has stopped).
    NoEcosystem {
        /// The name asked for.
        name: String,
    },
    /// The ecosystem exists, but its message types are not the ones asked for.
    WrongMessageTypes {
        /// The ecosystem.
        name: String,
        /// The types asked for, as `(coordinator, worker)`.
        asked: (&'static str, &'static str),
        /// Its types.
        actual: (&'static str, &'static str),
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NoEcosystem { name } => write!(f, "no running ecosystem named {name:?}"),
            LookupError::WrongMessageTypes { name, asked, actual } => write!(
                f,
                "ecosystem {name:?} has coordinator messages {} and worker messages {}, \
                 not {} and {}",
                actual.0, actual.1, asked.0, asked.1
            ),
        }
    }
}

impl std::error::Error for LookupError {}
