//! Node names, and the number each name gives its node's pids.

use std::fmt;
use std::sync::Arc;

use crate::error::ConfigError;

/// The longest node name, in bytes.
pub const MAX_NAME_LEN: usize = 253;

/// A node's name in a cluster: `a`, `ingest-3`, `api.eu-west`.
///
/// 1 to 253 bytes of ASCII letters, digits, `-` and `.`, neither first nor last: a DNS name,
/// so that a node's TLS certificate can carry it. The name fixes the node's
/// number, the `node` part of every pid it makes ([`NodeName::number`]): a hash of the name,
/// so that every node of a cluster agrees on it without asking anyone. Two names that hash
/// alike cannot be in one cluster: the second is refused when it connects (one chance in
/// about 4 billion per pair).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeName(Arc<str>);

impl NodeName {
    /// Checks a name.
    pub fn new(name: &str) -> Result<NodeName, ConfigError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
        let ok_end = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if name.len() > MAX_NAME_LEN
            || !name.chars().all(ok_char)
            || !ok_end(name.chars().next())
            || !ok_end(name.chars().last())
            || name.contains("..")
        {
            return Err(ConfigError::new(
                "name",
                format_args!("{name:?}"),
                "1 to 253 bytes of ASCII letters, digits, `-` and `.` (a DNS name)",
            ));
        }
        Ok(NodeName(name.into()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The node number this name gives: FNV-1a of its bytes, never `0` (the number of a node
    /// outside any cluster).
    pub fn number(&self) -> u32 {
        let mut hash: u32 = 0x811c_9dc5;
        for byte in self.0.bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        hash.max(1)
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::str::FromStr for NodeName {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NodeName::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_numbered_stably() {
        assert!(NodeName::new("").is_err());
        assert!(NodeName::new("a b").is_err());
        assert!(NodeName::new(&"x".repeat(254)).is_err());
        assert!(NodeName::new("-a").is_err());
        assert!(NodeName::new("a.").is_err());
        let a = NodeName::new("api.eu-west-1").unwrap();
        // FNV-1a is fixed: the same name gives the same number on every machine and release.
        assert_eq!(NodeName::new("a").unwrap().number(), 0xe40c_292c);
        assert_ne!(a.number(), 0);
    }
}
