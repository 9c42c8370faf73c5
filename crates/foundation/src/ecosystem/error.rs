//! Why an ecosystem could not be started or changed.

use std::fmt;

use crate::ecosystem::ConfigError;
use crate::supervisor::SupervisorError;
use crate::{Pid, SpawnError};

/// An ecosystem could not be started, grown or shrunk.
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
            EcosystemError::Config(e) => write!(f, "{e}"),
            EcosystemError::DuplicateName { name, holder } => write!(
                f,
                "invalid `name`: an ecosystem named `{name}` already runs on this node \
                 (supervisor {holder}); names must be unique"
            ),
            EcosystemError::Spawn(e) => write!(f, "{e}"),
            EcosystemError::Supervisor(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EcosystemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EcosystemError::Config(e) => Some(e),
            EcosystemError::Spawn(e) => Some(e),
            EcosystemError::Supervisor(e) => Some(e),
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
