//! Errors of the message module.

use std::fmt;

/// A message-module operation could not be done: an address that could not be found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageError {
    /// No running ecosystem has this name on this node.
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
    /// The ecosystem has no worker whose address is open (all removed or gone for good).
    NoWorker {
        /// The ecosystem.
        name: String,
    },
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::NoEcosystem { name } => write!(f, "no running ecosystem named {name:?}"),
            MessageError::WrongMessageTypes { name, asked, actual } => write!(
                f,
                "ecosystem {name:?} has coordinator messages {} and worker messages {}, \
                 not {} and {}",
                actual.0, actual.1, asked.0, asked.1
            ),
            MessageError::NoWorker { name } => {
                write!(f, "ecosystem {name:?} has no worker that can take messages")
            }
        }
    }
}

impl std::error::Error for MessageError {}
