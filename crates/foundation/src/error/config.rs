//! A setting out of range: the one error for it, wherever it is found.

use std::fmt;

/// A setting is out of range: names the field, the value given and the values allowed.
///
/// The one shape of this error in the crate: spawn options
/// ([`SpawnError::Config`](crate::SpawnError::Config)), isolation limits
/// ([`IsolateError::Config`](crate::memory::IsolateError::Config)), supervisor specs
/// ([`SupervisorError::Config`](crate::supervisor::SupervisorError::Config)), ecosystem configs
/// ([`EcosystemConfig::validate`](crate::ecosystem::EcosystemConfig::validate),
/// [`EcosystemError::Config`](crate::ecosystem::EcosystemError::Config)), credit windows
/// ([`CreditLink::new`](crate::message::CreditLink::new)) and timers
/// ([`Node::send_interval`](crate::Node::send_interval)). Every one reads the same:
///
/// ```text
/// invalid `mailbox_capacity` = 0: allowed values are 1 to 2^61 messages, or an unbounded mailbox
/// ```
///
/// Opaque: ask it with [`field`](Self::field), [`value`](Self::value) and
/// [`allowed`](Self::allowed). The value is rendered as text (`0`, `0ns`, `"name"`,
/// `drop_newest`); an error wrapping a `ConfigError` shows this message as its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ConfigError {
    field: &'static str,
    value: String,
    allowed: &'static str,
}

impl ConfigError {
    /// `value` is rendered once, here: an error path, never a hot one.
    pub(crate) fn new(
        field: &'static str,
        value: impl fmt::Display,
        allowed: &'static str,
    ) -> Self {
        ConfigError { field, value: value.to_string(), allowed }
    }

    /// The setting that is out of range, as it is spelled where it is set: `mailbox_capacity`,
    /// `intensity.period`, `credits`, ...
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The value given, rendered as text: `0`, `0ns`, `""`, `drop_newest`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The values the setting allows, in words: `1 to 2^61 messages`, `durations above zero`.
    pub fn allowed(&self) -> &'static str {
        self.allowed
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}` = {}: allowed values are {}", self.field, self.value, self.allowed)
    }
}

impl std::error::Error for ConfigError {}
